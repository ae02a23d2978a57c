"""Turn files and folders into a list of images (and videos) with collision-free output names.

Outputs mirror the inputs: a folder ``photos`` becomes ``OUT/photos/...`` with its tree kept; a loose file lands
in ``OUT/``. Two inputs that would produce the same output name get distinct ones (``photos-2``, ``a_png``), and
an output folder that overlaps an input is refused, so nothing is ever written into or over an input.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..filetypes import is_image_name, is_video_name


class UsageError(ValueError):
    """A problem with what the user asked for (exit code 2 in the CLI)."""


@dataclass(frozen=True)
class InputFile:
    """A photo or a video to process, and where its outputs go."""

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

    @property
    def is_video(self) -> bool:
        return is_video_name(self.path)


@dataclass(frozen=True)
class InputProblem:
    path: str
    reason: str


def natural_key(name: str) -> list:
    # "img2" before "img10", case-insensitive: the order a file manager shows.
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def _walk(folder: str, recursive: bool, problems: list[InputProblem], videos: bool = True) -> Iterator[str]:
    """Image (and video) files under ``folder``, natural order, hidden files and folders skipped."""

    def on_error(error: OSError) -> None:
        problems.append(InputProblem(error.filename or folder, f"cannot list folder: {error.strerror or error}"))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural_key) if recursive else []
        for name in sorted(files, key=natural_key):
            # "._x.jpg" are macOS resource forks, not images; other dotfiles are hidden on purpose.
            if not name.startswith(".") and (is_image_name(name) or (videos and is_video_name(name))):
                yield os.path.join(root, name)


class _Namer:
    """Hands out output stems that never collide within a folder (case-insensitively, for Windows/macOS)."""

    def __init__(self) -> None:
        self._taken: set[tuple[str, str]] = set()

    def claim(self, rel_dir: str, stem: str, extension: str) -> str:
        # Lazily: building the 10,000 fallback names for every file made listing 10,000 photos take 12 s.
        first = [stem, f"{stem}_{extension.lstrip('.')}"] if extension else [stem]
        candidates = itertools.chain(first, (f"{stem}-{n}" for n in range(2, 10_000)))
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
        self, paths: Iterable[str | os.PathLike[str]], recursive: bool = False, videos: bool = True
    ) -> tuple[list[InputFile], list[InputProblem]]:
        """Expand files and folders (mixed), in the order given; files already added are skipped. Folders yield
        images and, unless ``videos`` is False, video files (``InputFile.is_video``)."""
        images: list[InputFile] = []
        problems: list[InputProblem] = []
        for given in paths:
            path = os.fspath(given)
            if os.path.isdir(path):
                base = os.path.basename(os.path.normpath(os.path.abspath(path))) or "root"
                root = self._roots.claim("", base, "")
                for file in _walk(path, recursive, problems, videos):
                    if not self._first_time(file):
                        continue
                    rel = PurePosixPath(*Path(os.path.relpath(os.path.dirname(file), path)).parts)
                    rel_dir = str(PurePosixPath(root) / rel) if str(rel) != "." else root
                    stem, ext = os.path.splitext(os.path.basename(file))
                    images.append(InputFile(file, rel_dir, self._names.claim(rel_dir, stem, ext)))
            elif os.path.exists(path):
                if not self._first_time(path):
                    continue
                stem, ext = os.path.splitext(os.path.basename(path))
                # Loose files share OUT's top level with folder roots; keep their names apart too.
                images.append(InputFile(path, "", self._names.claim("", stem, ext)))
                self._roots.claim("", stem, ext)
            else:
                problems.append(InputProblem(path, "not found"))
        return images, problems


def collect_inputs(
    paths: Iterable[str | os.PathLike[str]], recursive: bool = False, videos: bool = True
) -> tuple[list[InputFile], list[InputProblem]]:
    """Expand files and folders (mixed) into images and videos with unique output names, in the order given."""
    return InputCollector().add(paths, recursive, videos)


def _is_within(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(os.path.realpath(path)), os.path.normcase(os.path.realpath(folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_dir(out: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse an output folder inside an input folder, or one that contains an input."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"output {out} exists and is not a folder")
    for given in (os.fspath(p) for p in inputs):
        if not os.path.exists(given):
            continue
        if os.path.isdir(given) and _is_within(out, given):
            raise UsageError(
                f"output folder {out} is inside input folder {given}; choose a folder outside it "
                f"(outputs must never mix with inputs)"
            )
        if _is_within(given, out):
            raise UsageError(f"input {given} is inside output folder {out}; choose another output folder")
