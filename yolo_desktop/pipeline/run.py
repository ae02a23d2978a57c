"""THE detection pipeline. Every front-end — the command line, the window, the HTTP service, queue workers, video —
drives this one loop and adapts its results; none re-implements it.

    jobs (file paths, uploaded bytes, decoded video frames)
      → decode + letterbox on one loader thread, at most ``prefetch`` jobs ahead (memory stays flat)
      → the network on the thread that iterates ``Pipeline.run`` (the model's one owner)
      → decode + NMS → ``Done`` items, in job order

Every failure becomes an ``ImageResult`` with an ``error``, with the same message whichever front-end asked.
Cancel with a ``threading.Event`` (the run's, or a job's own), checked between jobs.

Detection always sees the same pixels for the same file: a large JPEG is decoded at 1/2–1/8 scale by libjpeg when
that still covers the network input (or, tiled, every tile's share of it), whether or not the caller later needs
the full-size picture (exports reload it on their own thread). So the window, the command line and the service
give identical detections.

Each job runs with its own settings (``Job.settings``; else the runner's): how its photo is shrunk (resize) and cut
(tiles), and what selection keeps. So one detector serves requests with different tiles and thresholds, and a
window's order comes back selected as it was made; nothing assigns the runner's settings.

Tiled detection (the job's ``settings.tiles``; see ``tiling.py``): a photo's job becomes one run on the whole
photo plus one per tile. The whole photo is letterboxed with the job; each tile is cut from the decoded image (a
view, no copy) and letterboxed on the loader thread a few tiles ahead of the network, so memory holds the decoded
photo and ``TILES_AHEAD`` letterboxed tiles whatever the photo's size. The runs' candidates, moved to photo pixels,
become the photo's one ``Candidates`` (marked with their runs) and its one ``ImageResult``. Cancelling stops
between tiles.

In flight (``lanes`` > 1: the command line, videos, queue workers): up to ``lanes`` loaded photos, or ``lanes`` tiles
of a photo, go through the network at once, each on its own copy of the engine with its share of the cores
(``engines/lanes.py``; results as one by one, in job order). A runner that measures its engine (``auto``) does so
right after a run's first result, on this thread (``Detector.measure_engines``), never before it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import numpy as np

from ..imaging.read import ImageError, LoadedImage, from_frame, load, load_bytes
from ..inference.decode import combine
from ..inference.detector import Prepared
from ..results import Candidates, ImageResult
from ..settings import CANDIDATE_FLOOR, DetectorSettings
from .tiling import MAX_TILES, Tile, TilingError, needed_side, plan, uncut

TILES_AHEAD = 3  # tiles letterboxed ahead of the network (1 × 416 × 416 × 3 float32 = 2 MB each)
T = TypeVar("T")


class Runner(Protocol):
    """What the pipeline needs from a detector: thread-safe preparation, owner-thread inference (whole, or a
    tile's candidates and then the photo's result from them). ``settings``: the runs' defaults (read only)."""

    @property
    def input_size(self) -> int: ...

    @property
    def settings(self) -> DetectorSettings: ...

    def prepare(
        self, image: np.ndarray, source_size: tuple[int, int] | None = None, resize: str | None = None
    ) -> Prepared: ...

    def infer(
        self,
        prepared: Prepared,
        path: str = "",
        timings: dict[str, float] | None = None,
        settings: DetectorSettings | None = None,
    ) -> ImageResult: ...

    def candidates(self, prepared: Prepared, timings: dict[str, float] | None = None) -> Candidates: ...

    def finish(
        self,
        candidates: Candidates,
        path: str,
        width: int,
        height: int,
        timings: dict[str, float] | None = None,
        settings: DetectorSettings | None = None,
    ) -> ImageResult: ...


