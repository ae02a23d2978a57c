"""Short clips made from real photos (shifted a little more every frame), written with OpenCV's VideoWriter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.conftest import read_rgb


def write_clip(path: Path, photo: np.ndarray, frames: int, fps: float, fourcc: str, shift: int = 6) -> list[np.ndarray]:
    """``frames`` RGB frames of ``photo`` rolled ``shift`` more pixels each, written as ``fourcc``; returns them."""
    height, width = photo.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"cannot write {fourcc} to {path}"
    made = []
    for i in range(frames):
        frame = np.ascontiguousarray(np.roll(photo, shift * i, axis=1))
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        made.append(frame)
    writer.release()
    return made


def decode_all(path: Path) -> list[np.ndarray]:
    """Every frame of a video, decoded in order (RGB)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def video_facts(path: Path) -> tuple[int, int, int, float]:
    """(frames decoded, width, height, fps) of a video file."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    return len(decode_all(path)), width, height, fps


def truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def make_clips(root: Path, data_dir: Path) -> dict[str, Path]:
    """A folder with an mp4v clip (a motorbike), an MJPG clip (a cup), one photo, and an MJPG clip cut short."""
    folder = root / "my clips"
    folder.mkdir(parents=True)
    write_clip(folder / "street.mp4", read_rgb(data_dir / "motorcycle_left.png"), 24, 12.0, "mp4v")
    write_clip(folder / "coffee.avi", read_rgb(data_dir / "coffee.png"), 20, 10.0, "MJPG")
    cv2.imwrite(str(folder / "camera.png"), cv2.imread(str(data_dir / "camera.png")))
    damaged = root / "damaged"
    damaged.mkdir()
    write_clip(damaged / "cut.avi", read_rgb(data_dir / "coffee.png"), 20, 10.0, "MJPG")
    truncate(damaged / "cut.avi", 0.55)
    return {
        "folder": folder,
        "mp4": folder / "street.mp4",
        "avi": folder / "coffee.avi",
        "photo": folder / "camera.png",
        "cut": damaged / "cut.avi",
    }
