"""``python -m yolo_desktop.cli``: the command line (queue workers and tests start it so)."""

from .main import console_main

console_main()
