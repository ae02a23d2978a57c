"""Tiled detection (issue 19): the grid, the settings' one spelling, small objects found in a large photo, no object
reported twice across a tile edge, results equal to a direct tile-by-tile computation and to a fresh run after
re-filtering, odd photos (smaller than a tile, 1 px wide, EXIF-rotated, 100 MP in bounded memory), cancelling
between tiles, and the command line with ``--tiles`` (header, resume identity)."""

from __future__ import annotations

import json
import threading
import tracemalloc
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.support.mosaic import ACROSS_AN_EDGE, EXPECTED, ios, mosaic, write_mosaic
from yolo_desktop import records
from yolo_desktop.cli.main import main
from yolo_desktop.geometry import box_iou
from yolo_desktop.inference.decode import refilter, select
from yolo_desktop.inference.detector import Detector
from yolo_desktop.pipeline.run import Job, Pipeline
from yolo_desktop.pipeline.tiling import AUTO_MAX_TILES, CUT_MARGIN, TilingError, plan, starts, tile_side
from yolo_desktop.results import Candidates, ImageResult
from yolo_desktop.settings import CANDIDATE_FLOOR, DetectorSettings, SettingsError


@pytest.fixture(scope="module")
def detector(tiny_model) -> Detector:
    """The app's engine, this module's own (each test's jobs bring their tiles)."""
    return Detector(tiny_model)


@pytest.fixture(scope="module")
def canvas(data_dir) -> np.ndarray:
    return mosaic(data_dir)


@pytest.fixture(scope="module")
def mosaic_png(tmp_path_factory, data_dir) -> Path:
    return write_mosaic(tmp_path_factory.mktemp("mosaic") / "mosaic.png", data_dir)


def detect(detector: Detector, job: Job, **settings) -> tuple[ImageResult, int]:
    """One job through the pipeline with these settings; the result and the network runs it took."""
    pipeline = Pipeline(detector)
    (done,) = list(pipeline.run([replace(job, settings=replace(DetectorSettings(), **settings))]))
    return done.result, pipeline.network_runs


def found(result: ImageResult, expected) -> list:
    return [d for d in result.detections if d.label == expected.label and box_iou(d.box, expected.box) >= 0.5]


# ----- the grid and the settings ----------------------------------------------------------------------------


def test_tiles_have_one_spelling_and_bad_values_say_why(tmp_path, capsys):
    assert DetectorSettings(tiles=" AUTO ").tiles == "auto" and DetectorSettings(tiles=640).tiles == "640"
    assert DetectorSettings(tiles="0416").tile_size == 416 and DetectorSettings().tiles == "off"
    for bad in ("12", "big", "-640", "6.4e2"):
        with pytest.raises(SettingsError, match="must be off, auto, or a tile size in pixels of at least 64"):
            DetectorSettings(tiles=bad)
    with pytest.raises(SettingsError, match="tile overlap 0.6 must be between 0 and 0.5"):
        DetectorSettings(tile_overlap=0.6)
    settings = DetectorSettings(tiles="640", tile_overlap=0.3)
    assert records.settings_from_record(json.loads(json.dumps(records.settings_record(settings)))) == settings
    with pytest.raises(SystemExit) as exited:
        main(["detect", str(tmp_path), "-o", str(tmp_path / "out"), "--tiles", "huge"])
    assert exited.value.code == 2 and "tiles 'huge' must be off, auto, or a tile size" in capsys.readouterr().err


def test_the_grid_covers_the_photo_with_the_overlap_asked_for():
    for length, side, overlap in ((2496, 416, 0.2), (1000, 416, 0.0), (417, 416, 0.5), (10_000, 1024, 0.2)):
        xs = starts(length, side, overlap)
        assert xs[0] == 0 and xs[-1] == length - side
        assert all(later - earlier <= side * (1 - overlap) + 1 for earlier, later in pairwise(xs))
    assert plan("640", 0.2, 416, 600, 400) == ()  # smaller than a tile: detected whole
    assert plan("off", 0.2, 416, 9000, 9000) == ()
    strip = plan("416", 0.2, 416, 1, 3000)  # a 1 px wide panorama: tiles 1 px wide
    assert {(t.x, t.width, t.height) for t in strip} == {(0, 1, 416)} and strip[-1].y + 416 == 3000
    assert tile_side("auto", 0.2, 416, 1248, 900) is None  # not much larger than the network input
    assert tile_side("auto", 0.2, 416, 2496, 1664) == 624  # 1.5 × the input
    assert len(plan("auto", 0.2, 416, 10_000, 10_000)) <= AUTO_MAX_TILES  # a huge photo: larger tiles instead
    with pytest.raises(TilingError, match=r"tiles of 64 px would cut this 10000×10000 photo into .* choose larger"):
        plan("64", 0.2, 416, 10_000, 10_000)


# ----- what tiles find, and how they are merged ---------------------------------------------------------------


