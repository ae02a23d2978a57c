"""Native libraries (TensorFlow, LiteRT) print start-up chatter straight to file descriptor 2, before any Python
logging exists, so environment variables cannot silence it. ``quiet_native_stderr`` captures fd 2 around such
calls and passes through every line that is not known noise: real errors still reach the user."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

_lock = threading.RLock()  # fd 2 is process-wide: one capture at a time (nested ones on the same thread are fine)

_NOISE = re.compile(
    r"oneDNN custom operations|cudart_stub|cuda_platform|cuInit|cuda_dnn|cuda_blas|cuda_fft|cpu_feature_guard|"
    r"absl::InitializeLog|To enable the following instructions|rebuild TensorFlow with the appropriate compiler|"
    r"Unable to register cu|computation placer already registered|TF-TRT Warning|"
    r"Could not find cuda drivers|CUDA error|StreamExecutor|NodeDef mentions attribute|fully_quantize:|"
    r"Created TensorFlow Lite XNNPACK delegate|Estimated count of arithmetic ops|tf.lite.Interpreter is deprecated|"
    r"TF 2.20. Please use the LiteRT|migration guide|for details\.|_INTERPRETER_DELETION_WARNING|"
    r"Ignored output_format|Ignored drop_control_dependency|Reading SavedModel|Reading meta graph|"
    r"Restoring SavedModel|SavedModel load|Saving SavedModel|"
    r"OpenCV: FFMPEG: tag .* is not supported with codec id|OpenCV: FFMPEG: fallback to use tag"
)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture fd 2 while native code starts, then replay every line that is not known start-up noise."""
    with _lock:
        yield from _captured()


def _captured() -> Iterator[None]:
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
            kept = [
                line
                for line in capture.read().decode("utf-8", "replace").splitlines(keepends=True)
                if line.strip() and not _NOISE.search(line)
            ]
            if kept:
                with contextlib.suppress(Exception):
                    sys.stderr.write("".join(kept))
