"""Your own ONNX models: real exports made by Ultralytics' and YOLOX's own exporters (tests/fixtures/onnx) run in
the product as its makers run them. Independent references: onnxruntime for the raw outputs, and the exporters'
own pre- and post-processing (their detections stored beside each fixture by tests/support/make_onnx_fixtures.py).

- Our letterbox makes, bit for bit, the input tensor the exporter's preprocessing made.
- OpenVINO (the engine that runs them) gives onnxruntime's raw output.
- Our decoder + NMS on onnxruntime's output gives the exporter's detections (Ultralytics' non_max_suppression,
  YOLOv5's, YOLOX's postprocess; the end-to-end YOLO26 output without NMS), boxes within 0.05 px, scores within
  1e-4, but for detections those tolerances could flip.
- End to end through ``detect --onnx`` (OpenVINO): the same objects (the fixtures' random weights leave scores
  within 1e-6 of each other, so OpenVINO's last-bit differences may reorder a near-tie: compared by agreement).
- ``models add`` installs one; a layout that is not a detector is refused with the shapes it has and expects.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from tests.inference.test_onnx_fixtures import EXPECTED, FIXTURES, by_fixture, expected, load_photo
from tests.support import processes
from tests.support.tolerance import Rows, assert_same_detections, close_rivals, undecided_rows
from yolo_desktop.cli.main import main as cli_main
from yolo_desktop.evaluation.metrics import agreement
from yolo_desktop.inference.decode import make_candidates, select
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.engines import EngineOptions
from yolo_desktop.inference.errors import ModelError
from yolo_desktop.inference.letterbox import letterbox
from yolo_desktop.inference.model_spec import ModelFiles, class_names, model_fingerprint, onnx_layout
from yolo_desktop.inference.onnx_layouts import OnnxDecoder
from yolo_desktop.results import Candidates, Detection, Detections
from yolo_desktop.settings import CANDIDATE_FLOOR, DetectorSettings

KINDS = {
    "yolov8-3cls-320": ("anchor-free", 3),
    "yolo11-80cls-384": ("anchor-free", 80),
    "yolo26-e2e-20cls-320": ("end2end", 20),
    "yolov5-80cls-320": ("objectness", 80),
    "yolox-nano-80cls-416": ("yolox", 80),
}

# The YOLOv5 fixture's random weights saturate: dozens of its boxes score 0.88 or 0.99 within 1e-6 of each other and
# every box's classes tie within 1e-7, so OpenVINO's last-bit differences from onnxruntime (≤ 3e-5 here, checked
# below) reorder NMS among them. Against its exporter's post-processing each of its detections is found among our
# candidates; end to end it must only agree with our own in-process run.
SATURATED = {"yolov5-80cls-320"}


def model_of(path: Path) -> ModelFiles:
    exp = expected(path)
    names = FIXTURES / exp["names_file"] if exp["names_file"] else None
    return ModelFiles(Path(exp["file"]).stem, None, FIXTURES / exp["file"], names)


def rgb_of(photo: dict) -> np.ndarray:
    return np.ascontiguousarray(load_photo(photo)[..., ::-1])


def reference(photo: dict, key: str, width: int, height: int) -> np.ndarray:
    """The exporter's detections (x1, y1, x2, y2, score, class) as the product reports them: clipped to the photo,
    and a box left with no area by the clipping is no detection (YOLOv5 and YOLOX keep those)."""
    rows = np.array(photo["detections"][key], dtype=np.float64).reshape(-1, 6)
    rows[:, [0, 2]] = rows[:, [0, 2]].clip(0, width)
    rows[:, [1, 3]] = rows[:, [1, 3]].clip(0, height)
    return rows[(rows[:, 2] > rows[:, 0]) & (rows[:, 3] > rows[:, 1])]


def as_rows(detections: Detections) -> np.ndarray:
    return np.array([(d.x1, d.y1, d.x2, d.y2, d.score, d.class_id) for d in detections]).reshape(-1, 6)


def runner_up(layout, output: np.ndarray) -> np.ndarray:
    """The raw output with each box's best class score set to -1, below any other: decoded, each box comes out with
    its runner-up class."""
    out = output.copy()
    if layout.kind == "anchor-free":  # (1, 4 + C, N)
        scores = out[0, 4:, :]
        scores[np.argmax(scores, axis=0), np.arange(scores.shape[1])] = -1
    else:  # (1, N, 5 + C): the best of objectness × class in float32, as the decoder picks it
        scores = out[0, :, 5:]
        scores[np.arange(scores.shape[0]), np.argmax(scores * out[0, :, 4:5], axis=1)] = -1
    return out


def rivals(layout, output: np.ndarray, candidates: Candidates, box, least_conf: float) -> list[Rows]:
    """The boxes' 2nd, 3rd, … best classes while some box's scores within 2e-4 of its best (a class another
    processor may pick): ``close_rivals`` of each. An end-to-end output's rows are final, one class each: none."""
    found: list[Rows] = []
    while layout.kind != "end2end":
        output = runner_up(layout, output)
        rival = make_candidates([output], OnnxDecoder(layout), box, CANDIDATE_FLOOR)
        close = close_rivals(candidates, rival, least_conf)
        if not len(close[1]):
            break
        found.append(close)
    return found


