"""Bad labels: each gets one message naming the file (and line) and the reason, the rest of the folder still reads,
and a file that could not be read is never saved over."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.labels.conftest import jpeg_bytes
from tests.support import processes
from yolo_desktop.labels.boxes import PhotoLabels
from yolo_desktop.labels.dataset import read_labels
from yolo_desktop.labels.problems import LabelFileError, LabelsUnavailable
from yolo_desktop.labels.store import LabelStore, open_labels

GOOD = "0 0.5 0.5 0.25 0.5\n1 0.25 0.25 0.1 0.1\n"
BAD_YOLO = {
    "fields.txt": ("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n", 2, "4 fields, expected 5 (class cx cy w h)"),
    "word.txt": ("0 0.5 abc 0.2 0.2\n", 1, "'abc' is not a number"),
    "class.txt": ("1 0.5 0.5 0.2 0.2\n\n7 0.5 0.5 0.2 0.2\n", 3, "class 7 is beyond the 2 class names"),
    "outside.txt": ("0 1.5 0.5 0.2 0.2\n", 1, "box (89.6, 19.2, 102.4, 28.8) is outside the 64×48 photo"),
    "flat.txt": ("0 0.5 0.5 0 0.2\n", 1, "box (32.0, 19.2, 32.0, 28.8) has no area (zero width or height)"),
    "fraction.txt": ("0.5 0.5 0.5 0.2 0.2\n", 1, "class '0.5' is not a whole number"),
}


def yolo_folder(root: Path) -> Path:
    """64×48 photos a.jpg (good labels), one per bad file, u.jpg (unlabelled); classes.txt: cat, dog."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("cat\ndog\n")
    for name, text in {"a.txt": GOOD, **{k: v[0] for k, v in BAD_YOLO.items()}}.items():
        (root / name).write_text(text)
        (root / name).with_suffix(".jpg").write_bytes(jpeg_bytes(64, 48))
    (root / "u.jpg").write_bytes(jpeg_bytes(64, 48))
    return root


def test_yolo_bad_lines_each_named_and_the_rest_reads(tmp_path, memory):
    root = yolo_folder(tmp_path / "photos")
    labels = read_labels(root, memory=memory)
    messages = sorted(str(p) for p in labels.problems)
    assert messages == sorted(f"{root / name}:{line}: {reason}" for name, (_t, line, reason) in BAD_YOLO.items())
    states = {photo.rel: photo.state for photo in labels.photos}
    assert states == {
        "a.jpg": "labelled",
        "u.jpg": "unlabelled",
        **{n.replace(".txt", ".jpg"): "problem" for n in BAD_YOLO},
    }
    good = next(p for p in labels.photos if p.rel == "a.jpg").labels
    assert good.boxes.labels == ("cat", "dog")
    assert np.allclose(good.boxes.boxes, [[24, 12, 40, 36], [12.8, 9.6, 19.2, 14.4]], atol=1e-4)  # px


def test_a_file_that_could_not_be_read_is_never_saved_over(tmp_path, memory):
    root = yolo_folder(tmp_path / "photos")
    before = {name: (root / name).read_bytes() for name in BAD_YOLO}
    with open_labels(root, memory) as store:
        for name in BAD_YOLO:
            rel = name.replace(".txt", ".jpg")
            empty = PhotoLabels.of(64, 48, [], [], store.names)
            with pytest.raises(LabelFileError, match=str(root / name)):
                store.save(rel, empty)  # never read this session: read first, refused
            with pytest.raises(LabelFileError):
                store.set_reviewed(rel)
            assert store.state(rel) == "problem"
        store.save("u.jpg", PhotoLabels.of(64, 48, [(1, 2, 30, 40)], [1], store.names))
        assert store.flush() == []
    assert {name: (root / name).read_bytes() for name in BAD_YOLO} == before
    assert (root / "u.txt").read_text() == "1 0.242188 0.437500 0.453125 0.791667\n"


