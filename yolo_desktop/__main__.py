# Absolute import: this file is also the entry script of the standalone (PyInstaller) build.
import multiprocessing

from yolo_desktop.cli.main import console_main

# `serve --workers N` starts its workers with multiprocessing (spawn); in the standalone app each worker is this
# executable again, and freeze_support turns it into the worker instead of a second command line.
multiprocessing.freeze_support()
console_main()