def settings_of(exp: dict, setting: dict) -> DetectorSettings:
    max_det = exp["postprocessing"].get("max_det") or 30_000  # YOLOX's postprocess keeps every box
    return DetectorSettings(conf=setting["conf"], iou=setting["iou"], max_detections=max_det, resize="bilinear")


@by_fixture()
def test_the_layout_size_and_names_come_from_the_model(path):
    exp, model = expected(path), model_of(path)
    layout = onnx_layout(model)
    assert (layout.kind, layout.classes) == KINDS[path.name.split(".")[0]]
    assert (layout.height, layout.width) == tuple(exp["input_size_hw"])
    assert class_names(model) == tuple(exp["classes"])  # from the metadata, or (YOLOX) the names file
    assert model_fingerprint(model)["weights_sha256"] == hashlib.sha256(model.weights.read_bytes()).hexdigest()


@by_fixture()
def test_our_letterbox_makes_the_exporters_input_tensor_bit_for_bit(path):
    exp, layout = expected(path), onnx_layout(model_of(path))
    for photo in exp["photos"]:
        batch, _ = letterbox(rgb_of(photo), layout.width, layout.height, resize="bilinear", style=layout.style)
        assert hashlib.sha256(batch.tobytes()).hexdigest() == photo["input_sha256"], photo["id"]


@by_fixture()
def test_decode_and_nms_give_the_exporters_own_postprocessing(path):
    """On onnxruntime's output for the very same input: the exporter's detections, in order, boxes within 0.05 px and
    scores within 1e-4. onnxruntime's floats differ in their last bits between processors (0.005 px seen on an
    AVX2-only EPYC against the stored reference), so a detection those tolerances could flip — a score at the
    threshold, a class or an NMS choice decided by < 2e-4, and what it would suppress — may differ
    (tests/support/tolerance.py); every other one must match."""
    exp, model = expected(path), model_of(path)
    layout, names = onnx_layout(model), class_names(model)
    session = ort.InferenceSession(str(model.weights), providers=["CPUExecutionProvider"])
    decided = total = 0
    for photo in exp["photos"]:
        rgb = rgb_of(photo)
        width, height = rgb.shape[1], rgb.shape[0]
        batch, box = letterbox(rgb, layout.width, layout.height, resize="bilinear", style=layout.style)
        output = session.run(None, {layout.input_name: batch})[0]
        candidates = make_candidates([output], OnnxDecoder(layout), box, CANDIDATE_FLOOR)
        tied = rivals(layout, output, candidates, box, min(setting["conf"] for setting in exp["settings"]))
        for setting in exp["settings"]:
            ours = as_rows(select(candidates, settings_of(exp, setting), names, width, height))
            theirs = reference(photo, setting["key"], width, height)
            unsure = undecided_rows(candidates, setting["conf"], setting["iou"], width, height, tied)
            decided += assert_same_detections(ours, theirs, unsure, (photo["id"], setting["key"]))
            total += len(theirs)
    # Most of them are decided, so compared exactly — but YOLOv5's: its class scores tie within 1e-7 on every box,
    # so which class a box takes, and so what NMS keeps, is up to the last bit. Each of its detections was still
    # found among our candidates above (box, score, and one of the box's tied classes).
    saturated = path.name.split(".")[0] in SATURATED
    assert saturated or decided >= 0.5 * total, f"only {decided} of {total} reference detections are decided here"


