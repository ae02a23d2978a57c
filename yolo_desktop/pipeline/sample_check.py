"""A model that finds nothing says so: at ``models add`` and at the first load of a model, it runs the bundled sample
photo (``resources/sample.jpg``: a cup, a laptop, chairs — what any COCO-trained detector finds); a model that finds
nothing there, or whose scores are all zero, gets a warning naming the likely cause. A real pretrained int8 ONNX
export whose quantised class scores all came out zero otherwise gives "0 detections" on every photo, silently.

The outcome is remembered per model file, input size and precision (``sample-checks.json`` in the cache folder), so
later loads repeat a warning without running anything.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

import numpy as np

from ..atomic import write_text
from ..imaging.read import ImageError, load
from ..inference.detector import Detector
from ..inference.model_cache import cache_dir, file_sha256
from ..resources import resource_path
from ..settings import CANDIDATE_FLOOR, DEFAULTS

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def sample_rgb() -> np.ndarray | None:
    """The bundled sample photo as RGB, read once; None in a broken installation (the self-test says so)."""
    path = resource_path("sample.jpg")
    try:
        return load(path).rgb if path is not None else None
    except ImageError:
        return None


def sample_warning(detector: Detector) -> str | None:
    """Run the sample photo (default thresholds, every class); a warning when the model finds nothing there."""
    image = sample_rgb()
    if image is None:
        return None
    result = detector.detect(image, "sample.jpg", settings=DEFAULTS)
    if not result.ok:
        return f"model '{detector.model.name}' failed on the bundled sample photo: {result.error}"
    candidates = result.candidates
    if candidates is None or len(candidates) == 0:
        return (
            f"model '{detector.model.name}' scores every box zero on the bundled sample photo (none reaches "
            f"{CANDIDATE_FLOOR}): the export or its quantisation is likely broken (an int8 "
            "export whose class scores were quantised to zero does this); it will find nothing in any photo"
        )
    if len(result.detections) == 0:
        best = float(candidates.scores.max())
        return (
            f"model '{detector.model.name}' finds nothing on the bundled sample photo (a cup, a laptop, chairs; best "
            f"score {best:.3f} < {DEFAULTS.conf}): a broken export or quantisation, or a model trained for other "
            "things than everyday objects"
        )
    return None


def _path() -> Path:
    return cache_dir() / "sample-checks.json"


def first_load_warning(detector: Detector) -> str | None:
    """``sample_warning`` once per model file, input size and precision; remembered (a warning is repeated)."""
    try:
        key = f"{file_sha256(detector.model.weights)}|{detector.input_size}|{detector.settings.precision}"
    except OSError:
        return None
    with _lock:
        try:
            checks = json.loads(_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            checks = {}
    if key in checks:
        return checks[key] or None
    warning = sample_warning(detector)
    with _lock:
        checks[key] = warning or ""
        try:
            write_text(_path(), json.dumps(checks, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only cache: checked again next time
    return warning
