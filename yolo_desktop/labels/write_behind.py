"""Saving without making anyone wait: the newest text of each file, written atomically on a thread of its own at
most ``interval`` seconds after its first change.

Why write-behind rather than a write per edit: an atomic write is a temp file, an fsync and a rename — milliseconds
each (docs/benchmarks.md, "Saving labels"), tens of ms on a laptop disk. Arrow-key nudges come
30 times a second; done on the GUI thread they would stall it, and most would be overwritten within a second
anyway. Here edits to one photo coalesce, the thread does the fsyncs, and a crash or a power cut loses at most the
edits of the last ``interval`` (0.5 s, plus the time the writes themselves take). A write that fails (a read-only
or full disk) is reported once and kept to retry; its edit stays in memory meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..atomic import write_text
from .problems import LabelProblem

FLUSH_INTERVAL = 0.5  # seconds from a file's first unsaved change to its write


class WriteBehind:
    def __init__(
        self,
        interval: float = FLUSH_INTERVAL,
        on_error: Callable[[LabelProblem], None] | None = None,
        on_saved: Callable[[int], None] | None = None,
    ) -> None:
        """``on_error(problem)``: a write failed (once per file until it succeeds); ``on_saved(n)``: the first n
        changes are on disk. Both are called on the writer thread."""
        self.interval = interval
        self.on_error = on_error
        self.on_saved = on_saved
        self._cond = threading.Condition()
        # path → (text, written after the others); text None: remove the file (a photo back to unlabelled)
        self._pending: dict[Path, tuple[str | None, bool]] = {}
        self._first_change = 0.0
        self._changes = 0  # counted by put
        self._started = self._finished = 0  # write passes
        self._urgent = False
        self._closing = False
        self._failing: set[Path] = set()
        self.failures: list[LabelProblem] = []  # the latest failure of each file that still fails
        self._thread = threading.Thread(target=self._run, name="labels-writer", daemon=True)
        self._thread.start()

    def put(self, path: Path, text: str | None, last: bool = False) -> None:
        """Save ``text`` as ``path`` soon (None: remove it). ``last``: within one flush, after the other files (the
        review state, which speaks of label files, goes after them)."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the labels writer is closed")
            if not self._pending:
                self._first_change = time.monotonic()
            self._pending[path] = (text, last)
            self._changes += 1
            self._cond.notify_all()

    def pending(self, path: Path) -> str | None:
        """The text about to be written as ``path``; None when nothing (or its removal) is pending."""
        with self._cond:
            entry = self._pending.get(path)
        return entry[0] if entry else None

    def flush(self) -> list[LabelProblem]:
        """Write everything put so far, now; returns the files that could not be written."""
        with self._cond:
            need = self._started  # the pass under way, if any
            if self._pending:  # and one more, that starts after this call
                need += 1
                self._urgent = True
                self._cond.notify_all()
            while self._finished < need and self._thread.is_alive():
                self._cond.wait()
            return list(self.failures)

    def close(self) -> list[LabelProblem]:
        failures = self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()
        return failures

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return  # close() flushed first: what is left failed, and close() returned it
                deadline = self._first_change + self.interval
                while not (self._urgent or self._closing) and (wait := deadline - time.monotonic()) > 0:
                    self._cond.wait(wait)
                batch, self._pending = self._pending, {}
                covered, self._urgent = self._changes, False
                self._started += 1
            failed = self._write(batch)
            with self._cond:
                for path, entry in failed.items():
                    self._pending.setdefault(path, entry)  # a newer text put meanwhile wins
                if self._pending:
                    self._first_change = time.monotonic()
                self._finished += 1
                self._cond.notify_all()
            if not failed and self.on_saved is not None:
                self.on_saved(covered)

    def _write(self, batch: dict[Path, tuple[str | None, bool]]) -> dict[Path, tuple[str | None, bool]]:
        failed: dict[Path, tuple[str | None, bool]] = {}
        for path, (text, _last) in sorted(batch.items(), key=lambda item: item[1][1]):
            try:
                if text is None:
                    path.unlink(missing_ok=True)
                else:
                    write_text(path, text)
            except OSError as exc:  # a full or read-only disk, a folder removed: kept, retried, reported once
                failed[path] = (text, _last)
                problem = LabelProblem(str(path), f"could not be saved: {exc.strerror or exc} (kept, retrying)")
                self.failures = [p for p in self.failures if p.path != str(path)] + [problem]
                if path not in self._failing:
                    self._failing.add(path)
                    if self.on_error is not None:
                        self.on_error(problem)
            else:
                if path in self._failing:
                    self._failing.discard(path)
                    self.failures = [p for p in self.failures if p.path != str(path)]
        return failed
