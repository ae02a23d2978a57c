"""``detect --resume``: a real run killed with SIGKILL mid-batch, resumed, gives exactly a fresh run's outputs
without redoing finished chunks; other settings refuse to resume; part records read back exactly."""

from __future__ import annotations

import json
import subprocess
import time

from tests.cluster.conftest import digest_tree
from tests.support import processes
from tests.support.cluster import cli_command, cli_env
from tests.ui.conftest import many_photos
from yolo_desktop.cli.main import main
from yolo_desktop.imaging.read import load
from yolo_desktop.pipeline.inputs import InputFile
from yolo_desktop.pipeline.resume import result_record
from yolo_desktop.records import result_from_dict

FORMATS = "json,csv,yolo,voc,coco"


def detect(*args: str) -> int:
    return main(["detect", *args, "--formats", FORMATS, "--quiet"])


def test_killed_local_batch_resumes_to_the_same_outputs(tmp_path, data_dir, capsys):
    photos = tmp_path / "photos"
    many_photos(photos, data_dir, 30)
    fresh = tmp_path / "fresh"
    assert detect(str(photos), "-o", str(fresh)) == 0

    out = tmp_path / "out"
    run = processes.popen(
        cli_command("detect", str(photos), "-o", str(out), "--formats", FORMATS, "--quiet", "--resume", "--chunk", "3"),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list((out / ".parts").glob("*.part.json"))) < 2:
            assert run.poll() is None and time.monotonic() < deadline, "no chunk finished"
            time.sleep(0.005)
        run.kill()  # SIGKILL, by its PID: no clean-up of any kind
        run.wait()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    parts = {p.name: p.stat().st_mtime_ns for p in (out / ".parts").glob("*.part.json")}
    capsys.readouterr()

    assert detect(str(photos), "-o", str(out), "--resume", "--chunk", "3") == 0
    skipped = int(capsys.readouterr().err.split("Resuming: ")[1].split(" of ")[0])
    assert skipped >= 6 and skipped == 3 * len(parts)
    assert all((out / ".parts" / name).stat().st_mtime_ns == stamp for name, stamp in parts.items())
    assert digest_tree(out) == digest_tree(fresh)

    # Done is done: resuming a finished batch runs nothing and writes the same files again.
    assert detect(str(photos), "-o", str(out), "--resume", "--chunk", "3") == 0
    assert "Resuming: 30 of 30 images already done" in capsys.readouterr().err
    assert digest_tree(out) == digest_tree(fresh)


def test_other_settings_refuse_to_resume(tmp_path, data_dir, capsys):
    photos = tmp_path / "photos"
    many_photos(photos, data_dir, 2)
    out = tmp_path / "out"
    assert detect(str(photos), "-o", str(out), "--resume") == 0
    capsys.readouterr()
    assert main(["detect", str(photos), "-o", str(out), "--resume", "--conf", "0.3", "--formats", "json"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and "conf 0.25 → 0.3" in err
    assert "formats ['coco', 'csv', 'json', 'voc', 'yolo'] → ['json']" in err
    assert "or without --resume to start over" in err
    # Without --resume the batch starts over (and keeps no parts).
    assert detect(str(photos), "-o", str(out), "--conf", "0.3") == 0
    assert not (out / ".parts").exists() or not list((out / ".parts").glob("*.part.json"))


def test_part_records_read_back_exactly(detector, data_dir):
    result = detector.detect(load(data_dir / "motorcycle_left.png").rgb, "motorcycle_left.png")
    item = InputFile("motorcycle_left.png", "photos", "motorcycle_left")
    record = result_record(item, result, [("x", "disk full")])
    back = result_from_dict(json.loads(json.dumps(record)), detector.names)
    assert back.detections == result.detections and len(back.detections) > 0
    assert (back.path, back.width, back.height, back.error) == (result.path, result.width, result.height, None)
    assert record["key"] == "photos/motorcycle_left" and record["write_failures"] == [["x", "disk full"]]


def test_a_batch_from_before_a_setting_existed_resumes_with_its_default():
    """A batch.json written before tiles existed holds no tiles keys: they were off, so resuming untiled matches
    and resuming tiled says what changed."""
    from yolo_desktop.pipeline.resume import BatchIdentity
    from yolo_desktop.settings import DetectorSettings

    fingerprint = {"name": "m", "weights_sha256": "w", "cfg_sha256": "c", "names_sha256": "n"}
    stored = BatchIdentity.of(fingerprint, DetectorSettings(), 416, ["json"], True, "auto").record()
    for key in ("tiles", "tile_overlap"):
        del stored["settings"][key]
    assert BatchIdentity.of(fingerprint, DetectorSettings(), 416, ["json"], True, "auto").differences(stored) == []
    tiled = BatchIdentity.of(fingerprint, DetectorSettings(tiles="auto"), 416, ["json"], True, "auto")
    assert tiled.differences(stored) == ["tiles 'off' → 'auto'"]