# OpenVINO against onnxruntime: another runtime's float32 sums in other orders through a deep net. Box columns
# (network-input px; YOLOX's: cells and log px) within 2e-4 of their largest value (0.27 px at the ~1300 px they
# reach); score columns (0..1) within 1e-3 score units: the two differ by up to 5e-4 on YOLOX-nano's, as torch and
# onnxruntime do (7.7e-4, recorded with the fixture).
RUNTIMES_BOX = 2e-4  # relative to the largest box value
RUNTIMES_SCORE = 1e-3  # score units


@by_fixture()
def test_openvino_gives_onnxruntimes_raw_output(path):
    exp, model = expected(path), model_of(path)
    layout = onnx_layout(model)
    detector = Detector(model, DetectorSettings(resize="bilinear"), options=EngineOptions(hint="f32"))
    assert detector.engine.name == "openvino" and detector.input_size == layout.width
    session = ort.InferenceSession(str(model.weights), providers=["CPUExecutionProvider"])
    for photo in exp["photos"]:
        batch = detector.prepare(rgb_of(photo)).batch
        ours, theirs = detector.engine.run(batch)[0], session.run(None, {layout.input_name: batch})[0]
        assert ours.shape == theirs.shape
        # One row per box: (x, y, w, h or x1, y1, x2, y2, then scores; end to end: a class id last).
        ours, theirs = (ours[0].T, theirs[0].T) if layout.kind == "anchor-free" else (ours[0], theirs[0])
        tolerance = np.full(theirs.shape[1], RUNTIMES_SCORE)
        tolerance[:4] = RUNTIMES_BOX * max(1.0, float(np.abs(theirs[:, :4]).max()))
        if layout.kind == "end2end":  # rows are the top-K by score: a near tie may swap two, so match rows
            tolerance[5] = 0.5  # the same class id
            nearest = (np.abs(ours[:, None, :] - theirs[None, :, :]) / tolerance).max(axis=2).min(axis=1)
            assert nearest.max() <= 1
        else:
            assert (np.abs(ours - theirs) / tolerance).max() <= 1


