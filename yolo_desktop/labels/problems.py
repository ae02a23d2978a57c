"""What is wrong with a label file, worded once: the file, the line (when there is one) and the reason."""

from __future__ import annotations

from dataclasses import dataclass

# A problem's kind, where a reader of the problems needs to tell one from the rest (``evaluate`` counts labels
# whose photo is missing apart from labels that cannot be read).
MISSING_PHOTO = "missing photo"


@dataclass(frozen=True)
class LabelProblem:
    path: str
    reason: str
    line: int | None = None  # 1-based; None for the whole file (or a format without lines, e.g. a JSON entry)
    kind: str = ""  # "" or MISSING_PHOTO

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"


class LabelFileError(Exception):
    """A label file that could not be used as a whole: it is left exactly as it was, never saved over."""

    def __init__(self, problems: list[LabelProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class LabelsUnavailable(Exception):
    """A labels folder that cannot be used (locked by another window, not writable, …); the message says why."""
