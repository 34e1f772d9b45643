"""Slow and greedy clients against a real server (``python3 -m app serve``, its guarded
httptools protocol and the app's middleware): a body that stalls is answered 408 and
dropped, headers that never finish are dropped, an idle connection is closed, oversized
headers get 431, and beyond the connection ceiling a new connection gets 503 — while an
ordinary client keeps being served."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.live.harness import _stop, free_port, start_apps

pytestmark = pytest.mark.live

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 16
MAX_HEADER_BYTES = 4096


@pytest.fixture(scope="module")
def port():
    p = free_port()
    env = {
        "ACTLAB_LOG_LEVEL": "warning",
        "ACTLAB_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "ACTLAB_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "ACTLAB_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "ACTLAB_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "ACTLAB_KEEP_ALIVE_S": "2",
    }
    (proc,) = start_apps([p], env)
    yield p
    _stop(proc)


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def read_until_closed(s: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed (s)."""
    t0 = time.monotonic()
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except ConnectionResetError:
        pass
    return out, time.monotonic() - t0


def status_and_json(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head[9:12]), json.loads(body)


def get_ok(s: socket.socket) -> None:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    rest = head.split(b"\r\n\r\n", 1)[1]
    while len(rest) < length:
        rest += s.recv(4096)


def test_a_stalled_body_is_answered_408_and_dropped(port) -> None:
    s = connect(port)
    s.sendall(b"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"epochs\": ")
    raw, after = read_until_closed(s)
    status, body = status_and_json(raw)
    assert status == 408 and body["code"] == "timeout" and body["field"] == "body" and body["limit_s"] == BODY_TIMEOUT_S
    assert BODY_TIMEOUT_S * 0.8 <= after < BODY_TIMEOUT_S + 5, after


def test_a_body_trickling_in_is_dropped_at_the_deadline(port) -> None:
    """A byte a while is still a stalled upload: the deadline is for the whole body."""
    s = connect(port)
    s.sendall(b"POST /api/curves HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n")
    t0 = time.monotonic()
    closed = False
    try:
        for _ in range(40):
            s.sendall(b" ")
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    raw, _ = read_until_closed(s)
    assert closed or raw, "the server kept reading"
    if raw:
        assert status_and_json(raw)[0] == 408
    assert time.monotonic() - t0 < BODY_TIMEOUT_S + 5


def test_headers_that_never_finish_are_dropped(port) -> None:
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    raw, after = read_until_closed(s)
    status, body = status_and_json(raw)
    assert status == 408 and body["code"] == "timeout"
    assert HEADER_TIMEOUT_S * 0.8 <= after < HEADER_TIMEOUT_S + 5, after


def test_a_silent_connection_is_closed(port) -> None:
    raw, after = read_until_closed(connect(port))
    assert raw == b"" and after < HEADER_TIMEOUT_S + 5


def test_oversized_headers_get_431(port) -> None:
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (MAX_HEADER_BYTES + 100) + b"\r\n\r\n")
    raw, _ = read_until_closed(s)
    status, body = status_and_json(raw)
    assert status == 431 and body["code"] == "headers_too_large" and body["limit"] == MAX_HEADER_BYTES


def test_keep_alive_still_works_and_idle_connections_close(port) -> None:
    s = connect(port)
    get_ok(s)
    time.sleep(HEADER_TIMEOUT_S + 0.3)  # longer than the head deadline: an idle kept-alive connection is not a slow request
    get_ok(s)
    raw, after = read_until_closed(s)  # then closed after the keep-alive time (2 s)
    assert raw == b"" and after < 2 + 5


def test_the_connection_ceiling_refuses_with_503_and_recovers(port) -> None:
    held = [connect(port) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        s = connect(port)
        raw, _ = read_until_closed(s)
        status, body = status_and_json(raw)
        assert status == 503 and body["code"] == "busy" and b"retry-after: 1" in raw.lower()
    finally:
        for h in held:
            h.close()
    time.sleep(0.3)
    get_ok(connect(port))
