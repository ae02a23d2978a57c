"""What ``auto`` measured, remembered per processor: ``auto-engine.json`` in the cache folder.

A choice is keyed by the model's sha256 (weights, and cfg for Darknet), the input size, the precision and this
machine: the processor's model name and instruction-set flags, the environment variables that change what the
runtimes may use (``ONEDNN_MAX_CPU_ISA``, ``OPENCV_CPU_DISABLE``, ``YOLO_DESKTOP_THREADS``, …) and the versions of
the app and of every runtime library. Another processor, a library upgrade or a forced instruction set measures
again. File reads only (no runtime is imported): ``models list`` and the window's picker read it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ...atomic import write_text
from ..model_cache import cache_dir, file_sha256, known_sha256
from .timing import TIMING

# Environment variables that change which instructions or how many threads a runtime uses.
FORCING = ("ONEDNN_MAX_CPU_ISA", "OPENCV_CPU_DISABLE", "OV_CPU_CAPABILITY", "YOLO_DESKTOP_THREADS")
LIBRARIES = ("openvino", "ai-edge-litert", "opencv-python-headless", "onnxruntime")
# "0": auto never measures and ignores what was measured (the expected-fastest rule only; the test suite sets it
# so that every test sees the same engines).
MEASURE_ENV = "YOLO_DESKTOP_AUTO_MEASURE"
_lock = threading.Lock()


def measuring() -> bool:
    return os.environ.get(MEASURE_ENV, "1").strip() != "0"


@functools.lru_cache(maxsize=1)
def cpu() -> tuple[str, frozenset[str]]:
    """(model name, instruction-set flags) of this processor; Linux reads /proc/cpuinfo, elsewhere the platform's
    processor string stands for both."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), frozenset()
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in text.splitlines()[:40])
        if value
    )
    return fields.get("model name", platform.machine()), frozenset(fields.get("flags", "").split())


# What ONEDNN_MAX_CPU_ISA below AVX-512 takes away (oneDNN, in OpenVINO and TensorFlow, then uses AVX2 code): the
# rule for the engine expected fastest, and OpenVINO's bf16, follow the forcing (how an AVX2-only processor is
# approximated on this one: docs/benchmarks.md).
_ABOVE_AVX2 = ("avx512", "amx", "avx_vnni")


def forced_below_avx512() -> bool:
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    return isa in ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2")


def has_flag(*names: str) -> bool:
    flags = cpu()[1]
    if forced_below_avx512():
        flags = frozenset(f for f in flags if not f.startswith(_ABOVE_AVX2))
    return bool(flags & set(names))


def machine_key() -> str:
    """This processor, what is forced, and the libraries' versions (see the module's docstring)."""
    from ... import __version__

    model, flags = cpu()
    parts = [platform.machine(), model, hashlib.sha256(" ".join(sorted(flags)).encode()).hexdigest()[:12]]
    parts += [f"{name}={os.environ[name]}" for name in FORCING if os.environ.get(name)]
    parts.append(f"yolo-desktop {__version__}")
    parts.append(f"timing {TIMING}")  # choices timed another way are measured again
    for library in LIBRARIES:
        try:
            parts.append(f"{library} {metadata.version(library)}")
        except metadata.PackageNotFoundError:
            pass
    return "|".join(parts)


def choice_key(weights: Path, cfg: Path | None, size: tuple[int, int], precision: str) -> str:
    model = file_sha256(weights) + (f"+{file_sha256(cfg)}" if cfg is not None else "")
    return f"{model}|{size[0]}x{size[1]}|{precision}|{machine_key()}"


def remembered_for(weights: Path, cfg: Path | None, size: int, precision: str) -> Measured | None:
    """What auto measured for a model here, without hashing its files (None when they were never hashed)."""
    digests = [known_sha256(weights)] + ([known_sha256(cfg)] if cfg is not None else [])
    if None in digests:
        return None
    return remembered(f"{'+'.join(str(d) for d in digests)}|{size}x{size}|{precision}|{machine_key()}")


@dataclass(frozen=True)
class Measured:
    """One measurement: the engine chosen, each candidate's median ms, those refused by the accuracy gate (with
    why), and when."""

    chosen: str
    ms: dict[str, float]
    date: str
    refused: dict[str, str] = field(default_factory=dict)
    note: str = ""  # e.g. "int8 is not faster here"
    shown: dict[str, str] = field(default_factory=dict)  # label → what people read ("openvino bf16")

    @property
    def reason(self) -> str:
        """E.g. "onnxruntime 44.0 ms vs openvino f32 73.0 ms, measured here on 2026-12-07"."""
        others = sorted((ms, name) for name, ms in self.ms.items() if name != self.chosen)
        text = f"{self.shown.get(self.chosen, self.chosen)} {self.ms[self.chosen]:.1f} ms"
        if others:
            text += " vs " + ", ".join(f"{self.shown.get(name, name)} {ms:.1f} ms" for ms, name in others)
        text += f", measured here on {self.date}"
        if self.note:
            text += f"; {self.note}"
        if self.refused:
            text += "; refused by the accuracy gate: " + ", ".join(f"{k} ({v})" for k, v in self.refused.items())
        return text


def _path() -> Path:
    return cache_dir() / "auto-engine.json"


def _read() -> dict[str, dict]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remembered(key: str) -> Measured | None:
    if not measuring():
        return None
    entry = _read().get(key)
    if not isinstance(entry, dict):
        return None
    try:
        return Measured(
            str(entry["chosen"]),
            {str(k): float(v) for k, v in entry["ms"].items()},
            str(entry["date"]),
            dict(entry.get("refused", {})),
            str(entry.get("note", "")),
            dict(entry.get("shown", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an entry of another version: measured again


def remember(key: str, measured: Measured) -> None:
    with _lock:
        data = _read()
        data[key] = {
            "chosen": measured.chosen,
            "ms": {k: round(v, 2) for k, v in measured.ms.items()},
            "date": measured.date,
            "refused": measured.refused,
            "note": measured.note,
            "shown": measured.shown,
        }
        try:
            write_text(_path(), json.dumps(data, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only cache only costs a measurement next time
