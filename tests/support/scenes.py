"""Clips with known answers for tracking: real photos of objects (a person from ``camera.png``, the motorbike of
``motorcycle_left.png``, crops YOLOv3-tiny finds at 0.8–0.99 at these sizes) pasted on a plain background and moved
along straight paths between key frames. Who is where in every frame is known, so distinct counts and line
crossings are known exactly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import read_rgb

# (photo, crop rows, crop columns): the object and little else.
OBJECTS = {
    "person": ("camera.png", slice(11, 512), slice(2, 291)),
    "motorbike": ("motorcycle_left.png", slice(52, 460), slice(49, 704)),
}


@dataclass(frozen=True)
class Actor:
    kind: str  # a key of OBJECTS
    height: int  # pixels in the clip
    keys: tuple[tuple[int, float, float], ...]  # (frame, left x, top y), moved linearly between them
    hidden: frozenset[int] = frozenset()  # frames it is not drawn (behind something, out of sight)

    def where(self, frame: int) -> tuple[float, float] | None:
        first, last = self.keys[0][0], self.keys[-1][0]
        if not first <= frame <= last or frame in self.hidden:
            return None
        for (f0, x0, y0), (f1, x1, y1) in zip(self.keys, self.keys[1:]):
            if f0 <= frame <= f1:
                k = (frame - f0) / max(1, f1 - f0)
                return x0 + k * (x1 - x0), y0 + k * (y1 - y0)
        return None


def _sprite(data_dir: Path, kind: str, height: int) -> np.ndarray:
    photo, rows, columns = OBJECTS[kind]
    crop = read_rgb(data_dir / photo)[rows, columns]
    width = round(crop.shape[1] * height / crop.shape[0])
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def render(data_dir: Path, actors: list[Actor], frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """Every frame (RGB): a grey background, the actors pasted in list order (later ones in front)."""
    width, height = size
    sprites = {(a.kind, a.height): _sprite(data_dir, a.kind, a.height) for a in actors}
    made = []
    for index in range(frames):
        frame = np.full((height, width, 3), 120, np.uint8)
        for actor in actors:
            at = actor.where(index)
            if at is None:
                continue
            sprite = sprites[(actor.kind, actor.height)]
            x, y = round(at[0]), round(at[1])
            h, w = sprite.shape[:2]
            x0, x1, y0, y1 = max(0, x), min(width, x + w), max(0, y), min(height, y + h)
            if x0 < x1 and y0 < y1:
                frame[y0:y1, x0:x1] = sprite[y0 - y : y1 - y, x0 - x : x1 - x]
        made.append(frame)
    return made


def write(path: Path, frames: list[np.ndarray], fps: float, fourcc: str = "MJPG") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, frames[0].shape[1::-1])
    assert writer.isOpened(), f"cannot write {fourcc} to {path}"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


# The street: 480×300 at 10 fps, 80 frames, a counting line down the middle (x = 240).
#   person A  walks in from the left, across, and out on the right               (crosses left-to-right)
#   person B  walks in from the right at the same time, a little lower: A and B pass each other, half overlapping
#             (B in front), then out on the left                                   (crosses right-to-left)
#   motorbike rides in from the right along the bottom, out of sight for frames 37–41 just as it reaches the
#             line (it is seen again on the other side), out on the left           (crosses right-to-left)
#   person C  walks in from the left after A and B are gone, past the line, stops, turns round and goes back
#             out (crosses left-to-right, then right-to-left)
STREET_SIZE = (480, 300)
STREET_FPS = 10.0
STREET_FRAMES = 80
STREET_LINE = (240.0, 0.0, 240.0, 300.0)
STREET_ACTORS = [
    Actor("person", 120, ((0, -50.0, 20.0), (33, 470.0, 20.0))),
    Actor("person", 120, ((0, 460.0, 80.0), (33, -60.0, 80.0))),
    Actor("motorbike", 90, ((20, 470.0, 205.0), (59, -140.0, 205.0)), hidden=frozenset(range(37, 42))),
    Actor("person", 120, ((40, -60.0, 60.0), (56, 300.0, 60.0), (60, 300.0, 60.0), (76, -60.0, 60.0))),
]
STREET_DISTINCT = {"person": 3, "motorbike": 1}
# The line from (240, 0) down to (240, 300): its directions are named "right-to-left" and "left-to-right".
STREET_CROSSINGS = {
    "person": {"left-to-right": 2, "right-to-left": 2},
    "motorbike": {"left-to-right": 0, "right-to-left": 1},
}


def make_street(folder: Path, data_dir: Path, fourcc: str = "MJPG") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frames = render(data_dir, STREET_ACTORS, STREET_FRAMES, STREET_SIZE)
    return write(folder / ("street.avi" if fourcc == "MJPG" else "street.mp4"), frames, STREET_FPS, fourcc)


# Zones on the street (video pixels; the anchor of a person or a motorbike is its bottom centre):
#   crossing  a rectangle where the people walk (x 150–305, above y 240): the motorbike rides below it
#   kerb      along the bottom, touching the frame's left, right and bottom borders, concave: a notch (x 220–332,
#             down to y 296) that the motorbike's wheels (bottom ≈ 290) are above, so it leaves the kerb there and
#             comes back on the other side
STREET_ZONES = {
    "crossing": ((150, 0), (305, 0), (305, 240), (150, 240)),
    "kerb": ((0, 260), (220, 260), (220, 296), (332, 296), (332, 260), (480, 260), (480, 300), (0, 300)),
}
SPRITE_WIDTH = {"person": 69, "motorbike": 144}  # at the heights the street uses


def anchors(actor: Actor, frames: int = STREET_FRAMES) -> dict[int, tuple[float, float]]:
    """Per frame the actor is drawn with at least half of it in the picture: its bottom centre (where the tracker
    sees it from: a detection needs about half of the object)."""
    width = SPRITE_WIDTH[actor.kind]
    found = {}
    for frame in range(frames):
        at = actor.where(frame)
        if at is not None and -width / 2 <= at[0] <= STREET_SIZE[0] - width / 2:
            found[frame] = (at[0] + width / 2, at[1] + actor.height)
    return found
