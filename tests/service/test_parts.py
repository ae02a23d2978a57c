"""The service's parts without a server: the result store's bounds, upload reading and its limits, file names,
reply shapes, and the status for each reason an image cannot be used."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.ui.conftest import broken_files
from yolo_desktop.inference.model_spec import ModelInfo
from yolo_desktop.results import Candidates, Detection, Detections, ImageResult
from yolo_desktop.service.options import OptionError, parse_options
from yolo_desktop.service.render import unique_names
from yolo_desktop.service.replies import error_status, object_string, seed_reply
from yolo_desktop.service.store import PROCESSING, Store, StoredResult, parse_id
from yolo_desktop.service.uploads import UploadError, clean_name, read_form
from yolo_desktop.settings import DetectorSettings

INFO = ModelInfo(name="m", input_size=416, names=("cup",), precision="accurate", resize="area", engine="litert")


def entry(source_bytes: int = 0, candidates: int = 0) -> StoredResult:
    kept = Candidates(np.zeros((candidates, 4)), np.zeros(candidates), np.zeros(candidates), 0.005)
    return StoredResult(ImageResult("a.jpg", candidates=kept), INFO, DetectorSettings(), b"x" * source_bytes)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_is_bounded_in_count_bytes_and_time():
    clock = Clock()
    store = Store(max_count=3, max_bytes=100_000, max_seconds=60, clock=clock)
    keys = [store.put(entry()) for _ in range(4)]
    assert len(store) == 3 and store.get(keys[0]) is None and store.get(keys[3]) is not None
    big = store.put(entry(source_bytes=95_000))
    assert len(store) == 2 and store.get(big) is not None  # older ones made room
    huge = store.put(entry(source_bytes=200_000))
    assert len(store) == 1 and store.get(huge) is not None  # kept alone even above the budget
    clock.now = 61
    assert store.get(huge) is None and len(store) == 0 and store.nbytes == 0
    key = store.put(entry(source_bytes=1000, candidates=100))
    store.set_rendered(key, b"j" * 10)
    kept = store.get(key)
    assert isinstance(kept, StoredResult) and kept.source is None and kept.rendered == b"j" * 10
    assert store.nbytes == kept.nbytes


def test_store_ids_and_processing():
    store = Store(10, 10**6, 60)
    pending = store.reserve()
    assert store.get(pending) is PROCESSING
    store.put(entry(), key=pending)
    assert isinstance(store.get(pending), StoredResult)
    assert store.get(pending.upper()) is not None  # UUIDs are case-insensitive
    for bogus in ("", "../etc/passwd", "1234", pending + "x", "{" + pending + "}"):
        assert parse_id(bogus) is None and store.get(bogus) is None


def test_file_names_are_labels_never_paths():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\me\\photo.jpg") == "photo.jpg"
    assert clean_name("a\x00b\x1f.jpg") == "ab.jpg"
    assert clean_name("..") == clean_name("") == clean_name("dir/") == "upload"
    assert len(clean_name("x" * 1000)) == 200
    assert unique_names(["a.jpg", "A.png", "a", "b.tif"], ".jpg") == ["a.jpg", "A-2.jpg", "a-3.jpg", "b.jpg"]


async def chunks(*parts: bytes):
    for part in parts:
        yield part


def form(body: bytes, limit: int = 10_000, content_type: str = "multipart/form-data; boundary=B"):
    return asyncio.run(read_form(content_type, chunks(*[body[i : i + 7] for i in range(0, len(body), 7)]), limit))


def test_multipart_reading():
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="caf\xc3\xa9.jpg"\r\n\r\nJPEG1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="../b.png"\r\n\r\nPNG\r\n'
        b'--B\r\nContent-Disposition: form-data; name="conf"\r\n\r\n0.5\r\n--B--\r\n'
    )
    parsed = form(body)
    assert [(u.name, u.data) for u in parsed.uploads("file")] == [("café.jpg", b"JPEG1"), ("b.png", b"PNG")]
    assert parsed.fields == {"conf": "0.5"} and parsed.uploads("image") == []
    with pytest.raises(UploadError) as too_big:
        form(body, limit=50)
    assert too_big.value.status == 413
    with pytest.raises(UploadError) as unfinished:
        form(body[:-10])
    assert unfinished.value.status == 400
    with pytest.raises(UploadError) as not_multipart:
        form(b"\xff\xd8\xff", content_type="image/jpeg")
    assert not_multipart.value.status == 415
    assert form(b"", content_type="").fields == {}
    assert form(b"api_key=k&x=1", content_type="application/x-www-form-urlencoded").fields == {"api_key": "k", "x": "1"}


def test_options():
    assert parse_options({}).conf == 0.25 and parse_options({}, conf_key="min_confidence").conf == 0.40
    assert parse_options({"min_confidence": "0"}, conf_key="min_confidence").conf == 0.005
    chosen = parse_options({"conf": "0.3", "iou": "0.5", "classes": "cup, person,", "size": "320", "precision": "fast"})
    assert (chosen.conf, chosen.iou, chosen.classes, chosen.size, chosen.precision) == (
        0.3,
        0.5,
        frozenset({"cup", "person"}),
        320,
        "fast",
    )
    for bad in ({"conf": "x"}, {"iou": "0"}, {"size": "33"}, {"max_detections": "0"}, {"precision": "quick"}):
        with pytest.raises(OptionError):
            parse_options(bad)


def test_statuses_for_the_reasons_images_fail(tmp_path):
    from yolo_desktop.imaging.read import ImageError, load

    reasons = broken_files(tmp_path)
    (tmp_path / "empty.jpg").write_bytes(b"")
    statuses = {}
    for name in [*reasons, "empty.jpg"]:
        with pytest.raises(ImageError) as failed:
            load(tmp_path / name)
        statuses[name] = error_status(failed.value.reason)
    assert statuses == {"huge.png": 422, "cut.jpg": 422, "notes.jpg": 415, "empty.jpg": 415}


def test_seed_reply_shape():
    detections = tuple(Detection(i, label, 0.5, 10, 20, 30, 41) for i, label in enumerate(["dog", "bicycle", "dog"]))
    reply = seed_reply("abc", ImageResult("a.jpg", 100, 100, Detections.from_rows(detections), {"network": 0.02}))
    assert reply["id"] == "/view/abc" and reply["info"]["object_string"] == "2 dog, 1 bicycle"
    assert reply["info"]["scored_objects"][0] == {
        "object": "dog",
        "score": "0.5000",
        "top": 20,
        "left": 10,
        "bottom": 41,
        "right": 30,
        "mid_v": 30,
        "mid_h": 20,
    }
    assert reply["info"]["timings"] == {"network": 20.0, "total": 20.0}
    assert object_string(Detections.empty()) == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--model", "nope"], "model 'nope' is not installed"),
        (["--size", "100"], "must be a positive multiple of 32"),
        (["--api-key", " "], "--api-key must not be empty"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--cfg", "x.cfg"], "--cfg, --weights and --names go together"),
        (["--max-wait", "0"], "--max-wait must be above 0 seconds"),
        (["--upload-memory-mb", "10"], "--upload-memory-mb 10 must be at least --max-upload-mb (50)"),
    ],
)
def test_serve_refuses_bad_arguments_before_binding(args, says, capsys):
    from yolo_desktop.cli.main import main

    assert main(["serve", "--port", "1", *args]) == 2
    assert says in capsys.readouterr().err


def test_admission_by_expected_wait_and_memory():
    from yolo_desktop.service.admission import Admission, Estimate, PerImage
    from yolo_desktop.service.backend import QueueFull

    assert Estimate(0, 5.0, 0).wait == 0 and Estimate(4, 0.5, 2).wait == 1.0 and Estimate(3, 1.0, 0).wait > 1e9
    assert Estimate(3, 0.1, 1).retry_after() == 1 and Estimate(25, 1.0, 2).retry_after() == 13
    seconds = PerImage(prior=0.02)
    assert seconds.seconds == 0.02
    for sample in (1.2, 0.4):  # the first images of a burst wait while the server takes in the rest
        seconds.add(sample)
    assert seconds.seconds == 0.02  # the warm-up's measure still counts three times
    for sample in [0.03] * 6 + [5.0]:  # one huge photo does not decide either
        seconds.add(sample)
    assert seconds.seconds == 0.03

    mb = 1024 * 1024
    admission = Admission(max_wait=1.0, budget_bytes=10 * mb)
    first = admission.admit(6 * mb, Estimate(admission.ahead, 0.3, 1))
    first.received(3)  # three photos: three images ahead of the next request
    assert (admission.held, admission.held_bytes, admission.ahead) == (1, 6 * mb, 3)
    second = admission.admit(3 * mb, Estimate(admission.ahead, 0.3, 1))  # waits 0.9 s ≤ 1 s
    with pytest.raises(QueueFull) as slow:
        admission.admit(10, Estimate(admission.ahead, 0.3, 1))  # 4 images ahead: 1.2 s
    assert "wait about 1.2 s for the 4 images ahead of it, more than its --max-wait of 1 s" in str(slow.value)
    assert slow.value.retry_after == 2
    with pytest.raises(QueueFull) as full:
        admission.admit(2 * mb, Estimate(0, 0.3, 1))  # 9 + 2 MB > 10 MB
    assert "it holds 9.0 MB of uploads" in str(full.value) and "budget of 10 MB" in str(full.value)
    first.release()
    first.release()  # once only
    second.release()
    assert (admission.held, admission.held_bytes, admission.ahead) == (0, 0, 0)
    assert admission.admit(10 * mb, Estimate(admission.ahead, 0.3, 1)).size == 10 * mb
