"""OpenCV DNN (Darknet) and onnxruntime (ONNX exports) as engines, and ``auto`` measuring which is fastest here.

- OpenCV DNN's raw heads (the layer before each [yolo], with Winograd convolution as the engine runs it) equal
  OpenVINO float32's, and the detections through the project's decoder and NMS equal to 0.05 px and 1e-4 in score.
- onnxruntime through the product (``Detector(engine="onnxruntime")``) gives the exporters' own detections.
- ``--engine opencv`` / ``--engine onnxruntime`` on the command line give the in-process detector's results.
- ``auto`` measures after the first result (never before), remembers per processor and library versions, says why
  with the numbers, measures again when the processor's forcing changes, and its accuracy gate refuses an engine
  whose detections are not the reference's.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.conftest import read_rgb
from tests.inference.test_onnx_fixtures import EXPECTED, FIXTURES, expected
from tests.inference.test_onnx_models import as_rows, model_of, reference, rgb_of, settings_of
from tests.support.engines import auto_engine_here
from tests.support.random_weights import write_random_weights
from yolo_desktop.cli.main import main
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.engines import EngineOptions, create_engine
from yolo_desktop.inference.engines.auto import ENGINE_ENV, Target, agreement, gate
from yolo_desktop.inference.engines.auto_memo import MEASURE_ENV, choice_key, machine_key
from yolo_desktop.inference.errors import ModelError
from yolo_desktop.inference.letterbox import letterbox
from yolo_desktop.inference.model_spec import DarknetModel, ModelFiles
from yolo_desktop.pipeline.run import Job, Pipeline
from yolo_desktop.settings import DetectorSettings

HEADS = 5e-4  # raw head logits: Winograd's transform rounds differently (measured ≤ 1.2e-4 against OpenVINO f32)
BOX_PX = 0.05  # photo pixels
SCORE = 1e-4
PHOTOS = ("astronaut.png", "coffee.png", "motorcycle_left.png")


@pytest.fixture(scope="module", params=["yolov3-tiny", "yolov4-tiny"])
def darknet_pair(request, tiny_model, v4tiny_model):
    """(OpenCV DNN detector, OpenVINO float32 detector) of one real model at conf 0.1, built once per module."""
    files = tiny_model if request.param == "yolov3-tiny" else v4tiny_model
    settings = DetectorSettings(conf=0.1)
    return (
        Detector(files, settings, engine="opencv"),
        Detector(files, settings, engine="openvino", options=EngineOptions(hint="f32")),
    )


def test_opencv_heads_and_detections_equal_openvino_float32(darknet_pair, data_dir):
    opencv, openvino = darknet_pair
    assert opencv.engine.name == "opencv" and opencv.engine.description.startswith("opencv f32")
    found = 0
    for photo in PHOTOS:
        image = read_rgb(data_dir / photo)
        batch = opencv.prepare(image).batch
        for mine, theirs in zip(opencv.engine.run(batch), openvino.engine.run(batch), strict=True):
            assert mine.shape == theirs.shape and mine.dtype == np.float32
            assert np.abs(mine - theirs).max() < HEADS
        ours, ref = opencv.detect(image).detections, openvino.detect(image).detections
        assert list(ours.class_ids) == list(ref.class_ids)
        assert np.abs(ours.boxes - ref.boxes).max(initial=0) <= BOX_PX
        assert np.abs(ours.scores - ref.scores).max(initial=0) <= SCORE
        found += len(ours)
    assert found >= 4  # the photos have objects: the comparison is not between two empty lists


def test_opencv_runs_new_coords_heads_after_their_logistic(shared_cfg, tmp_path, data_dir):
    """YOLOv7-tiny's heads end in a logistic (new_coords): OpenCV's layer after the conv, as the other engines."""
    from yolo_desktop.inference.darknet_cfg import parse_cfg

    cfg_path = shared_cfg("yolov7-tiny")
    cfg = parse_cfg(cfg_path)
    batch, _ = letterbox(read_rgb(data_dir / "astronaut.png"), 320, 320)
    weights = tmp_path / "yolov7-tiny.weights"
    write_random_weights(weights, cfg, seed=7, sample=batch, head_std=0.25)
    model = DarknetModel(ModelFiles("v7", cfg_path, weights, None), cfg)
    opencv = create_engine("opencv", model, (320, 320)).run(batch)
    keras = create_engine("keras", model, (320, 320)).run(batch)
    for mine, theirs in zip(opencv, keras, strict=True):
        assert mine.min() >= 0 and mine.max() <= 1  # after the logistic
        assert np.abs(mine - theirs).max() < HEADS


def test_opencv_refuses_fast():
    with pytest.raises(ValueError, match="opencv engine runs float32 only"):
        from yolo_desktop.models.installed import find_model

        Detector(find_model("yolov3-tiny"), DetectorSettings(precision="fast"), engine="opencv")


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name.split(".")[0])
def test_onnxruntime_engine_gives_the_exporters_detections(path):
    exp, model = expected(path), model_of(path)
    detector = Detector(model, DetectorSettings(resize="bilinear", conf=0.005), engine="onnxruntime")
    assert detector.engine.name == "onnxruntime" and detector.engine.description == "onnxruntime (CPU)"
    for photo in exp["photos"]:
        rgb = rgb_of(photo)
        result = detector.detect(rgb)
        for setting in exp["settings"]:
            from yolo_desktop.inference.decode import select

            assert result.candidates is not None
            chosen = select(result.candidates, settings_of(exp, setting), detector.names, rgb.shape[1], rgb.shape[0])
            ours, theirs = as_rows(chosen), reference(photo, setting["key"], rgb.shape[1], rgb.shape[0])
            assert ours.shape == theirs.shape, (photo["id"], setting["key"])
            np.testing.assert_array_equal(ours[:, 5], theirs[:, 5])
            np.testing.assert_allclose(ours[:, :5], theirs[:, :5], atol=1e-3, err_msg=photo["id"])  # px, score


def test_the_command_line_runs_both_new_engines(tiny_model, data_dir, tmp_path, capsys):
    photo = data_dir / "coffee.png"
    out = tmp_path / "cv"
    assert main(["detect", str(photo), "-o", str(out), "--no-images", "--engine", "opencv", "--conf", "0.1"]) == 0
    assert "Engine: opencv f32" in capsys.readouterr().out
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert document["model"]["engine"] == "opencv"
    here = Detector(tiny_model, DetectorSettings(conf=0.1), engine="opencv").detect(read_rgb(photo)).detections
    boxes = np.array([d["box"] for d in document["images"][0]["detections"]])
    assert len(boxes) == len(here) > 0 and np.abs(boxes - here.boxes).max() <= 0.01  # px: the JSON's 2 decimals
    yolov8 = model_of(FIXTURES / "yolov8-3cls-320.expected.json")
    out = tmp_path / "ort"
    assert main(["detect", str(photo), "-o", str(out), "--onnx", str(yolov8.weights), "--engine", "onnxruntime"]) == 0
    assert json.loads((out / "detections.json").read_text(encoding="utf-8"))["model"]["engine"] == "onnxruntime"


# ----- auto ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def measuring(monkeypatch, tmp_path):
    """auto measuring (the suite turns it off), with its memo in a fresh cache that sees the test cache's converted
    models (so only the measurement is new)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "converted").symlink_to(os.path.join(os.environ["YOLO_DESKTOP_CACHE"], "converted"))
    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(cache))
    monkeypatch.setenv(MEASURE_ENV, "1")
    return cache