def test_tiles_find_the_small_objects_the_whole_photo_misses_each_once(detector, canvas):
    untiled, runs = detect(detector, Job.video_frame(canvas, "mosaic"))
    assert runs == 1
    missed = [e for e in EXPECTED if not found(untiled, e)]
    assert [e.label for e in missed] == ["cup", "motorbike", "cup", "motorbike"]  # only the person is found

    tiled, runs = detect(detector, Job.video_frame(canvas, "mosaic"), tiles="416")
    tiles = plan("416", 0.2, 416, canvas.shape[1], canvas.shape[0])
    assert runs == 1 + len(tiles) == 41
    for expected in EXPECTED:
        assert len(found(tiled, expected)) == 1, expected
        same_object = [d for d in tiled.detections if d.label == expected.label and ios(d.box, expected.box) > 0.5]
        assert len(same_object) == 1, (expected, same_object)  # never twice, whichever tiles saw it
    # The second cup is cut by an inner tile edge and whole in another tile: both tiles saw it.
    x1, y1, x2, y2 = ACROSS_AN_EDGE.box
    assert any(t.x < x1 < t.x + t.width < x2 for t in tiles)
    assert any(t.x <= x1 and x2 <= t.x + t.width and t.y <= y1 and y2 <= t.y + t.height for t in tiles)
    assert tiled.candidates is not None and tiled.candidates.tiled and set(np.unique(tiled.candidates.sources)) >= {0}


def test_a_tiled_result_is_the_direct_tile_by_tile_computation(detector, canvas, mosaic_png):
    """The pipeline (file decoded once, tiles cut as views on the loader thread, letterboxed ahead) against each
    tile detected on its own through the same engine, its cut boxes dropped, moved, merged and selected."""
    result, _runs = detect(detector, Job.file(str(mosaic_png)), tiles="416")
    height, width = canvas.shape[:2]
    parts = [(detector.detect(canvas).candidates, 0.0, 0.0)]
    for tile in plan("416", 0.2, 416, width, height):
        own = detector.detect(np.ascontiguousarray(canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]))
        assert own.candidates is not None
        boxes, margin = own.candidates.boxes, CUT_MARGIN * 416
        cut = np.zeros(len(boxes), bool)
        cut |= (boxes[:, 0] < margin) if tile.x > 0 else False
        cut |= (boxes[:, 1] < margin) if tile.y > 0 else False
        cut |= (boxes[:, 2] > tile.width - margin) if tile.x + tile.width < width else False
        cut |= (boxes[:, 3] > tile.height - margin) if tile.y + tile.height < height else False
        kept = own.candidates
        kept = Candidates(kept.boxes[~cut], kept.scores[~cut], kept.class_ids[~cut], kept.floor)
        parts.append((kept, float(tile.x), float(tile.y)))
    boxes = np.concatenate([c.boxes + np.float32([x, y, x, y]) for c, x, y in parts])
    scores = np.concatenate([c.scores for c, _, _ in parts])
    classes = np.concatenate([c.class_ids for c, _, _ in parts])
    sources = np.concatenate([np.full(len(c), k) for k, (c, _, _) in enumerate(parts)])
    order = np.argsort(-scores, kind="stable")
    direct = Candidates(boxes[order], scores[order], classes[order], CANDIDATE_FLOOR, sources=sources[order])
    assert result.candidates is not None
    for name in ("boxes", "scores", "class_ids", "sources"):
        np.testing.assert_array_equal(getattr(result.candidates, name), getattr(direct, name))
    assert result.detections == select(direct, DetectorSettings(tiles="416"), detector.names, width, height)


def test_refiltering_a_tiled_result_equals_a_fresh_run(detector, canvas):
    job = Job.video_frame(canvas, "mosaic")
    base, _ = detect(detector, job, tiles="624")
    for changes in (
        {"conf": 0.1},
        {"conf": 0.6},
        {"iou": 0.3, "conf": 0.05},
        {"classes": frozenset({"cup", "person"})},
        {"max_detections": 2, "conf": 0.01},
    ):
        fresh, _ = detect(detector, job, tiles="624", **changes)
        again = refilter(base, DetectorSettings(tiles="624", **changes), detector.names)
        assert again.detections == fresh.detections, changes
    # The exact encoding (part files, Redis) carries which run found each candidate.
    back = records.result_from_dict(
        json.loads(json.dumps(records.result_to_dict(base, candidates=True))), detector.names
    )
    assert back.candidates is not None and base.candidates is not None
    np.testing.assert_array_equal(back.candidates.sources, base.candidates.sources)
    assert (
        refilter(back, DetectorSettings(conf=0.1), detector.names).detections
        == refilter(base, DetectorSettings(conf=0.1), detector.names).detections
    )


# ----- odd photos ---------------------------------------------------------------------------------------------


