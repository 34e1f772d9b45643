"""deploy/nginx.conf, for real: Debian's nginx in front of two app processes, on loopback.

One test, in steps (so that xdist never splits them over two stacks): a cache HIT; 304 for
If-None-Match answered by the proxy; an expired entry revalidated upstream with
If-None-Match (a second nginx whose only difference is a 1-second cache lifetime);
server-sent events passed through unbuffered; and one replica SIGKILLed in the middle of
200 curve and training requests without a single failed request. Every process it starts
is stopped at the end.
"""

from __future__ import annotations

import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

NGINX = "/usr/sbin/nginx"
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx.conf"

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not Path(NGINX).exists(), reason=f"{NGINX} is missing: install Debian's nginx (bash tests/run.sh does)"),
]

# Test-only, for the revalidation step: entries expire after 1 s whatever the app says.
SHORT_LIFETIME = "proxy_ignore_headers Cache-Control Expires;\n    proxy_cache_valid 200 1s;\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template: str, listen: str, upstreams: list[int], cache_dir: Path, extra_http: str = "") -> str:
    """The template with its ACTLAB_* placeholders filled (as envsubst does) and, at the end
    of the http block, what this machine needs (temp paths) plus ``extra_http``."""
    values = {
        "ACTLAB_LISTEN": listen,
        "ACTLAB_UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstreams),
        "ACTLAB_CACHE_DIR": str(cache_dir),
    }
    conf = re.sub(r"\$\{(ACTLAB_[A-Z_]+)\}", lambda m: values[m.group(1)], template)
    assert "${" not in conf
    temp = cache_dir.parent / "temp"
    local = "".join(f"    {kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = conf.rstrip()
    assert conf.endswith("}")  # the http block's end
    return conf[:-1] + "\n    # added by tests/deploy/test_nginx.py\n" + local + "    " + extra_http + "}\n"


class Nginx:
    def __init__(self, workdir: Path, upstreams: list[int], extra_http: str = ""):
        self.dir = workdir
        self.port = free_port()
        (workdir / "cache").mkdir(parents=True)
        (workdir / "temp").mkdir()
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(render(TEMPLATE.read_text(), f"127.0.0.1:{self.port}", upstreams, workdir / "cache", extra_http))
        directives = f"daemon off; pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'} warn;"
        if os.geteuid() == 0:
            # the master runs as root here; the workers as nobody, in directories nobody owns
            nobody = pwd.getpwnam("nobody")
            directives += f" user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        self.access_log = workdir / "access.log"
        self.proc = subprocess.Popen(
            [NGINX, "-p", f"{workdir}/", "-c", str(self.conf), "-g", directives],
            stdout=self.access_log.open("ab"), stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer within {timeout} s: {self.errors()}")

    def errors(self) -> str:
        out = []
        for f in (self.dir / "error.log", self.access_log):
            if f.exists():
                out.append(f.read_text()[-3000:])
        return "\n".join(out)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class App:
    def __init__(self, workdir: Path, name: str):
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "info"],
            cwd=ROOT, env={**os.environ, "ACTLAB_LOG_LEVEL": "info"},
            stdout=subprocess.DEVNULL, stderr=self.log.open("ab"),
        )

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited: {self.log.read_text()[-2000:]}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app did not start within {timeout} s")

    def requests(self) -> list[dict]:
        """The app's request log (one JSON line per request on stderr)."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"path"' in line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if payload else {}
        conn.request(method, path, body=payload, headers={**h, **(headers or {})})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def stack():
    workdir = Path(tempfile.mkdtemp(prefix="actlab-nginx-"))
    os.chmod(workdir, 0o711)  # nginx's workers (nobody, when run as root) pass through to their own directories
    started: list = []
    try:
        apps = [App(workdir, "app-a"), App(workdir, "app-b")]
        started += apps
        for a in apps:
            a.wait_ready()
        ports = [a.port for a in apps]
        proxy = Nginx(workdir / "proxy", ports)
        started.append(proxy)
        short = Nginx(workdir / "proxy-short", ports, SHORT_LIFETIME)
        started.append(short)
        proxy.wait_ready()
        short.wait_ready()
        yield apps, proxy, short
    finally:
        for p in reversed(started):
            p.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_nginx_in_front_of_two_replicas(stack) -> None:
    apps, proxy, short = stack
    t_start = time.monotonic()
    marks: list[tuple[str, float]] = []

    def mark(step: str) -> None:
        marks.append((step, time.monotonic() - t_start - sum(t for _, t in marks)))

    # (1) a repeated GET is served from the cache (the app said max-age=3600)
    url = "/api/curve?name=elu&alpha=0.5"
    s1, h1, b1 = request(proxy.port, "GET", url)
    s2, h2, b2 = request(proxy.port, "GET", url)
    assert (s1, s2) == (200, 200)
    assert h1["x-cache-status"] == "MISS" and h2["x-cache-status"] == "HIT", (h1, h2)
    assert b1 == b2 and h1["etag"] == h2["etag"] and "max-age=3600" in h2["cache-control"]
    def curves_served() -> int:
        return sum(1 for a in apps for r in a.requests() if r["path"] == "/api/curve")

    assert wait_for(lambda: curves_served() == 1) and not wait_for(lambda: curves_served() > 1, 0.3), "the HIT reached a replica"
    # each encoding is its own cached variant (Vary: Accept-Encoding), with its own ETag
    g1 = request(proxy.port, "GET", url, headers={"Accept-Encoding": "gzip"})
    g2 = request(proxy.port, "GET", url, headers={"Accept-Encoding": "gzip"})
    assert g1[1]["x-cache-status"] == "MISS" and g2[1]["x-cache-status"] == "HIT"
    assert g2[1]["content-encoding"] == "gzip" and g2[1]["etag"] == h1["etag"][:-1] + '-gz"'
    assert wait_for(lambda: curves_served() == 2)

    mark("cache")

    # (2a) revalidation by ETag: If-None-Match → 304 from the proxy, without a body
    s, h, b = request(proxy.port, "GET", url, headers={"If-None-Match": h1["etag"]})
    assert s == 304 and b == b"" and h["etag"] == h1["etag"] and h["x-cache-status"] == "HIT"
    assert not wait_for(lambda: curves_served() > 2, 0.3), "the proxy asked a replica"

    # (2b) an expired entry is revalidated upstream with If-None-Match: the app answers 304
    url = "/api/curve?name=gelu&n=301"
    before = [r for a in apps for r in a.requests() if r["path"] == "/api/curve" and r["status"] == 304]
    s, h, b = request(short.port, "GET", url)
    assert s == 200 and h["x-cache-status"] == "MISS"
    time.sleep(2.2)  # nginx counts lifetimes in whole seconds: 1 s can last until the second after next
    s, h2, b2 = request(short.port, "GET", url)
    # proxy_cache_background_update: the expired copy is served at once (STALE) while a
    # background request revalidates it (REVALIDATED when it is the client's request itself)
    assert s == 200 and h2["x-cache-status"] in ("STALE", "REVALIDATED"), h2
    assert b2 == b and h2["etag"] == h["etag"]
    assert wait_for(lambda: len([r for a in apps for r in a.requests() if r["path"] == "/api/curve" and r["status"] == 304]) == len(before) + 1), \
        "no replica answered a conditional request with 304"
    s, h3, b3 = request(short.port, "GET", url)  # refreshed by that 304: fresh again, same bytes
    assert s == 200 and h3["x-cache-status"] == "HIT" and b3 == b and h3["etag"] == h["etag"], h3

    mark("revalidation")

    # (3) server-sent events pass through unbuffered: progress arrives while training runs
    body = {"epochs": 5000, "depth": 3, "width": 16, "n_points": 600, "frames": 20, "boundary_frames": 0}  # ~0.5–1 s of training
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=60)
    t0 = time.monotonic()
    conn.request("POST", "/api/train/stream", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("content-type").startswith("text/event-stream")
    buf, first_progress, arrivals = b"", None, []
    while chunk := r.read1(65536):
        now = time.monotonic() - t0
        buf += chunk
        if b"event: progress" in chunk:
            arrivals.append(now)
        if first_progress is None and b"event: progress" in buf:
            first_progress = now
    end = time.monotonic() - t0
    conn.close()
    assert b"event: result" in buf and buf.rstrip().endswith(b"}"), buf[-300:]
    result = json.loads(buf.split(b"event: result\ndata: ", 1)[1])
    assert result["epochs"] == 5000 and not result["cut_short"]
    assert first_progress is not None
    assert end > 0.5, f"the run took {end:.2f} s: too short to tell buffering from streaming"
    assert first_progress < 0.5 * end and end - first_progress > 0.3, f"first progress at {first_progress:.2f} s of {end:.2f} s"
    assert len(arrivals) >= 3 and arrivals[-1] - arrivals[0] > 0.25 * end, arrivals

    mark("events")

    # (4) one replica SIGKILLed while 200 curve and training requests go through: none fails
    victim, survivor = apps[1], apps[0]
    before_kill = {id(a): len(a.requests()) for a in apps}

    def one(i: int) -> tuple[int, int, str]:
        if i % 4 == 0:
            s, h, b = request(proxy.port, "POST", "/api/train", {"epochs": 30, "frames": 5, "boundary_frames": 0, "seed": i})
        else:  # a new curve each time: a cache miss that must reach a replica
            s, h, b = request(proxy.port, "GET", f"/api/curve?name=leaky_relu&leak={(i + 1) / 1000:.3f}&n=101")
        return i, s, h.get("x-cache-status", "") + " " + b[:200].decode(errors="replace")

    failures, done = [], 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(one, i) for i in range(200)]
        for f in as_completed(futures):
            i, s, info = f.result()
            done += 1
            if s != 200:
                failures.append((i, s, info))
            if done == 60:
                victim.proc.send_signal(signal.SIGKILL)
    assert victim.proc.wait(timeout=5) == -signal.SIGKILL
    assert not failures, f"{len(failures)} failed: {failures[:5]}\n{proxy.errors()}"
    assert len(victim.requests()) > before_kill[id(victim)], "the victim served nothing before it was killed"
    assert len(survivor.requests()) > before_kill[id(survivor)]
    # nginx noticed: some request was passed on to the other replica
    log = proxy.access_log.read_text()
    retried = re.findall(r"upstream=127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+", log)
    print(f"failover: {len(retried)} requests passed on to the other replica; the killed one served {len(victim.requests()) - before_kill[id(victim)]}")
    assert retried, log[-2000:]

    mark("failover")
    print("steps: " + ", ".join(f"{step} {t:.1f} s" for step, t in marks))
    assert time.monotonic() - t_start < 60
