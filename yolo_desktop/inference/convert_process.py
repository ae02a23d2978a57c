"""Child-process entry of a conversion (see ``converted.py``): ``python -m yolo_desktop.inference.convert_process
--cfg C --weights W --precision P --out FILE``. Writes FILE atomically; exit code 0 on success, the reason on
stderr otherwise."""

from __future__ import annotations

import argparse
import os
import sys

from ..atomic import write_bytes
from .darknet_cfg import parse_cfg
from .errors import ModelError

NICENESS = 10  # added to the child's nice value (POSIX): lower priority than the app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yolo_desktop.inference.convert_process")
    parser.add_argument("--cfg", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--precision", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    # A conversion is background work: lower priority, so that on 2 cores TensorFlow's threads never keep the
    # window's GUI thread waiting (a first run held to AVX2 once saw a 10 ms timer 102 ms late while it converted).
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    try:
        from .convert import convert

        write_bytes(args.out, convert(parse_cfg(args.cfg), args.weights, args.precision))
    except (ModelError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
