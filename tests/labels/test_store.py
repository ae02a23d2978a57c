"""The store the window edits through: where labels live, what survives reopening, the class list, review state,
names files and data.yaml (checked against PyYAML), photo sizes from headers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tests.labels.conftest import jpeg_bytes
from yolo_desktop.export.yolo_txt import data_yaml_text
from yolo_desktop.imaging.header import probe_file
from yolo_desktop.labels.boxes import PhotoLabels
from yolo_desktop.labels.names import read_data_yaml
from yolo_desktop.labels.place import BESIDE, CHOSEN, DATASET, SPLITS, default_place
from yolo_desktop.labels.problems import LabelsUnavailable
from yolo_desktop.labels.store import LabelStore, open_labels


def photos(folder, names, size=(64, 48)):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(jpeg_bytes(*size))
    return folder


def test_where_labels_live_by_default_and_when_chosen(tmp_path, memory):
    root = tmp_path / "set"
    photos(root / "images" / "train", ["a.jpg"])
    place = default_place(root)
    assert (place.layout, place.photos, place.labels) == (DATASET, root / "images", root / "labels")
    assert place.label_path("train/a.jpg") == root / "labels" / "train" / "a.txt"
    assert default_place(root / "images" / "train").layout == BESIDE  # no labels/ yet: not taken for a dataset
    (root / "labels").mkdir()
    nested = default_place(root / "images" / "train")
    assert (nested.layout, nested.labels, nested.dataset_root) == (DATASET, root / "labels" / "train", root)
    plain = photos(tmp_path / "holiday", ["b.jpg"])
    assert default_place(plain) == type(place)(plain, plain, BESIDE)
    chosen = memory.remember(plain, tmp_path / "elsewhere")
    assert memory.place(plain) == chosen and chosen.layout == CHOSEN
    assert memory.place(tmp_path / "holiday" / ".." / "holiday") == chosen  # the same folder however named
    memory.forget(plain)
    assert memory.place(plain).layout == BESIDE


def test_a_root_of_splits_as_roboflow_exports_it(tmp_path, memory):
    root = tmp_path / "export"
    for split in ("train", "valid"):
        photos(root / split / "images", [f"{split}1.jpg", f"{split}2.jpg"])
        (root / split / "labels").mkdir()
        (root / split / "labels" / f"{split}1.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    (root / "stray.txt").write_text("notes\n")
    (root / "cover.jpg").write_bytes(jpeg_bytes(64, 48))  # not under images/: not one of the photos
    (root / "data.yaml").write_text("train: ../train/images\nval: ../valid/images\nnc: 2\nnames: ['cat', 'dog']\n")
    place = default_place(root)
    assert place.layout == SPLITS and place.label_path("train/images/train1.jpg") == root / "train/labels/train1.txt"
    with open_labels(root, memory) as store:
        assert store.names == ("cat", "dog") and store.problems == []
        assert {p.rel: store.state(p.rel) for p in store.photos} == {
            "train/images/train1.jpg": "labelled",
            "train/images/train2.jpg": "unlabelled",
            "valid/images/valid1.jpg": "labelled",
            "valid/images/valid2.jpg": "unlabelled",
        }
        assert store.read("valid/images/valid1.jpg").boxes.labels == ("dog",)
        store.set_reviewed("train/images/train2.jpg")
    assert (root / "train" / "labels" / "train2.txt").read_text() == ""


def test_edits_review_state_and_classes_survive_reopening(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg", "b.jpg", "c.jpg", "d.jpg"])
    with open_labels(root, memory) as store:
        assert store.counts() == {"unlabelled": 4} and store.names == ()
        assert store.add_class("cat") == 0 and store.add_class("dog") == 1 and store.add_class("cat") == 0
        store.save("a.jpg", PhotoLabels.of(64, 48, [(1.5, 2.25, 30, 40), (0, 0, 64, 48)], [1, 0], store.names))
        store.save("b.jpg", PhotoLabels.of(64, 48, [(5, 5, 10, 10)], [0], store.names))
        store.set_reviewed("b.jpg")
        store.set_reviewed("c.jpg")  # reviewed without boxes: a background photo
        store.rename_class(1, "puppy")
        again = store.read("a.jpg")  # before any flush: what is about to be written
        assert again.boxes.labels == ("puppy", "cat")
    assert (root / "c.txt").read_text() == ""
    assert (root / "classes.txt").read_text() == "cat\npuppy\n"
    with open_labels(root, memory) as store:
        assert store.names == ("cat", "puppy")
        assert {p.rel: store.state(p.rel) for p in store.photos} == {
            "a.jpg": "labelled",
            "b.jpg": "reviewed",
            "c.jpg": "reviewed",
            "d.jpg": "unlabelled",
        }
        a = store.read("a.jpg")
        assert (a.width, a.height, a.boxes.labels) == (64, 48, ("puppy", "cat"))
        assert np.allclose(a.boxes.boxes, [[1.5, 2.25, 30, 40], [0, 0, 64, 48]], atol=0.05)  # px
        assert a.boxes.scores.tolist() == [1, 1]
        assert len(store.read("c.jpg").boxes) == 0 and store.read("d.jpg") is None
        store.set_reviewed("b.jpg", False)
        with pytest.raises(ValueError, match="already a class 'cat'"):
            store.rename_class(1, "cat")
    with open_labels(root, memory) as store:
        assert store.counts() == {"labelled": 2, "reviewed": 1, "unlabelled": 1}


def test_read_only_store_reads_and_refuses_to_write(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg"])
    (root / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    with LabelStore(memory.place(root), readonly=True) as store:
        assert store.read("a.jpg").boxes.labels == ("0",)
        assert store.names == ("0",)  # no class list: classes named by their number, as files use them
        with pytest.raises(LabelsUnavailable, match="opened read-only"):
            store.add_class("cat")
    assert not (root / ".yolo-desktop-labels.lock").exists()


def test_a_first_class_list_names_every_class_number_in_use(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg", "b.jpg"])
    (root / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "b.txt").write_text("4 0.5 0.5 0.5 0.5\n")
    with open_labels(root, memory) as store:
        assert store.read("a.jpg").boxes.labels == ("0",)
        assert store.add_class("cat") == 5  # after 0…4, though b.txt was not read yet
        assert store.read("b.jpg").boxes.labels == ("4",)
    assert (root / "classes.txt").read_text() == "0\n1\n2\n3\n4\ncat\n"


def test_an_unreadable_class_list_is_left_alone(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg"])
    (root / "classes.txt").write_bytes(b"cat\n\xff\xfe dog\n")
    with pytest.raises(LabelsUnavailable, match=r"classes\.txt: cannot read the class list: not UTF-8 text: fix"):
        open_labels(root, memory)
    assert (root / "classes.txt").read_bytes() == b"cat\n\xff\xfe dog\n"


def test_a_damaged_review_state_is_left_alone(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg"])
    (root / ".yolo-desktop-labels.json").write_text('{"format": "yolo-desktop labels 1", "reviewed": [\n')
    with pytest.raises(LabelsUnavailable, match=r"\.yolo-desktop-labels\.json:2: review state unreadable"):
        open_labels(root, memory)
    with LabelStore(memory.place(root), readonly=True) as store:
        assert [p.line for p in store.problems] == [2]
    assert (root / ".yolo-desktop-labels.json").read_text().endswith("[\n")
    (root / ".yolo-desktop-labels.json").unlink()
    open_labels(root, memory).close()  # the refused open released its lock


def test_photos_sharing_a_label_file_are_left_alone(tmp_path, memory):
    root = photos(tmp_path / "photos", ["a.jpg", "a.png"])
    (root / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    with open_labels(root, memory) as store:
        assert store.counts() == {"problem": 2}
        assert [str(p) for p in store.problems] == [
            f"{root / 'a.txt'}: is the label file of 2 photos (a.jpg, a.png): rename all but one photo"
        ]


@pytest.mark.parametrize(
    "text",
    [
        "path: ../datasets/coco8\ntrain: images/train\nval: images/val  # comment\n"
        "names:\n  0: person\n  1: 'bi cycle'\n"
        '  2: "car: red"\n',
        "names: [person, 'bi cycle', \"car: red\"]\nnc: 3\n",
        "nc: 3\nnames:\n- person\n- bi cycle\n- 'car: red'\ndownload: |\n  print('x')\n",
        data_yaml_text(["person", "bi cycle", "car: red"], [("train", "images/train")]),
    ],
)
def test_data_yaml_forms_read_as_pyyaml_reads_them(tmp_path, text):
    path = tmp_path / "data.yaml"
    path.write_text(text)
    scalars, names, problems = read_data_yaml(path)
    expected = yaml.safe_load(text)["names"]
    assert names == (list(expected.values()) if isinstance(expected, dict) else expected) and problems == []
    assert names == ["person", "bi cycle", "car: red"]
    if "train" in scalars:
        assert scalars["train"] == "images/train"


def test_data_yaml_forms_it_does_not_read_are_refused_with_their_line(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text("train: x\nnames:\n  0: a\n  2: c\n")
    assert [str(p) for p in read_data_yaml(path)[2]] == [
        f"{path}:2: names: not a list of class names this reader knows"
    ]


@pytest.mark.parametrize("orientation, upright", [(1, (64, 48)), (6, (48, 64)), (8, (48, 64)), (3, (64, 48))])
def test_photo_sizes_come_upright_from_the_header(tmp_path, orientation, upright):
    path = tmp_path / "p.jpg"
    path.write_bytes(jpeg_bytes(64, 48, orientation))
    assert probe_file(path).upright_size == upright
