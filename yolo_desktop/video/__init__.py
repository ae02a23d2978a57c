"""Video files and live cameras, on the one pipeline (``pipeline.Job.video_frame``); no Qt here.

    probe.py        open a file or device; one-line reasons when it cannot be read (no video stream, codec, …)
    reader.py       frames decoded ahead on their own thread
    detect.py       frames → the pipeline → results, with stride and time range (the one video loop)
    writer.py       the annotated video, written on its own thread to a temp file, then renamed
    frame_files.py  ``<name>.frames.jsonl`` / ``.frames.csv``: one line per processed frame
    record.py       the video's record in ``detections.json`` (frames, fps, duration, per-class totals)
    output.py       one video's outputs (annotated video, frame files, record), for the command line and the export
    run.py          one video end to end for the command line (progress, Ctrl+C)
    export.py       a video processed in the window, exported from its kept candidates (no network)
    frame_store.py  every processed frame's candidates, compact, for re-thresholding a whole video at once
    tracking.py     multi-object tracking: ids that follow objects, distinct counts, line crossings (numpy only)
    lines.py        counting lines and which way a tracked object crossed one
    track_files.py  ``<name>.tracks.csv`` and ``<name>.crossings.csv``
    retrack.py      the window's tracks of a processed video, recomputed from its kept candidates in slices
    zones.py        zones (polygons) and which point of a box must be in one; events.py: stays, enter/leave/visit
    event_files.py  ``<name>.events.csv``/``.jsonl`` (appended as events settle) and ``<name>.zones.csv``
    heatmap.py      where tracked objects were, per class: ``<name>.heatmap.png`` and the player's overlay
    clock.py        a clip's wall-clock start (a date-time in its name, else its file's)
    intervals.py    counts per interval over clips: ``intervals.csv``
    zone_book.py    zones and lines saved with a folder, per camera size
    footage.py      a folder of clips for ``detect``: time order, each clip's zones, resume, intervals
    player.py       frames for the window's player, decoded off the GUI thread
    camera.py       live capture keeping only the newest frame; device probing; a detection loop; recording

OpenCV's FFmpeg prints its own diagnostics to the terminal ("moov atom not found", "overread 8"); every one of
those cases gets a one-line reason from this package instead, so FFmpeg is told to be quiet (read once, when the
first capture opens).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
