"""Import TensorFlow and Keras quietly, on first use only."""

from __future__ import annotations

import os
import warnings

from .quiet import quiet_native_stderr


def import_tensorflow():
    """Return the ``tensorflow`` module, configured for a desktop app (quiet logs, Keras on TF)."""
    # Both must be set before the first import; setdefault keeps a user's explicit choice.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with quiet_native_stderr(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.config.list_logical_devices()  # device discovery (the CUDA probe) happens here, still captured
    return tf
