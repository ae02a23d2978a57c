"""``yolo-desktop detect`` end to end: real model, real photos, broken files, exit codes, output tree."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, read_rgb
from tests.support import processes
from yolo_desktop.cli.main import main


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture()
def mixed_inputs(tmp_path, data_dir) -> tuple[Path, Path]:
    """A folder (with a space in its name) of good, odd and broken files, plus one loose photo."""
    root = tmp_path / "my photos"
    (root / "sub").mkdir(parents=True)
    (root / "x.jpg").mkdir()  # a folder named like an image
    coffee = read_rgb(data_dir / "coffee.png")
    Image.fromarray(coffee).save(root / "coffee.jpg", quality=92)
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).save(root / "sub" / "motorbike ü.png")
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(root / "x.jpg" / "inside.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    # Stored sideways (as a camera held upright does) with the EXIF tag saying "rotate 90° clockwise to view".
    Image.fromarray(np.ascontiguousarray(np.rot90(coffee))).save(root / "rotated.jpg", quality=92, exif=exif.tobytes())
    Image.fromarray(coffee).convert("CMYK").save(root / "cmyk.jpg", quality=92)
    cv2.imwrite(str(root / "deep.png"), cv2.cvtColor(coffee, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257)
    (root / "empty.jpg").write_bytes(b"")
    (root / "text.jpg").write_text("not an image\n", encoding="utf-8")
    jpeg = (root / "coffee.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (root / "notes.txt").write_text("ignored: not an image name\n", encoding="utf-8")
    (root / ".hidden.jpg").write_bytes(b"")
    loose = tmp_path / "loose camera.png"
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(loose)
    return root, loose


def run(*args: str) -> int:
    return main(["detect", *args, "--quiet"])


def test_mixed_batch(tmp_path, mixed_inputs, capsys):
    root, loose = mixed_inputs
    out = tmp_path / "out"
    before = digest_tree(tmp_path)
    code = run(str(root), str(loose), "-o", str(out), "-r", "--formats", "json,csv,yolo,voc,coco")
    captured = capsys.readouterr()
    assert code == 1  # some failed, all others done
    assert digest_tree(tmp_path / "my photos") == {
        k[len("my photos/") :]: v for k, v in before.items() if k.startswith("my photos/")
    }
    assert not [p for p in out.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")]

    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    records = {Path(r["path"]).name: r for r in document["images"]}
    assert set(records) == {
        "coffee.jpg",
        "motorbike ü.png",
        "inside.png",
        "rotated.jpg",
        "cmyk.jpg",
        "deep.png",
        "empty.jpg",
        "text.jpg",
        "truncated.jpg",
        "loose camera.png",
    }
    assert "empty file" in records["empty.jpg"]["error"]
    assert "not a supported image" in records["text.jpg"]["error"]
    assert "truncated" in records["truncated.jpg"]["error"]
    assert records["rotated.jpg"]["width"] == 600 and records["rotated.jpg"]["height"] == 400
    for name in ("coffee.jpg", "cmyk.jpg", "deep.png", "rotated.jpg"):
        assert records[name]["error"] is None
        assert any(d["label"] == "cup" for d in records[name]["detections"]), name
    assert any(d["label"] == "motorbike" for d in records["motorbike ü.png"]["detections"])
    detection = records["coffee.jpg"]["detections"][0]
    assert set(detection) == {"class_id", "label", "score", "box"} and len(detection["box"]) == 4
    assert document["model"]["name"] == "yolov3-tiny" and document["settings"]["conf"] == 0.25
    assert document["summary"]["failed"] == 3

    # The tree is mirrored under OUT; the loose file sits at the top.
    assert (out / "my photos" / "coffee.jpg").is_file()
    assert (out / "my photos" / "sub" / "motorbike ü.png").is_file()
    assert (out / "my photos" / "x.jpg" / "inside.png").is_file()
    assert (out / "loose camera.png").is_file()
    assert (out / "my photos" / "empty.txt").exists() is False  # failed images produce no per-image files
    assert (out / "my photos" / "coffee.txt").read_text().startswith("41 ")  # cup
    assert (out / "my photos" / "coffee.xml").is_file() and (out / "coco.json").is_file()
    annotated = cv2.imread(str(out / "my photos" / "rotated.jpg"))
    assert annotated.shape[:2] == (400, 600)  # written upright, at full resolution

    with open(out / "detections.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(r["detections"]) for r in document["images"])
    assert {row["label"] for row in rows} >= {"cup", "motorbike", "person"}

    assert "3 failed" in captured.out and "empty file" in captured.out
    assert "cup" in captured.out and f"Results in {out}" in captured.out


def test_output_names_never_collide(tmp_path, data_dir):
    photo = Image.fromarray(read_rgb(data_dir / "coffee.png"))
    for parent in ("a", "b"):
        (tmp_path / parent / "photos").mkdir(parents=True)
        photo.save(tmp_path / parent / "photos" / "cup.png")
    photo.save(tmp_path / "a" / "photos" / "cup.jpg")
    out = tmp_path / "out"
    assert run(str(tmp_path / "a" / "photos"), str(tmp_path / "b" / "photos"), "-o", str(out), "--formats", "yolo") == 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "data.yaml",
        "photos-2/cup.png",
        "photos-2/cup.txt",
        "photos/cup.jpg",
        "photos/cup.txt",
        "photos/cup_png.png",
        "photos/cup_png.txt",
    ]


def test_output_inside_input_is_refused(tmp_path, data_dir, capsys):
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(tmp_path / "cup.png")
    before = digest_tree(tmp_path)
    assert run(str(tmp_path), "-o", str(tmp_path / "results")) == 2
    assert run(str(tmp_path / "cup.png"), "-o", str(tmp_path)) == 2  # would write over the input
    assert digest_tree(tmp_path) == before
    assert "inside" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, words",
    [
        (["--conf", "1.5"], "confidence"),
        (["--size", "300"], "multiple of 32"),
        (["--classes", "person,unicorn"], "unicorn"),
        (["--formats", "json,xls"], "xls"),
        (["--model", "no-such-model"], "not installed"),
        (["--cfg", "x.cfg"], "go together"),
    ],
)
def test_usage_and_model_errors_exit_2(tmp_path, data_dir, capsys, args, words):
    assert run(str(data_dir / "coffee.png"), "-o", str(tmp_path / "out"), *args) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out" / "coffee.png").exists()


def test_bad_model_files_exit_2(tmp_path, data_dir, tiny_model, capsys):
    cut = tmp_path / "cut.weights"
    cut.write_bytes(tiny_model.weights.read_bytes()[:-100])
    assert (
        run(
            str(data_dir / "coffee.png"),
            "-o",
            str(tmp_path / "out"),
            "--cfg",
            str(tiny_model.cfg),
            "--weights",
            str(cut),
            "--names",
            str(tiny_model.names),
        )
        == 2
    )
    assert "too short" in capsys.readouterr().err


def test_all_good_exit_0_class_filter_and_no_images(tmp_path, data_dir):
    out = tmp_path / "out"
    assert (
        run(
            str(data_dir / "camera.png"),
            str(data_dir / "coffee.png"),
            "-o",
            str(out),
            "--no-images",
            "--classes",
            "person",
            "--conf",
            "0.3",
        )
        == 0
    )
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    labels = {d["label"] for r in document["images"] for d in r["detections"]}
    assert labels == {"person"}
    assert sorted(p.name for p in out.iterdir()) == ["detections.csv", "detections.json"]


def test_real_entry_point(tmp_path, data_dir):
    """The installed command, in its own process: exit code, summary on stdout, quiet stderr."""
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "yolo-desktop"
    done = processes.run(
        [str(exe), "detect", str(data_dir / "coffee.png"), str(tmp_path / "missing.jpg"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 1, done.stderr
    assert "1 of 2 images processed" in done.stdout and "missing.jpg: not found" in done.stdout
    assert "oneDNN" not in done.stderr and "cuda" not in done.stderr.lower()
    assert (out / "coffee.png").is_file()


def test_an_unexpected_write_failure_reaches_the_summary_and_the_exit_code(tmp_path, data_dir, capsys, monkeypatch):
    """Any exception while drawing/writing (here OpenCV's own error type, raised where the box is drawn) is
    reported with the file, and the exit code says something failed — it used to vanish in the writer thread."""
    import yolo_desktop.export.images as images

    def broken_drawing(*_args, **_kwargs):
        raise cv2.error("OpenCV(4.x) drawing failed")

    monkeypatch.setattr(images, "draw_detections", broken_drawing)
    out = tmp_path / "out"
    assert run(str(data_dir / "coffee.png"), "-o", str(out)) == 1
    printed = capsys.readouterr().out
    assert "1 output file(s) could not be written" in printed and "coffee.png" in printed
    assert "drawing failed" in printed
    assert (out / "detections.json").is_file() and not (out / "coffee.png").exists()
    assert not [p for p in out.rglob(".*")]  # no half-written temp file
