"""2 real worker processes × 1 coordinator over 60 real photos in 10 chunks, against a local ``detect``; a worker
killed with SIGKILL mid-chunk; the coordinator killed mid-batch and resumed; a worker refusing another model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from PIL import Image
from rq import Worker

from tests.cluster.conftest import ALL_FORMATS, CHUNK, CHUNKS, PHOTOS, digest_tree
from tests.conftest import read_rgb
from tests.support import processes
from tests.support.cluster import cli_command, cli_env, run_cli
from tests.support.mosaic import write_mosaic
from yolo_desktop.cli.main import main


def cluster_detect(photos, out, url, *extra: str) -> list[str]:
    return ["detect", str(photos), "-r", "-o", str(out), "--formats", ALL_FORMATS, "--quiet", "--cluster", url,
            "--chunk", str(CHUNK), *extra]  # fmt: skip


def parts_of(out):
    return {p.name: json.loads(p.read_text()) for p in (out / ".parts").glob("*.part.json")}


def test_two_workers_give_the_local_outputs_and_load_the_model_once(
    pool, redis_server, photos, local_reference, tmp_path
):
    out = tmp_path / "out"
    done = run_cli(*cluster_detect(photos, out, redis_server.url, "--resume"))
    assert done.returncode == 1, done.stderr  # the broken file, as locally
    assert "broken.jpg: not a supported image" in done.stdout
    assert f"{PHOTOS} of {PHOTOS + 1} images processed" in done.stdout

    assert digest_tree(out) == digest_tree(local_reference)  # same files, byte for byte (images, json, csv, …)
    document = json.loads((out / "detections.json").read_text())
    assert len({r["path"] for r in document["images"]}) == PHOTOS + 1

    parts = parts_of(out)
    assert len(parts) == CHUNKS
    pids = {part["pid"] for part in parts.values()}
    assert len(pids) == 2  # both workers took chunks
    assert all(part["model_loads"] == 1 for part in parts.values())  # each process loaded the model once
    client = redis_server.client()
    loads = [int(client.hget(w.key, "yd_model_loads") or 0) for w in Worker.all(connection=client)]
    assert loads == [1, 1]
    assert pool.text().count("loaded yolov3-tiny accurate at 416×416") == 2

    status = run_cli("cluster", "status", str(out), "--redis", redis_server.url)
    assert status.returncode == 0, status.stderr
    assert "0 queued, 0 running" in status.stdout and f"{CHUNKS} chunk(s) done" in status.stdout
    assert "2 worker(s) alive" in status.stdout and status.stdout.count("(loaded 1×)") == 2


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_chunk_its_chunk_is_run_again(pool, redis_server, photos, local_reference, tmp_path):
    out = tmp_path / "out"
    coordinator = processes.popen(
        cli_command(*cluster_detect(photos, out, redis_server.url, "--resume")),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = redis.Redis.from_url(redis_server.url)

        def busy():
            return next(
                ((w, w.get_current_job_id()) for w in Worker.all(connection=client) if w.get_current_job_id()), None
            )

        worker, job_id = wait_for(busy, 60, "a worker busy with a chunk")
        os.kill(worker.pid, signal.SIGKILL)  # mid-chunk: its part is not written
        killed_pid, chunk = worker.pid, job_id.split("-", 2)[2]
        _stdout, stderr = coordinator.communicate(timeout=120)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()
    assert coordinator.returncode == 1, stderr
    part = parts_of(out)[f"{chunk}.part.json"]
    assert part["pid"] != killed_pid  # another worker ran the chunk again
    assert digest_tree(out) == digest_tree(local_reference)  # nothing missing, nothing twice
    images = json.loads((out / "detections.json").read_text())["images"]
    assert len(images) == len({r["path"] for r in images}) == PHOTOS + 1
    wait_for(lambda: len([w for w in Worker.all(connection=client) if pool.owns(w.pid)]) == 2, 30, "a new worker")


def test_coordinator_killed_then_resume_finishes_without_redoing_chunks(
    pool, redis_server, photos, local_reference, tmp_path
):
    out = tmp_path / "out"
    coordinator = processes.popen(
        cli_command(*cluster_detect(photos, out, redis_server.url, "--resume")),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(list((out / ".parts").glob("*.part.json"))) >= 2, 60, "two finished chunks")
        coordinator.kill()  # SIGKILL, by its PID
        coordinator.wait()
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()
    assert not (out / "detections.json").exists()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / ".parts").glob("*.part.json")}

    done = run_cli(*cluster_detect(photos, out, redis_server.url, "--resume"))
    assert done.returncode == 1, done.stderr
    skipped = int(done.stderr.split("Resuming: ")[1].split(" of ")[0])
    assert skipped >= 2 * CHUNK
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / ".parts").glob("*.part.json")}
    assert all(after[name] == stamp for name, stamp in before.items())  # finished chunks were not run again
    assert len(after) == CHUNKS
    assert digest_tree(out) == digest_tree(local_reference)


def test_a_worker_refuses_jobs_for_another_model(pool, redis_server, photos, tiny_model, tmp_path):
    names = tmp_path / "renamed.names"
    labels = tiny_model.names.read_text().splitlines()
    names.write_text("\n".join(["human", *labels[1:]]) + "\n")  # same network, other labels: another model
    out = tmp_path / "out"
    done = run_cli(
        "detect", str(photos / "sub"), "-o", str(out), "--quiet", "--cluster", redis_server.url,
        "--cfg", str(tiny_model.cfg), "--weights", str(tiny_model.weights), "--names", str(names),
    )  # fmt: skip
    assert done.returncode == 1
    assert "failed: refused by worker" in done.stderr
    assert "this job needs model 'yolov3-tiny' (names sha256" in done.stderr
    assert "start workers with that model" in done.stderr
    document = json.loads((out / "detections.json").read_text())
    assert all(r["error"].startswith("not processed: refused by worker") for r in document["images"])
    assert "refused job" in pool.text() and "names sha256" in pool.text()

    fast = run_cli("detect", str(photos / "sub"), "-o", str(tmp_path / "fast"), "--quiet", "--precision", "fast",
                   "--cluster", redis_server.url)  # fmt: skip
    assert fast.returncode == 1
    assert "needs precision 'fast' but this worker runs 'accurate'" in fast.stderr


def test_tiles_travel_with_the_jobs(pool, redis_server, data_dir, tmp_path):
    """``--tiles`` is in the job's settings: the workers cut each photo as a local run does (the same files, byte
    for byte), with the model they have loaded (tiles need no other detector)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_mosaic(inputs / "mosaic.png", data_dir)
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).save(inputs / "motorbike.jpg", quality=92)
    options = ("--tiles", "416", "--formats", "json,csv", "--quiet")
    local, out = tmp_path / "local", tmp_path / "out"
    assert main(["detect", str(inputs), "-o", str(local), *options]) == 0
    done = run_cli("detect", str(inputs), "-o", str(out), "--cluster", redis_server.url, *options)
    assert done.returncode == 0, done.stderr
    assert digest_tree(out) == digest_tree(local)
    document = json.loads((out / "detections.json").read_text())
    assert document["settings"]["tiles"] == "416"
    assert {d["label"] for image in document["images"] for d in image["detections"]} >= {"cup", "motorbike", "person"}


