"""Slow and greedy clients against a real server (``python3 -m app serve``, its guarded
httptools protocol and the app's middleware): a body that stalls is answered 408 and
dropped, headers that never finish are dropped, an idle connection is closed, oversized
headers get 431 (a page for a browser, the error shape for others), and beyond the connection ceiling a new connection gets 503 — while an
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


BROWSER_ACCEPT = b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
LONG_TARGET = b"/?fn=relu&junk=" + b"x" * 20_000


def long_link_request(accept: bytes | None, target: bytes = LONG_TARGET) -> bytes:
    head = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0\r\n"
    if accept is not None:
        head += b"Accept: " + accept + b"\r\n"
    return head + b"Accept-Language: en\r\n\r\n"


def status_and_page(raw: bytes) -> tuple[int, dict[bytes, bytes], str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert int(headers[b"content-length"]) == len(body)
    return int(lines[0][9:12]), headers, body.decode()


def assert_too_long_page(raw: bytes) -> None:
    status, headers, page = status_and_page(raw)
    assert status == 431, raw[:200]
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert headers[b"x-content-type-options"] == b"nosniff" and b"script-src" not in headers[b"content-security-policy"]
    assert "This link is too long to open" in page and '<a href="/">' in page
    assert "<script" not in page and "headers_too_large" not in page


def test_a_link_too_long_gets_431_as_a_page_in_a_browser(port) -> None:
    """A browser (Accept: text/html) that followed a link longer than the header limit shows a
    page saying so with a way back to /, not the JSON error."""
    s = connect(port)
    s.sendall(long_link_request(BROWSER_ACCEPT))
    raw, _ = read_until_closed(s)
    assert_too_long_page(raw)


@pytest.mark.parametrize("accept", [None, b"application/json", b"*/*"])
def test_a_link_too_long_gets_431_json_for_api_clients(port, accept) -> None:
    s = connect(port)
    s.sendall(long_link_request(accept))
    raw, _ = read_until_closed(s)
    status, body = status_and_json(raw)
    assert status == 431 and b"content-type: application/json" in raw.lower()
    assert body == {"detail": f"the request line and headers exceed {MAX_HEADER_BYTES} bytes", "field": None, "code": "headers_too_large",
                    "errors": [{"field": None, "message": f"the request line and headers exceed {MAX_HEADER_BYTES} bytes", "code": "headers_too_large"}],
                    "limit": MAX_HEADER_BYTES}


def test_431_page_when_the_accept_header_comes_in_a_later_read(port) -> None:
    """The head arrives in pieces, the limit crossed in the first, Accept split across two more."""
    request = long_link_request(BROWSER_ACCEPT)
    cut = request.index(b"\r\nAccept:") + 5
    s = connect(port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for piece in (request[:MAX_HEADER_BYTES + 500], request[MAX_HEADER_BYTES + 500:cut], request[cut:cut + 12], request[cut + 12:]):
        s.sendall(piece)
        time.sleep(0.1)
    raw, _ = read_until_closed(s)
    assert_too_long_page(raw)


def test_431_page_when_accept_came_before_a_header_too_large(port) -> None:
    s = connect(port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + BROWSER_ACCEPT + b"\r\nCookie: c=" + b"a" * (MAX_HEADER_BYTES + 100) + b"\r\n\r\n")
    raw, _ = read_until_closed(s)
    assert_too_long_page(raw)


def test_431_after_a_pipelined_browser_request_answers_the_api_client_in_json(port) -> None:
    """One read holding a request that accepts HTML and then an API client's too-long one: the
    431 is judged by the too-long request's own headers, not the earlier one's."""
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n" + long_link_request(b"application/json"))
    raw, _ = read_until_closed(s)
    status, body = status_and_json(raw[raw.index(b"HTTP/1.1 431"):])
    assert status == 431 and body["code"] == "headers_too_large"


def test_a_head_too_large_that_never_ends_gets_431_at_the_head_deadline(port) -> None:
    s = connect(port)
    s.sendall(b"GET " + LONG_TARGET + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nX-Slow: ")
    raw, after = read_until_closed(s)
    assert_too_long_page(raw)
    assert HEADER_TIMEOUT_S * 0.5 <= after < HEADER_TIMEOUT_S + 5, after


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