def _run(detector: Detector, data_dir, count: int) -> list:
    jobs = [Job.file(str(data_dir / PHOTOS[i % len(PHOTOS)])) for i in range(count)]
    return list(Pipeline(detector).run(jobs))


def test_auto_measures_after_the_first_result_and_remembers(measuring, tiny_model, data_dir, monkeypatch, capsys):
    detector = Detector(tiny_model)
    first = detector.engine
    assert detector.measuring_pending and "measuring" in detector.engine.auto_reason
    seen = []
    pipeline = Pipeline(detector)
    for done in pipeline.run([Job.file(str(data_dir / p)) for p in PHOTOS]):
        seen.append((done.result.ok, detector.measuring_pending))
    # The first result came from the engine expected fastest, before any measuring; the rest after it.
    assert seen == [(True, True), (True, False), (True, False)]
    memo = json.loads((measuring / "auto-engine.json").read_text(encoding="utf-8"))
    key = choice_key(tiny_model.weights, tiny_model.cfg, (416, 416), "accurate")
    entry = memo[key]
    assert {"opencv", "openvino", "litert"} <= set(entry["ms"]) and entry["chosen"] in entry["ms"]
    assert entry["ms"][entry["chosen"]] == min(entry["ms"].values())
    reason = detector.engine.auto_reason
    assert reason.startswith(f"{entry['chosen']} ") and " vs " in reason and "measured here on" in reason
    assert (detector.engine is first) == (entry["chosen"] == auto_engine_here(tiny_model))  # the rule's first engine
    # Remembered: the next detector starts on the winner, with the same numbers, and measures nothing.
    again = Detector(tiny_model)
    assert not again.measuring_pending and again.engine.name == entry["chosen"].split("-")[0]
    assert again.engine.auto_reason == reason
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    assert f"auto, accurate: {reason}" in capsys.readouterr().out  # read back without hashing anything
    # A forced instruction set is another machine: measured again.
    monkeypatch.setenv("OPENCV_CPU_DISABLE", "AVX512_SKX")
    assert "OPENCV_CPU_DISABLE=AVX512_SKX" in machine_key()
    assert Detector(tiny_model).measuring_pending


