"""Labels from elsewhere into a folder's own: ``dataset import`` (COCO and VOC), and ``detect --save-labels``
(the real model's detections as labels, for the window to review). Photos that have labels keep them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import from_shared, read_rgb
from tests.labels.conftest import COCO_SAMPLE, copy_photos, jpeg_bytes
from yolo_desktop.cli.main import main
from yolo_desktop.labels.dataset import read_labels
from yolo_desktop.labels.place import PlaceMemory
from yolo_desktop.labels.store import open_labels
from yolo_desktop.labels.training_set import ExportOptions, export_training_set

PX = 0.01  # pixels: YOLO's 6 decimals of the photo's size


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # the remembered places: not the user's


def boxes_by_name(labels):
    return {p.path.name: (p.labels.boxes.boxes, p.labels.boxes.labels) for p in labels.photos if p.labels}


@pytest.mark.parametrize("fmt", ["coco", "voc"])
def test_dataset_import_fills_the_folders_labels_and_keeps_existing_ones(tmp_path, capsys, fmt):
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    coco = json.loads((COCO_SAMPLE / "instances.json").read_text())
    images = coco["images"][:4]
    folder = tmp_path / "photos"
    copy_photos([image["file_name"] for image in images], folder)
    ids = {image["id"] for image in images}
    subset = {**coco, "images": images, "annotations": [a for a in coco["annotations"] if a["image_id"] in ids]}
    (tmp_path / "instances.json").write_text(json.dumps(subset))
    official = read_labels(folder, tmp_path / "instances.json")
    labels = tmp_path / "instances.json"
    if fmt == "voc":  # the same boxes as VOC files, written by the app's own VOC export
        export_training_set(official, tmp_path / "voc", ExportOptions("voc", (1.0,)))
        labels = tmp_path / "voc" / "Annotations"
    kept = images[0]["file_name"].replace(".jpg", ".txt")
    (folder / kept).write_text("")  # a photo already labelled (no objects): its file stays as it is

    assert main(["dataset", "import", str(folder), "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 photos, ") and "1 photos already had labels there: kept as they were" in out
    assert (folder / kept).read_text() == ""
    back = read_labels(folder)
    assert back.format == "yolo" and back.problems == []
    expected, got = boxes_by_name(official), boxes_by_name(back)
    del expected[images[0]["file_name"]]
    classes = {name: names for name, (_boxes, names) in expected.items()}
    assert {name: names for name, (_boxes, names) in got.items() if names} == classes
    tolerance = PX if fmt == "coco" else 0.5 + PX  # VOC: whole pixels
    for name, (boxes, _labels) in expected.items():
        assert np.allclose(got[name][0], boxes, atol=tolerance), name
    assert main(["dataset", "import", str(folder), "--labels", str(labels)]) == 0  # again: nothing replaced
    assert capsys.readouterr().out.startswith("0 photos, 0 boxes imported")


def test_detect_save_labels_writes_the_models_boxes_as_labels(tmp_path, capsys, data_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(folder / "camera.png")
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).save(folder / "motorbike.png")
    (folder / "noise.jpg").write_bytes(jpeg_bytes(64, 48))
    (folder / "motorbike.txt").write_text("0 0.5 0.5 0.5 0.5\n")  # the user's: kept
    (folder / "classes.txt").write_text("my own class\n")
    out = tmp_path / "out"

    assert main(["detect", str(folder), "-o", str(out), "--save-labels", "--no-images", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Labels: 1 photos," in printed and "1 photos already had labels: kept" in printed
    assert "1 photos with nothing found: left unlabelled" in printed
    assert not (folder / "noise.txt").exists()
    assert (folder / "motorbike.txt").read_text() == "0 0.5 0.5 0.5 0.5\n"
    detected = json.loads((out / "detections.json").read_text())
    camera = next(r for r in detected["images"] if r["path"].endswith("camera.png"))
    labels = read_labels(folder)
    saved = next(p for p in labels.photos if p.path.name == "camera.png").labels.boxes
    assert saved.labels == tuple(d["label"] for d in camera["detections"])
    assert np.allclose(saved.boxes, [d["box"] for d in camera["detections"]], atol=PX)
    assert labels.names[0] == "my own class"  # the model's classes are added after the user's
    open_labels(folder, PlaceMemory(tmp_path / "places.json")).close()  # detect released the folder's lock
