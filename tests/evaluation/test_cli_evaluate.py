"""``yolo-desktop evaluate`` end to end, in process: real models on a few of the COCO sample's photos, the report
files, the printed table, the old two-argument form, bad input counted before the run, a photo the model cannot
read counted as an error, exit codes."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.labels.conftest import COCO_SAMPLE, coco_subset, header_only_jpeg
from yolo_desktop.cli.main import main

PHOTOS = 8


@pytest.fixture(scope="module")
def subset(tmp_path_factory):
    """8 photos and their COCO labels in one folder."""
    return coco_subset(tmp_path_factory.mktemp("subset"), PHOTOS)


@pytest.fixture(scope="module")
def compared(subset, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    argv = ["evaluate", str(subset), "--model", "yolov3-tiny", "--model", "yolov4-tiny:tiles=auto,conf=0.4", "-o"]
    return out, main([*argv, str(out)])


def test_two_models_compared_write_the_report_and_plots(compared, capsys):
    out, code = compared
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["labels"]["format"] == "coco" and report["labels"]["photos"] == PHOTOS
    first, second = report["models"]
    assert (first["label"], second["label"]) == ("yolov3-tiny", "yolov4-tiny:tiles=auto,conf=0.4")
    assert (
        second["settings"]["tiles"] == "auto" and second["at_conf"]["conf"] == 0.4 and first["at_conf"]["conf"] == 0.25
    )
    for model in (first, second):
        assert 0.2 < model["map50"] < 0.9 and model["map50_95"] < model["map50"] and model["errors"] == []
        assert model["speed"]["photos"] == PHOTOS and model["speed"]["engine"] == model["engine"]
        assert model["speed"]["p10_ms"] <= model["speed"]["median_ms"] <= model["speed"]["p90_ms"]
        assert len(model["classes"]) == 80 and len(model["confusion"]["matrix"]) == 81
        assert model["best_f1"]["f1"] >= model["at_conf"]["f1"]  # the best threshold is no worse than the given one
        for kind, name in model["plots"].items():
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", kind
        assert set(model["plots"]) == {"pr_curves", "confusion", "scores"}
    with open(out / "report.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 160 and {r["model"] for r in rows} == {first["label"], second["label"]}
    person = next(r for r in rows if r["model"] == "yolov3-tiny" and r["class"] == "person")
    entry = next(c for c in first["classes"] if c["name"] == "person")
    assert float(person["ap50"]) == entry["ap50"] and int(person["true_positives"]) == entry["true_positives"]


def test_the_old_two_argument_form_still_evaluates(subset, capsys):
    assert main(["evaluate", str(subset), str(subset / "instances.json")]) == 0
    printed = capsys.readouterr().out
    assert "yolov3-tiny" in printed and "mAP@.5" in printed and "person" in printed


@pytest.fixture
def mismatched(subset, tmp_path):
    """The subset with a photo that has no labels and a labelled photo that is not there."""
    root = tmp_path / "photos"
    shutil.copytree(subset, root)
    shutil.copy(COCO_SAMPLE / "images" / sorted(p.name for p in (COCO_SAMPLE / "images").iterdir())[-1],
                root / "unlabelled.jpg")  # fmt: skip
    (root / sorted(p.name for p in root.glob("0*.jpg"))[0]).unlink()
    return root


def test_mismatched_input_is_counted_before_the_run_and_stops_it(mismatched, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["evaluate", str(mismatched), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 photo(s) without labels: unlabelled.jpg" in err and "1 label(s) without a photo" in err
    assert "2 mismatch(es) above; nothing was run" in err and "--mismatched evaluate" in err and not out.exists()
    assert main(["evaluate", str(mismatched), "--mismatched", "evaluate", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    left_out = report["labels"]["left_out"]
    assert left_out["photos_without_labels"] == ["unlabelled.jpg"] and len(left_out["labels_without_photo"]) == 1
    assert report["labels"]["photos"] == PHOTOS - 1 and report["models"][0]["photos_detected"] == PHOTOS - 1


def test_a_photo_the_model_cannot_read_is_a_counted_error(subset, tmp_path, capsys):
    root = tmp_path / "photos"
    shutil.copytree(subset, root)
    document = json.loads((root / "instances.json").read_text())
    first = document["images"][0]
    (root / first["file_name"]).write_bytes(header_only_jpeg(first["width"], first["height"]))  # size reads, pixels not
    code = main(["evaluate", str(root), "-o", str(tmp_path / "out")])
    assert code == 1
    assert f"failed: {root / first['file_name']}" in capsys.readouterr().err
    model = json.loads((tmp_path / "out" / "report.json").read_text())["models"][0]
    assert [e["photo"] for e in model["errors"]] == [first["file_name"]] and model["photos_detected"] == PHOTOS - 1
    assert model["map50"] is not None


def test_classes_that_match_nothing_stop_or_leave_nothing_evaluated(tmp_path, capsys):
    root = tmp_path / "photos"
    root.mkdir()
    shutil.copy(COCO_SAMPLE / "images" / sorted(p.name for p in (COCO_SAMPLE / "images").iterdir())[0], root / "a.jpg")
    (root / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "classes.txt").write_text("widget\n")
    assert main(["evaluate", str(root)]) == 2
    assert "none of its 80 classes matches a class of the labels" in capsys.readouterr().err
    assert main(["evaluate", str(root), "--mismatched", "evaluate"]) == 1
    assert "failed: no class in common" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("yolov3-tiny:tiles=huge", "--model yolov3-tiny:tiles=huge: argument --tiles"),
        ("yolov3-tiny:colour=red", "'colour=red' is not KEY=VALUE with KEY one of size, precision"),
        ("yolov3-tiny:size=100", "input size 100 must be a positive multiple of 32"),
        ("no-such-model", "no-such-model"),
    ],
)
def test_a_model_spec_that_cannot_be_used_is_named(subset, spec, message, capsys):
    assert main(["evaluate", str(subset), "--model", spec]) == 2
    err = capsys.readouterr().err
    assert "yolo-desktop evaluate: error:" in err and message in err


def test_only_reviewed_photos_of_the_apps_own_labels(subset, tmp_path, capsys):
    from yolo_desktop.labels.dataset import read_labels
    from yolo_desktop.labels.importing import import_label_set
    from yolo_desktop.labels.place import PlaceMemory
    from yolo_desktop.labels.store import open_labels

    root = tmp_path / "reviewed"
    shutil.copytree(subset, root)
    with open_labels(root, PlaceMemory(tmp_path / "places.json"), flush_interval=0.01) as store:
        assert import_label_set(store, read_labels(root / "instances.json")).imported == PHOTOS
        rels = sorted(p.name for p in root.glob("*.jpg"))
        for rel in rels[:2]:
            store.set_reviewed(rel)
    (root / "instances.json").unlink()  # the app's own labels only
    out = tmp_path / "out"
    assert main(["evaluate", str(root), "--reviewed-only", "-o", str(out)]) == 0
    labels = json.loads((out / "report.json").read_text())["labels"]
    assert labels["format"] == "yolo" and labels["reviewed_only"] and labels["photos"] == 2
    assert labels["left_out"]["not_reviewed"] == PHOTOS - 2
    assert main(["evaluate", str(subset), "--reviewed-only"]) == 2
    assert "keep no review state" in capsys.readouterr().err
