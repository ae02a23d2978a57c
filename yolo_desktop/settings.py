"""Detector settings shared by the GUI and the CLI. Plain data: no Qt, no TensorFlow."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

# Candidates below this score are not kept, so no threshold below it can be applied later.
CANDIDATE_FLOOR = 0.005
# The most candidates kept per image (highest scores first); bounds NMS time for untrained/random weights.
MAX_CANDIDATES = 30_000
PRECISIONS = ("accurate", "fast")
ENGINES = ("auto", "openvino", "onnxruntime", "opencv", "litert", "keras")  # see inference/engines
DEFAULT_ENGINE = "auto"  # chosen for this machine (inference/engines/auto.py)
DEVICES = ("CPU", "GPU", "NPU")  # OpenVINO devices; CPU unless chosen explicitly
INPUT_SIZES = (320, 416, 608)
# Where an input size must be a number before a model is read (the window's picker, speed figures in model lists):
# the default model's own ([net] width of yolov3-tiny.cfg). A detector otherwise runs at its cfg's.
DEFAULT_INPUT_SIZE = 416
# How a photo is shrunk into the network input: "area" averages the pixels it drops (cv2.INTER_AREA); "bilinear"
# samples (cv2.INTER_LINEAR), as Darknet and OpenCV DNN do. Enlarging is bilinear either way.
RESIZES = ("area", "bilinear")
DEFAULT_RESIZE = "area"
# Tiled detection (tiling.py): "off", "auto", or the side of a square tile in photo pixels.
TILES_OFF, TILES_AUTO = "off", "auto"
MIN_TILE_SIZE = 64  # smaller tiles are only enlarged into the network: nothing more to see
DEFAULT_TILE_OVERLAP = 0.2  # fraction of a tile shared with its neighbour (SAHI's default)
MAX_TILE_OVERLAP = 0.5  # 0.5 already runs the network 4× as often as no overlap
TILE_SIZES = (416, 624, 832, 1280)  # the window's choices besides off and auto (photo pixels)


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class DetectorSettings:
    """How a model runs, and what selection keeps. The network's own: ``size`` and ``precision`` (another needs
    another engine). Each run's: ``resize``, ``tiles`` and ``tile_overlap`` (how photos are prepared), and the
    ``selection`` (thresholds, classes, max detections), which re-filters kept candidates without the network.
    The defaults here are the app's, in every front door (``DEFAULTS``)."""

    size: int | None = None  # network input (square, multiple of 32); None → the cfg's [net] width
    conf: float = 0.25  # minimum score = objectness × class probability
    iou: float = 0.45  # NMS overlap above which the lower-scoring box of the same class is dropped
    classes: frozenset[str] | None = None  # labels to keep; None keeps all
    max_detections: int = 300
    precision: str = "accurate"
    resize: str = DEFAULT_RESIZE
    tiles: str = TILES_OFF  # "off", "auto" or a tile side in photo pixels, e.g. "640" (see tiling.py)
    tile_overlap: float = DEFAULT_TILE_OVERLAP

    def __post_init__(self) -> None:
        if self.size is not None and (self.size < 32 or self.size % 32):
            raise SettingsError(f"input size {self.size} must be a positive multiple of 32 (e.g. 320, 416, 608)")
        if not CANDIDATE_FLOOR <= self.conf <= 1.0:
            raise SettingsError(f"confidence {self.conf} must be between {CANDIDATE_FLOOR} and 1")
        if not 0.0 < self.iou <= 1.0:
            raise SettingsError(f"NMS IoU {self.iou} must be above 0 and at most 1")
        if self.max_detections < 1:
            raise SettingsError(f"max detections {self.max_detections} must be at least 1")
        if self.precision not in PRECISIONS:
            raise SettingsError(f"precision {self.precision!r} must be one of {', '.join(PRECISIONS)}")
        if self.resize not in RESIZES:
            raise SettingsError(f"resize {self.resize!r} must be one of {', '.join(RESIZES)}")
        object.__setattr__(self, "tiles", normalize_tiles(self.tiles))
        if not 0.0 <= self.tile_overlap <= MAX_TILE_OVERLAP:
            raise SettingsError(f"tile overlap {self.tile_overlap} must be between 0 and {MAX_TILE_OVERLAP}")
        if self.classes is not None and not isinstance(self.classes, frozenset):
            object.__setattr__(self, "classes", frozenset(self.classes))

    @property
    def tile_size(self) -> int | None:
        """The tile side asked for in photo pixels; None for "off" and "auto" (which decides per photo)."""
        return int(self.tiles) if self.tiles.isascii() and self.tiles.isdigit() else None

    @property
    def selection(self) -> tuple[float, float, frozenset[str] | None, int]:
        """(conf, iou, classes, max_detections): what selection applies to candidates. Results selected at equal
        selections are equal; changing only these re-runs NMS and the filter, never the network."""
        return (self.conf, self.iou, self.classes, self.max_detections)

    def with_selection(self, other: DetectorSettings) -> DetectorSettings:
        """These settings with ``other``'s thresholds, classes and max detections."""
        return replace(self, conf=other.conf, iou=other.iou, classes=other.classes, max_detections=other.max_detections)

    def with_classes(self, classes: Iterable[str] | None) -> DetectorSettings:
        return replace(self, classes=None if classes is None else frozenset(classes))

    def unknown_classes(self, names: Iterable[str]) -> list[str]:
        """Requested class labels the model does not know (a typo in --classes should not silently match nothing)."""
        if self.classes is None:
            return []
        known = set(names)
        return sorted(c for c in self.classes if c not in known)


def normalize_tiles(value: object) -> str:
    """``--tiles`` as given (``off``, ``auto``, ``640``, the number 640) → its one spelling; bad values raise."""
    text = str(value).strip().lower()
    if text in (TILES_OFF, TILES_AUTO):
        return text
    if text.isascii() and text.isdigit() and int(text) >= MIN_TILE_SIZE:  # "²".isdigit() is True, int("²") fails
        return str(int(text))
    raise SettingsError(
        f"tiles {value!r} must be off, auto, or a tile size in pixels of at least {MIN_TILE_SIZE} (e.g. 640)"
    )


DEFAULTS = DetectorSettings()  # the defaults every front door shows and uses (CLI, window, service, settings store)