def test_auto_measures_onnx_exports_on_both_runtimes(measuring, data_dir):
    model = model_of(FIXTURES / "yolo11-80cls-384.expected.json")
    detector = Detector(model, DetectorSettings(resize="bilinear"))
    assert detector.engine.name == "onnxruntime" and detector.measuring_pending
    assert len(_run(detector, data_dir, 2)) == 2
    assert not detector.measuring_pending
    assert "onnxruntime" in detector.engine.auto_reason and "openvino" in detector.engine.auto_reason


def test_nothing_is_measured_for_a_single_photo_run_until_it_asks_for_more(measuring, tiny_model, data_dir):
    detector = Detector(tiny_model)
    run = Pipeline(detector).run([Job.file(str(data_dir / "coffee.png"))])
    assert next(run).result.ok and detector.measuring_pending  # the result is out before any measuring


def test_the_gate_refuses_an_engine_whose_detections_differ(tiny_model, data_dir, tmp_path):
    """A real engine running other weights (random, same architecture) stands in for a broken runtime."""
    from yolo_desktop.inference.darknet_cfg import parse_cfg

    reference = Detector(tiny_model, DetectorSettings(conf=0.1), engine="opencv")
    image = read_rgb(data_dir / "motorcycle_left.png")
    prepared = reference.prepare(image)
    cfg = parse_cfg(tiny_model.cfg)
    weights = tmp_path / "random.weights"
    write_random_weights(weights, cfg, seed=3, sample=prepared.batch, head_std=0.25)
    broken = create_engine("opencv", DarknetModel(ModelFiles("r", tiny_model.cfg, weights, None), cfg), (416, 416))
    same = create_engine("opencv", DarknetModel.read(tiny_model), (416, 416))

    def decode(outputs):
        from yolo_desktop.inference.decode import make_candidates, select

        found = select(
            make_candidates(outputs, reference.decoder, prepared.box, 0.005),
            reference.settings,
            reference.names,
            image.shape[1],
            image.shape[0],
        )
        return found.boxes, found.scores, found.class_ids

    target = Target(tiny_model, (416, 416), "accurate")
    refused = gate({"opencv": reference.engine, "litert": same, "openvino": broken}, prepared.batch, decode, target)
    assert list(refused) == ["openvino"] and "F1" in refused["openvino"]


def test_the_engine_variable_holds_auto_to_one_engine(tiny_model, data_dir, monkeypatch):
    """$YOLO_DESKTOP_ENGINE: what auto builds instead of choosing (the window has no --engine), unmeasured and said
    so; a name that is no engine for the model here is refused naming the variable and the choices."""
    monkeypatch.setenv(ENGINE_ENV, "opencv")
    detector = Detector(tiny_model, engine="auto")
    assert detector.engine.name == "opencv" and "set by $YOLO_DESKTOP_ENGINE" in detector.engine_summary
    assert [d.label for d in detector.detect(read_rgb(data_dir / "coffee.png")).detections] == ["cup"]
    monkeypatch.setenv(ENGINE_ENV, "onnxruntime")
    with pytest.raises(
        ModelError, match=r"\$YOLO_DESKTOP_ENGINE=onnxruntime: not an engine for yolov3-tiny here \(one of"
    ):
        Detector(tiny_model, engine="auto")
    assert Detector(tiny_model, engine="opencv").engine.name == "opencv"  # --engine still forces its own


def test_agreement_counts_matches_by_class_and_iou():
    boxes = np.array([[0, 0, 10, 10], [20, 20, 40, 40]], np.float32)
    scores, classes = np.array([0.9, 0.8], np.float32), np.array([1, 2])
    assert agreement((boxes, scores, classes), (boxes + 0.2, scores, classes), 0.9) == 1.0  # IoU 0.92, 0.96
    assert agreement((boxes, scores, classes), (boxes, scores, np.array([1, 3])), 0.5) == 0.5  # one class wrong
    assert agreement((boxes, scores, classes), (boxes[:1], scores[:1], classes[:1]), 0.5) == pytest.approx(2 / 3)


