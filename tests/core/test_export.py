"""Every export format read back with a well-kept reader (pycocotools, supervision, csv, json) and compared with
the results it was written from."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import read_rgb
from tests.support import processes
from yolo_desktop.export.writer import BatchWriter
from yolo_desktop.imaging.read import load
from yolo_desktop.pipeline.inputs import collect_inputs
from yolo_desktop.results import ImageResult

PHOTOS = ("coffee.png", "camera.png", "motorcycle_left.png", "chelsea.png")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, data_dir, detector) -> tuple[Path, dict[str, ImageResult]]:
    """Detections at a low threshold (many boxes, some images with none of a class) exported in every format."""
    from yolo_desktop.inference.decode import refilter
    from yolo_desktop.settings import DetectorSettings

    root = tmp_path_factory.mktemp("export")
    items, problems = collect_inputs([data_dir / p for p in PHOTOS])
    assert not problems
    writer = BatchWriter(
        root / "out", ["json", "csv", "yolo", "voc", "coco"], images=True, image_format="png", names=detector.names
    )
    results = {}
    for item in items:
        image = load(item.path)
        result = refilter(detector.detect(image.rgb, item.path), DetectorSettings(conf=0.1), detector.names)
        writer.add(item, result, image)
        results[item.stem] = result
    report = writer.finish(list(results.values()), {"name": "yolov3-tiny"}, {"conf": 0.1}, 1.0)
    assert not report.failed
    assert sum(len(r.detections) for r in results.values()) > 8
    return root / "out", results


def boxes_of(result: ImageResult) -> np.ndarray:
    return np.array([d.box for d in result.detections], dtype=np.float64).reshape(-1, 4)


def test_coco_loads_in_pycocotools(exported):
    from pycocotools.coco import COCO

    out, results = exported
    coco = COCO(str(out / "coco.json"))
    assert len(coco.getImgIds()) == len(PHOTOS)
    for image in coco.loadImgs(coco.getImgIds()):
        result = results[Path(image["file_name"]).stem]
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        got = np.array(
            [
                [a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                for a in annotations
            ]
        ).reshape(-1, 4)
        assert np.allclose(got, boxes_of(result), atol=0.01)  # px: the file's 2 decimals
        names = [coco.loadCats(a["category_id"])[0]["name"] for a in annotations]
        assert names == [d.label for d in result.detections]
    assert coco.loadCats(3)[0]["name"] == "car" and coco.loadCats(90)[0]["name"] == "toothbrush"  # official ids


def _match(expected: np.ndarray, got: np.ndarray, tolerance: float) -> None:
    assert len(expected) == len(got)
    for box in expected:  # readers may reorder; every box must have a partner within tolerance
        assert np.abs(got - box).max(axis=1).min() <= tolerance


def test_yolo_txt_reads_back_with_supervision(exported):
    import supervision as sv

    out, results = exported
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(out), annotations_directory_path=str(out), data_yaml_path=str(out / "data.yaml")
    )
    assert len(dataset) == len(PHOTOS)
    assert dataset.classes[41] == "cup"
    for path, _image, detections in dataset:
        result = results[Path(path).stem]
        _match(boxes_of(result), detections.xyxy, tolerance=0.01)  # 6 decimals of the image size
        assert sorted(detections.class_id.tolist()) == sorted(d.class_id for d in result.detections)


def test_images_without_detections_get_an_empty_yolo_file(tmp_path, data_dir, detector):
    from yolo_desktop.inference.decode import refilter
    from yolo_desktop.settings import DetectorSettings

    items, _ = collect_inputs([data_dir / "chelsea.png"])
    image = load(items[0].path)
    result = refilter(detector.detect(image.rgb, items[0].path), DetectorSettings(conf=1.0), detector.names)
    writer = BatchWriter(tmp_path, ["yolo"], images=False, names=detector.names)
    writer.add(items[0], result, image)
    assert (tmp_path / "chelsea.txt").read_text() == ""


def test_voc_reads_back_with_supervision(exported):
    import supervision as sv

    out, results = exported
    dataset = sv.DetectionDataset.from_pascal_voc(images_directory_path=str(out), annotations_directory_path=str(out))
    assert len(dataset) == len(PHOTOS)
    for path, _image, detections in dataset:
        result = results[Path(path).stem]
        _match(boxes_of(result), detections.xyxy, tolerance=1.0)  # VOC stores whole pixels
        labels = sorted(dataset.classes[i] for i in detections.class_id)
        assert labels == sorted(d.label for d in result.detections)


def test_csv_and_json(exported):
    out, results = exported
    with open(out / "detections.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(r.detections) for r in results.values())
    first = next(iter(results.values())).detections[0]
    row = rows[0]
    assert row["label"] == first.label and abs(float(row["x2"]) - first.x2) < 0.01  # px: 2 decimals
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert [len(r["detections"]) for r in document["images"]] == [len(r.detections) for r in results.values()]


def test_annotated_images_are_full_size(exported, data_dir):
    out, results = exported
    for stem in results:
        original = read_rgb(data_dir / f"{stem}.png")
        annotated = read_rgb(out / f"{stem}.png")
        assert annotated.shape == original.shape
        if results[stem].detections:
            assert not np.array_equal(annotated, original)


def test_leftovers_of_a_killed_write_are_removed_and_nothing_else(tmp_path):
    """A process killed inside ``atomic_open`` leaves its hidden temp file; the next run removes exactly those."""
    import os
    import signal
    import subprocess
    import sys

    from yolo_desktop.atomic import remove_leftovers

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "photo.jpg").write_bytes(b"an output")
    (tmp_path / ".parts").mkdir()
    (tmp_path / ".parts" / "chunk-0.part.json").write_text("{}")
    (tmp_path / ".hidden note.txt").write_text("the user's")
    (tmp_path / "sub" / ".clip.mp4.k2x9z0qa.part.mp4").write_bytes(b"half a video")  # temp_path_for's kind
    child = processes.popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom yolo_desktop.atomic import atomic_open\n"
            "with atomic_open(sys.argv[1]) as f:\n    f.write(b'half'); f.flush(); print('writing', flush=True); "
            "time.sleep(60)",
            str(tmp_path / "sub" / "next.jpg"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    leftovers = [p.name for p in (tmp_path / "sub").iterdir() if p.name.endswith(".part")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".next.jpg.")
    assert remove_leftovers(tmp_path) == 2
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        ".hidden note.txt",
        ".parts/chunk-0.part.json",
        "sub/photo.jpg",
    ]
