"""Make the ONNX test fixtures in tests/fixtures/onnx/ with the exporters' own code (generation only, never in CI).

Each fixture is a real ONNX export, made by the exporter its users run, of a small randomly initialised detector:
YOLOv8, YOLO11 and YOLO26 (NMS-free, end to end) by the ``ultralytics`` package, YOLOv5 with objectness by the
``yolov5`` package (the ultralytics/yolov5 repository, packaged), and YOLOX-nano by YOLOX's ``tools/export_onnx.py``.
Beside each ``NAME.onnx`` it writes ``NAME.expected.json``: the model's input size, class names, the exporter's own
preprocessing (its letterbox parameters and a sha256 of the float32 input tensor it made from each photo), summary
figures of the raw onnxruntime output, and the detections of the exporter's own post-processing (decode, NMS, boxes
back to the photo) applied to that raw output, at two settings. The tests compare against these with onnxruntime,
numpy and OpenCV only: torch is needed here and nowhere else.

Random weights alone give flat, image-independent outputs (activations fade through the untrained layers) and
near-zero scores, and a random head gives isolated peaks that NMS never thins. So, as tests/support/random_weights.py
does for Darknet models, the weights are calibrated, not trained (training would take long on a CPU and add nothing
a decoder or NMS test needs): the 3x3 kernels of the head (YOLOv5: of the neck) are made flat, so score maps are
smooth and high scores come in clusters of overlapping boxes; every batch norm is given the real mean and variance
of its input on scikit-image's photos; the class (and objectness) weights of the head's last 1x1 convs are made to
have the same mean and nearly the same spread on each of the three fixture photos (random features otherwise pass
hundreds of anchors on a busy photo and none on a smooth one); each output channel of those convs is given a set
mean and spread (boxes a few strides wide); and one offset on the class (or objectness) logits is bisected so that
about 40 anchors per photo (geometric mean) score above 0.25. Scores are spread out (no ties for NMS to break),
several classes appear, and kept boxes of different classes overlap (so class-agnostic NMS would differ). Seeds are
fixed: a rerun writes the same expected files; the .onnx files differ only in Ultralytics' export date metadata.

Set up once, outside the repository (torch never enters the project's venv or CI):

    python3 -m venv /work/venvs/fixtures
    P=/work/venvs/fixtures/bin/pip
    $P install torch==2.14.1 torchvision==0.29.1   # first, from this machine's disk (ultralytics needs torchvision)
    $P install ultralytics==8.4.190 onnx==1.23.2 onnxruntime==1.32.0 onnxslim==0.1.98 onnxsim==0.8.1 \
        scikit-image==0.26.0 "setuptools<81" loguru tabulate thop pandas seaborn gitpython fire tqdm
    $P install --no-deps yolov5==7.0.14              # its other requirements (sahi, roboflow, boto3, ...) are unused
    $P install --no-deps --no-build-isolation yolox==0.3.0   # pins onnx==1.8.1, which no longer installs
    $P uninstall -y opencv-python && $P install opencv-python-headless==4.14.0.94   # the project's OpenCV

Run from the repository root (under a minute on two cores):

    /work/venvs/fixtures/bin/python tests/support/make_onnx_fixtures.py

Shims let the older exporters run on a current torch without changing what they export: torch.onnx.export is
called with dynamo=False (the TorchScript exporter, the default of the torch releases these exporters were written
for; Ultralytics passes it itself), torch.onnx._export (removed from torch) is that same function, and yolov5's
export loads its pickled checkpoint with TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 and, as the file is local, skips the
package's model-hub lookup of the weights path (it would go to the network).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata as md
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fixtures" / "onnx"
MAX_BYTES = 2 * 1024 * 1024
SCORE_TARGET = 0.25  # the usual confidence threshold: TARGET_COUNT anchors per photo (geometric mean) above it
TARGET_COUNT = 40.0
SETTINGS = ((0.25, 0.45), (0.1, 0.6))  # (conf, iou) of the reference detections

# The photos every fixture is run on: (id, where, file, rotation). The repo's JPEG (landscape, padding above and
# below) and two of scikit-image's photos (a test dependency): a square one (no padding) and motorcycle_left.png
# turned upright, a portrait (padding left and right). Random features respond to texture, and these three are
# close enough in it for one score offset to suit them all (a smooth photo such as chelsea.png is not).
PHOTOS = (
    ("sample.jpg", "repo", "resources/sample.jpg", None),
    ("astronaut.png", "skimage", "astronaut.png", None),
    ("motorcycle_left.png-rot90cw", "skimage", "motorcycle_left.png", "ROTATE_90_CLOCKWISE"),
)
# Photos the batch norms and head outputs are calibrated on (scikit-image's colour photos and the repo's sample).
CALIBRATION = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
    "ihc.png",
    "color.png",
)


def skimage_data() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def photo_path(where: str, name: str) -> Path:
    return REPO / name if where == "repo" else skimage_data() / name


def load_photo(where: str, name: str, rotate: str | None) -> np.ndarray:
    """BGR uint8 HxWx3, as cv2.imread (and Ultralytics' imread, YOLOv5's and YOLOX's loaders) decode it."""
    img = cv2.imread(str(photo_path(where, name)), cv2.IMREAD_COLOR)
    assert img is not None, name
    return cv2.rotate(img, getattr(cv2, rotate)) if rotate else img


def calibration_photos() -> list[np.ndarray]:
    photos = [load_photo("skimage", name, None) for name in CALIBRATION]
    return [*photos, load_photo("repo", "resources/sample.jpg", None)]


def fixture_photos() -> list[np.ndarray]:
    return [load_photo(where, name, rotate) for _, where, name, rotate in PHOTOS]


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def versions() -> dict[str, str]:
    names = ("torch", "torchvision", "ultralytics", "yolov5", "yolox", "onnx", "onnxruntime", "onnxslim", "onnxsim")
    found = {name: md.version(name) for name in names}
    found["opencv"] = cv2.__version__
    found["numpy"] = np.__version__
    found["python"] = sys.version.split()[0]
    return found


# ---------------------------------------------------------------------------------------------------------------
# Calibration of random weights (torch)


def smooth_kernels(modules: list[Any]) -> None:
    """Make every 3x3 kernel in these modules flat (its mean in all nine taps): the head's maps become smooth, so
    high scores come in clusters of neighbouring anchors with similar boxes and classes, as a detector's do, and
    NMS has something to suppress (random kernels give isolated peaks). Run before calibrate_batch_norms."""
    import torch

    with torch.no_grad():
        for module in modules:
            for conv in module.modules():
                if isinstance(conv, torch.nn.Conv2d) and conv.kernel_size == (3, 3):
                    conv.weight.copy_(conv.weight.mean((2, 3), keepdim=True).expand_as(conv.weight))


def calibrate_batch_norms(model: Any, batch: Any) -> None:
    """Give every batch norm the real mean and variance of its input on ``batch`` (one pass, the rest of the model
    in eval mode, so heads that need targets in training mode are not involved)."""
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    model.eval()
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: after one batch, exactly that batch's statistics
        bn.train()
    with torch.no_grad():
        model(batch)
    model.eval()


def standardize_outputs(
    convs: list[Any], forward: Callable[[], Any], target: Callable[[int], tuple[float, float]]
) -> None:
    """Rescale each output channel c of these head convs (no batch norm after them) so that on the calibration
    photos its values have mean and standard deviation ``target(c)``."""
    import torch

    seen: dict[int, list[Any]] = {i: [] for i in range(len(convs))}
    hooks = [
        conv.register_forward_hook(lambda _m, _i, out, i=i: seen[i].append(out.detach()))
        for i, conv in enumerate(convs)
    ]
    with torch.no_grad():
        forward()
    for hook in hooks:
        hook.remove()
    with torch.no_grad():
        for i, conv in enumerate(convs):
            y = torch.cat(seen[i])  # [B, C, H, W]
            mean, std = y.mean((0, 2, 3)), y.std((0, 2, 3))
            for c in range(y.shape[1]):
                want_mean, want_std = target(c)
                gain = want_std / float(std[c])
                conv.weight[c] *= gain
                conv.bias[c] = want_mean + (conv.bias[c] - mean[c]) * gain


def equalize_photos(
    convs: list[Any], channels: Callable[[Any], list[int]], forward: Callable[[], Any], probe: Probe
) -> None:
    """Give these output channels of the head's 1x1 convs the same mean and spread over each fixture photo (over
    the part of the input the photo covers, not its padding).

    Random features differ more between photos than within one (a smooth photo barely moves them, a busy one a
    lot), so one score threshold would pass hundreds of anchors on one photo and none on another. Each weight
    vector w loses its component along the photos' centred mean input features (then w.x has the same mean on
    every photo) and is then moved, a little, to where its variance w'Cov_p w is the same on every photo; what
    remains is the spatial variation within a photo, as a detector's scores have."""
    import torch

    seen: dict[int, list[Any]] = {i: [] for i in range(len(convs))}
    hooks = [
        conv.register_forward_hook(lambda _m, inp, _o, i=i: seen[i].append(inp[0].detach()))
        for i, conv in enumerate(convs)
    ]
    with torch.no_grad():
        forward()
    for hook in hooks:
        hook.remove()
    for i, conv in enumerate(convs):
        assert conv.kernel_size == (1, 1)
        features = torch.cat(seen[i]).double()  # [photos, C_in, h, w]
        stats = [photo_stats(f, probe.size_hw, region) for f, region in zip(features, probe.regions)]
        means = torch.stack([m for m, _ in stats])  # [photos, C_in]
        cov = torch.stack([c for _, c in stats])  # [photos, C_in, C_in]
        _, sv, vt = torch.linalg.svd(means - means.mean(0), full_matrices=False)
        basis = vt[sv > sv.max() * 1e-9]  # [rank, C_in]

        def project(w: Any, basis: Any = basis) -> Any:
            return w - (w @ basis.T) @ basis

        idx = channels(conv)
        with torch.no_grad():
            w0 = project(conv.weight[idx, :, 0, 0].double())  # [channels, C_in]
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=0.05 * float(w0.norm(dim=1).mean()))
        for _ in range(1000):
            opt.zero_grad()
            wp = project(w)
            log_var = torch.log(torch.einsum("kc,pcd,kd->pk", wp, cov, wp))  # [photos, channels]
            drift = ((wp - w0) ** 2).sum(1) / (w0**2).sum(1)
            loss = log_var.var(0).sum() + 1e-4 * drift.sum()
            loss.backward()
            opt.step()
        with torch.no_grad():
            wp = project(w)
            spread = torch.einsum("kc,pcd,kd->pk", wp, cov, wp).sqrt()
            # Not always reachable (one photo may vary more in every remaining direction): near is enough, and
            # make() checks that every photo has detections.
            ratio = spread.max(0).values / spread.min(0).values
            print(f"head conv {i}: widest/narrowest spread between photos {float(ratio.max()):.3f}", flush=True)
            conv.weight[idx, :, 0, 0] = wp.float()