@dataclass(frozen=True, eq=False)
class Job:
    """One input. Exactly one of ``path``, ``data`` and ``frame`` is set; ``name`` is what the result and every
    message call it (the path, an upload's file name, ``clip.mp4#120``)."""

    name: str
    path: str | None = None
    data: bytes | None = None
    frame: np.ndarray | None = None  # (H, W, 3) uint8 RGB, upright
    tag: Any = None  # the caller's handle, handed back with the result
    cancel: threading.Event | None = None  # this job's batch was cancelled: skip it, no result
    settings: DetectorSettings | None = None  # resize, tiles and selection for this job; None: the runner's

    @classmethod
    def file(
        cls, path: str, tag: Any = None, cancel: threading.Event | None = None, settings: DetectorSettings | None = None
    ) -> Job:
        return cls(name=path, path=path, tag=tag, cancel=cancel, settings=settings)

    @classmethod
    def upload(cls, data: bytes, name: str, tag: Any = None, settings: DetectorSettings | None = None) -> Job:
        return cls(name=name, data=data, tag=tag, settings=settings)

    @classmethod
    def video_frame(cls, rgb: np.ndarray, name: str, tag: Any = None, settings: DetectorSettings | None = None) -> Job:
        return cls(name=name, frame=rgb, tag=tag, settings=settings)

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


@dataclass(frozen=True, eq=False)
class Done:
    job: Job
    result: ImageResult
    image: LoadedImage | None  # the pixels detection saw (maybe reduced: see ``image.scale``); None if unreadable
    extra: Any = None  # what ``on_loaded`` returned for this image (e.g. the window's thumbnail)


@runtime_checkable
class JobSource(Protocol):
    def poll(self) -> Job | None:
        """The next job if one is ready now; None if there is none now (the run ends once nothing is pending)."""
        ...


class _IterableSource:
    def __init__(self, jobs: Iterable[Job]) -> None:
        self._jobs = iter(jobs)

    def poll(self) -> Job | None:
        return next(self._jobs, None)


@dataclass(frozen=True)
class _Loaded:
    image: LoadedImage | None
    prepared: Prepared | None  # the whole photo
    extra: Any
    failed: ImageResult | None
    seconds: float
    tiles: tuple[Tile, ...] = ()  # empty: not tiled


Submit = Callable[..., "Future[Any]"]  # runs a letterboxing call somewhere (the loader thread), as a future


