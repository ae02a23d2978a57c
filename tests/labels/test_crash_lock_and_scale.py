"""Real processes: a store SIGKILLed mid-edit loses nothing older than its last write pass and leaves no file
half-written or emptied; two processes on one labels folder — the second is refused, names the first, and takes
over once the first is killed. And 10,000 photos open without a photo file being opened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from tests.labels.conftest import header_only_jpeg, jpeg_bytes
from tests.support import processes
from yolo_desktop.labels.place import BESIDE, DATASET, Place
from yolo_desktop.labels.problems import LabelsUnavailable
from yolo_desktop.labels.store import LabelStore

PHOTOS = 20
EDITS = 3000  # the child stops editing here (and waits to be killed): edit numbers stay below 60 × 60

# Edit k of photo k % PHOTOS: two boxes whose corners say k (x of the first: k % 60, x of the second: k // 60).
EDITOR = """
import sys, time
from yolo_desktop.labels.boxes import PhotoLabels
from yolo_desktop.labels.place import Place
from yolo_desktop.labels.store import LabelStore

folder = sys.argv[1]
store = LabelStore(Place(folder, folder, "beside"), on_saved=lambda n: print(f"saved {n}", flush=True))
rels = [photo.rel for photo in store.photos]
for k in range(1, %(edits)d + 1):
    boxes = [(k %% 60, 0, k %% 60 + 2, 2), (k // 60, 10, k // 60 + 2, 12)]
    store.save(rels[k %% len(rels)], PhotoLabels.of(64, 48, boxes, [0, 1], store.names))
    time.sleep(0.001)
print("done", flush=True)
time.sleep(600)
"""

HOLDER = """
import sys, time
from yolo_desktop.labels.place import Place
from yolo_desktop.labels.store import LabelStore

store = LabelStore(Place(sys.argv[1], sys.argv[1], "beside"))
print("holding", flush=True)
time.sleep(600)
"""


def start(script: str, *args: str) -> subprocess.Popen:
    return processes.popen(
        [sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_a_killed_store_keeps_every_saved_edit_and_no_half_written_file(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(PHOTOS):
        (folder / f"p{i:02d}.jpg").write_bytes(jpeg_bytes(64, 48, seed=i))
    (folder / "classes.txt").write_text("cat\ndog\n")
    child = start(EDITOR % {"edits": EDITS}, str(folder))
    try:
        saved = 0
        while saved < 400:  # several write passes (one each 0.5 s) under way: then kill it mid-edit
            line = child.stdout.readline()
            assert line, child.stderr.read()
            assert line != "done\n", "the editor finished before it was killed: make EDITS larger"
            saved = int(line.split()[1]) if line.startswith("saved ") else saved
    finally:
        kill(child)
    with LabelStore(Place(folder, folder, BESIDE), readonly=True) as store:
        assert store.problems == []
        for i, photo in enumerate(store.photos):
            labels = store.read(photo.rel)  # raises for a half-written file
            assert labels is not None and len(labels.boxes) == 2 and labels.boxes.labels == ("cat", "dog")
            (x_low, _, _, _), (x_high, _, _, _) = labels.boxes.boxes.tolist()
            on_disk = round(x_high) * 60 + round(x_low)
            last_saved = max(k for k in range(1, saved + 1) if k % PHOTOS == i)
            assert on_disk >= last_saved, (photo.rel, on_disk, last_saved)  # nothing saved was lost
    leftovers = [name for name in os.listdir(folder) if name.endswith(".part")]
    LabelStore(Place(folder, folder, BESIDE)).close()  # opening for editing clears a killed write's temp files
    assert [name for name in os.listdir(folder) if name.endswith(".part")] == []
    assert all(name.startswith(".") for name in leftovers)


def test_a_second_process_is_refused_with_the_holder_named_and_takes_over_a_dead_one(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(jpeg_bytes(64, 48))
    place = Place(folder, folder, BESIDE)
    holder = start(HOLDER, str(folder))
    try:
        assert holder.stdout.readline() == "holding\n", holder.stderr.read()
        with pytest.raises(LabelsUnavailable, match=rf"being edited by .* \(process {holder.pid}, since .*\); open"):
            LabelStore(place)
        with LabelStore(place, readonly=True) as reader:  # a second window may still look
            assert reader.counts() == {"unlabelled": 1}
    finally:
        kill(holder)
    with LabelStore(place) as store:  # the dead process's lock is the OS's to release: taken over at once
        store.add_class("cat")
    assert (folder / "classes.txt").read_text() == "cat\n"


_opened: list[str] = []
_watching: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _watching and event == "open" and isinstance(args[0], (str, Path)):
        _opened.append(os.fspath(args[0]))


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory) -> Path:
    """10,000 photos (JPEG headers only: decoding any pixel would fail), 3,000 labelled, 1,000 of them reviewed."""
    root = tmp_path_factory.mktemp("large")
    (root / "images").mkdir()
    (root / "labels").mkdir()
    data = header_only_jpeg(64, 48)
    for i in range(10_000):
        (root / "images" / f"{i:05d}.jpg").write_bytes(data)
    for i in range(0, 10_000, 10):
        for j in range(3):
            (root / "labels" / f"{i + j:05d}.txt").write_text(f"{j} 0.5 0.5 0.25 0.25\n")
    (root / "labels" / "classes.txt").write_text("a\nb\nc\n")
    reviewed = ",".join(f'"{i:05d}.jpg"' for i in range(0, 10_000, 10))
    (root / "labels" / ".yolo-desktop-labels.json").write_text(
        f'{{"format": "yolo-desktop labels 1", "reviewed": [{reviewed}]}}'
    )
    return root


def test_ten_thousand_photos_open_without_opening_a_photo(ten_thousand):
    sys.addaudithook(_audit)
    _opened.clear()
    _watching.append(True)
    try:
        store = LabelStore(Place(ten_thousand / "images", ten_thousand / "labels", DATASET))
        counts = store.counts()
        opened_while_opening = [p for p in _opened if p.startswith(str(ten_thousand / "images"))]
        _opened.clear()
        labels = store.read("00011.jpg")
        opened_while_reading = list(_opened)
    finally:
        _watching.clear()
        store.close()
    assert counts == {"unlabelled": 7000, "labelled": 2000, "reviewed": 1000}
    assert opened_while_opening == []  # listing only: no photo file opened, so none decoded
    # One photo's labels: its header (the file has nothing else: a pixel decode would have failed) and its file.
    assert opened_while_reading == [
        str(ten_thousand / "images" / "00011.jpg"),
        str(ten_thousand / "labels" / "00011.txt"),
    ]
    assert labels.boxes.labels == ("b",)
    assert np.allclose(labels.boxes.boxes, [[24, 18, 40, 30]], atol=1e-4)  # px of the 64×48 header


def test_a_large_folder_reads_whole_from_headers(ten_thousand):
    from yolo_desktop.labels.dataset import read_labels
    from yolo_desktop.labels.stats import label_stats

    stats = label_stats(read_labels(ten_thousand))
    assert stats.states == {"unlabelled": 7000, "labelled": 2000, "reviewed": 1000, "problem": 0}
    assert stats.boxes == {"a": 1000, "b": 1000, "c": 1000}