def test_a_box_that_could_not_be_read_back_is_refused_at_save(tmp_path, memory):
    root = yolo_folder(tmp_path / "photos")
    with open_labels(root, memory) as store:
        with pytest.raises(ValueError, match="outside the 64×48 photo"):
            store.save("u.jpg", PhotoLabels.of(64, 48, [(10, 10, 80, 20)], [0], store.names))
        with pytest.raises(ValueError, match="no area"):
            store.save("u.jpg", PhotoLabels.of(64, 48, [(10, 10, 10, 20)], [0], store.names))
    assert not (root / "u.txt").exists()


def test_a_photo_that_vanished(tmp_path, memory):
    root = yolo_folder(tmp_path / "photos")
    with open_labels(root, memory) as store:
        (root / "a.jpg").unlink()
        with pytest.raises(LabelFileError, match=f"{root / 'a.jpg'}: the photo is gone"):
            store.read("a.jpg")
        assert store.state("a.jpg") == "problem"
    assert (root / "a.txt").read_text() == GOOD


def voc_xml(filename: str, size: tuple[int, int] | None, boxes: list[tuple[str, int, int, int, int]]) -> str:
    size_xml = f"<size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>" if size else ""
    objects = "".join(
        f"<object><name>{n}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax>"
        f"</bndbox></object>"
        for n, a, b, c, d in boxes
    )
    return f"<annotation><filename>{filename}</filename>{size_xml}{objects}</annotation>"


def test_voc_without_size_for_another_photo_and_unturned(tmp_path, memory):
    root = tmp_path / "voc"
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    photos = {
        "good": (64, 48, 1),
        "nosize": (64, 48, 1),
        "other": (64, 48, 1),
        "turned": (64, 48, 6),
        "xml": (64, 48, 1),
    }
    for stem, (w, h, orientation) in photos.items():
        (root / "JPEGImages" / f"{stem}.jpg").write_bytes(jpeg_bytes(w, h, orientation))
    box = [("cat", 2, 3, 20, 30)]
    (root / "Annotations" / "good.xml").write_text(voc_xml("good.jpg", (64, 48), box))
    (root / "Annotations" / "nosize.xml").write_text(voc_xml("nosize.jpg", None, box))
    (root / "Annotations" / "other.xml").write_text(voc_xml("other.jpg", (500, 375), box))
    (root / "Annotations" / "turned.xml").write_text(voc_xml("turned.jpg", (64, 48), box))  # shown 48×64
    (root / "Annotations" / "xml.xml").write_text("<annotation><size>\n<width>64</width>\n</annotation>")
    (root / "Annotations" / "gone.xml").write_text(voc_xml("gone.jpg", (64, 48), box))
    labels = read_labels(root, memory=memory)
    ann = root / "Annotations"
    assert sorted(str(p) for p in labels.problems) == sorted(
        [
            f"{ann / 'nosize.xml'}: has no <size> with <width> and <height>: cannot tell which photo it is for",
            f"{ann / 'other.xml'}: made for another photo: it says 500×375, other.jpg is 64×48",
            f"{ann / 'turned.xml'}: made for turned.jpg as stored (64×48), without its EXIF orientation: the photo is "
            "shown 48×64, and labels are in the coordinates of the photo as shown",
            f"{ann / 'xml.xml'}:3: not valid XML (mismatched tag)",
            f"{ann / 'gone.xml'}: no photo gone.* in {root / 'JPEGImages'}",
        ]
    )
    states = {photo.rel: photo.state for photo in labels.photos}
    assert states == {
        "good.jpg": "labelled",
        "nosize.jpg": "problem",
        "other.jpg": "problem",
        "turned.jpg": "problem",
        "xml.jpg": "problem",
    }
    good = next(p for p in labels.photos if p.rel == "good.jpg").labels
    assert good.boxes.boxes.tolist() == [[1, 2, 20, 30]]  # 1-based inclusive → continuous pixels


