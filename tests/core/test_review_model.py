"""The window's review state without Qt: edits saved through a real store on real files, undo/redo exact, proposals
accepted and rejected, review marks, and a photo that goes back to unlabelled when its first box is undone."""

from __future__ import annotations

import numpy as np
import pytest

from tests.labels.conftest import jpeg_bytes
from yolo_desktop.labels.place import BESIDE, Place
from yolo_desktop.labels.problems import LabelFileError
from yolo_desktop.labels.store import LabelStore
from yolo_desktop.results import Detections
from yolo_desktop.ui.review_model import FolderReview, ReviewModel

PX = 1e-3  # pixels: boxes go through YOLO's normalised text (6 decimals of 64 px) and back


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (root / name).write_bytes(jpeg_bytes(64, 48, seed=len(name)))
    (root / "b.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    (root / "c.txt").write_text("0 0.5 0.5 0.25\n")  # a bad line: c is a problem photo
    (root / "classes.txt").write_text("cat\n")
    return root


def open_review(root, flush_interval=0.05):
    store = LabelStore(Place(root, root, BESIDE), flush_interval=flush_interval)
    model = ReviewModel()
    model.add(FolderReview(store, store.box_counts()))
    return model


def on_disk(root, rel):
    with LabelStore(Place(root, root, BESIDE), readonly=True) as store:
        labels = store.read(rel)
    return None if labels is None else (labels.boxes.boxes.tolist(), list(labels.boxes.labels))


def test_edits_are_saved_and_undo_redo_is_exact(folder):
    model = open_review(folder)
    photo = model.photo(str(folder / "b.jpg"))
    assert model.box_count(str(folder / "b.jpg")) == 1
    photo.add((2, 3, 20, 30), "dog")  # a new class is added to classes.txt
    photo.set_box(0, (10, 10, 30, 26))
    photo.nudge([0], 1, 0)
    photo.nudge([0], 1, 0)  # one undo step with the nudge before it
    photo.set_class([1], "cat")
    photo.delete([0])
    assert photo.boxes.labels == ("cat",)
    model.flush()
    assert on_disk(folder, "b.jpg") == ([[2, 3, 20, 30]], ["cat"])
    assert (folder / "classes.txt").read_text() == "cat\ndog\n"
    steps = []
    while photo.undo():
        steps.append((photo.boxes.boxes.tolist(), photo.boxes.labels))
    assert steps == [
        ([[12, 10, 32, 26], [2, 3, 20, 30]], ("cat", "cat")),  # delete undone
        ([[12, 10, 32, 26], [2, 3, 20, 30]], ("cat", "dog")),  # class change undone
        ([[10, 10, 30, 26], [2, 3, 20, 30]], ("cat", "dog")),  # both nudges undone at once
        ([[24, 18, 40, 30], [2, 3, 20, 30]], ("cat", "dog")),  # move undone
        ([[24, 18, 40, 30]], ("cat",)),  # add undone
    ]
    model.flush()
    assert on_disk(folder, "b.jpg") == ([[24, 18, 40, 30]], ["cat"])
    assert photo.redo() and photo.redo()
    model.flush()
    boxes, labels = on_disk(folder, "b.jpg")
    assert np.allclose(boxes, [[10, 10, 30, 26], [2, 3, 20, 30]], atol=PX) and labels == ["cat", "dog"]


def test_undoing_the_first_box_makes_the_photo_unlabelled_again(folder):
    model = open_review(folder)
    path = str(folder / "a.jpg")
    photo = model.photo(path)
    assert model.state(path) == "unlabelled"
    photo.add((0, 0, 70, 10), "cat")  # clipped to the 64 × 48 photo
    assert photo.boxes.boxes.tolist() == [[0, 0, 64, 10]] and model.state(path) == "labelled"
    model.flush()
    assert (folder / "a.txt").is_file()
    photo.undo()
    model.flush()
    assert model.state(path) == "unlabelled" and not (folder / "a.txt").exists()
    assert model.box_count(path) == 0
    photo.redo()
    model.flush()
    boxes, labels = on_disk(folder, "a.jpg")
    assert np.allclose(boxes, [[0, 0, 64, 10]], atol=PX) and labels == ["cat"]


def test_proposals_accepted_rejected_and_hidden_when_already_a_label(folder):
    model = open_review(folder)
    photo = model.photo(str(folder / "a.jpg"))
    predictions = Detections(
        np.array([[1, 1, 11, 11], [20, 20, 40, 40], [30, 2, 60, 20]], np.float32),
        np.array([0.9, 0.6, 0.3], np.float32),
        np.array([0, 1, 0], np.int32),
        ("person", "dog"),
    )
    assert photo.proposals(predictions) == [0, 1, 2]
    assert photo.accept_above(predictions, 0.5) == [0, 1]
    assert photo.boxes.labels == ("person", "dog") and photo.proposals(predictions) == [2]
    photo.reject(predictions, [2])
    assert photo.proposals(predictions) == []
    photo.undo()  # the rejection
    assert photo.proposals(predictions) == [2]
    photo.accept(predictions, [2])
    model.flush()
    assert on_disk(folder, "a.jpg")[1] == ["person", "dog", "person"]
    # Opened again (a new session): the accepted predictions show as labels only, not as proposals beside them.
    model.close()
    again = open_review(folder).photo(str(folder / "a.jpg"))
    assert again.proposals(predictions) == []


def test_review_marks_totals_and_the_next_unreviewed(folder):
    model = open_review(folder)
    paths = [str(folder / n) for n in ("a.jpg", "b.jpg", "c.jpg")]
    assert model.totals() == (0, 3)
    assert model.next_unreviewed(paths, 0) == 1
    with pytest.raises(LabelFileError):
        model.photo(paths[2])  # found a problem when read: then never "next"
    model.set_reviewed(paths[1])
    assert model.next_unreviewed(paths, 0) == 0  # wraps, past c
    model.set_reviewed(paths[0])  # no boxes: reviewed means "no objects"
    assert model.totals() == (2, 3) and model.box_count(paths[0]) == 0
    assert model.next_unreviewed(paths, 0) is None
    model.flush()
    assert (folder / "a.txt").read_text() == ""


def test_a_problem_photo_is_never_edited_or_saved_over(folder):
    model = open_review(folder)
    with pytest.raises(LabelFileError, match=r"c\.txt:1: 4 fields"):
        model.photo(str(folder / "c.jpg"))
    model.close()
    assert (folder / "c.txt").read_text() == "0 0.5 0.5 0.25\n"


def test_a_rename_keeps_undo_working(folder):
    model = open_review(folder)
    photo = model.photo(str(folder / "b.jpg"))
    photo.add((2, 3, 20, 30), "dog")
    photo.folder.store.rename_class(0, "kitten")
    photo.undo()
    assert photo.boxes.labels == ("kitten",)
    assert photo.folder.class_choices(("person", "dog")) == ["dog", "kitten", "person"]