def photo_stats(features: Any, size_hw: tuple[int, int], region: dict[str, Any]) -> tuple[Any, Any]:
    """Mean [C] and covariance [C, C] of a [C, h, w] feature map over the cells whose centres fall on the photo."""
    import torch

    c, h, w = features.shape
    ys = (torch.arange(h, dtype=torch.float64) + 0.5) * size_hw[0] / h
    xs = (torch.arange(w, dtype=torch.float64) + 0.5) * size_hw[1] / w
    new_w, new_h = region["new_unpad_wh"]
    inside_y = (ys >= region["top"]) & (ys < region["top"] + new_h)
    inside_x = (xs >= region["left"]) & (xs < region["left"] + new_w)
    x = features[:, inside_y][:, :, inside_x].reshape(c, -1)
    mean = x.mean(1)
    centred = x - mean[:, None]
    return mean, centred @ centred.T / x.shape[1]


def fit_score_offset(channels: list[tuple[Any, list[int]]], scores: Callable[[], Any]) -> float:
    """Shift the biases of these (conv, channels) by one offset, found by bisection, so that on the fixture photos
    TARGET_COUNT anchors (geometric mean over the photos) score above SCORE_TARGET. ``scores()`` gives
    [photos, anchors]."""
    import torch

    base = [conv.bias.detach()[idx].clone() for conv, idx in channels]

    def count(offset: float) -> float:
        with torch.no_grad():
            for (conv, idx), b in zip(channels, base):
                conv.bias[idx] = b + offset
            above = (scores() > SCORE_TARGET).sum(1).double()
            return float(torch.exp(torch.log(above + 0.5).mean()))

    lo, hi = -20.0, 20.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if count(mid) >= TARGET_COUNT else (mid, hi)
    count(hi)
    return hi


# ---------------------------------------------------------------------------------------------------------------
# Export shims and helpers


