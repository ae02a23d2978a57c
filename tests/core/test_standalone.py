"""What the standalone build relies on, checked without building it (``make package-test`` runs the real bundle):
a model shipped as cfg + names + weights digest + converted models, no TensorFlow, no console streams."""

from __future__ import annotations

import json
import os
import shutil
import sys

from tests.conftest import REPO
from tests.support import processes
from tests.support.engines import auto_engine_here
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.model_cache import file_sha256, model_key
from yolo_desktop.inference.model_spec import ModelFiles


def bundled_like(tmp_path, tiny_model) -> ModelFiles:
    """The bundle's layout: the weights replaced by their sha256 digest."""
    folder = tmp_path / "weights" / "yolov3-tiny"
    folder.mkdir(parents=True)
    shutil.copy(tiny_model.cfg, folder)
    shutil.copy(tiny_model.names, folder)
    (folder / "yolov3-tiny.weights.sha256").write_text(file_sha256(tiny_model.weights) + "\n", encoding="ascii")
    return ModelFiles(
        "yolov3-tiny", folder / "yolov3-tiny.cfg", folder / "yolov3-tiny.weights", folder / tiny_model.names.name
    )


def test_weights_digest_stands_in_for_the_weights(tmp_path, tiny_model, app_detector):
    model = bundled_like(tmp_path, tiny_model)
    assert model.missing() == []
    assert model_key(model.cfg, model.weights, "accurate") == model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    detector = Detector(model)  # the converted model in the cache is found through the digest
    assert detector.engine.name in ("openvino", "litert")  # auto: OpenVINO when installed
    os.remove(model.weights_digest)
    assert model.missing() == [model.weights]


CHILD = """
import sys, json
sys.modules['tensorflow'] = None  # as in the standalone app: TensorFlow cannot be imported
from pathlib import Path
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.model_spec import ModelFiles
from yolo_desktop.inference.errors import ModelError
m = ModelFiles('yolov3-tiny', Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
try:
    d = Detector(m, engine=sys.argv[4])
    print(json.dumps({'error': None, 'engine': d.engine_summary}))
except ModelError as exc:
    print(json.dumps({'error': str(exc)}))
"""


def test_unconverted_model_without_tensorflow_says_what_to_do(tmp_path, tiny_model):
    """OpenVINO needs the model converted (TensorFlow, absent): it says what to do; auto runs it on OpenCV DNN, which
    reads the Darknet files themselves, and says why (OpenVINO could not run here, or OpenCV DNN is auto's first
    choice on an AVX2-only processor)."""
    env = {**os.environ, "YOLO_DESKTOP_CACHE": str(tmp_path / "empty")}
    outcome = {}
    for engine in ("openvino", "auto"):
        done = processes.run(
            [sys.executable, "-c", CHILD, str(tiny_model.cfg), str(tiny_model.weights), str(tiny_model.names), engine],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        outcome[engine] = json.loads(done.stdout)
    error = outcome["openvino"]["error"]
    assert "converting needs TensorFlow" in error and "yolo-desktop models convert" in error
    assert outcome["auto"]["error"] is None
    why = "expected fastest on AVX2" if auto_engine_here(tiny_model) == "opencv" else "openvino cannot run here"
    assert outcome["auto"]["engine"].startswith("opencv f32") and why in outcome["auto"]["engine"]


WINDOWED = """
import sys
sys.stdout = None  # a windowed app on Windows/macOS has no console streams at all
sys.stderr = None
from yolo_desktop.cli.main import main
code = main(['--self-test'])
code2 = main(['detect', sys.argv[1], '-o', sys.argv[2]])
open(sys.argv[3], 'w').write(f'{code} {code2}')
"""


def test_no_console_streams_do_not_crash(tmp_path, data_dir):
    marker = tmp_path / "codes.txt"
    done = processes.run(
        [sys.executable, "-c", WINDOWED, str(data_dir / "coffee.png"), str(tmp_path / "out"), str(marker)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "0 0"
    assert (tmp_path / "out" / "detections.json").is_file()


def test_self_test(capsys):
    from yolo_desktop.cli.main import main

    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "cup" in out and "self-test: OK" in out and "TensorFlow loaded" in out
