"""Pascal VOC XML, one file per image. Boxes use the devkit convention: 1-based, inclusive pixel indices.
Detections carry their ``confidence``; a training set's labels (``scores=False``) do not."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from ..atomic import write_bytes
from ..results import ImageResult


def voc_document(result: ImageResult, image_name: str, scores: bool = True) -> bytes:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = os.path.basename(os.path.dirname(result.path))
    ET.SubElement(root, "filename").text = image_name
    ET.SubElement(root, "path").text = result.path
    ET.SubElement(ET.SubElement(root, "source"), "database").text = "yolo-desktop"
    size = ET.SubElement(root, "size")
    for key, value in (("width", result.width), ("height", result.height), ("depth", 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(root, "segmented").text = "0"
    for d in result.detections:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = d.label
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        if scores:
            ET.SubElement(obj, "confidence").text = f"{d.score:.4f}"
        box = ET.SubElement(obj, "bndbox")
        # Continuous [x1, x2) → 1-based first pixel, inclusive last pixel.
        values = (
            round(d.x1) + 1,
            round(d.y1) + 1,
            max(round(d.x1) + 1, round(d.x2)),
            max(round(d.y1) + 1, round(d.y2)),
        )
        for key, value in zip(("xmin", "ymin", "xmax", "ymax"), values):
            ET.SubElement(box, key).text = str(value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_voc(path: str | os.PathLike[str], result: ImageResult, image_name: str, scores: bool = True) -> None:
    write_bytes(path, voc_document(result, image_name, scores))
