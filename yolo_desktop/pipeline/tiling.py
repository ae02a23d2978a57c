"""Tiled detection: which tiles of a photo the network sees, how finely a JPEG is decoded for them, and their
candidates brought back to the photo (the pipeline runs the tiles; ``inference/nms.py`` merges an object cut by a
tile edge when thresholds are applied, so re-filtering stays exact).

A photo larger than the network input is shrunk to fit it: a 4000 px photo at 416 loses 9 of every 10 pixels in
each direction and with them every small object. Tiles of ``side`` photo pixels, overlapping by ``overlap`` of a
side, are each letterboxed to the network input on their own, so an object keeps ``input / side`` of its size
instead of ``input / photo side``; one more run on the whole photo finds the objects larger than a tile.

An object larger than the overlap is cut by every tile edge it crosses: a tile sees part of it and reports a box
for that part, which no merge makes right (it may score higher than the whole box). So a tile's candidate that
reaches an inner edge of its tile (within ``CUT_MARGIN`` of its side) is dropped before the runs are combined: an
object smaller than the overlap is whole in the neighbouring tile, a larger one in the whole-photo run. This is
done to candidates, whatever the thresholds, so re-filtering stays exact; what it gains is measured by
``bench/bench_tiling.py`` (docs/benchmarks.md, "Tiling").

The window draws the grid from ``plan`` too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..results import Candidates
from ..settings import TILES_AUTO, TILES_OFF, normalize_tiles

# ``auto``: tiles of AUTO_TILE_FACTOR × the network input (each tile shrunk 1.5×, as a ~620 px photo is at 416),
# only for photos whose long side passes AUTO_MIN_FACTOR × the input (shrunk more than 3× untiled); the grid is kept
# to AUTO_MAX_TILES by larger tiles. Chosen from bench/bench_tiling.py (DEVELOPERS.md, "Tiled detection").
AUTO_TILE_FACTOR = 1.5
AUTO_MIN_FACTOR = 3.0
AUTO_MAX_TILES = 36
MAX_TILES = 1024  # an explicit size that cuts a photo into more is refused (the photo says why)
# A request to the service may ask for tiles, but one photo must not cost it minutes: beyond this many tiles the
# photo is refused (auto stays within AUTO_MAX_TILES), so admission's "one image" stays about one image's work.
SERVICE_MAX_TILES = 64
CUT_MARGIN = 0.01  # a tile's box this close to an inner edge (fraction of the tile's side) is cut by it


class TilingError(ValueError):
    """A tile size that would cut this photo into too many tiles; the message says what to choose instead."""


@dataclass(frozen=True)
class Tile:
    """A tile in photo pixels (upright, full resolution)."""

    x: int
    y: int
    width: int
    height: int


def starts(length: int, side: int, overlap: float) -> list[int]:
    """Where tiles of ``side`` start along an axis of ``length`` pixels: evenly spread from 0 to the end, as few
    as keep every neighbour sharing at least ``overlap`` × side (one tile when the axis fits in one)."""
    if length <= side:
        return [0]
    step = max(1.0, side * (1.0 - overlap))
    count = math.ceil((length - side) / step - 1e-9) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def _count(width: int, height: int, side: int, overlap: float) -> int:
    return len(starts(width, side, overlap)) * len(starts(height, side, overlap))


def tile_side(tiles: str, overlap: float, input_size: int, width: int, height: int) -> int | None:
    """The side of the tiles for a ``width`` × ``height`` photo, or None when it is detected whole: tiles
    ``off``, a photo that fits in one tile, or with ``auto`` one not much larger than the network input."""
    tiles = normalize_tiles(tiles)
    if tiles == TILES_OFF:
        return None
    if tiles == TILES_AUTO:
        if max(width, height) <= AUTO_MIN_FACTOR * input_size:
            return None
        side = round(AUTO_TILE_FACTOR * input_size)
        while _count(width, height, side, overlap) > AUTO_MAX_TILES:
            side = math.ceil(side * 1.25)
    else:
        side = int(tiles)
    return side if max(width, height) > side else None


def plan(
    tiles: str, overlap: float, input_size: int, width: int, height: int, limit: int = MAX_TILES
) -> tuple[Tile, ...]:
    """The tiles of a photo, row by row (empty: detect it whole). Raises ``TilingError`` beyond ``limit``."""
    side = tile_side(tiles, overlap, input_size, width, height)
    if side is None:
        return ()
    xs, ys = starts(width, side, overlap), starts(height, side, overlap)
    if len(xs) * len(ys) > limit:
        raise TilingError(
            f"tiles of {side} px would cut this {width}×{height} photo into {len(xs) * len(ys):,} tiles "
            f"(at most {limit:,} here): choose larger tiles, or auto"
        )
    return tuple(Tile(x, y, min(side, width), min(side, height)) for y in ys for x in xs)


def needed_side(tiles: str, overlap: float, input_size: int, width: int, height: int) -> int:
    """The shortest side (pixels) a decode of this photo needs for detection: a JPEG may be decoded at reduced
    scale down to it (``imaging.load``'s ``reduce_to``). Untiled, the network input; tiled, as many pixels as
    make each tile at least the network input, so tiling sees pixels a whole-photo pass would throw away."""
    side = tile_side(tiles, overlap, input_size, width, height)
    if side is None:
        return input_size
    return max(input_size, math.ceil(min(width, height) * input_size / side))


def uncut(candidates: Candidates, tile: Tile, width: int, height: int) -> Candidates:
    """A tile's candidates (in the tile's pixels; ``tile`` as it was cut, in a ``width`` × ``height`` photo)
    without those an inner edge of the tile cuts: edges on the photo's border cut nothing."""
    boxes = candidates.boxes
    margin = CUT_MARGIN * max(tile.width, tile.height)
    cut = np.zeros(len(candidates), dtype=bool)
    if tile.x > 0:
        cut |= boxes[:, 0] < margin
    if tile.y > 0:
        cut |= boxes[:, 1] < margin
    if tile.x + tile.width < width:
        cut |= boxes[:, 2] > tile.width - margin
    if tile.y + tile.height < height:
        cut |= boxes[:, 3] > tile.height - margin
    if not cut.any():
        return candidates
    kept = ~cut
    return Candidates(boxes[kept], candidates.scores[kept], candidates.class_ids[kept], candidates.floor)
