"""The 167 COCO photos with their official boxes: COCO JSON → a YOLO, COCO and VOC training set → read back gives
the same boxes and classes; pycocotools and supervision, read as independent readers, agree."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from yolo_desktop.labels.dataset import LabelSet, read_labels
from yolo_desktop.labels.training_set import ExportOptions, assign_splits, export_training_set
from yolo_desktop.pipeline.inputs import UsageError

# Each format's own rounding, pixels: YOLO 6 decimals of the photo's size, COCO 2 decimals, VOC whole pixels.
TOLERANCE_PX = {"yolo": 0.01, "coco": 0.01, "voc": 0.5 + 1e-3}
SPLIT = (0.7, 0.2, 0.1)


@pytest.fixture(scope="module")
def source() -> LabelSet:
    from tests.conftest import from_shared
    from tests.labels.conftest import COCO_SAMPLE

    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    return read_labels(COCO_SAMPLE)


@pytest.fixture(scope="module")
def exports(source, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("training-sets")
    outs = {}
    for fmt in TOLERANCE_PX:
        report = export_training_set(source, root / fmt, ExportOptions(fmt, SPLIT, seed=0, link=fmt == "yolo"))
        assert report.failed == [] and report.photos == {"train": 117, "val": 33, "test": 17}
        assert sum(sum(c.values()) for c in report.boxes.values()) == 1569  # 1,584 official boxes less 15 crowd
        outs[fmt] = root / fmt
    return outs


def by_name(labels: LabelSet) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    return {p.path.name: (p.labels.boxes.boxes, p.labels.boxes.labels) for p in labels.photos if p.labels}


def test_the_source_is_read_whole(source):
    assert source.format == "coco" and source.problems == []
    assert source.notes == ["15 crowd regions (iscrowd) left out: they are not objects to train on"]
    assert len(source.names) == 80 and source.names[0] == "person" and source.names[-1] == "toothbrush"
    assert Counter(p.state for p in source.photos) == {"labelled": 167}


@pytest.mark.parametrize("fmt", list(TOLERANCE_PX))
def test_export_then_import_gives_the_same_boxes(source, exports, fmt):
    back = read_labels(exports[fmt])
    assert back.format == fmt and back.problems == [] and back.names == source.names
    before, after = by_name(source), by_name(back)
    assert after.keys() == before.keys()
    for name, (boxes, labels) in before.items():
        assert after[name][1] == labels, name  # same classes, same order
        assert np.abs(after[name][0] - boxes).max(initial=0) <= TOLERANCE_PX[fmt], name


def test_photos_are_copied_or_linked_never_changed(source, exports):
    originals = {p.path.name: p.path for p in source.photos}
    for photo in (exports["yolo"] / "images").rglob("*.jpg"):
        assert os.stat(photo).st_ino == os.stat(originals[photo.name]).st_ino  # hard-linked (--link)
    for photo in (exports["coco"] / "train").glob("*.jpg"):
        assert photo.read_bytes() == originals[photo.name].read_bytes()
        assert os.stat(photo).st_ino != os.stat(originals[photo.name]).st_ino  # copied


def test_pycocotools_loads_the_coco_export(source, exports):
    import contextlib
    import io

    from pycocotools.coco import COCO

    truth = by_name(source)
    for split, count in (("train", 117), ("val", 33), ("test", 17)):
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(exports["coco"] / "annotations" / f"instances_{split}.json"))
        assert len(coco.getImgIds()) == count
        cats = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
        assert cats[1] == "person" and cats[90] == "toothbrush" and len(cats) == 80  # official ids
        for image in coco.loadImgs(coco.getImgIds()):
            assert (exports["coco"] / split / image["file_name"]).is_file()
            anns = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
            boxes = np.array(
                [[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]] for a in anns]
            ).reshape(-1, 4)
            expected_boxes, expected_labels = truth[image["file_name"]]
            assert tuple(cats[a["category_id"]] for a in anns) == expected_labels
            assert np.abs(boxes - expected_boxes).max(initial=0) <= 0.01  # px


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_supervision_reads_the_yolo_and_voc_exports_with_the_same_boxes(source, exports, fmt):
    import supervision as sv

    out = exports[fmt]
    truth = by_name(source)
    if fmt == "yolo":
        datasets = [
            sv.DetectionDataset.from_yolo(
                images_directory_path=str(out / "images" / split),
                annotations_directory_path=str(out / "labels" / split),
                data_yaml_path=str(out / "data.yaml"),
            )
            for split in ("train", "val", "test")
        ]
    else:
        datasets = [sv.DetectionDataset.from_pascal_voc(str(out / "JPEGImages"), str(out / "Annotations"))]
    seen = 0
    for dataset in datasets:
        for image_path, _image, detections in dataset:
            boxes, labels = truth[Path(image_path).name]
            assert tuple(dataset.classes[i] for i in detections.class_id) == labels
            assert np.abs(detections.xyxy - boxes).max(initial=0) <= TOLERANCE_PX[fmt]
            seen += 1
    assert seen == 167


def test_the_split_is_deterministic_by_seed_and_ratio():
    rels = [f"photo{i}.jpg" for i in range(100)]
    first = assign_splits(rels, (0.8, 0.2), seed=0)
    assert assign_splits(list(reversed(rels)), (0.8, 0.2), seed=0) == first  # the order given does not matter
    assert Counter(first.values()) == {"train": 80, "val": 20}
    assert assign_splits(rels, (0.8, 0.2), seed=1) != first
    assert Counter(assign_splits(rels, (0.7, 0.2, 0.1), seed=3).values()) == {"train": 70, "val": 20, "test": 10}


def test_export_refuses_a_folder_inside_the_photos_or_not_empty(source, tmp_path):
    with pytest.raises(UsageError, match="is inside input folder"):
        export_training_set(source, source.photos[0].path.parent / "out", ExportOptions("yolo"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(UsageError, match="is not empty"):
        export_training_set(source, tmp_path / "full", ExportOptions("yolo"))
    with pytest.raises(UsageError, match="keeps no review state"):
        export_training_set(source, tmp_path / "new", ExportOptions("yolo", reviewed_only=True))
