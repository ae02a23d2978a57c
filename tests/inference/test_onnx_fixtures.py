"""The ONNX fixtures in tests/fixtures/onnx (made by tests/support/make_onnx_fixtures.py with the exporters' own
code) against their expected files, with onnxruntime, numpy and OpenCV only, independent of yolo_desktop: each file
is small, carries the class names and input size it claims, gives the documented output shape, and the
preprocessing written down in its expected file, rebuilt here, makes bit for bit the input tensor the exporter's own
preprocessing made (so the stored reference detections apply to it)."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from tests.conftest import REPO, skimage_data

FIXTURES = REPO / "tests" / "fixtures" / "onnx"
EXPECTED = sorted(FIXTURES.glob("*.expected.json"))
MAX_BYTES = 2 * 1024 * 1024
STRIDES = (8, 16, 32)


@functools.cache
def expected(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@functools.cache
def session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def model_of(path: Path) -> tuple[dict[str, Any], ort.InferenceSession]:
    exp = expected(path)
    return exp, session(FIXTURES / exp["file"])


def photo_cases() -> list[Any]:
    return [
        pytest.param(path, i, id=f"{path.name.split('.')[0]}-{photo['id']}")
        for path in EXPECTED
        for i, photo in enumerate(expected(path)["photos"])
    ]


def by_fixture() -> Any:
    return pytest.mark.parametrize("path", EXPECTED, ids=[p.name.split(".")[0] for p in EXPECTED])


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def load_photo(photo: dict[str, Any]) -> np.ndarray:
    path = REPO / photo["file"] if photo["source"] == "repo" else skimage_data() / photo["file"]
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert img is not None, path
    return cv2.rotate(img, getattr(cv2, photo["rotate"])) if photo["rotate"] else img


def centred_letterbox(img: np.ndarray, size_hw: list[int]) -> tuple[np.ndarray, dict[str, Any]]:
    """Ultralytics' LetterBox(auto=False) + predictor preprocess, and YOLOv5's letterbox(auto=False) + detect.py:
    the same arithmetic (their expected files spell it out)."""
    h, w = img.shape[:2]
    r = min(size_hw[0] / h, size_hw[1] / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    if (new_w, new_h) != (w, h):
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    dw, dh = (size_hw[1] - new_w) / 2, (size_hw[0] - new_h) / 2
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    tensor = img[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255)  # RGB, 0..1
    info = {"ratio": r, "new_unpad_wh": [new_w, new_h], "top": top, "bottom": bottom, "left": left, "right": right}
    return tensor, info


def topleft_letterbox(img: np.ndarray, size_hw: list[int]) -> tuple[np.ndarray, dict[str, Any]]:
    """YOLOX's preproc: truncated size, image in the top-left corner, 114 elsewhere, BGR 0..255."""
    h, w = img.shape[:2]
    r = min(size_hw[0] / h, size_hw[1] / w)
    new_w, new_h = int(w * r), int(h * r)
    canvas = np.full((size_hw[0], size_hw[1], 3), 114, np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    tensor = canvas.transpose(2, 0, 1)[None].astype(np.float32)
    info = {
        "ratio": r,
        "new_unpad_wh": [new_w, new_h],
        "top": 0,
        "bottom": size_hw[0] - new_h,
        "left": 0,
        "right": size_hw[1] - new_w,
    }
    return tensor, info


PREPROCESS = {
    "ultralytics-letterbox": centred_letterbox,
    "yolov5-letterbox": centred_letterbox,
    "yolox-topleft": topleft_letterbox,
}


@by_fixture()
def test_fixture_is_small_and_as_recorded(path: Path) -> None:
    exp = expected(path)
    size = (FIXTURES / exp["file"]).stat().st_size
    assert size <= MAX_BYTES
    assert size == exp["bytes"], "the .onnx changed without its expected file: rerun make_onnx_fixtures.py"


@by_fixture()
def test_metadata_gives_names_and_input_size(path: Path) -> None:
    exp, sess = model_of(path)
    meta = sess.get_modelmeta().custom_metadata_map
    if exp["names_file"]:  # YOLOX: no metadata of its own; names from the file beside it
        assert "names" not in meta and "imgsz" not in meta
        names = (FIXTURES / exp["names_file"]).read_text().splitlines()
        assert names == exp["classes"]
    else:  # Ultralytics and the yolov5 package: a Python dict literal
        assert ast.literal_eval(meta["names"]) == dict(enumerate(exp["classes"]))
        assert int(meta["stride"]) == 32
    if exp["family"] == "ultralytics":
        assert ast.literal_eval(meta["imgsz"]) == exp["input_size_hw"]
        assert meta["task"] == "detect"
        assert ast.literal_eval(meta["end2end"]) == (exp["output"]["shape"][2] == 6)
    assert meta == exp["metadata"] | ({"date": meta["date"]} if "date" in meta else {})


@by_fixture()
def test_output_shape_is_the_documented_layout(path: Path) -> None:
    exp, sess = model_of(path)
    (inp,), (out,) = sess.get_inputs(), sess.get_outputs()
    h, w = exp["input_size_hw"]
    assert (inp.name, inp.shape, inp.type) == ("images", [1, 3, h, w], "tensor(float)")
    assert (out.name, out.shape) == (exp["output"]["name"], exp["output"]["shape"])
    c, cells = len(exp["classes"]), sum((h // s) * (w // s) for s in STRIDES)
    layout = exp["output"]["layout"]
    if layout.startswith("[1, 4 + C, N]"):
        assert out.shape == [1, 4 + c, cells]
    elif layout.startswith("[1, K, 6]"):
        assert out.shape == [1, 300, 6]
    elif exp["family"] == "yolov5":
        assert out.shape == [1, 3 * cells, 5 + c]  # 3 anchors per cell
    else:
        assert exp["family"] == "yolox" and out.shape == [1, cells, 5 + c]


@pytest.mark.parametrize(("path", "index"), photo_cases())
def test_documented_preprocessing_makes_the_exporters_tensor(path: Path, index: int) -> None:
    exp, sess = model_of(path)
    photo = exp["photos"][index]
    img = load_photo(photo)
    assert list(img.shape) == photo["decoded_shape"]
    assert sha256(img) == photo["decoded_sha256"], "this OpenCV decodes the photo differently from the generator's"
    tensor, info = PREPROCESS[exp["preprocessing"]["kind"]](img, exp["input_size_hw"])
    assert info.pop("ratio") == pytest.approx(photo["letterbox"]["ratio"], rel=1e-12)
    assert info == {k: v for k, v in photo["letterbox"].items() if k != "ratio"}
    assert tensor.dtype == np.float32 and list(tensor.shape) == exp["input"]["shape"]
    assert sha256(tensor) == photo["input_sha256"]

    # And onnxruntime's raw output on it is the one the reference detections were computed from.
    raw = sess.run(None, {"images": tensor})[0]
    summary = photo["raw_output"]
    assert list(raw.shape) == summary["shape"]
    flat = raw.astype(np.float64).ravel()
    # onnxruntime's last bits differ between processors: values within 1e-4 relative (box values are px up to
    # ~1300: ≤ 0.13 px) or 1e-4 absolute (score units); sums over ~500 000 values within 1e-5 relative.
    assert [flat.sum(), np.abs(flat).sum()] == pytest.approx([summary["sum"], summary["abs_sum"]], rel=1e-5)
    assert [flat.min(), flat.max()] == pytest.approx([summary["min"], summary["max"]], rel=1e-4, abs=1e-4)
    if "probe_index" in summary:
        probes = flat[summary["probe_index"]]
        assert probes == pytest.approx(summary["probe_value"], rel=1e-4, abs=1e-4)


@pytest.mark.parametrize(("path", "index"), photo_cases())
def test_reference_detections_are_usable(path: Path, index: int) -> None:
    """Enough detections at both settings, each above its threshold, in range, and no two with the same score (so
    NMS order never rests on a tie-break)."""
    exp = expected(path)
    photo = exp["photos"][index]
    for setting in exp["settings"]:
        dets = photo["detections"][setting["key"]]
        assert len(dets) >= 5
        assert len(dets) == photo["detection_counts"][setting["key"]]
        scores = [d[4] for d in dets]
        assert len(set(scores)) == len(scores)
        assert min(scores) >= setting["conf"] and max(scores) <= 1.0
        assert all(0 <= d[5] < len(exp["classes"]) and d[0] <= d[2] and d[1] <= d[3] for d in dets)
