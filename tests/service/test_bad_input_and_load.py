"""Bad input gets its status and the CLI's reason naming the upload, never a 500; oversized bodies are refused
and never kept, and every ordinary client (urllib, requests, curl) reads the 413 and its message; a client that
disconnects leaves nothing behind; a burst of 40 at the defaults is answered in full."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest
import requests

from tests.support import processes
from tests.ui.conftest import broken_files


def post(server, route: str, name: str, data: bytes, field: str = "file", **form: str) -> httpx.Response:
    return httpx.post(f"{server.url}{route}", files={field: (name, data, "image/jpeg")}, data=form, timeout=30)


def message_of(route: str, reply: httpx.Response) -> str:
    body = reply.json()
    if route == "/upload":
        assert body["info"]["success"] is False
        return body["info"]["error"]
    if route.startswith("/v1/vision"):
        assert body["success"] is False
        return body["error"]
    return body["detail"]


@pytest.mark.parametrize("route", ["/upload", "/v1/vision/detection", "/v1/detect"])
def test_unusable_images_get_415_or_422_with_the_clis_reason(server, tmp_path, route):
    reasons = broken_files(tmp_path)
    reasons["empty.jpg"] = "empty file (0 bytes)"
    (tmp_path / "empty.jpg").write_bytes(b"")
    expected_status = {"notes.jpg": 415, "empty.jpg": 415, "cut.jpg": 422, "huge.png": 422}
    field = "image" if route.startswith("/v1/vision") else "file"
    for name, reason in reasons.items():
        reply = post(server, route, name, (tmp_path / name).read_bytes(), field=field)
        assert reply.status_code == expected_status[name], (name, reply.text)
        assert message_of(route, reply) == f"{name}: {reason}"


@pytest.mark.parametrize("route", ["/upload", "/v1/vision/detection", "/v1/detect"])
def test_missing_field_is_400(server, route):
    wrong = httpx.post(f"{server.url}{route}", files={"photo": ("a.jpg", b"x")}, timeout=30)
    empty = httpx.post(f"{server.url}{route}", timeout=30)
    for reply in (wrong, empty):
        assert reply.status_code == 400 and "no image" in message_of(route, reply)


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"conf": "abc"}, "conf='abc' is not a number"),
        ({"conf": "2"}, "confidence 2.0 must be between"),
        ({"size": "100"}, "must be a positive multiple of 32"),
        ({"precision": "turbo"}, "precision 'turbo' must be one of"),
        ({"classes": "unicorn"}, "unknown class name(s) unicorn"),
        ({"model": "../../etc/passwd"}, "model '../../etc/passwd' is not installed"),
    ],
)
def test_bad_options_are_the_clients_error(server, form, says):
    reply = post(server, "/v1/detect", "a.jpg", b"\xff\xd8 whatever", **form)
    assert reply.status_code in (400, 404) and says in reply.json()["detail"]


def test_other_malformed_requests(server, photos):
    raw = httpx.post(
        f"{server.url}/v1/detect", content=photos["coffee"].read_bytes(), headers={"Content-Type": "image/jpeg"}
    )
    assert raw.status_code == 415 and "multipart/form-data" in raw.json()["detail"]
    cut = httpx.post(
        f"{server.url}/v1/detect",
        content=b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nabc',
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert cut.status_code == 400
    assert httpx.post(f"{server.url}/v1/detect?format=bmp", files={"file": ("a.jpg", b"x")}).status_code == 400
    sneaky = post(server, "/v1/detect", "../../tmp/evil.jpg", photos["coffee"].read_bytes())
    assert sneaky.status_code == 200 and sneaky.json()["images"][0]["path"] == "evil.jpg"


def raw_request(port: int, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    return sock


def test_oversized_body_is_refused_before_it_is_read(server):
    """Beyond the drain bound (64 MB here) the server answers and closes without reading on."""
    declared = raw_request(
        server.port,
        b"POST /v1/detect HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
        b"Content-Length: 104857600\r\n\r\n",
    )
    with declared:
        assert declared.recv(4096).startswith(b"HTTP/1.1 413")  # answered with none of the 100 MB sent

    chunked = raw_request(
        server.port,
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
    )
    part = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'
    chunked.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    sent = 0
    endless = 200 * 1024 * 1024

    def send() -> None:  # keeps sending until the server closes; the reply is read meanwhile
        nonlocal sent
        block = b"x" * 65536
        try:
            while sent < endless:
                chunked.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
        except OSError:
            pass

    with chunked:
        sender = threading.Thread(target=send)
        sender.start()
        chunked.settimeout(60)
        assert chunked.recv(4096).startswith(b"HTTP/1.1 413")
        sender.join(60)
    assert 3 * 1024 * 1024 <= sent < endless  # read up to its limit and the drain bound, then no further
    assert httpx.get(f"{server.url}/v2/health/ready").status_code == 200


TOO_LARGE = "the upload is larger than the server's limit of 3 MB"


def multipart(data: bytes, name: str = "big.jpg") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'.encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def in_blocks(body: bytes) -> Iterator[bytes]:
    """A body without a length: urllib and requests send it chunked."""
    for start in range(0, len(body), 65536):
        yield body[start : start + 65536]


def urllib_post(url: str, body: bytes | Iterator[bytes], content_type: str, chunked: bool) -> tuple[int, str]:
    headers = {"Content-Type": content_type, **({"Transfer-Encoding": "chunked"} if chunked else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=60) as reply:  # type: ignore[arg-type]
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:  # a 413 is an HTTPError: its body is the server's message
        return error.code, error.read().decode()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("client", ["urllib", "requests", "curl", "curl-no-expect"])
def test_every_client_reads_the_413_and_its_message(server, tmp_path, client, chunked):
    """12 MB against a 3 MB limit: more than the socket buffers hold, so a server that answered and closed while
    the client was still sending would reset the connection (urllib then reports only that)."""
    data = os.urandom(12 * 1024 * 1024)
    url = f"{server.url}/v1/detect"
    if client.startswith("curl"):
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed")
        (tmp_path / "big.jpg").write_bytes(data)
        # curl asks "Expect: 100-continue" first (then sends nothing once refused); without it, it sends it all.
        options = (["-H", "Expect:"] if client == "curl-no-expect" else []) + (
            ["-H", "Transfer-Encoding: chunked"] if chunked else []
        )
        done = processes.run(
            ["curl", "-sS", "-w", "\n%{http_code}", *options, "-F", f"file=@{tmp_path / 'big.jpg'}", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        text, status = done.stdout.rsplit("\n", 1)
        status_code = int(status)
    elif client == "requests":
        if chunked:
            body, kind = multipart(data)
            reply = requests.post(url, data=in_blocks(body), headers={"Content-Type": kind}, timeout=60)
        else:
            reply = requests.post(url, files={"file": ("big.jpg", data)}, timeout=60)
        status_code, text = reply.status_code, reply.text
    else:
        body, kind = multipart(data)
        status_code, text = urllib_post(url, in_blocks(body) if chunked else body, kind, chunked)
    assert status_code == 413 and json.loads(text) == {"detail": TOO_LARGE}, text


def test_413_keeps_the_connection_when_the_body_was_read(server):
    """A refused body read to its end leaves the connection usable: the next request on it is answered."""
    body, kind = multipart(os.urandom(4 * 1024 * 1024))
    with httpx.Client(timeout=60) as client:
        refused = client.post(f"{server.url}/v1/detect", content=body, headers={"Content-Type": kind})
        assert refused.status_code == 413 and refused.json()["detail"] == TOO_LARGE
        assert client.get(f"{server.url}/v2/health/ready").status_code == 200


def test_disconnect_mid_upload_leaves_nothing_and_the_server_goes_on(server, photos):
    process = psutil.Process(server.pid)
    fds_before = process.num_fds()
    files_before = {f.path for f in process.open_files()}
    for _ in range(5):
        sock = raw_request(
            server.port,
            b"POST /v1/detect HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
            b'Content-Length: 2000000\r\n\r\n--XX\r\nContent-Disposition: form-data; name="file"; '
            b'filename="half.jpg"\r\n\r\n' + photos["big"].read_bytes()[:300_000],
        )
        sock.close()
    reply = post(server, "/v1/detect", "coffee.jpg", photos["coffee"].read_bytes())
    assert reply.status_code == 200 and reply.json()["images"][0]["detections"]
    deadline = time.monotonic() + 10
    while httpx.get(f"{server.url}/v2/health/ready").json()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert httpx.get(f"{server.url}/v2/health/ready").json()["in_flight"] == 0
    assert process.num_fds() <= fds_before + 2
    assert {f.path for f in process.open_files()} <= files_before  # no temp file, nothing half-written


def test_forty_concurrent_requests_at_the_defaults_are_all_answered(server, photos):
    """Several cameras triggering at once (DeepStack clients): the server finishes them in about a second, far
    within --max-wait, so none is turned away."""
    data = photos["coffee"].read_bytes()
    start = threading.Barrier(40)

    def one(_index: int) -> httpx.Response:
        start.wait()
        return post(server, "/v1/vision/detection", "coffee.jpg", data, field="image")

    with ThreadPoolExecutor(40) as pool:
        replies = list(pool.map(one, range(40)))
    assert [r.status_code for r in replies] == [200] * 40, [r.text for r in replies if r.status_code != 200]
    assert all("cup" in {p["label"] for p in r.json()["predictions"]} for r in replies)
    ready = httpx.get(f"{server.url}/v2/health/ready").json()
    assert ready["in_flight"] == 0 and ready["upload_mb_held"] == 0 and ready["max_wait"] == 10
