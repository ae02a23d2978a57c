"""Live capture without Qt: only the newest frame is detected when the network is slower than the source, the lag
never grows, and the device is released when stopped; a source that cannot be opened says why."""

from __future__ import annotations

import itertools
import threading
import time

from tests.conftest import read_rgb
from tests.video.conftest import write_clip
from yolo_desktop.video.camera import CameraCapture, LiveDetection, parse_source, probe_cameras


class SlowRunner:
    """The real detector, whose network takes at least ``seconds`` (a slower machine or a bigger model)."""

    def __init__(self, detector, seconds: float) -> None:
        self.detector = detector
        self.seconds = seconds
        self.input_size = detector.input_size
        self.settings = detector.settings
        self.prepare = detector.prepare

    def infer(self, prepared, path="", timings=None, settings=None):
        started = time.monotonic()
        result = self.detector.infer(prepared, path, timings, settings)
        time.sleep(max(0.0, self.seconds - (time.monotonic() - started)))
        return result


def test_only_the_newest_frame_is_detected(tmp_path, data_dir, app_detector):
    clip = tmp_path / "fast camera.mp4"
    write_clip(clip, read_rgb(data_dir / "camera.png")[::2, ::2], 90, 60.0, "mp4v", shift=1)  # 1.5 s at 60 fps
    capture = CameraCapture(str(clip)).start()
    lags: list[int] = []
    seen: list[int] = []
    errors: list[str] = []
    done = threading.Event()

    def on_result(frame, result):
        seen.append(frame.seq)
        lags.append(capture.frames_read - 1 - frame.seq)  # frames the source delivered since this one
        assert result.ok

    detection = LiveDetection(capture, lambda: SlowRunner(app_detector, 0.1), on_result, errors.append).start()
    threading.Thread(target=lambda: (detection.join(), done.set()), daemon=True).start()
    assert done.wait(30)
    assert capture.state == "ended" and capture.released
    assert errors == [f"{clip}: the video ended"]
    # ~10 detections per second of a 60 fps source: frames in between are skipped, not queued.
    assert 5 <= len(seen) <= 30 and capture.frames_read == 90
    assert seen == sorted(set(seen))
    assert max(b - a for a, b in itertools.pairwise(seen)) >= 4
    # No backlog: a queue of frames would fall ~9 frames further behind at every result (60 fps source, ~10
    # detections a second), ~80 by the end. Newest-only stays about one network run (6 frames) behind; the bound is
    # generous (half a second of source) so a loaded machine's late wake-ups do not matter, a backlog still fails.
    assert max(lags) <= 30 and max(lags[-3:]) <= 30


def test_a_source_that_cannot_be_opened_says_why(tmp_path):
    (tmp_path / "notes.mp4").write_text("not a video")
    for source, reason in (
        (str(tmp_path / "notes.mp4"), "not a video OpenCV can read"),
        ("rtsp://127.0.0.1:9/stream", "cannot be opened"),
        (9, "cannot be opened (no such camera, or it is in use by another program)"),
    ):
        capture = CameraCapture(source, open_timeout=3.0).start()
        assert capture.join(20)
        assert capture.state == "failed" and reason in (capture.error or ""), capture.error
    assert parse_source("3") == 3 and parse_source("camera 2") == 2 and parse_source(" rtsp://x/y ") == "rtsp://x/y"
    assert all(isinstance(index, int) for index, _info in probe_cameras(range(2)))


def test_a_network_camera_that_disappears_is_reported(data_dir):
    """A real MJPEG-over-HTTP stream on a loopback port (what IP cameras send); the server then goes away."""
    import http.server
    import socketserver

    import cv2

    _ok, jpeg = cv2.imencode(".jpg", cv2.imread(str(data_dir / "camera.png")))
    gone = threading.Event()

    class Stream(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            try:
                while not gone.is_set():
                    part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                    self.wfile.write(part + jpeg.tobytes() + b"\r\n")
                    time.sleep(0.04)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Stream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    capture = CameraCapture(url, open_timeout=5.0).start()
    try:
        deadline = time.monotonic() + 20
        while capture.frames_read < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.state == "live" and capture.frames_read >= 10
        frame = capture.newest()
        assert frame is not None and frame.rgb.shape == (512, 512, 3)
    finally:
        gone.set()
        server.shutdown()
        server.server_close()
    assert capture.join(20)
    assert capture.state == "failed" and capture.error == f"{url}: stopped sending frames (unplugged or closed?)"
    assert capture.released
