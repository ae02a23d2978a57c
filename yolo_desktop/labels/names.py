"""Class lists: ``classes.txt`` / ``*.names`` (one name a line: labelImg, Darknet, YOLO-Label) and the ``names`` of
an Ultralytics ``data.yaml``.

``data.yaml`` is read by a small reader of the forms Ultralytics, Roboflow and this app write (``names:`` as a flow
list, a block list or a block mapping of index → name; ``nc``; ``path``/``train``/``val``/``test`` scalars),
not by PyYAML: the standalone bundle leaves PyYAML out (3.2 MB with libyaml, against a budget with 2.5 MB to
spare). Any other form is refused with its line, never guessed. The tests read the same files with PyYAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from ..atomic import write_text
from .problems import LabelProblem

_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$")
_ITEM = re.compile(r"^\s*-\s+(.*)$")
_ENTRY = re.compile(r"^\s+(\d+)\s*:\s+(.*)$")


def read_names_file(path: Path) -> tuple[list[str], list[LabelProblem]]:
    """``classes.txt``-style: the class of index i on line i + 1; trailing blank lines ignored."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [LabelProblem(str(path), f"cannot read the class list: {_why(exc)}")]
    while lines and not lines[-1].strip():
        lines.pop()
    names = [line.strip() for line in lines]
    problems = [LabelProblem(str(path), "empty class name", i + 1) for i, name in enumerate(names) if not name]
    return names, problems + _duplicates(path, names)


def names_text(names: Sequence[str]) -> str:
    return "".join(f"{name}\n" for name in names)


def write_names_file(path: Path, names: Sequence[str]) -> None:
    write_text(path, names_text(names))


def read_data_yaml(path: Path) -> tuple[dict[str, str], list[str], list[LabelProblem]]:
    """(top-level scalars such as ``path``/``train``/``val``, names, problems) of an Ultralytics data.yaml."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [], [LabelProblem(str(path), f"cannot read: {_why(exc)}")]
    scalars: dict[str, str] = {}
    names: list[str] | None = None
    problems: list[LabelProblem] = []
    number = 0
    while number < len(lines):
        line = _uncomment(lines[number])
        number += 1
        if not line.strip() or line.startswith((" ", "\t")):
            continue  # blank, or inside a mapping this reader does not need (download scripts, …)
        match = _KEY.match(line)
        if match is None:
            continue
        key, value = match.group(1), (match.group(2) or "").strip()
        if key != "names":
            scalars[key] = _scalar(value)
            continue
        start = number
        if value:
            names = _flow(value)
        else:
            block: list[str] = []
            # Indented entries, or a list at the key's own indentation (YAML allows "- a" right under "names:").
            while number < len(lines) and (not lines[number].strip() or lines[number].startswith((" ", "\t", "- "))):
                if lines[number].strip():
                    block.append(_uncomment(lines[number]))
                number += 1
            names = _block(block)
        if names is None:
            problems.append(LabelProblem(str(path), "names: not a list of class names this reader knows", start))
            names = []
    if names is None:
        problems.append(LabelProblem(str(path), "has no names: (the class list)"))
        names = []
    if "nc" in scalars and scalars["nc"].isdigit() and int(scalars["nc"]) != len(names):
        problems.append(LabelProblem(str(path), f"nc: {scalars['nc']} but {len(names)} names"))
    return scalars, names, problems + _duplicates(path, names)


def _duplicates(path: Path, names: Sequence[str]) -> list[LabelProblem]:
    seen: dict[str, int] = {}
    problems = []
    for index, name in enumerate(names):
        if name and name in seen:
            problems.append(LabelProblem(str(path), f"class name {name!r} is both class {seen[name]} and {index}"))
        seen.setdefault(name, index)
    return problems


def _uncomment(line: str) -> str:
    # A '#' starts a comment at the line's start or after a space, outside quotes (YAML's rule, simplified).
    quote = None
    for i, char in enumerate(line):
        if char in "\"'" and quote in (None, char):
            quote = None if quote else char
        elif char == "#" and quote is None and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def _split_flow(inner: str) -> list[str]:
    parts, current, quote = [], "", None
    for char in inner:
        if char in "\"'" and quote in (None, char):
            quote = None if quote else char
        if char == "," and quote is None:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _flow(value: str) -> list[str] | None:
    if value.startswith("[") and value.endswith("]"):
        return [_scalar(part) for part in _split_flow(value[1:-1])]
    if value.startswith("{") and value.endswith("}"):
        pairs = [part.split(":", 1) for part in _split_flow(value[1:-1])]
        if all(len(pair) == 2 and pair[0].strip().isdigit() for pair in pairs):
            return _indexed({int(k): _scalar(v) for k, v in pairs})
    return None


def _block(lines: list[str]) -> list[str] | None:
    items = [_ITEM.match(line) for line in lines]
    if items and all(items):
        return [_scalar(m.group(1)) for m in items if m]
    entries = [_ENTRY.match(line) for line in lines]
    if entries and all(entries):
        return _indexed({int(m.group(1)): _scalar(m.group(2)) for m in entries if m})
    return None


def _indexed(mapping: dict[int, str]) -> list[str] | None:
    # Index → name must cover 0..n-1: a gap would shift every later class.
    return [mapping[i] for i in range(len(mapping))] if set(mapping) == set(range(len(mapping))) else None


def _why(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc)) if isinstance(exc, OSError) else "not UTF-8 text"
