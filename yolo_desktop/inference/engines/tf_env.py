"""Import TensorFlow and Keras quietly, on first use only."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Iterator

# TensorFlow's native start-up chatter, written straight to file descriptor 2 before any Python logging exists
# (TF_CPP_MIN_LOG_LEVEL cannot silence it). Only these lines are dropped; anything else is passed through.
_NOISE = re.compile(
    r"oneDNN custom operations|cudart_stub|cuda_platform|cuInit|cuda_dnn|cuda_blas|cuda_fft|cpu_feature_guard|"
    r"absl::InitializeLog|To enable the following instructions|rebuild TensorFlow with the appropriate compiler|"
    r"Unable to register cu|computation placer already registered|TF-TRT Warning|"
    r"Could not find cuda drivers|CUDA error|StreamExecutor")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture fd 2 while native code starts, then replay every line that is not known start-up noise."""
    try:
        original = os.dup(2)
    except OSError:  # no usable fd 2 (windowed app): nothing to filter
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(original, 2)
            os.close(original)
            capture.seek(0)
            kept = [line for line in capture.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if line.strip() and not _NOISE.search(line)]
            if kept:
                with contextlib.suppress(Exception):
                    sys.stderr.write("".join(kept))


def import_tensorflow():
    """Return the ``tensorflow`` module, configured for a desktop app (quiet logs, Keras on TF)."""
    # Both must be set before the first import; setdefault keeps a user's explicit choice.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with quiet_native_stderr():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.config.list_logical_devices()  # device discovery (the CUDA probe) happens here, still captured
    return tf