# ----- a model that finds nothing says so ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zero_scores(tmp_path_factory):
    from tests.support.broken_exports import zero_score_export

    return zero_score_export(FIXTURES / "yolov8-3cls-320.onnx", tmp_path_factory.mktemp("broken") / "zeroed.onnx")


def test_models_add_warns_about_a_model_whose_scores_are_all_zero(zero_scores, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(tmp_path / "cache"))  # nothing remembered: the check runs
    assert main(["models", "add", "zeroed", "--onnx", str(zero_scores), "--dest", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "zeroed: ONNX" in captured.out  # added all the same
    assert "warning: model 'zeroed' scores every box zero on the bundled sample photo" in captured.err
    assert "quantisation is likely broken" in captured.err
    healthy = FIXTURES / "yolov8-3cls-320.onnx"
    assert main(["models", "add", "healthy", "--onnx", str(healthy), "--dest", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_the_first_load_warns_and_later_loads_repeat_it_without_running(zero_scores, data_dir, tmp_path, capsys):
    from yolo_desktop.pipeline import sample_check

    args = ["detect", str(data_dir / "coffee.png"), "--onnx", str(zero_scores), "--no-images", "--quiet"]
    assert main([*args, "-o", str(tmp_path / "a")]) == 0
    assert "warning: model 'zeroed' scores every box zero" in capsys.readouterr().err
    remembered = json.loads(sample_check._path().read_text(encoding="utf-8"))
    assert any("scores every box zero" in text for text in remembered.values())
    detector = Detector(ModelFiles("zeroed", None, zero_scores, None))
    runs = detector.engine.run

    def counted(batch):
        counted.calls += 1
        return runs(batch)

    counted.calls = 0
    detector.engine.run = counted  # counts the network runs of the real engine
    assert "scores every box zero" in (sample_check.first_load_warning(detector) or "")
    assert counted.calls == 0


# ----- photos and tiles in flight (lanes) ----------------------------------------------------------------------------


def test_lanes_give_the_one_by_one_results_in_order(tiny_model, data_dir, tmp_path):
    """Photos and a photo's tiles through two lanes (two engines, one thread each, side by side) against one after
    another: the same results in the same order, a broken file in its place."""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    names = ["coffee.png", "astronaut.png", "motorcycle_left.png", "chelsea.png", "camera.png"]
    jobs = [Job.file(str(data_dir / n)) for n in names[:2]] + [Job.file(str(broken))]
    jobs += [Job.file(str(data_dir / n)) for n in names[2:]]
    jobs.append(Job.file(str(data_dir / "motorcycle_left.png"), settings=DetectorSettings(tiles="320")))
    detector = Detector(tiny_model, DetectorSettings(conf=0.1), engine="opencv")
    one, two = Pipeline(detector), Pipeline(detector, lanes=2)
    alone, together = list(one.run(jobs)), list(two.run(jobs))
    assert detector._lanes is not None and len(detector._lanes.engines) == 2
    assert [d.job.name for d in together] == [j.name for j in jobs]
    assert one.network_runs == two.network_runs > len(jobs)  # the tiled photo ran several times
    assert not together[2].result.ok and together[2].result.error == alone[2].result.error
    found = 0
    for a, b in zip(alone, together):
        if not a.result.ok:
            continue
        x, y = a.result.detections, b.result.detections
        assert list(x.class_ids) == list(y.class_ids)
        assert (
            np.abs(x.boxes - y.boxes).max(initial=0) <= BOX_PX and np.abs(x.scores - y.scores).max(initial=0) <= SCORE
        )
        found += len(x)
    assert found > 5
    detector.close_lanes()


def test_fast_takes_int8_only_where_it_pays_and_says_so():
    from yolo_desktop.inference.engines.auto import INT8_MARGIN, _pick

    assert _pick({"openvino-int8": 10.0, "opencv": 21.0, "openvino": 15.0}, "fast") == ("openvino-int8", "")
    chosen, note = _pick({"openvino-int8": 14.0, "litert-int8": 15.0, "openvino": 15.0}, "fast")  # 1.07× only
    assert chosen == "openvino" and "int8 does not pay here" in note and f"{INT8_MARGIN}×" in note
    assert _pick({"openvino": 15.0, "opencv": 12.0}, "fast") == (
        "opencv",
        "fast runs float here: no int8 model could be measured",
    )
    assert _pick({"openvino-bf16": 9.0, "opencv": 12.0}, "accurate") == ("openvino-bf16", "")