def test_detect_runs_every_export_end_to_end(tmp_path):
    """``yolo-desktop detect --onnx`` (OpenVINO, the product's path) on the fixtures' photos: the same detections as
    the Detector in this process, the classes' names, and the exporters' detections, matched box for box (IoU ≥ 0.5,
    same class) on ≥ 95 % of them."""
    import cv2

    photos = tmp_path / "photos"
    photos.mkdir()
    shown = {}
    for photo in expected(EXPECTED[0])["photos"]:
        cv2.imwrite(str(photos / f"{photo['id']}.png"), load_photo(photo))  # lossless: the very pixels
    for path in EXPECTED:
        exp, model = expected(path), model_of(path)
        out = tmp_path / model.name
        args = ["detect", str(photos), "-o", str(out), "--onnx", str(model.weights), "--resize", "bilinear"]
        args += ["--no-images", "--quiet", "--conf", "0.25", "--iou", "0.45", "--precision", "accurate"]
        args += ["--engine", "openvino"]
        if model.names is not None:
            args += ["--names", str(model.names)]
        assert cli_main(args) == 0  # in this process: the command is what is tested, not a fresh interpreter
        document = json.loads((out / "detections.json").read_text())
        assert document["model"]["name"] == model.name and document["model"]["cfg"] is None
        in_process = Detector(model, DetectorSettings(resize="bilinear"), engine="openvino")
        pairs = []
        for photo in exp["photos"]:
            record = next(r for r in document["images"] if Path(r["path"]).stem == photo["id"])
            ours = tuple(Detection(d["class_id"], d["label"], d["score"], *d["box"]) for d in record["detections"])
            here = in_process.detect(rgb_of(photo)).detections
            assert [(d.class_id, round(d.score, 4), [round(v, 2) for v in d.box]) for d in here] == [
                (d.class_id, d.score, list(d.box)) for d in ours
            ]
            assert all(d.label == exp["classes"][d.class_id] for d in ours)
            rows = reference(photo, "conf0.25_iou0.45", record["width"], record["height"])
            theirs = tuple(Detection(int(c), exp["classes"][int(c)], s, *b) for *b, s, c in rows)
            pairs.append((Detections.from_rows(ours, exp["classes"]), Detections.from_rows(theirs, exp["classes"])))
        shown[model.name] = agreement(pairs).f1
    assert all(f1 >= 0.95 for name, f1 in shown.items() if name not in SATURATED), shown


def test_models_add_installs_an_export_and_refuses_a_names_gap(tmp_path):
    from yolo_desktop.models.fetch import add_model
    from yolo_desktop.models.installed import model_in

    yolox = model_of(FIXTURES / "yolox-nano-80cls-416.expected.json")
    without_names = ModelFiles("x", None, yolox.weights, None)
    with pytest.raises(ModelError, match="does not name its classes"):
        add_model("x", without_names, tmp_path)
    assert not list(tmp_path.iterdir()) or not (tmp_path / "x").exists()  # refused: nothing left behind
    installed = add_model("my-yolox", yolox, tmp_path)
    assert installed == model_in(tmp_path / "my-yolox") and installed.names is not None
    assert installed.weights.read_bytes() == yolox.weights.read_bytes()
    v8 = add_model("helmets", model_of(FIXTURES / "yolov8-3cls-320.expected.json"), tmp_path)
    assert class_names(v8) == ("helmet", "safety vest", "glove") and v8.names is None  # from the metadata
    with pytest.raises(ModelError, match="already installed"):
        add_model("helmets", v8, tmp_path)


def test_a_model_that_is_not_a_detector_is_refused_with_its_shapes(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["images"], ["features"])],
        "not-a-detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 3, 224, 224])],
    )
    path = tmp_path / "classifier.onnx"
    onnx.save(helper.make_model(graph), str(path))
    model = ModelFiles("classifier", None, path, None)
    with pytest.raises(ModelError) as refused:
        Detector(model)
    message = str(refused.value)
    assert "classifier.onnx" in message and "features [1, 3, 224, 224]" in message and "[1, 4+C, N]" in message


@pytest.mark.parametrize("engine", ["litert", "keras", "opencv"])
def test_the_darknet_engines_say_where_onnx_runs(engine):
    model = model_of(FIXTURES / "yolov8-3cls-320.expected.json")
    with pytest.raises(ModelError, match="runs Darknet models .* only; this model runs on openvino, onnxruntime"):
        Detector(model, engine=engine)


def test_refiltering_an_onnx_result_equals_a_fresh_run():
    """Thresholds change without the network for ONNX models too (the end-to-end one: no NMS either way)."""
    for name in ("yolov8-3cls-320", "yolo26-e2e-20cls-320"):
        path = FIXTURES / f"{name}.expected.json"
        model, photo = model_of(path), expected(path)["photos"][0]
        low = Detector(
            model, DetectorSettings(conf=CANDIDATE_FLOOR, resize="bilinear"), options=EngineOptions(hint="f32")
        )
        result = low.detect(rgb_of(photo))
        assert result.candidates is not None and result.candidates.nms == (name != "yolo26-e2e-20cls-320")
        from yolo_desktop.inference.decode import refilter

        for conf, iou in ((0.25, 0.45), (0.5, 0.7)):
            settings = DetectorSettings(conf=conf, iou=iou, resize="bilinear")
            fresh = Detector(model, settings, options=EngineOptions(hint="f32")).detect(rgb_of(photo))
            assert refilter(result, settings, low.names).detections == fresh.detections


