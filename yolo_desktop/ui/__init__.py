"""The desktop window (PySide6). Never imports TensorFlow: it talks to a Detector through the worker thread."""
