"""Corrections to published Darknet cfg files that do not match their official weights.

Darknet's published ``yolov3-tiny.cfg`` gives its second ``[yolo]`` head ``mask = 0,1,2``, but the official
``yolov3-tiny.weights`` were trained with ``mask = 1,2,3`` there (Darknet's maintainers pointed users who could not
reproduce the published mAP to exactly this change). With the wrong anchors the model finds about half of what it
should. A fix is applied to the cfg of a *known* model only, identified by its weights' sha256 — a user's own cfg
is never touched.

The fix is a text edit of the ``mask`` lines (the rest of the file stays byte for byte), with a comment that says
why; converted models are keyed on the cfg's sha256, so a corrected cfg gets its own conversion automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_MASK = re.compile(r"^\s*mask\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class MaskFix:
    masks: tuple[tuple[int, ...], ...]  # the mask of every [yolo] section, in file order
    note: str  # comment lines written above each corrected mask (without the leading '#')


def yolo_masks(text: str) -> list[tuple[int, ...] | None]:
    """The ``mask`` of each ``[yolo]`` section in file order (None where a section has no mask line)."""
    masks: list[tuple[int, ...] | None] = []
    in_yolo = False
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            in_yolo = header.group(1).strip().lower() == "yolo"
            if in_yolo:
                masks.append(None)
            continue
        found = _MASK.match(line.split("#", 1)[0])
        if in_yolo and found:
            try:
                masks[-1] = tuple(int(v) for v in found.group(1).split(",") if v.strip())
            except ValueError:
                masks[-1] = None
    return masks


def needs_fix(text: str, fix: MaskFix) -> bool:
    return tuple(yolo_masks(text)) != fix.masks


def apply_fix(text: str, fix: MaskFix) -> str:
    """``text`` with every ``[yolo]`` mask set to the fix's, each changed line preceded by the note."""
    existing = yolo_masks(text)
    if len(existing) != len(fix.masks):
        raise ValueError(f"the cfg has {len(existing)} [yolo] sections, the fix is for {len(fix.masks)}")
    out: list[str] = []
    yolo_index = -1
    in_yolo = False
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            in_yolo = header.group(1).strip().lower() == "yolo"
            out.append(line)
            if in_yolo:
                yolo_index += 1
                if yolo_index not in _sections_with_mask_line(text):
                    out += _mask_lines(fix, yolo_index)  # no mask line: Darknet's default, made explicit
            continue
        if in_yolo and _MASK.match(line.split("#", 1)[0]):
            same = existing[yolo_index] == fix.masks[yolo_index]
            out += [line] if same else _mask_lines(fix, yolo_index)
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _sections_with_mask_line(text: str) -> set[int]:
    found: set[int] = set()
    index, in_yolo = -1, False
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            in_yolo = header.group(1).strip().lower() == "yolo"
            index += in_yolo
        elif in_yolo and _MASK.match(line.split("#", 1)[0]):
            found.add(index)
    return found


def _mask_lines(fix: MaskFix, index: int) -> list[str]:
    return [f"# {line}" for line in fix.note.splitlines()] + [f"mask = {','.join(str(m) for m in fix.masks[index])}"]
