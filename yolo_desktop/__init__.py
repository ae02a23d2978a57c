"""YOLO Desktop: find objects in photos and videos with YOLO models, locally.

Importing the package is cheap: no TensorFlow, no Qt. It sets OpenCV's decode limit here because OpenCV reads
it once, when ``cv2`` is first imported, and any submodule may be the first to import it.
"""

import os

__version__ = "0.1.0"
# What the app does, in one line: --help, the About box and the service's API page say it the same way.
TAGLINE = (
    "Find objects in photos and videos with YOLO models — Darknet YOLOv3, YOLOv4 and YOLOv7 or your own ONNX "
    "exports (Ultralytics, YOLOX) — locally, on this machine"
)

# Largest image accepted, in pixels. Checked from the header before decoding (imaging.py); OpenCV's own limit
# is set to the same value as a second guard against decompression bombs.
MAX_PIXELS = int(float(os.environ.get("YOLO_DESKTOP_MAX_MEGAPIXELS", "100")) * 1_000_000)
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
