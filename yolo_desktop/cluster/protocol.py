"""What travels through Redis: job payloads (plain JSON, rq's ``JSONSerializer``; never pickles), job ids, keys,
timeouts and retries. Shared by the coordinator, the workers and the service bridge; imports no model code."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rq import Retry
from rq.job import Job as RqJob
from rq.serializers import JSONSerializer

# 2: an upload travels in its own Redis key (``upload_key``), not base64 inside the job (rq zlib-compresses job data:
# ~40 ms of the front's CPU per MB of JPEG), and its annotated JPEG comes back in ``annotated_key``.
# 3: settings carry tiles and tile_overlap; results carry candidates' sources (tiles) and nms (end-to-end models).
PROTOCOL = 3
DEFAULT_QUEUE = "yolo-desktop"
SERIALIZER = JSONSerializer
CHUNK_FUNCTION = "yolo_desktop.cluster.jobs.detect_chunk"  # files → outputs + a part file in OUT (detect)
FILES_FUNCTION = "yolo_desktop.cluster.jobs.detect_files"  # files → results with candidates (the window)
UPLOAD_FUNCTION = "yolo_desktop.cluster.jobs.detect_upload"  # bytes → result (+ annotated JPEG) (the service)
VIDEO_FUNCTION = "yolo_desktop.cluster.jobs.detect_video"  # one video → its outputs + a part file in OUT (detect)
JOB_FUNCTIONS = frozenset({CHUNK_FUNCTION, FILES_FUNCTION, UPLOAD_FUNCTION, VIDEO_FUNCTION})  # nothing else runs
VIDEO_TIMEOUT = 12 * 3600  # seconds a video job may run (heartbeats, not this, tell a dead worker)

# In a worker's rq hash: its moving average of seconds per upload job, which the service's light front admits by.
SECONDS_FIELD = "yd_seconds_per_image"

RESULT_TTL = 600  # a finished chunk's return value is only a receipt: the part file holds its results
UPLOAD_RESULT_TTL = 24 * 3600  # the service's /view/<id> reads a result for a day (unless it asks for less)
FAILURE_TTL = 7 * 24 * 3600  # failures stay long enough to be looked at
PROGRESS_TTL = 7 * 24 * 3600


def chunk_timeout(images: int) -> int:
    """Seconds a chunk may run: generous per image (a full-size YOLOv3 on a slow CPU, a 100 MP photo)."""
    return 120 + 10 * images


def retry_policy() -> Retry:
    """A chunk whose worker died or failed is tried again (three times, after 2 s, 15 s, 60 s; the worker's
    scheduler re-enqueues it)."""
    return Retry(max=3, interval=[2, 15, 60])


def job_id(batch_key: str, chunk_name: str) -> str:
    return f"yd-{batch_key[:12]}-{chunk_name}"


def upload_key(job_id: str) -> str:
    """The uploaded file's bytes, as sent (a plain Redis string with a TTL; the job names it)."""
    return f"yolo-desktop:upload:{job_id}"


def annotated_key(job_id: str) -> str:
    """The annotated JPEG a worker drew for an upload job (a plain Redis string, kept as long as its result)."""
    return f"yolo-desktop:annotated:{job_id}"


def kept_key(queue: str) -> str:
    """A sorted set: the upload jobs kept for the service's /view/<id>, by submission time (the oldest go first)."""
    return f"yolo-desktop:kept:{queue}"


def counts_key(queue: str) -> str:
    """A hash: label → detections in every upload the workers of ``queue`` detected (the service's /counts, shared
    by every front, as the original service's counter was)."""
    return f"yolo-desktop:counts:{queue}"


def progress_key(batch_key: str) -> str:
    """A hash: chunk name → images done in it (HSET, so a re-run chunk is not counted twice)."""
    return f"yolo-desktop:progress:{batch_key[:24]}"


def mismatch(job: Mapping[str, Any], fingerprint: Mapping[str, str], precision: str) -> str | None:
    """Why a worker with ``fingerprint``/``precision`` must refuse ``job`` (None when it may run it)."""
    wanted = job.get("model", {})
    if job.get("protocol") != PROTOCOL:
        return f"job protocol {job.get('protocol')!r}, this worker speaks {PROTOCOL} (update yolo-desktop)"
    for key in ("weights_sha256", "cfg_sha256", "names_sha256"):
        if wanted.get(key) != fingerprint[key]:
            what = key.split("_")[0]
            return (
                f"this job needs model {wanted.get('name')!r} ({what} sha256 {str(wanted.get(key))[:12]}…) but this "
                f"worker runs {fingerprint['name']!r} ({what} sha256 {fingerprint[key][:12]}…); start workers with "
                f"that model (yolo-desktop worker --model …)"
            )
    wanted_precision = job.get("settings", {}).get("precision")
    if wanted_precision != precision:
        return (
            f"this job needs precision {wanted_precision!r} but this worker runs {precision!r}; start workers with "
            f"--precision {wanted_precision}"
        )
    return None


@dataclass(frozen=True)
class PathMap:
    """LOCAL=REMOTE prefixes: how the workers see the coordinator's files (longest prefix wins)."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: Sequence[str]) -> PathMap:
        pairs = []
        for spec in specs:
            local, sep, remote = spec.partition("=")
            if not sep or not local or not remote:
                raise ValueError(f"--path-map {spec!r}: expected LOCAL=REMOTE, e.g. /mnt/nas=/srv/photos")
            pairs.append((os.path.abspath(local), remote.rstrip("/\\") or remote))
        return cls(tuple(sorted(pairs, key=lambda p: -len(p[0]))))

    def remote(self, path: str | os.PathLike[str]) -> str:
        absolute = os.path.abspath(path)
        for local, remote in self.pairs:
            if absolute == local or absolute.startswith(local.rstrip(os.sep) + os.sep):
                rest = absolute[len(local) :].lstrip(os.sep).replace(os.sep, "/")
                return f"{remote}/{rest}" if rest else remote
        return absolute


def job_failure(job: RqJob) -> str:
    """Why a job failed, in one line: the last line of the exception the worker recorded (or its status)."""
    latest = job.latest_result()
    text = (latest.exc_string if latest is not None else None) or job.exc_info or str(job.get_status(refresh=False))
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else "failed"