@contextlib.contextmanager
def torchscript_onnx_export() -> Iterator[None]:
    """torch.onnx.export with dynamo=False unless a caller says otherwise, and torch.onnx._export as that function."""
    import torch

    original = torch.onnx.export
    had_private = hasattr(torch.onnx, "_export")

    def export(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return original(*args, **kwargs)

    torch.onnx.export = export
    torch.onnx._export = export
    try:
        yield
    finally:
        torch.onnx.export = original
        if not had_private:
            del torch.onnx._export


@contextlib.contextmanager
def environ(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class Probe:
    """The fixture photos as one input batch, and where each photo lies in its letterboxed input."""

    batch: Any  # [photos, 3, H, W] torch tensor
    regions: list[dict[str, Any]]  # letterbox info: top, left, new_unpad_wh

    @property
    def size_hw(self) -> tuple[int, int]:
        return int(self.batch.shape[2]), int(self.batch.shape[3])


def make_probe(preprocess: Callable[[np.ndarray], tuple[np.ndarray, dict[str, Any]]]) -> Probe:
    import torch

    made = [preprocess(p) for p in fixture_photos()]
    return Probe(torch.from_numpy(np.concatenate([x for x, _ in made])), [info for _, info in made])


@dataclass
class Reference:
    """What a family contributes to the expected file for one photo."""

    input_tensor: np.ndarray  # [1, 3, H, W] float32, exactly as the exporter's preprocessing made it
    letterbox: dict[str, Any]
    detections: dict[str, list[list[float]]] = field(default_factory=dict)


def rows(det: Any) -> list[list[float]]:
    """[x1, y1, x2, y2, score, class] per detection, floats as stored (float32 values, exactly)."""
    out = []
    for r in np.asarray(det, dtype=np.float32).reshape(-1, 6):
        out.append([float(v) for v in r[:5]] + [int(r[5])])
    return out


# ---------------------------------------------------------------------------------------------------------------
# Ultralytics: YOLOv8, YOLO11, YOLO26 (end to end)


def ultralytics_preprocess(img: np.ndarray, imgsz: tuple[int, int], stride: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The predictor's path for a static ONNX model: LetterBox(auto=False) then BasePredictor.preprocess."""
    import torch
    from ultralytics.data.augment import LetterBox

    letterbox = LetterBox(imgsz, auto=False, stride=stride)
    params = letterbox.get_params({"img": img})
    boxed = letterbox(image=img)
    im = torch.from_numpy(boxed).unsqueeze(0).permute(0, 3, 1, 2).contiguous().flip(1).float().div_(255)
    info = {
        "ratio": float(params["ratio"][0]),
        "new_unpad_wh": [int(v) for v in params["new_unpad"]],
        "top": int(params["top"]),
        "bottom": int(params["bottom"]),
        "left": int(params["left"]),
        "right": int(params["right"]),
    }
    return im.numpy(), info


def ultralytics_fixture(spec: dict[str, Any], work: Path) -> tuple[Path, Any, Callable[..., Reference]]:
    import torch
    import ultralytics
    import yaml
    from ultralytics import YOLO

    cfg = yaml.safe_load((Path(ultralytics.__file__).parent / "cfg" / "models" / spec["cfg"]).read_text())
    cfg["nc"] = len(spec["names"])
    cfg["scales"] = {"n": spec["scale"]}  # [depth, width, max_channels]; 'n' is the only scale
    yaml_path = work / Path(spec["cfg"]).name  # e.g. yolov8.yaml: the exporter describes it as "Ultralytics YOLOv8"
    yaml_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    torch.manual_seed(spec["seed"])
    yolo = YOLO(str(yaml_path))
    net = yolo.model
    net.names = dict(enumerate(spec["names"]))
    head = net.model[-1]
    end2end = spec["end2end"]
    head.end2end = end2end
    imgsz = (spec["imgsz"], spec["imgsz"])
    stride = int(max(net.stride))
    batch = torch.from_numpy(
        np.concatenate([ultralytics_preprocess(p, imgsz, stride)[0] for p in calibration_photos()])
    )
    probe = make_probe(lambda p: ultralytics_preprocess(p, imgsz, stride))

    box_heads, cls_heads = (head.one2one_cv2, head.one2one_cv3) if end2end else (head.cv2, head.cv3)
    smooth_kernels([*box_heads, *cls_heads])
    calibrate_batch_norms(net, batch)
    box_convs, cls_convs = [s[-1] for s in box_heads], [s[-1] for s in cls_heads]
    reg_max = head.reg_max

    def forward() -> Any:
        return net(batch)[0]

    # DFL bins (reg_max 16): logits leaning to the low bins make boxes of about 5 strides, not the 15 of flat bins.
    # Direct distances (reg_max 1, YOLO26): 1.5 strides from the anchor to each side, never negative.
    def box_target(c: int) -> tuple[float, float]:
        return (-0.35 * (c % reg_max), 0.4) if reg_max > 1 else (1.5, 0.2)

    equalize_photos(cls_convs, lambda conv: list(range(conv.out_channels)), lambda: net(probe.batch), probe)
    standardize_outputs(box_convs, forward, box_target)
    standardize_outputs(cls_convs, forward, lambda c: (0.0, 1.5))

    def scores() -> Any:
        y = net(probe.batch)[0]
        return y[..., 4] if end2end else y[:, 4:].amax(1)

    fit_score_offset([(conv, list(range(conv.out_channels))) for conv in cls_convs], scores)

    with contextlib.chdir(work):  # the exporter writes beside the yaml, named relative to the working directory
        exported = work / yolo.export(format="onnx", imgsz=spec["imgsz"], nms=False if end2end else None)

    def reference(img: np.ndarray, session: Any) -> Reference:
        from ultralytics.utils import nms, ops

        im, info = ultralytics_preprocess(img, imgsz, stride)
        raw = session.run(None, {"images": im})[0]
        ref = Reference(im, info)
        for conf, iou in SETTINGS:
            det = nms.non_max_suppression(
                torch.from_numpy(raw.copy()), conf, iou, None, False, max_det=300, nc=0, end2end=end2end
            )[0]
            det[:, :4] = ops.scale_boxes(im.shape[2:], det[:, :4], img.shape)
            ref.detections[f"conf{conf}_iou{iou}"] = rows(det)
            # The same photo through Ultralytics' own predictor on the ONNX file must give the same detections.
            predicted = YOLO(str(exported), task="detect").predict(
                img, imgsz=list(imgsz), conf=conf, iou=iou, verbose=False
            )[0]
            assert np.allclose(predicted.boxes.data.numpy(), det.numpy(), atol=1e-4), "predictor disagrees"
        return ref

    return exported, lambda x: forward_numpy(net, x, lambda y: y[0]), reference


def forward_numpy(net: Any, x: np.ndarray, pick: Callable[[Any], Any]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return pick(net(torch.from_numpy(x))).numpy()


# ---------------------------------------------------------------------------------------------------------------
# YOLOv5 (the ultralytics/yolov5 repository, as the yolov5 package): [1, N, 5 + C] with objectness


def yolov5_preprocess(img: np.ndarray, imgsz: tuple[int, int], stride: int) -> tuple[np.ndarray, dict[str, Any]]:
    """detect.py with a non-PyTorch backend: LoadImages(auto=False) -> letterbox, HWC->CHW, BGR->RGB, /255."""
    import torch
    from yolov5.utils.augmentations import letterbox

    boxed, ratio, (dw, dh) = letterbox(img, imgsz, stride=stride, auto=False)
    chw = np.ascontiguousarray(boxed.transpose((2, 0, 1))[::-1])
    im = torch.from_numpy(chw).float()
    im /= 255
    h, w = img.shape[:2]
    info = {
        "ratio": float(ratio[0]),
        "new_unpad_wh": [round(w * ratio[0]), round(h * ratio[0])],
        "top": round(dh - 0.1),
        "bottom": round(dh + 0.1),
        "left": round(dw - 0.1),
        "right": round(dw + 0.1),
    }
    assert boxed.shape[:2] == imgsz
    return im[None].numpy(), info


def yolov5_fixture(spec: dict[str, Any], work: Path) -> tuple[Path, Any, Callable[..., Reference]]:
    import torch
    import yaml
    import yolov5
    from yolov5 import export
    from yolov5.models.yolo import Model

    cfg = yaml.safe_load((Path(yolov5.__file__).parent / "models" / spec["cfg"]).read_text())
    cfg["depth_multiple"], cfg["width_multiple"] = spec["scale"]
    torch.manual_seed(spec["seed"])
    net = Model(cfg, ch=3, nc=len(spec["names"]))
    net.names = dict(enumerate(spec["names"]))
    imgsz = (spec["imgsz"], spec["imgsz"])
    stride = int(max(net.stride))
    batch = torch.from_numpy(np.concatenate([yolov5_preprocess(p, imgsz, stride)[0] for p in calibration_photos()]))
    probe = make_probe(lambda p: yolov5_preprocess(p, imgsz, stride))

    head = net.model[-1]
    smooth_kernels(list(net.model[10:-1]))  # its head is 1x1 convs: smooth the neck (FPN + PAN) feeding it
    calibrate_batch_norms(net, batch)
    no = head.no  # 5 + C per anchor: x, y, w, h, objectness, classes

    def forward() -> Any:
        return net(batch)[0]

    scored = [c for c in range(head.na * no) if c % no >= 4]  # objectness and classes of each anchor
    equalize_photos(list(head.m), lambda conv: scored, lambda: net(probe.batch), probe)

    # x, y near the cell centre; w, h about 2.5 times the anchor (so neighbours' boxes overlap, as a detector's do);
    # class logits high (the objectness decides); objectness found by bisection below.
    def target(c: int) -> tuple[float, float]:
        return ((0.0, 0.3), (0.0, 0.3), (1.5, 0.3), (1.5, 0.3), (0.0, 1.5))[c % no] if c % no < 5 else (1.0, 1.5)

    standardize_outputs(list(head.m), forward, target)

    def scores() -> Any:
        y = net(probe.batch)[0]
        return y[..., 4] * y[..., 5:].amax(-1)

    objectness = [(conv, [a * no + 4 for a in range(head.na)]) for conv in head.m]
    fit_score_offset(objectness, scores)

    weights = work / Path(spec["cfg"]).with_suffix(".pt").name
    torch.save({"model": net, "ema": None}, weights)
    # The package looks every weights path up on a model hub before using the local file: the file is local.
    from yolov5.utils import downloads

    downloads.attempt_download_from_hub = lambda *args, **kwargs: None
    with environ(TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD="1"), torchscript_onnx_export(), contextlib.chdir(work):
        # The package's own export (fire CLI `yolov5 export` = this run(): opset 12, no simplifier, static shape).
        exported = Path(export.run(weights=str(weights), imgsz=list(imgsz), include=["onnx"], device="cpu")[0])

    def reference(img: np.ndarray, session: Any) -> Reference:
        from yolov5.utils.general import non_max_suppression, scale_boxes

        im, info = yolov5_preprocess(img, imgsz, stride)
        raw = session.run(None, {"images": im})[0]
        ref = Reference(im, info)
        for conf, iou in SETTINGS:
            # detect.py's defaults but the thresholds: classes=None, agnostic=False, max_det=1000
            det = non_max_suppression(torch.from_numpy(raw.copy()), conf, iou, None, False, max_det=1000)[0]
            det[:, :4] = scale_boxes(im.shape[2:], det[:, :4], img.shape)  # detect.py then also .round()s them
            ref.detections[f"conf{conf}_iou{iou}"] = rows(det)
        return ref

    return exported, lambda x: forward_numpy(net.eval(), x, lambda y: y[0]), reference


# ---------------------------------------------------------------------------------------------------------------
# YOLOX (Megvii): raw [1, N, 5 + C], grid offsets and log sizes, decoded after the model


def yolox_preprocess(img: np.ndarray, imgsz: tuple[int, int]) -> tuple[np.ndarray, dict[str, Any]]:
    """YOLOX's demo (tools/demo.py ValTransform(legacy=False), demo/ONNXRuntime): yolox.data.data_augment.preproc."""
    from yolox.data.data_augment import preproc

    chw, r = preproc(img, imgsz)
    h, w = img.shape[:2]
    info = {
        "ratio": float(r),
        "new_unpad_wh": [int(w * r), int(h * r)],
        "top": 0,
        "bottom": imgsz[0] - int(h * r),
        "left": 0,
        "right": imgsz[1] - int(w * r),
    }
    return chw[None], info


def yolox_fixture(spec: dict[str, Any], work: Path) -> tuple[Path, Any, Callable[..., Reference]]:
    import torch
    from yolox.exp import get_exp
    from yolox.tools import export_onnx

    opts = ["width", str(spec["width"]), "num_classes", str(len(spec["names"]))]
    exp = get_exp(None, spec["exp"])
    exp.merge(opts)
    imgsz = tuple(exp.test_size)
    assert imgsz == (spec["imgsz"], spec["imgsz"])
    torch.manual_seed(spec["seed"])
    net = exp.get_model()
    batch = torch.from_numpy(np.concatenate([yolox_preprocess(p, imgsz)[0] for p in calibration_photos()]))
    probe = make_probe(lambda p: yolox_preprocess(p, imgsz))

    head = net.head
    smooth_kernels([*head.cls_convs, *head.reg_convs])
    calibrate_batch_norms(net, batch)

    def forward() -> Any:
        return net(batch)  # decoded [B, N, 5 + C]: cx, cy, w, h (input pixels), objectness, class scores

    scored = [*head.obj_preds, *head.cls_preds]
    equalize_photos(scored, lambda conv: list(range(conv.out_channels)), lambda: net(probe.batch), probe)
    standardize_outputs(list(head.reg_preds), forward, lambda c: (0.0, 0.3) if c < 2 else (1.1, 0.25))
    standardize_outputs(list(head.obj_preds), forward, lambda c: (0.0, 1.5))
    standardize_outputs(list(head.cls_preds), forward, lambda c: (1.0, 1.5))

    def scores() -> Any:
        y = net(probe.batch)
        return y[..., 4] * y[..., 5:].amax(-1)

    fit_score_offset([(conv, [0]) for conv in head.obj_preds], scores)

    ckpt = work / "yolox_fixture.pth"
    torch.save({"model": net.state_dict()}, ckpt)
    exported = work / "yolox.onnx"
    argv = ["export_onnx.py", "-n", spec["exp"], "-c", str(ckpt), "--output-name", str(exported), *opts]
    with torchscript_onnx_export(), contextlib.chdir(work), contextlib.ExitStack() as stack:
        stack.callback(setattr, sys, "argv", sys.argv)
        sys.argv = argv
        export_onnx.main()  # YOLOX's tools/export_onnx.py: opset 11, decode_in_inference=False, onnxsim
    assert exported.is_file(), "YOLOX's export_onnx failed (its log above says why)"

    def reference(img: np.ndarray, session: Any) -> Reference:
        from yolox.utils import postprocess
        from yolox.utils.demo_utils import demo_postprocess

        im, info = yolox_preprocess(img, imgsz)
        raw = session.run(None, {"images": im})[0]
        ref = Reference(im, info)
        decoded = demo_postprocess(raw.copy(), imgsz)  # grid offsets and exp(log sizes) times stride
        for conf, iou in SETTINGS:
            # class-aware (torchvision batched_nms), score = objectness x best class score >= conf, no max_det
            out = postprocess(torch.from_numpy(decoded.copy()), len(spec["names"]), conf, iou, class_agnostic=False)[0]
            det = np.zeros((0, 6), np.float32)
            if out is not None:
                det = torch.cat([out[:, :4] / info["ratio"], (out[:, 4] * out[:, 5])[:, None], out[:, 6:7]], 1).numpy()
            ref.detections[f"conf{conf}_iou{iou}"] = rows(det)
        return ref

    def torch_raw(x: np.ndarray) -> np.ndarray:
        head.decode_in_inference = False
        try:
            return forward_numpy(net, x, lambda y: y)
        finally:
            head.decode_in_inference = True

    return exported, torch_raw, reference


# ---------------------------------------------------------------------------------------------------------------
# The fixtures


def coco_names() -> list[str]:
    import ultralytics
    import yaml

    data = yaml.safe_load((Path(ultralytics.__file__).parent / "cfg" / "datasets" / "coco.yaml").read_text())
    return [data["names"][i] for i in range(80)]


def voc_names() -> list[str]:
    import ultralytics
    import yaml

    data = yaml.safe_load((Path(ultralytics.__file__).parent / "cfg" / "datasets" / "VOC.yaml").read_text())
    return [data["names"][i] for i in range(20)]


def yolox_coco_names() -> list[str]:
    from yolox.data.datasets import COCO_CLASSES

    return list(COCO_CLASSES)


ULTRALYTICS_PRE = {
    "kind": "ultralytics-letterbox",
    "source": "ultralytics.data.augment.LetterBox(imgsz, auto=False, stride) then BasePredictor.preprocess",
    "steps": [
        "decode: cv2.imread(path, cv2.IMREAD_COLOR) -> BGR uint8 [h, w, 3]",
        "r = min(H / h, W / w) (also upscales)",
        "new_w, new_h = max(round(w * r), 1), max(round(h * r), 1) (Python round: halves to even)",
        "if (new_w, new_h) != (w, h): cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)",
        "dw, dh = (W - new_w) / 2, (H - new_h) / 2; top, bottom = round(dh - 0.1), round(dh + 0.1); "
        "left, right = round(dw - 0.1), round(dw + 0.1)",
        "cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))",
        "BGR -> RGB, HWC -> CHW, float32, / 255 (true division), batch of 1: [1, 3, H, W]",
    ],
    "pad_value": 114,
    "placement": "center",
    "channel_order": "RGB",
    "scale": "1/255",
    "interpolation": "cv2.INTER_LINEAR",
}
ULTRALYTICS_BOXES = (
    "ultralytics.utils.ops.scale_boxes(input_hw, boxes, photo_shape): gain_x = new_w / w, gain_y = new_h / h "
    "(each side's own rounded gain), pad_x = round((W - new_w) / 2 - 0.1), pad_y = round((H - new_h) / 2 - 0.1); "
    "x = (x - pad_x) / gain_x, y = (y - pad_y) / gain_y; then clipped to [0, w] and [0, h]"
)
YOLOV5_PRE = {
    "kind": "yolov5-letterbox",
    "source": "yolov5.utils.augmentations.letterbox(img, imgsz, stride, auto=False) as detect.py uses it for an "
    "ONNX model, then transpose((2, 0, 1))[::-1], float, / 255",
    "steps": [
        "decode: cv2.imread(path) -> BGR uint8 [h, w, 3]",
        "r = min(H / h, W / w) (also upscales)",
        "new_w, new_h = int(round(w * r)), int(round(h * r))",
        "if (new_w, new_h) != (w, h): cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)",
        "dw, dh = (W - new_w) / 2, (H - new_h) / 2; top, bottom = round(dh - 0.1), round(dh + 0.1); "
        "left, right = round(dw - 0.1), round(dw + 0.1)",
        "cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))",
        "HWC -> CHW, BGR -> RGB, float32, / 255, batch of 1: [1, 3, H, W]",
    ],
    "pad_value": 114,
    "placement": "center",
    "channel_order": "RGB",
    "scale": "1/255",
    "interpolation": "cv2.INTER_LINEAR",
}
YOLOV5_BOXES = (
    "yolov5.utils.general.scale_boxes(input_hw, boxes, photo_shape): gain = min(H / h, W / w) (one gain), "
    "pad = ((W - w * gain) / 2, (H - h * gain) / 2) unrounded; x = (x - pad_x) / gain; then clipped to [0, w], "
    "[0, h]. detect.py rounds them to whole pixels afterwards; the boxes here are not rounded."
)
YOLOX_PRE = {
    "kind": "yolox-topleft",
    "source": "yolox.data.data_augment.preproc(img, test_size) (tools/demo.py ValTransform(legacy=False), "
    "demo/ONNXRuntime/onnx_inference.py)",
    "steps": [
        "decode: cv2.imread(path) -> BGR uint8 [h, w, 3]",
        "r = min(H / h, W / w) (also upscales)",
        "new_w, new_h = int(w * r), int(h * r) (truncated, not rounded)",
        "cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR) (always)",
        "canvas [H, W, 3] uint8 filled with 114; canvas[:new_h, :new_w] = resized (top-left, pad right and bottom)",
        "HWC -> CHW, float32, NO scaling (0..255), channels stay BGR, batch of 1: [1, 3, H, W]",
    ],
    "pad_value": 114,
    "placement": "top-left",
    "channel_order": "BGR",
    "scale": "none (0..255)",
    "interpolation": "cv2.INTER_LINEAR",
}
YOLOX_BOXES = (
    "yolox.utils.demo_utils.demo_postprocess (cx, cy = (out + grid) * stride; w, h = exp(out) * stride; strides "
    "8, 16, 32, grids row-major per level), then yolox.utils.postprocess (xywh -> xyxy, score = objectness x best "
    "class score, kept if >= conf, torchvision batched_nms per class), then boxes / r. No clipping to the photo."
)


def fixture_specs() -> list[dict[str, Any]]:
    coco = coco_names()
    return [
        {
            "name": "yolov8-3cls-320",
            "family": "ultralytics",
            "make": ultralytics_fixture,
            "cfg": "v8/yolov8.yaml",
            "scale": [0.33, 0.0625, 1024],
            "names": ["helmet", "safety vest", "glove"],
            "end2end": False,
            "imgsz": 320,
            "seed": 8,
        },
        {
            "name": "yolo11-80cls-384",
            "family": "ultralytics",
            "make": ultralytics_fixture,
            "cfg": "11/yolo11.yaml",
            "scale": [0.50, 0.0625, 1024],
            "names": coco,
            "end2end": False,
            "imgsz": 384,
            "seed": 11,
        },
        {
            "name": "yolo26-e2e-20cls-320",
            "family": "ultralytics",
            "make": ultralytics_fixture,
            "cfg": "26/yolo26.yaml",
            "scale": [0.50, 0.0625, 1024],
            "names": voc_names(),
            "end2end": True,
            "imgsz": 320,
            "seed": 26,
        },
        {
            "name": "yolov5-80cls-320",
            "family": "yolov5",
            "make": yolov5_fixture,
            "cfg": "yolov5n.yaml",
            "scale": [0.33, 0.0625],
            "names": coco,
            "imgsz": 320,
            "seed": 5,
        },
        {
            "name": "yolox-nano-80cls-416",
            "family": "yolox",
            "make": yolox_fixture,
            "exp": "yolox-nano",
            "width": 0.125,
            "names": yolox_coco_names(),
            "imgsz": 416,
            "seed": 42,
        },
    ]


def describe(spec: dict[str, Any], shape: list[int]) -> dict[str, Any]:
    """Layout, exporter, preprocessing and reference post-processing of one fixture."""
    c = len(spec["names"])
    if spec["family"] == "ultralytics" and spec["end2end"]:
        return {
            "layout": "[1, K, 6] end to end (NMS-free): x1, y1, x2, y2 in input pixels, score, class index (float); "
            f"K = max_det = {shape[1]} rows, best first; no NMS after it",
            "exporter": "ultralytics YOLO(yaml).export(format='onnx', imgsz=..., nms=False): the one-to-one head "
            "(with nms=None, the default, 8.4 exports YOLO26's one-to-many head as [1, 4 + C, N] instead)",
            "preprocessing": ULTRALYTICS_PRE,
            "postprocessing": {
                "function": "ultralytics.utils.nms.non_max_suppression(end2end=True)",
                "rule": "rows with score > conf, in output order, first max_det; no NMS, no IoU",
                "max_det": 300,
                "boxes_to_photo": ULTRALYTICS_BOXES,
                "checked": "equal (within 1e-4) to YOLO(this .onnx).predict(photo, imgsz, conf, iou)",
            },
        }
    if spec["family"] == "ultralytics":
        return {
            "layout": f"[1, 4 + C, N] = {shape}: rows cx, cy, w, h in input pixels, then C class scores (sigmoid "
            "applied); no objectness",
            "exporter": "ultralytics YOLO(yaml).export(format='onnx', imgsz=...): its defaults (opset by torch "
            "version, onnxslim, static shape, batch 1)",
            "preprocessing": ULTRALYTICS_PRE,
            "postprocessing": {
                "function": "ultralytics.utils.nms.non_max_suppression(conf, iou, agnostic=False, max_det=300)",
                "rule": "best class per anchor, kept if its score > conf; xywh -> xyxy; class-aware NMS "
                "(torchvision.ops.nms on boxes offset by class * 7680); first max_det in score order",
                "class_aware": True,
                "max_det": 300,
                "boxes_to_photo": ULTRALYTICS_BOXES,
                "checked": "equal (within 1e-4) to YOLO(this .onnx).predict(photo, imgsz, conf, iou)",
            },
        }
    if spec["family"] == "yolov5":
        return {
            "layout": f"[1, N, 5 + C] = {shape}: cx, cy, w, h in input pixels, objectness, C class scores (all "
            "sigmoid applied); N = 3 anchors x cells",
            "exporter": "yolov5 package export.run(weights, imgsz, include=['onnx']) = `yolov5 export`: opset 12, "
            "no simplifier, static shape; metadata stride and names",
            "preprocessing": YOLOV5_PRE,
            "postprocessing": {
                "function": "yolov5.utils.general.non_max_suppression(conf, iou, agnostic=False, max_det=1000)",
                "rule": "candidates objectness > conf; score = objectness x class score; best class kept if "
                "score > conf; xywh -> xyxy; class-aware NMS (torchvision.ops.nms, boxes offset by class * 7680)",
                "class_aware": True,
                "max_det": 1000,
                "boxes_to_photo": YOLOV5_BOXES,
            },
        }
    return {
        "layout": f"[1, N, 5 + C] = {shape}, raw (decode_in_inference=False): x, y offsets in cells, log w, log h, "
        "objectness, C class scores (objectness and classes sigmoid applied); N = cells of strides 8, 16, 32",
        "exporter": "YOLOX tools/export_onnx.py -n yolox-nano -c CKPT width 0.125 num_classes C (its defaults: "
        "opset 11, decode_in_inference off, onnxsim, static shape); no metadata",
        "preprocessing": YOLOX_PRE,
        "postprocessing": {
            "function": "yolox.utils.demo_utils.demo_postprocess + yolox.utils.postprocess(class_agnostic=False)",
            "rule": YOLOX_BOXES,
            "class_aware": True,
            "max_det": None,
            "note": "YOLOX's ONNXRuntime demo uses demo_utils.multiclass_nms instead, which defaults to "
            f"class-agnostic and uses the old +1 pixel IoU; C = {c}",
        },
    }


def raw_summary(raw: np.ndarray, end2end: bool) -> dict[str, Any]:
    """Order-free sums and extremes; for layouts with a fixed row order, also values at 16 fixed flat indices (an
    end-to-end output's rows are in score order, which near-equal scores may swap between runtimes)."""
    flat = raw.astype(np.float64).ravel()
    summary: dict[str, Any] = {
        "shape": list(raw.shape),
        "sum": float(flat.sum()),
        "abs_sum": float(np.abs(flat).sum()),
        "min": float(flat.min()),
        "max": float(flat.max()),
    }
    if not end2end:
        probe_at = np.linspace(0, flat.size - 1, 16).astype(int)
        summary["probe_index"] = [int(i) for i in probe_at]
        summary["probe_value"] = [float(flat[i]) for i in probe_at]
    return summary


def candidate_count(family: str, end2end: bool, raw: np.ndarray, conf: float) -> int:
    """Anchors (rows, end to end) that the reference's confidence rule lets into NMS."""
    out = raw[0].astype(np.float32)
    if family == "ultralytics":
        return int((out[:, 4] > conf).sum()) if end2end else int((out[4:].max(0) > conf).sum())
    obj = out[:, 4]
    best = (obj[:, None] * out[:, 5:]).max(1)
    if family == "yolov5":
        return int(((obj > conf) & (best > conf)).sum())
    return int((best >= conf).sum())  # YOLOX keeps scores equal to conf


def cross_class_overlaps(dets: list[list[float]], iou: float) -> int:
    """Pairs of kept boxes of different classes overlapping by more than iou (in photo pixels): class-agnostic NMS
    would have dropped one of each, so they tell the two apart."""
    if len(dets) < 2:
        return 0
    b = np.array([d[:4] for d in dets], np.float64)
    cls = np.array([d[5] for d in dets])
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    ious = inter / (area[:, None] + area[None, :] - inter)
    pairs = np.triu((ious > iou) & (cls[:, None] != cls[None, :]), 1)
    return int(pairs.sum())


def check_scores(name: str, photo: str, key: str, dets: list[list[float]]) -> float:
    """Reference scores must be distinct, else NMS order (and so the kept boxes) would rest on a tie-break."""
    scores = sorted(d[4] for d in dets)
    assert len(set(scores)) == len(scores), f"{name} {photo} {key}: tied scores"
    return min((b - a for a, b in itertools.pairwise(scores)), default=0.0)


def compact_json(obj: Any) -> str:
    """Indented JSON with lists of numbers (boxes, probes, shapes) kept on one line."""
    text = json.dumps(obj, indent=1, ensure_ascii=False)
    return re.sub(r"\[\s+([-0-9.e+,\s]+?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


def make(spec: dict[str, Any], work: Path) -> dict[str, Any]:
    import onnx
    import onnxruntime as ort

    exported, torch_raw, reference = spec["make"](spec, work)
    target = OUT / f"{spec['name']}.onnx"
    shutil.copyfile(exported, target)
    size = target.stat().st_size
    assert size <= MAX_BYTES, f"{target.name} is {size} bytes"
    proto = onnx.load(str(target))
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    ir_version = proto.ir_version
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    meta = session.get_modelmeta().custom_metadata_map
    names_file = None
    if spec["family"] == "yolox":  # no metadata: names come from a file beside it, one per line
        names_file = f"{spec['name']}.names"
        (OUT / names_file).write_text("".join(f"{n}\n" for n in spec["names"]))

    end2end = bool(spec.get("end2end"))
    photos = []
    for photo_id, where, name, rotate in PHOTOS:
        img = load_photo(where, name, rotate)
        ref = reference(img, session)
        raw = session.run(None, {inp.name: ref.input_tensor})[0]
        torch_out = torch_raw(ref.input_tensor)
        if end2end:  # rows in score order: compare the sorted values
            torch_diff = float(np.abs(np.sort(torch_out.ravel()) - np.sort(raw.ravel())).max())
        else:
            torch_diff = float(np.abs(torch_out - raw).max())
        counts, candidates, overlaps, gaps = {}, {}, {}, {}
        for (conf, iou), (key, dets) in zip(SETTINGS, ref.detections.items()):
            counts[key] = len(dets)
            candidates[key] = candidate_count(spec["family"], end2end, raw, conf)
            overlaps[key] = cross_class_overlaps(dets, iou)
            gaps[key] = check_scores(spec["name"], photo_id, key, dets)
        assert min(counts.values()) >= 5, f"{spec['name']} {photo_id}: too few detections {counts}"
        photos.append(
            {
                "id": photo_id,
                "source": where,
                "file": name,
                "rotate": rotate,
                "decoded_shape": list(img.shape),
                "decoded_sha256": sha256(img),
                "letterbox": ref.letterbox,
                "input_sha256": sha256(ref.input_tensor.astype(np.float32)),
                "raw_output": raw_summary(raw, end2end),
                "torch_vs_onnxruntime_max_abs_diff": torch_diff,
                "candidates_before_nms": candidates,
                "detection_counts": counts,
                "cross_class_overlaps_kept": overlaps,
                "min_score_gap": gaps,
                "detections": ref.detections,
            }
        )
        print(f"{spec['name']} {photo_id}: kept {counts} of {candidates}, cross-class {overlaps}", flush=True)

    described = describe(spec, list(out.shape))
    return {
        "file": target.name,
        "bytes": size,
        "family": spec["family"],
        "opset": opset,
        "ir_version": ir_version,
        "generator": {"script": "tests/support/make_onnx_fixtures.py", "seed": spec["seed"], "versions": versions()},
        "input": {"name": inp.name, "shape": list(inp.shape), "dtype": "float32"},
        "output": {"name": out.name, "shape": list(out.shape), "layout": described.pop("layout")},
        "input_size_hw": [int(inp.shape[2]), int(inp.shape[3])],
        "classes": spec["names"],
        "class_names_from": f"the names file {names_file}"
        if names_file
        else "ONNX metadata 'names' (a Python dict literal {0: 'name', ...}: ast.literal_eval)",
        "names_file": names_file,
        "metadata": {k: v for k, v in sorted(meta.items()) if k != "date"},
        **described,
        "settings": [{"key": f"conf{c}_iou{i}", "conf": c, "iou": i} for c, i in SETTINGS],
        "photos": photos,
    }


README_HEAD = """# ONNX detector fixtures

Small real ONNX exports of randomly initialised detectors, each made by the exporter its users run, with reference
outputs of that exporter's own pre- and post-processing in `NAME.expected.json`. All of them are remade by
`tests/support/make_onnx_fixtures.py` (its docstring says how to set up the torch venv it needs, outside the repo);
the tests (tests/inference/test_onnx_fixtures.py, and the product's) need only onnxruntime, numpy and OpenCV.

| file | bytes | opset | output | layout | classes (names from) | input, preprocessing |
| --- | ---: | ---: | --- | --- | --- | --- |
"""

README_MIDDLE = """
The weights are random but made to behave like a detector's on the three photos (`sample.jpg` from resources/,
scikit-image's `astronaut.png`, and its `motorcycle_left.png` turned 90° clockwise for a portrait): 3x3 kernels of the
head flattened (smooth maps, so high scores come in clusters that NMS thins), batch norms given the real statistics
of scikit-image's photos, the head's class/objectness weights made to vary as much within each photo as on the
others, box outputs given set spreads, and one score offset bisected so that about 40 anchors per photo (geometric
mean) score above 0.25. The boxes mean nothing; decode, letterbox and NMS must reproduce the exporter's numbers.

Reference detections per photo, kept / candidates before NMS (conf 0.25 IoU 0.45; conf 0.1 IoU 0.6):

| file | photo | kept / candidates at 0.25 | at 0.1 | kept pairs of different classes with IoU > threshold |
| --- | --- | --- | --- | --- |
"""

README_TAIL = """
How to tell the layouts apart: Ultralytics exports carry metadata (`names`, `imgsz`, `stride`, `task`, `end2end`,
... as Python literals: `ast.literal_eval`); `[1, 4 + C, N]` has no objectness; `[1, K, 6]` with `end2end` True
is final boxes (x1, y1, x2, y2, score, class), only a confidence filter after it. The yolov5 package writes only
`stride` and `names`, and its N is 3 anchors x cells (6300 at 320). YOLOX writes no metadata of its own (onnxsim adds
`onnxsim.*` keys), its output is named `output` and its N is the cell count of strides 8/16/32 (3549 at 416), raw:
x, y in cells from the cell's corner, log w, log h, to be decoded with the grid and strides; input BGR 0..255,
image in the top-left corner. Ultralytics 8.4 exports YOLO26 with the default `nms=None` as `[1, 4 + C, N]` (the
one-to-many head), `end2end` False; only `nms=False` gives the `[1, 300, 6]` end-to-end output.

Per photo, `NAME.expected.json` stores: the sha256 of the decoded BGR photo, the exporter's letterbox parameters, the
sha256 of the float32 input tensor the exporter's own preprocessing made (the tensor itself is not stored; rebuilding
it from the written-down recipe must give the same bytes, division by 255 included: multiplying by 1/255 instead
changes some values by one ulp), summary figures of onnxruntime's raw output, the torch/onnxruntime difference, and
the detections `[x1, y1, x2, y2, score, class]` in photo pixels of the exporter's own post-processing on that raw
output: Ultralytics `non_max_suppression` + `scale_boxes`, yolov5's `non_max_suppression` + `scale_boxes`, YOLOX's
`demo_postprocess` + `postprocess` + division by the ratio; all class-aware. The box rules differ per exporter
(`boxes_to_photo` in each file): Ultralytics scales x and y by each side's own rounded gain and subtracts rounded
padding, yolov5 uses one gain and unrounded padding, YOLOX only divides by the ratio and does not clip.

Licences: the `.onnx` files are exports of random weights made by the exporters; no exporter code is in this
repository. The ultralytics and yolov5 packages are AGPL-3.0, YOLOX is Apache-2.0. The class name lists are COCO's
and Pascal VOC's category names, as those packages spell them. The photos are scikit-image's bundled data and
resources/sample.jpg.
"""


def write_readme(expected: list[dict[str, Any]]) -> None:
    lines = [README_HEAD]
    for e in expected:
        classes = f"{len(e['classes'])} ({e['names_file'] or 'metadata'})"
        layout = e["output"]["layout"].split(":")[0].split(" = ")[0]
        h, w = e["input_size_hw"]
        lines.append(
            f"| `{e['file']}` | {e['bytes']:,} | {e['opset']} | `{e['output']['name']}` {e['output']['shape']} | "
            f"{layout} | {classes} | {h}x{w}, {e['preprocessing']['kind']} |\n"
        )
    lines.append(README_MIDDLE)
    for e in expected:
        for photo in e["photos"]:
            kept, cand, cross = (
                photo[k] for k in ("detection_counts", "candidates_before_nms", "cross_class_overlaps_kept")
            )
            a, b = (s["key"] for s in e["settings"])
            lines.append(
                f"| `{e['file']}` | {photo['id']} | {kept[a]} / {cand[a]} | {kept[b]} / {cand[b]} | "
                f"{cross[a]}; {cross[b]} |\n"
            )
    lines.append("\nHow each was made:\n\n")
    for e in expected:
        lines.append(f"- `{e['file']}`: {e['exporter']}.\n")
    v = expected[0]["generator"]["versions"]
    lines.append("\nGenerated with " + ", ".join(f"{k} {v[k]}" for k in sorted(v)) + ".\n")
    lines.append(README_TAIL)
    (OUT / "README.md").write_text("".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="fixture names to remake (default: all)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onnx-fixtures-") as tmp:
        os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tmp) / "ultralytics-settings"))
        os.environ.setdefault("YOLO_OFFLINE", "1")
        expected = []
        for spec in fixture_specs():
            path = OUT / f"{spec['name']}.expected.json"
            if args.only and spec["name"] not in args.only:
                if path.is_file():
                    expected.append(json.loads(path.read_text()))
                continue
            work = Path(tmp) / spec["name"]
            work.mkdir()
            result = make(spec, work)
            path.write_text(compact_json(result))
            expected.append(result)
        write_readme(expected)


if __name__ == "__main__":
    main()
