# Absolute import: this file is also the entry script of the standalone (PyInstaller) build.
from yolo_desktop.cli import console_main

console_main()
