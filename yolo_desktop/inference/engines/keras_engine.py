"""The reference engine: the Keras model run inside a ``tf.function`` of fixed input shape.

``model.predict`` is not used: it rebuilds a data pipeline per call (slow for one image), grows memory across
many calls, and prints progress to stdout, which does not exist in a windowed app.
"""

from __future__ import annotations

import numpy as np

from ..darknet_cfg import DarknetConfig
from ..darknet_weights import load_weights
from .tf_env import import_tensorflow


class KerasEngine:
    name = "keras"
    auto_reason = ""
    precision = "accurate"
    description = "keras f32 (CPU, TensorFlow)"

    def __init__(self, cfg: DarknetConfig, weights_path: str, size: tuple[int, int]) -> None:
        tf = import_tensorflow()
        from ..keras_model import build_model  # imports Keras: only after the environment is set

        self.input_height, self.input_width = size
        self.model = build_model(cfg, size, load_weights(weights_path, cfg))
        spec = tf.TensorSpec((1, self.input_height, self.input_width, 3), tf.float32)
        model = self.model
        # A fixed signature traces once; XLA (jit_compile) was measured slower on CPU here.
        self._forward = tf.function(lambda x: model(x, training=False), input_signature=[spec], autograph=False)
        self.run(np.full((1, self.input_height, self.input_width, 3), 0.5, np.float32))  # trace now, not on image 1

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        outputs = self._forward(batch)
        return [np.asarray(tensor) for tensor in outputs]
