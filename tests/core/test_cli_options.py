"""The detector's flags are declared once (cli/options.py): every command that takes one takes the same flag, with
the same default, choices and help, and each command takes the flags it always took; one function turns them into
the settings every command detects with."""

from __future__ import annotations

import argparse

import pytest

from yolo_desktop.cli.evaluate import model_choices
from yolo_desktop.cli.main import build_parser
from yolo_desktop.cli.options import EVERY, MODEL, MODEL_FILES, NETWORK, TILES, detector_choice
from yolo_desktop.inference.errors import ModelError
from yolo_desktop.settings import DEFAULTS, DetectorSettings, SettingsError


def command(*names: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in names:
        (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def detector_flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.dest in EVERY and a.option_strings}


def test_each_command_takes_the_detector_flags_it_always_took():
    taken = {
        ("detect",): set(EVERY),
        ("evaluate",): {*MODEL, *NETWORK, *TILES, "conf"},  # conf: the threshold its counts are taken at
        ("serve",): {*MODEL, "size", "precision", "engine", "resize"},
        ("worker",): {*MODEL, "precision", "engine"},
        ("models", "add"): set(MODEL_FILES),
        ("models", "convert"): {*MODEL_FILES, "precision"},
    }
    for names, flags in taken.items():
        assert set(detector_flags(command(*names))) == flags, names
    hidden = {d for d, a in detector_flags(command("serve")).items() if a.help == argparse.SUPPRESS}
    assert hidden == {"engine", "resize"}


def test_a_flag_is_the_same_in_every_command_that_takes_it():
    detect = detector_flags(command("detect"))
    for names in (("evaluate",), ("serve",), ("worker",), ("models", "add"), ("models", "convert")):
        for dest, action in detector_flags(command(*names)).items():
            if names == ("models", "convert") and dest == "precision":
                assert action.default is None and isinstance(action, argparse._AppendAction)  # repeatable
                continue
            if names == ("evaluate",) and dest == "model":  # repeatable: the models to compare
                assert action.default is None and isinstance(action, argparse._AppendAction)
                assert action.metavar == detect[dest].metavar and "NAME:KEY=VALUE" in action.help
                continue
            mine = detect[dest]
            assert (action.option_strings, action.default, action.choices, action.type, action.metavar) == (
                mine.option_strings,
                mine.default,
                mine.choices,
                mine.type,
                mine.metavar,
            ), (names, dest)
            assert action.help in (mine.help, argparse.SUPPRESS), (names, dest)
    assert detect["precision"].default == DEFAULTS.precision and detect["conf"].default == DEFAULTS.conf
    assert detect["max_detections"].default == DEFAULTS.max_detections and detect["iou"].default == DEFAULTS.iou
    assert detect["tile_overlap"].default == DEFAULTS.tile_overlap and detect["resize"].default == DEFAULTS.resize


def test_one_function_turns_any_commands_flags_into_its_choice(tmp_path):
    parse = build_parser().parse_args
    network = ["--model", "yolov4-tiny", "--size", "320", "--precision", "fast"]
    detect = detector_choice(parse(["detect", "x.jpg", "-o", str(tmp_path), *network, "--classes", "cup, person"]))
    assert detect.settings == DetectorSettings(size=320, precision="fast", classes=frozenset({"cup", "person"}))
    assert detect.model.name == "yolov4-tiny" and (detect.engine, detect.device) == ("auto", None)
    ((_label, evaluate),) = model_choices(parse(["evaluate", "images", "instances.json", *network, "--device", "cpu"]))
    serve = detector_choice(parse(["serve", *network, "--resize", "bilinear"]))
    worker = detector_choice(parse(["worker", "--redis", "redis://x", "--model", "yolov4-tiny", "--engine", "litert"]))
    assert evaluate.settings == DetectorSettings(size=320, precision="fast") and evaluate.device == "CPU"
    assert serve.settings == DetectorSettings(size=320, precision="fast", resize="bilinear")
    assert worker.settings == DetectorSettings() and worker.engine == "litert" and worker.model == detect.model
    with pytest.raises(SettingsError, match="input size 100 must be a positive multiple of 32"):
        detector_choice(parse(["detect", "x.jpg", "-o", str(tmp_path), "--size", "100"]))
    with pytest.raises(ModelError, match="--cfg, --weights and --names go together"):
        detector_choice(parse(["serve", "--cfg", "a.cfg"]))