def test_models_add_then_detect_by_name_on_the_command_line(tmp_path, data_dir):
    models = tmp_path / "models"
    env = {**os.environ, "YOLO_DESKTOP_MODELS": str(models)}
    cli = [sys.executable, "-m", "yolo_desktop.cli"]
    export = FIXTURES / "yolov8-3cls-320.onnx"
    done = processes.run(
        [*cli, "models", "add", "helmets", "--onnx", str(export)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "helmets: ONNX (ultralytics layout), 3 classes, input 320×320" in done.stdout
    listed = processes.run([*cli, "models", "list"], capture_output=True, text=True, env=env, timeout=120)
    assert "helmets" in listed.stdout and "ONNX" in listed.stdout
    out = tmp_path / "out"
    done = processes.run(
        [*cli, "detect", str(data_dir / "astronaut.png"), "-o", str(out), "--model", "helmets", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "detections.json").read_text())
    assert document["model"]["name"] == "helmets" and document["images"][0]["detections"]
    assert {d["label"] for d in document["images"][0]["detections"]} <= {"helmet", "safety vest", "glove"}
    photo, other = str(data_dir / "astronaut.png"), str(tmp_path / "o2")
    size = processes.run(
        [*cli, "detect", photo, "-o", other, "--model", "helmets", "--size", "416"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert size.returncode == 2 and "an ONNX export for 320×320 inputs and runs only at that size" in size.stderr


def test_an_end_to_end_rows_class_outside_the_names_is_dropped_not_a_crash():
    """An end-to-end output's class column is a number: NaN, negative, fractional or beyond the names is no
    detection (it would index past the names, or wrap in a video's uint8 store)."""
    from yolo_desktop.inference.onnx_layouts import decode_onnx

    layout = onnx_layout(model_of(FIXTURES / "yolo26-e2e-20cls-320.expected.json"))
    box = [10, 10, 50, 50]
    rows = np.array(
        [
            [*box, 0.9, 3],
            [*box, 0.8, 20],
            [*box, 0.7, -1],
            [*box, 0.6, 2.5],
            [*box, 0.5, np.nan],
            [np.nan, 10, 50, 50, 0.5, 1],
        ],
        np.float32,
    )[None]
    boxes, scores, classes = decode_onnx(layout, rows, 0.005, classes=20)
    assert classes.tolist() == [3] and scores.tolist() == [np.float32(0.9)] and boxes.shape == (1, 4)


def test_odd_metadata_is_ignored_not_fatal():
    from yolo_desktop.inference.onnx_layouts import _input_size, metadata_names
    from yolo_desktop.inference.onnx_meta import Tensor

    assert metadata_names({"names": "-" * 100_000 + "1"}) is None  # too long to parse (MemoryError in ast)
    assert metadata_names({"names": "{0: 'a', 2: 'b'}"}) is None  # a gap in the ids
    dynamic = Tensor("images", (1, 3, "h", "w"))
    assert _input_size(dynamic, {"imgsz": "{}"}) == (640, 640)
    assert _input_size(dynamic, {"imgsz": "[320, 480]"}) == (480, 320)


def test_models_add_force_replaces_the_installed_model(tmp_path):
    from yolo_desktop.models.fetch import add_model

    first = add_model("mine", model_of(FIXTURES / "yolov8-3cls-320.expected.json"), tmp_path)
    assert class_names(first) == ("helmet", "safety vest", "glove")
    second = add_model("mine", model_of(FIXTURES / "yolo11-80cls-384.expected.json"), tmp_path, force=True)
    assert len(class_names(second)) == 80 and sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
