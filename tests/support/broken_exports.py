"""A broken export, as a real one breaks: the Ultralytics fixture with its class scores multiplied by zero at the
output, what an int8 export does whose quantisation scale rounded the scores to zero (the box rows are untouched)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def zero_score_export(source: Path, target: Path) -> Path:
    """``source``: an anchor-free export ([1, 4 + C, N]); ``target`` gets the same graph with every score 0."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    output = model.graph.output[0]
    rows = output.type.tensor_type.shape.dim[1].dim_value  # 4 + C
    for node in model.graph.node:  # the last node now writes "raw"; a Mul by the mask writes the output
        node.output[:] = ["raw" if name == output.name else name for name in node.output]
    mask = np.zeros((1, rows, 1), np.float32)
    mask[0, :4, 0] = 1.0  # keep x, y, w, h
    model.graph.initializer.append(numpy_helper.from_array(mask, "score_mask"))
    model.graph.node.append(helper.make_node("Mul", ["raw", "score_mask"], [output.name]))
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return target
