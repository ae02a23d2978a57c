"""A person's own boxes: label files read in every format the app writes (YOLO txt, Pascal VOC, COCO, its own
detections.json), a per-folder store that saves edits safely, and training sets exported with deterministic splits.

No Qt and no model runtime here: the window (phase 2 of issue 26) and ``yolo-desktop dataset`` stand on it.
See docs/labels.md.
"""