def test_coco_missing_photo_duplicate_ids_unknown_category(tmp_path, memory):
    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"):
        (root / "images" / name).write_bytes(jpeg_bytes(64, 48))
    document = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
            {"id": 2, "file_name": "b.jpg", "width": 64, "height": 48},
            {"id": 3, "file_name": "c.jpg", "width": 64, "height": 48},
            {"id": 3, "file_name": "d.jpg", "width": 64, "height": 48},
            {"id": 5, "file_name": "missing.jpg", "width": 64, "height": 48},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 2, 10, 10], "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 7, "bbox": [1, 2, 10, 10], "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 7, "bbox": [5, 5, 10, 10], "iscrowd": 0},
            {"id": 4, "image_id": 5, "category_id": 9, "bbox": [1, 2, 10, 10], "iscrowd": 0},
            {"id": 5, "image_id": 9, "category_id": 7, "bbox": [1, 2, 10, 10], "iscrowd": 0},
            {"id": 6, "image_id": 1, "category_id": 8, "bbox": [1, 2, 10, 10], "iscrowd": 0},
        ],
        "categories": [{"id": 7, "name": "cat"}, {"id": 9, "name": "dog"}],
    }
    path = root / "instances.json"
    path.write_text(json.dumps(document))
    labels = read_labels(root, memory=memory)
    assert sorted(str(p) for p in labels.problems) == sorted(
        [
            f"{path}: image id 3 is used by 2 images",
            f"{path}: annotation 2: the id is used by 2 annotations",
            f"{path}: annotation 2: the id is used by 2 annotations",
            f"{path}: annotation 5: image id 9 is not in images",
            f"{path}: annotation 6: category id 8 is not in categories",
            f"{path}: missing.jpg: the photo is missing",
        ]
    )
    states = {photo.rel: photo.state for photo in labels.photos}
    assert states == {
        "images/a.jpg": "problem",
        "images/b.jpg": "problem",
        "images/missing.jpg": "problem",
        "images/c.jpg": "unlabelled",
        "images/d.jpg": "unlabelled",
    }
    path.write_text('{"images": [\n{"id": 1,\n}]}')
    with pytest.raises(LabelsUnavailable, match=rf"{path}:3: not valid JSON \(Expecting property name"):
        read_labels(root, memory=memory)


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KB file system (tmpfs), to be filled or made read-only; needs root (mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or processes.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    processes.run(["umount", "-l", str(mount)], check=False)


def test_read_only_labels_folder_is_refused_with_its_name(tmp_path, small_disk, memory):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(jpeg_bytes(64, 48))
    place = memory.remember(photos, small_disk / "labels")
    processes.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(LabelsUnavailable, match=f"{small_disk / 'labels'}: labels cannot be written here"):
        LabelStore(place)
    with LabelStore(place, readonly=True) as store:  # reading still works
        assert store.counts() == {"unlabelled": 1}


def test_a_full_disk_is_reported_once_and_the_edit_kept_until_it_fits(tmp_path, small_disk, memory):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(jpeg_bytes(64, 48))
    errors = []
    store = LabelStore(memory.remember(photos, small_disk), flush_interval=0.05, on_error=errors.append)
    store.add_class("cat")
    assert store.flush() == []
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as handle:  # fill the disk to the last block
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    edit = PhotoLabels.of(64, 48, [(1, 2, 30, 40)], [0], store.names)
    store.save("a.jpg", edit)
    failures = store.flush()
    assert [str(p) for p in failures] == [
        f"{small_disk / 'a.txt'}: could not be saved: No space left on device (kept, retrying)"
    ]
    assert [str(p) for p in errors] == [str(failures[0])]
    assert np.allclose(store.read("a.jpg").boxes.boxes, [[1, 2, 30, 40]], atol=0.05)  # px: kept in memory
    filler.unlink()
    assert store.flush() == []
    store.close()
    assert len(errors) == 1
    with LabelStore(memory.place(photos), readonly=True) as reopened:
        assert np.allclose(reopened.read("a.jpg").boxes.boxes, [[1, 2, 30, 40]], atol=0.05)  # px
