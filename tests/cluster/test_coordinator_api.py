"""The coordinator as a library: a small options object in, an outcome out, its progress and messages through the
object it is given; it prints nothing and decides no exit code (that is ``cli_detect``'s). Real Redis, real workers."""

from __future__ import annotations

import pytest

from tests.cluster.conftest import CHUNK
from tests.support.redis_server import free_port
from yolo_desktop.cluster.coordinator import ClusterError, ClusterOptions, run_cluster
from yolo_desktop.inference.model_spec import input_size_of, model_fingerprint
from yolo_desktop.pipeline.inputs import collect_inputs
from yolo_desktop.pipeline.resume import BatchIdentity
from yolo_desktop.settings import DetectorSettings


class Recorder:
    """What the coordinator reports, kept (the CLI draws a bar and prints the lines instead)."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.positions: list[int] = []
        self.lines: list[str] = []
        self.closed = False

    def start(self, total: int) -> None:
        self.total = total

    def update(self, done: int) -> None:
        self.positions.append(done)

    def say(self, message: str) -> None:
        self.lines.append(message)

    def close(self) -> None:
        self.closed = True


def batch(tiny_model, folder, options: ClusterOptions):
    settings = DetectorSettings()
    identity = BatchIdentity.of(
        model_fingerprint(tiny_model),
        settings,
        input_size_of(tiny_model, settings.size),
        options.formats,
        options.images,
        options.image_format,
    )
    items, problems = collect_inputs([folder])
    return tiny_model, settings, identity, items, problems


def test_options_in_an_outcome_out_nothing_printed(pool, redis_server, photos, tiny_model, tmp_path, capfd):
    out = tmp_path / "out"
    options = ClusterOptions(redis_server.url, chunk=CHUNK, formats=("json",), image_format="jpg")
    model, settings, identity, items, problems = batch(tiny_model, photos / "sub", options)
    progress = Recorder()
    outcome = run_cluster(options, model, settings, identity, out, items, problems, progress)

    assert capfd.readouterr() == ("", "")  # every line went through the progress object
    assert outcome.ok and (outcome.summary.images, outcome.summary.succeeded) == (6, 6)
    assert outcome.summary.detections > 0 and outcome.write_failures == []
    assert progress.total == 6 and progress.positions[-1] == 6 and progress.closed
    assert progress.positions == sorted(progress.positions) and max(progress.positions) <= 6
    assert any("chunk(s) of up to 6 images" in line for line in progress.lines)
    assert sorted(p.name for p in out.iterdir()) == ["detections.json", "sub"]  # no part files left (no --resume)
    assert sorted(p.name for p in (out / "sub").iterdir()) == sorted(f"{item.stem}.jpg" for item in items)
    assert "s3cret" not in repr(ClusterOptions("redis://:s3cret@host:6379/0"))  # the password stays out of logs


def test_a_batch_that_cannot_start_raises_with_the_reason(photos, tiny_model, tmp_path, capfd):
    for options, message in (
        (ClusterOptions(f"redis://127.0.0.1:{free_port()}/0"), "cannot reach Redis at redis://127.0.0.1:"),
        (ClusterOptions("redis://127.0.0.1:1/0", path_map=("/nas",)), "--path-map '/nas': expected LOCAL=REMOTE"),
    ):
        model, settings, identity, items, problems = batch(tiny_model, photos / "sub", options)
        progress = Recorder()
        with pytest.raises(ClusterError, match=message):
            run_cluster(options, model, settings, identity, tmp_path / "out", items, problems, progress)
        assert progress.total is None and progress.lines == []  # it never started
    assert capfd.readouterr() == ("", "")
    assert not (tmp_path / "out").exists()