def test_videos_are_one_job_each_and_give_the_local_outputs(pool, redis_server, data_dir, tmp_path):
    """A folder of two clips and a photo: each clip is one job on a worker (its outputs written into OUT on the
    shared storage, then its part), with the zones and line of the command line; the files are byte for byte a
    local run's, the clips in time order, and the intervals counted over both."""
    import shutil

    from tests.support.scenes import STREET_LINE, make_street

    folder = tmp_path / "cams"
    street = make_street(tmp_path / "scene", data_dir)
    folder.mkdir()
    shutil.copy(street, folder / "cam_20261207_081510.avi")
    shutil.copy(street, folder / "cam_20261207_081500.avi")
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(folder / "cup.jpg")
    line = ",".join(f"{v:g}" for v in STREET_LINE) + ",door"
    flags = ["--quiet", "--no-images", "--classes", "person,motorbike,cup", "--count-line", line]
    flags += ["--zone", "150,0,305,0,305,240,150,240,crossing", "--interval", "10s", "--end", "4"]  # 40 frames each
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["detect", str(folder), "-o", str(local), *flags]) == 0
    done = run_cli("detect", str(folder), "-o", str(remote), *flags, "--cluster", redis_server.url)
    assert done.returncode == 0, done.stderr
    assert "cam_20261207_081500.avi: 40 frames processed" in done.stdout
    assert "All 2 videos: 0:08.00 of video, 80 frames processed" in done.stdout
    assert digest_tree(remote) == digest_tree(local)
    records = json.loads((remote / "detections.json").read_text())["videos"]
    assert [Path(r["path"]).name for r in records] == ["cam_20261207_081500.avi", "cam_20261207_081510.avi"]
    assert records[0]["zones"][0]["counts"]["person"]["entered"] == 2  # A and B, in the first 4 s
    assert sorted(p.name for p in (remote / "cams").iterdir()) == sorted(p.name for p in (local / "cams").iterdir())
