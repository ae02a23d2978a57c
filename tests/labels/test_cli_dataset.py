"""``yolo-desktop dataset stats|export``: counts and problems, a training set with its per-class table, conversion
between formats, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.labels.conftest import jpeg_bytes
from tests.labels.test_bad_input import yolo_folder
from yolo_desktop.cli.main import main


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # the remembered places: not the user's


def test_stats_prints_counts_and_each_problem_with_its_line(tmp_path, capsys):
    root = yolo_folder(tmp_path / "photos")
    assert main(["dataset", "stats", str(root)]) == 1
    out, err = capsys.readouterr()
    assert f"yolo labels in {root} (beside the photos)" in out
    assert "  labelled    1\n" in out and "  unlabelled  1\n" in out and "  problem     6\n" in out
    assert "         1  cat\n         1  dog\n" in out
    assert f"problem: {root / 'fields.txt'}:2: 4 fields, expected 5 (class cx cy w h)\n" in err
    assert "6 problems: those photos were left as they are" in err


def test_export_reports_per_class_per_split_and_converts_back(tmp_path, capsys):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "classes.txt").write_text("cat\ndog\n")
    for i in range(10):
        (root / f"p{i}.jpg").write_bytes(jpeg_bytes(64, 48, seed=i))
        (root / f"p{i}.txt").write_text("0 0.5 0.5 0.5 0.5\n" + ("1 0.2 0.2 0.1 0.1\n" if i % 2 else ""))
    (root / "p10.jpg").write_bytes(jpeg_bytes(64, 48))  # unlabelled: left out
    out = tmp_path / "coco"
    assert main(["dataset", "export", str(root), "-o", str(out), "--format", "coco", "--split", "0.6,0.4"]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[1].split() == ["train", "val"] and lines[2].split() == ["photos", "6", "4"]
    cat, dog = lines[3].split(), lines[4].split()
    assert cat[0] == "cat" and cat[1:] == ["6", "4"] and dog[0] == "dog" and sum(map(int, dog[1:])) == 5
    assert "left out: 1 photos (not labelled)" in printed
    train = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert [c["name"] for c in train["categories"]] == ["cat", "dog"] and "score" not in train["annotations"][0]
    voc = tmp_path / "voc"
    assert main(["dataset", "export", str(out), "-o", str(voc), "--format", "voc", "--split", "1"]) == 0
    assert len((voc / "ImageSets" / "Main" / "train.txt").read_text().split()) == 10
    assert (voc / "classes.txt").read_text() == "cat\ndog\n"


def test_labels_named_elsewhere_and_reviewed_only(tmp_path, capsys):
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (root / name).write_bytes(jpeg_bytes(64, 48))
    labels = tmp_path / "my-labels"
    labels.mkdir()
    (labels / "classes.txt").write_text("cat\n")
    (labels / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (labels / "b.txt").write_text("")
    (labels / ".yolo-desktop-labels.json").write_text('{"format": "yolo-desktop labels 1", "reviewed": ["b.jpg"]}')
    out = tmp_path / "out"
    args = ["dataset", "export", str(root), "--labels", str(labels), "-o", str(out), "--format", "yolo"]
    assert main([*args, "--reviewed-only", "--split", "1"]) == 0
    assert sorted(p.name for p in (out / "labels" / "train").iterdir()) == ["b.txt"]
    assert "left out: 1 photos (labelled, not reviewed)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--split", "0.8,0.3"], "--split '0.8,0.3': 1 to 3 ratios (train, val, test) ≥ 0 that add up to 1"),
        (["--split", "a,b"], "ratios are numbers"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, args, message):
    root = yolo_folder(tmp_path / "photos")
    assert main(["dataset", "export", str(root), "-o", str(tmp_path / "out"), "--format", "yolo", *args]) == 2
    assert message in capsys.readouterr().err
    assert main(["dataset", "stats", str(tmp_path / "nowhere")]) == 2
    assert f"{tmp_path / 'nowhere'}: no such folder" in capsys.readouterr().err


def test_the_apps_own_detections_json_becomes_labels(tmp_path, capsys):
    from yolo_desktop.export.json_export import write_json
    from yolo_desktop.results import Detection, Detections, ImageResult

    root = tmp_path / "run"
    root.mkdir()
    results = []
    for i, name in enumerate(("a.jpg", "b.jpg")):
        (root / name).write_bytes(jpeg_bytes(64, 48, seed=i))
        found = (Detection(2, "car", 0.9, 1.234, 2, 30.5, 40), Detection(0, "person", 0.4, 10, 10, 20, 20))
        names = ("person", "bicycle", "car")
        results.append(ImageResult(str(root / name), 64, 48, Detections.from_rows(found[: i + 1], names)))
    results.append(ImageResult(str(root / "broken.jpg"), error="not an image"))
    write_json(root / "detections.json", results, model={}, settings={})
    out = tmp_path / "out"
    assert main(["dataset", "export", str(root), "-o", str(out), "--format", "yolo", "--split", "1"]) == 0
    assert "yolo training set" in capsys.readouterr().out
    from yolo_desktop.labels.dataset import read_labels

    back = read_labels(out)
    assert back.names == ("person", "car")  # the labels used, in class-id order
    b = next(p for p in back.photos if p.rel == "train/b.jpg").labels
    assert b.boxes.labels == ("car", "person")
    assert np.allclose(b.boxes.boxes, [[1.23, 2, 30.5, 40], [10, 10, 20, 20]], atol=0.01)  # px: 2 decimals in JSON