def test_a_photo_smaller_than_a_tile_is_detected_whole(detector, data_dir):
    job = Job.file(str(data_dir / "coffee.png"))  # 600×400
    whole, _ = detect(detector, job)
    tiled, runs = detect(detector, job, tiles="640")
    assert runs == 1 and tiled.detections == whole.detections and tiled.detections
    assert tiled.candidates is not None and not tiled.candidates.tiled


def test_a_one_pixel_wide_panorama(detector, tmp_path):
    rng = np.random.default_rng(7)
    for shape in ((3000, 1, 3), (1, 3000, 3)):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        path = tmp_path / f"strip {shape[1]}.png"
        cv2.imwrite(str(path), pixels)
        result, runs = detect(detector, Job.file(str(path)), tiles="416")
        assert result.ok, result.error
        assert (result.width, result.height) == (shape[1], shape[0])
        assert runs == 1 + len(plan("416", 0.2, 416, shape[1], shape[0])) == 1 + 9


def test_an_exif_rotated_photo_is_tiled_upright(detector, canvas, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: "rotate 90° clockwise to view"
    path = tmp_path / "sideways.jpg"
    Image.fromarray(np.ascontiguousarray(np.rot90(canvas))).save(path, quality=95, exif=exif.tobytes())
    stored = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    upright = np.ascontiguousarray(cv2.rotate(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB), cv2.ROTATE_90_CLOCKWISE))
    assert upright.shape == canvas.shape
    from_file, _ = detect(detector, Job.file(str(path)), tiles="416")
    from_pixels, _ = detect(detector, Job.video_frame(upright, "upright"), tiles="416")
    assert (from_file.width, from_file.height) == (canvas.shape[1], canvas.shape[0])
    assert from_file.detections == from_pixels.detections
    assert found(from_file, ACROSS_AN_EDGE)  # boxes in the upright photo's pixels


def test_a_100_megapixel_photo_is_tiled_in_bounded_memory(detector, tmp_path):
    """A plain 10000×10000 JPEG (the 100 MP cap), 1024 px tiles: decoded at 1/2 (the tiles' need, not the 1/8 an
    untiled run uses), cut into 144 tiles; memory holds the decoded photo (twice while it turns RGB) and a few
    letterboxed tiles (2 MB each), never all of them (288 MB)."""
    gray = np.tile(np.linspace(0, 255, 10_000).astype(np.uint8), (10_000, 1))
    ok, encoded = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 80])
    del gray
    assert ok
    path = tmp_path / "100 MP.jpg"
    path.write_bytes(encoded.tobytes())
    del encoded
    pipeline = Pipeline(detector)
    tracemalloc.start()
    try:
        (done,) = list(pipeline.run([Job.file(str(path), settings=DetectorSettings(tiles="1024"))]))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done.result.ok, done.result.error
    assert (done.result.width, done.result.height) == (10_000, 10_000)
    assert done.image is not None and done.image.scale == 2
    tiles = plan("1024", 0.2, 416, 10_000, 10_000)
    assert pipeline.network_runs == 1 + len(tiles) == 145
    decoded = done.image.rgb.nbytes  # 75 MB
    assert peak < 2 * decoded + 60_000_000, f"peak {peak / 1e6:.0f} MB for a {decoded / 1e6:.0f} MB decode"


def test_cancel_stops_between_tiles(detector, canvas):
    cancel = threading.Event()

    class CancelsAfterThree:
        """The real detector; the run's cancel is set once it has run the network three times."""

        input_size, prepare, infer, finish = detector.input_size, detector.prepare, detector.infer, detector.finish
        settings = DetectorSettings(tiles="416")
        calls = 0

        def candidates(self, prepared, timings=None):
            CancelsAfterThree.calls += 1
            if CancelsAfterThree.calls == 3:
                cancel.set()
            return detector.candidates(prepared, timings)

    pipeline = Pipeline(CancelsAfterThree())
    jobs = [Job.video_frame(canvas, "first"), Job.video_frame(canvas, "second")]
    assert list(pipeline.run(jobs, cancel=cancel)) == []
    assert pipeline.network_runs == 3  # not the 41 of the photo


# ----- the command line ---------------------------------------------------------------------------------------


def test_detect_with_tiles_writes_them_in_the_header_and_resumes_only_with_the_same(
    detector, mosaic_png, tmp_path, capsys
):
    out = tmp_path / "out"
    args = ["detect", str(mosaic_png), "-o", str(out), "--no-images", "--quiet", "--resume"]
    assert main([*args, "--tiles", "416"]) == 0
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert document["settings"]["tiles"] == "416" and document["settings"]["tile_overlap"] == 0.2
    expected, _ = detect(detector, Job.file(str(mosaic_png)), tiles="416")
    assert document["images"] == [records.image_record(expected)]
    capsys.readouterr()
    assert main([*args, "--tiles", "624"]) == 2
    assert "tiles '416' → '624'" in capsys.readouterr().err
