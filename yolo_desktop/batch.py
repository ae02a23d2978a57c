"""Turn files and folders into a list of images with collision-free output names, and run a detector over them.

Outputs mirror the inputs: a folder ``photos`` becomes ``OUT/photos/...`` with its tree kept; a loose file lands
in ``OUT/``. Two inputs that would produce the same output name get distinct ones (``photos-2``, ``a_png``), and
an output folder that overlaps an input is refused, so nothing is ever written into or over an input.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np

from .imaging import ImageError, LoadedImage, is_image_name, load
from .inference.detector import Prepared
from .results import ImageResult


class UsageError(ValueError):
    """A problem with what the user asked for (exit code 2 in the CLI)."""


@dataclass(frozen=True)
class InputImage:
    path: str  # the file to read
    rel_dir: str  # output folder relative to OUT, POSIX style ("" for OUT itself)
    stem: str  # output file stem, unique (case-insensitively) within rel_dir

    @property
    def extension(self) -> str:
        return os.path.splitext(self.path)[1].lower()

    def output_path(self, out: Path, suffix: str) -> Path:
        return out.joinpath(*PurePosixPath(self.rel_dir).parts, self.stem + suffix)

    def relative_output(self, suffix: str) -> str:
        return str(PurePosixPath(self.rel_dir, self.stem + suffix)) if self.rel_dir else self.stem + suffix


@dataclass(frozen=True)
class InputProblem:
    path: str
    reason: str


def _natural_key(name: str) -> list:
    # "img2" before "img10", case-insensitive: the order a file manager shows.
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def _walk(folder: str, recursive: bool, problems: list[InputProblem]) -> Iterator[str]:
    """Image files under ``folder``, natural order, hidden files and folders skipped."""

    def on_error(error: OSError) -> None:
        problems.append(InputProblem(error.filename or folder, f"cannot list folder: {error.strerror or error}"))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=_natural_key) if recursive else []
        for name in sorted(files, key=_natural_key):
            # "._x.jpg" are macOS resource forks, not images; other dotfiles are hidden on purpose.
            if not name.startswith(".") and is_image_name(name):
                yield os.path.join(root, name)


class _Namer:
    """Hands out output stems that never collide within a folder (case-insensitively, for Windows/macOS)."""

    def __init__(self) -> None:
        self._taken: set[tuple[str, str]] = set()

    def claim(self, rel_dir: str, stem: str, extension: str) -> str:
        candidates = [stem, f"{stem}_{extension.lstrip('.')}"] if extension else [stem]
        candidates += [f"{stem}-{n}" for n in range(2, 10_000)]
        for candidate in candidates:
            key = (rel_dir.casefold(), candidate.casefold())
            if key not in self._taken:
                self._taken.add(key)
                return candidate
        raise UsageError(f"too many inputs named {stem!r}")


class InputCollector:
    """Expands inputs into images, keeping output names unique across every call (a GUI session adds inputs
    over time; an export must still never write two images to one name)."""

    def __init__(self) -> None:
        self._names = _Namer()
        self._roots = _Namer()
        self._seen: set[str] = set()

    def _first_time(self, path: str) -> bool:
        real = os.path.normcase(os.path.realpath(path))
        if real in self._seen:
            return False
        self._seen.add(real)
        return True

    def add(
        self, paths: Iterable[str | os.PathLike[str]], recursive: bool = False
    ) -> tuple[list[InputImage], list[InputProblem]]:
        """Expand files and folders (mixed), in the order given; files already added are skipped."""
        images: list[InputImage] = []
        problems: list[InputProblem] = []
        for given in paths:
            path = os.fspath(given)
            if os.path.isdir(path):
                base = os.path.basename(os.path.normpath(os.path.abspath(path))) or "root"
                root = self._roots.claim("", base, "")
                for file in _walk(path, recursive, problems):
                    if not self._first_time(file):
                        continue
                    rel = PurePosixPath(*Path(os.path.relpath(os.path.dirname(file), path)).parts)
                    rel_dir = str(PurePosixPath(root) / rel) if str(rel) != "." else root
                    stem, ext = os.path.splitext(os.path.basename(file))
                    images.append(InputImage(file, rel_dir, self._names.claim(rel_dir, stem, ext)))
            elif os.path.exists(path):
                if not self._first_time(path):
                    continue
                stem, ext = os.path.splitext(os.path.basename(path))
                # Loose files share OUT's top level with folder roots; keep their names apart too.
                images.append(InputImage(path, "", self._names.claim("", stem, ext)))
                self._roots.claim("", stem, ext)
            else:
                problems.append(InputProblem(path, "not found"))
        return images, problems


def collect_inputs(
    paths: Iterable[str | os.PathLike[str]], recursive: bool = False
) -> tuple[list[InputImage], list[InputProblem]]:
    """Expand files and folders (mixed) into images with unique output names, in the order given."""
    return InputCollector().add(paths, recursive)


def _is_within(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(os.path.realpath(path)), os.path.normcase(os.path.realpath(folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_dir(out: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse an output folder inside an input folder, or one that contains an input."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"output {out} exists and is not a folder")
    for given in map(os.fspath, inputs):
        if not os.path.exists(given):
            continue
        if os.path.isdir(given) and _is_within(out, given):
            raise UsageError(
                f"output folder {out} is inside input folder {given}; choose a folder outside it "
                f"(outputs must never mix with inputs)"
            )
        if _is_within(given, out):
            raise UsageError(f"input {given} is inside output folder {out}; choose another output folder")


class Runner(Protocol):
    """What the batch loop needs from a detector: thread-safe preparation, owner-thread inference."""

    def prepare(self, image: np.ndarray, source_size: tuple[int, int] | None = None) -> Prepared: ...

    def infer(self, prepared: Prepared, path: str = "", timings: dict[str, float] | None = None) -> ImageResult: ...


@dataclass(frozen=True)
class Loaded:
    """An input decoded and letterboxed ahead of the network, or the reason it could not be."""

    image: LoadedImage | None
    prepared: Prepared | None
    failed: ImageResult | None
    seconds: float


def load_and_prepare(runner: Runner, path: str, reduce_to: int | None) -> Loaded:
    """Decode and letterbox one input; a failure becomes a finished error result instead of an exception.
    Runs on loader threads: cv2 decoding and resizing release the GIL, so this overlaps the network."""
    start = time.perf_counter()
    try:
        image = load(path, reduce_to=reduce_to)
        source = (image.width, image.height) if image.scale != 1 else None
        return Loaded(image, runner.prepare(image.rgb, source), None, time.perf_counter() - start)
    except ImageError as exc:
        reason = exc.reason
    except MemoryError:
        reason = "not enough memory to decode this image"
    except Exception as exc:  # never let one bad file stop a batch
        reason = f"unexpected error while reading: {exc!r}"
    seconds = time.perf_counter() - start
    return Loaded(None, None, ImageResult(path=path, error=reason, timings={"load": seconds}), seconds)


def detect_many(
    runner: Runner,
    items: Sequence[InputImage],
    cancel: threading.Event | None = None,
    reduce_to: int | None = None,
    prefetch: int = 3,
) -> Iterator[tuple[InputImage, ImageResult, LoadedImage | None]]:
    """Detect each item in order, decoding the next ``prefetch`` images on a loader thread meanwhile.
    Stops between images once ``cancel`` is set."""
    pending: deque[tuple[InputImage, Future[Loaded]]] = deque()
    upcoming = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as loader:

        def top_up() -> None:
            while len(pending) < prefetch:
                item = next(upcoming, None)
                if item is None:
                    return
                pending.append((item, loader.submit(load_and_prepare, runner, item.path, reduce_to)))

        top_up()
        while pending:
            if cancel is not None and cancel.is_set():
                for _, future in pending:
                    future.cancel()
                return
            item, future = pending.popleft()
            top_up()
            loaded = future.result()
            if loaded.failed is not None:
                yield item, loaded.failed, None
                continue
            assert loaded.prepared is not None and loaded.image is not None
            try:
                result = runner.infer(loaded.prepared, item.path, {"load": loaded.seconds})
            except Exception as exc:  # a model failure on one image is reported, the batch goes on
                result = ImageResult(
                    path=item.path,
                    width=loaded.image.width,
                    height=loaded.image.height,
                    error=f"detection failed: {exc!r}",
                )
            yield item, result, loaded.image