# The messages users see for failures, one wording everywhere.
def load_failure(exc: BaseException) -> str:
    if isinstance(exc, ImageError):
        return exc.reason
    if isinstance(exc, TilingError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "not enough memory to decode this image"
    return f"unexpected error while reading: {exc!r}"


def detect_failure(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "not enough memory to process this image"
    return f"detection failed: {exc!r}"


class Pipeline:
    """Runs ``runner`` over jobs. ``run`` must be iterated on the thread that owns the runner's model.

    ``on_loaded(image)`` runs on the loader thread for every decoded image (thumbnails, for instance); what it
    returns comes back as ``Done.extra``. ``on_start(job)`` runs on the owner thread just before the network.
    ``whole_photo=False`` leaves out a tiled photo's whole-photo run and ``keep_cut=True`` keeps the tiles' boxes
    cut by a tile edge (``tiling.uncut``): only ``bench/bench_tiling.py`` measures those; every front door keeps
    the defaults."""

    def __init__(
        self,
        runner: Runner,
        prefetch: int = 3,
        on_loaded: Callable[[LoadedImage], Any] | None = None,
        whole_photo: bool = True,
        keep_cut: bool = False,
        max_tiles: int = MAX_TILES,
        on_measured: Callable[[bool], None] | None = None,
        lanes: int = 1,
    ) -> None:
        self.runner = runner
        # Network calls in flight at once (engines/lanes.py): a folder's photos and a photo's tiles go through the
        # network ``lanes`` at a time, each lane on its share of the cores. 1: one after another (the window).
        self.lanes = max(1, lanes)
        self.on_measured = on_measured  # after auto measured (owner thread): True when the engine changed
        self.max_tiles = max_tiles  # a photo needing more tiles fails with the reason (the service: SERVICE_MAX_TILES)
        self.prefetch = max(1, prefetch)
        self.on_loaded = on_loaded
        self.whole_photo = whole_photo
        self.keep_cut = keep_cut
        self.network_runs = 0

    def settings_of(self, job: Job) -> DetectorSettings:
        """What ``job`` runs with: its own settings, else the runner's."""
        return job.settings if job.settings is not None else self.runner.settings

    def load(self, job: Job) -> _Loaded:
        """Decode and letterbox one job (any thread): a failure becomes a finished error result, never raises."""
        start = time.perf_counter()
        settings = self.settings_of(job)
        try:
            reduce_to = partial(self._needed_side, settings)
            if job.frame is not None:
                image = from_frame(job.frame, job.name)
            elif job.data is not None:
                image = load_bytes(job.data, job.name, reduce_to=reduce_to)
            elif job.path is not None:
                image = load(job.path, reduce_to=reduce_to)
            else:
                raise ImageError(job.name, "nothing to read (no file, data or frame)")
            size = self.runner.input_size
            tiles = plan(settings.tiles, settings.tile_overlap, size, image.width, image.height, self.max_tiles)
            source = (image.width, image.height) if image.scale != 1 else None
            prepared = self.runner.prepare(image.rgb, source, settings.resize)
            extra = self.on_loaded(image) if self.on_loaded is not None else None
            return _Loaded(image, prepared, extra, None, time.perf_counter() - start, tiles)
        except Exception as exc:  # never let one bad input stop a batch (MemoryError included)
            seconds = time.perf_counter() - start
            failed = ImageResult(path=job.name, error=load_failure(exc), timings={"load": seconds})
            return _Loaded(None, None, None, failed, seconds)

    def _needed_side(self, settings: DetectorSettings, width: int, height: int) -> int:
        """How small a JPEG may decode for detection (``tiling.needed_side``): the same rule in every front door."""
        return needed_side(settings.tiles, settings.tile_overlap, self.runner.input_size, width, height)

    def prepare_tile(self, image: LoadedImage, tile: Tile, resize: str) -> tuple[Prepared, int, int]:
        """One tile letterboxed (any thread), with its top-left corner in photo pixels. From a reduced decode the
        tile is the reduced pixels covering it, and the corner and size are those pixels' own in the photo."""
        s = image.scale
        x0, y0 = tile.x // s, tile.y // s
        x1, y1 = -(-(tile.x + tile.width) // s), -(-(tile.y + tile.height) // s)
        crop = image.rgb[y0:y1, x0:x1]  # a view: the decoded photo is not copied
        width, height = min(x1 * s, image.width) - x0 * s, min(y1 * s, image.height) - y0 * s
        return self.runner.prepare(crop, (width, height), resize), x0 * s, y0 * s

    def infer(
        self, job: Job, loaded: _Loaded, submit: Submit | None = None, stop: Callable[[], bool] | None = None
    ) -> Done | None:
        """The network and decoding for one loaded job (owner thread only). A tiled job's tiles are letterboxed
        through ``submit`` (the loader thread; here when None); None when ``stop`` says so between tiles."""
        if loaded.failed is not None:
            return Done(job, loaded.failed, None)
        assert loaded.image is not None and loaded.prepared is not None
        try:
            if loaded.tiles:
                result = self._tiled(job, loaded, submit or _now, stop or (lambda: False))
                if result is None:
                    return None
            else:
                self.network_runs += 1
                result = self.runner.infer(loaded.prepared, job.name, {"load": loaded.seconds}, self.settings_of(job))
        except Exception as exc:  # a model failure on one input is reported; the batch goes on
            result = ImageResult(
                path=job.name, width=loaded.image.width, height=loaded.image.height, error=detect_failure(exc)
            )
        return Done(job, result, loaded.image, loaded.extra)

    def _tiled(self, job: Job, loaded: _Loaded, submit: Submit, stop: Callable[[], bool]) -> ImageResult | None:
        image, whole = loaded.image, loaded.prepared
        assert image is not None and whole is not None
        settings = self.settings_of(job)
        timings = {"load": loaded.seconds, "letterbox": whole.seconds}
        if self.whole_photo:
            self.network_runs += 1
            parts = [(self.runner.candidates(whole, timings), 0, 0)]
        else:
            parts = [(Candidates.empty(CANDIDATE_FLOOR), 0, 0)]
        waiting = iter(loaded.tiles)
        ahead: deque[Future[tuple[Prepared, int, int]]] = deque()
        keep_ahead = max(TILES_AHEAD, 2 * self.lanes)

        def top_up() -> None:
            while len(ahead) < keep_ahead:
                tile = next(waiting, None)
                if tile is None:
                    return
                ahead.append(submit(self.prepare_tile, image, tile, settings.resize))

        try:
            top_up()
            while ahead:
                if stop():
                    return None
                group = [ahead.popleft().result() for _ in range(min(self.lanes, len(ahead)))]
                top_up()
                for prepared, _x, _y in group:
                    timings["letterbox"] += prepared.seconds
                self.network_runs += len(group)
                for found, (prepared, x, y) in zip(self._candidates([p for p, _, _ in group], timings), group):
                    if not self.keep_cut:
                        tile = Tile(x, y, prepared.box.source_width, prepared.box.source_height)
                        found = uncut(found, tile, image.width, image.height)
                    parts.append((found, x, y))
                del group  # only the tiles ahead and one group are held at once
        finally:
            for future in ahead:
                future.cancel()
        candidates = combine(parts, CANDIDATE_FLOOR, parts[0][0].nms if parts else True)
        return self.runner.finish(candidates, job.name, image.width, image.height, timings, settings)

    def _candidates(self, prepared: list[Prepared], timings: dict[str, float]) -> list[Candidates]:
        """Candidates of several prepared images, ``lanes`` in flight where the runner has lanes."""
        many = getattr(self.runner, "candidates_many", None)
        if self.lanes > 1 and many is not None:
            return many(prepared, self.lanes, timings)
        return [self.runner.candidates(p, timings) for p in prepared]

    def _infer_group(self, group: list[tuple[Job, _Loaded]]) -> list[Done]:
        """Several loaded photos (untiled) through the network together; each its own result, in order."""
        shared: dict[str, float] = {}
        try:
            found = self._candidates([loaded.prepared for _, loaded in group if loaded.prepared is not None], shared)
        except Exception as exc:  # a model failure is reported for each photo; the batch goes on
            found, error = [], detect_failure(exc)
        self.network_runs += len(group)
        done = []
        for i, (job, loaded) in enumerate(group):
            assert loaded.image is not None and loaded.prepared is not None
            width, height = loaded.image.width, loaded.image.height
            if not found:
                result = ImageResult(path=job.name, width=width, height=height, error=error)
            else:
                timings = {"load": loaded.seconds, "letterbox": loaded.prepared.seconds}
                timings.update({k: v / len(group) for k, v in shared.items()})  # the group's time, shared out
                result = self.runner.finish(found[i], job.name, width, height, timings, self.settings_of(job))
            done.append(Done(job, result, loaded.image, loaded.extra))
        return done

    def _measure_engines(self) -> None:
        """``auto``'s measurement, once, right after a first result (never before it): a few seconds on this thread,
        the model's owner, while the loader keeps decoding ahead. Runners without one (tests' wrappers) skip it."""
        measure = getattr(self.runner, "measure_engines", None)
        if measure is None or not getattr(self.runner, "measuring_pending", False):
            return
        from .sample_check import sample_rgb

        image = sample_rgb()
        if image is not None:  # else a broken installation (the self-test says so): auto keeps its first engine
            changed = measure(image)
            if self.on_measured is not None:
                self.on_measured(changed)

    def run(
        self,
        jobs: Iterable[Job] | JobSource,
        cancel: threading.Event | None = None,
        on_start: Callable[[Job], None] | None = None,
    ) -> Iterator[Done]:
        """Results in job order. Stops between jobs once ``cancel`` is set; skips (no result) a job whose own
        ``cancel`` is set. A ``JobSource`` may return no job for now: the run ends when nothing is pending."""
        source = jobs if isinstance(jobs, JobSource) else _IterableSource(jobs)
        pending: deque[tuple[Job, Future[_Loaded]]] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode") as loader:

            def top_up() -> None:
                while len(pending) < self.prefetch:
                    job = source.poll()
                    if job is None:
                        return
                    pending.append((job, loader.submit(self.load, job)))

            try:
                top_up()
                while pending:
                    if cancel is not None and cancel.is_set():
                        return
                    job, future = pending.popleft()
                    top_up()
                    if job.cancelled:
                        future.cancel()
                        continue
                    loaded = future.result()
                    if job.cancelled or (cancel is not None and cancel.is_set()):
                        continue
                    group = [(job, loaded)]
                    while self.lanes > 1 and len(group) < self.lanes and _plain(loaded) and pending:
                        following, its_future = pending[0]
                        if following.cancelled or not _plain(its_future.result()):
                            break  # the usual path takes it
                        pending.popleft()
                        group.append((following, its_future.result()))
                        top_up()
                    if len(group) > 1:
                        for each, _loaded in group:
                            if on_start is not None:
                                on_start(each)
                        yield from self._infer_group(group)
                        self._measure_engines()
                        top_up()
                        continue
                    if on_start is not None and loaded.failed is None:
                        on_start(job)
                    done = self.infer(job, loaded, loader.submit, partial(_stopped, job, cancel))
                    if done is None:  # cancelled between tiles
                        continue
                    yield done
                    self._measure_engines()
                    top_up()
            finally:
                for _job, waiting in pending:
                    waiting.cancel()


class Inbox(Generic[T]):
    """Work for a model's owner thread, in arrival order, thread-safe: the window's orders, the service's uploads.

    The owner ``wait``s for the next item (and puts it back with ``push_front`` to start a run with it), then
    hands the pipeline ``source(to_job)``: it takes items from the head while ``to_job`` turns them into jobs, and
    stops — ending the run — at the first it does not (a model request, a video, an upload for another detector).
    Items that ``dropped`` says are dead (a cancelled request) are skipped everywhere."""

    def __init__(self, dropped: Callable[[T], bool] = lambda _item: False) -> None:
        self._items: deque[T] = deque()
        self._ready = threading.Condition()
        self._dropped = dropped
        self.closed = False

    def put(self, *items: T) -> None:
        with self._ready:
            self._items.extend(items)  # one request's items stay together
            self._ready.notify()

    def close(self) -> list[T]:
        """No more items; returns those never taken (each may still need an answer)."""
        with self._ready:
            self.closed = True
            left = list(self._items)
            self._items.clear()
            self._ready.notify()
            return left

    def wait(self) -> T | None:
        """The next live item, waiting for one; None once closed."""
        with self._ready:
            while True:
                while not self._items and not self.closed:
                    self._ready.wait()
                if self.closed:
                    return None
                item = self._items.popleft()
                if not self._dropped(item):
                    return item

    def push_front(self, item: T) -> None:
        with self._ready:
            self._items.appendleft(item)

    def take(self, to_job: Callable[[T], Job | None]) -> Job | None:
        with self._ready:
            while self._items and not self.closed:
                item = self._items[0]
                if self._dropped(item):
                    self._items.popleft()
                    continue
                job = to_job(item)
                if job is not None:
                    self._items.popleft()
                return job
            return None

    def source(self, to_job: Callable[[T], Job | None]) -> JobSource:
        inbox = self

        class _Source:
            def poll(self) -> Job | None:
                return inbox.take(to_job)

        return _Source()


def _plain(loaded: _Loaded) -> bool:
    """A photo that can share the network with others: loaded, untiled."""
    return loaded.failed is None and not loaded.tiles


def _stopped(job: Job, cancel: threading.Event | None) -> bool:
    return job.cancelled or (cancel is not None and cancel.is_set())


def _now(function: Callable[..., T], *args: Any) -> Future[T]:
    """``function(*args)`` run here, as a finished future (tiles letterboxed on the owner thread)."""
    future: Future[T] = Future()
    try:
        future.set_result(function(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future


def run_one(runner: Runner, job: Job) -> Done:
    """One job, decoded and detected on the calling thread (which must own the runner's model)."""
    pipeline = Pipeline(runner)
    done = pipeline.infer(job, pipeline.load(job))
    assert done is not None  # nothing stops it between tiles
    return done
