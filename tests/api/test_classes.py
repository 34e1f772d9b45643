"""Live classes with the in-process store: the API, its refusals and its limits.

Request/response routes go through TestClient; event streams need a real server (TestClient
waits for a response to end, and a class stream does not), so those tests run uvicorn in a
thread on a free loopback port. Limits are lowered per app through ``app.state.live_limits``.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.live.codes import ALPHABET, CODE_LENGTH, client_key, normalise_code, token_hash, token_matches, validate_query
from app.live.memory import MemoryStore
from app.live.store import Limits
from app.main import create_app
from app.settings import Settings, SettingsError
from tests.live.harness import free_port

QUIET = Settings(log_level="warning", public_url="http://testserver")
RESULT = {"params": {"leak": 0.1}, "test_accuracy": 0.9, "dead_fraction": 0.05, "final_loss": 0.3, "activation": "leaky_relu(leak=0.1)"}


def make_app(settings: Settings = QUIET, **limits):
    app = create_app(settings)
    if limits:
        app.state.live_limits = Limits(**limits)
    return app


def start(client: TestClient, query: str = "fn=relu") -> tuple[str, dict[str, str], dict]:
    r = client.post("/api/classes", json={"query": query})
    assert r.status_code == 201, r.text
    body = r.json()
    return body["code"], {"Authorization": f"Bearer {body['teacher_token']}"}, body


@pytest.fixture(scope="module")
def client() -> TestClient:
    """One app for the tests that need no limit of their own (starting classes is not capped here)."""
    return TestClient(make_app(creates_per_hour=100_000))


@contextmanager
def serving(app) -> Iterator[str]:
    """The app on a real uvicorn server in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sse(response: httpx.Response) -> Iterator[tuple[str, dict, str | None]]:
    """(event, data, id) for each server-sent event of a streaming response."""
    event: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in event:
                yield event.get("event", "message"), json.loads(event["data"]), event.get("id")
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value[1:] if value.startswith(" ") else value


def next_event(events: Iterator, kind: str) -> tuple[dict, str | None]:
    for k, data, eid in events:
        if k == kind:
            return data, eid
    raise AssertionError(f"stream ended before a {kind} event")


# ----------------------------------------------------------------------------- starting and reading


def test_start_gives_a_code_urls_and_a_token_it_keeps_only_hashed(client):
    code, _, body = start(client)
    assert re.fullmatch(f"[{ALPHABET}]{{{CODE_LENGTH}}}", code)
    assert not set("01OIL") & set(ALPHABET) and len(ALPHABET) == 31
    assert body["display_code"] == f"{code[:4]}-{code[4:]}"
    assert body["join_url"] == f"http://testserver/join/{code}"
    assert body["qr_url"] == f"http://testserver/api/classes/{code}/qr.svg"
    assert body["teacher_url"] == f"http://testserver/?class={code}#teacher={body['teacher_token']}"
    assert len(body["teacher_token"]) >= 43 and body["idle_expiry_s"] == 10800 and body["max_students"] == 200
    store = client.app.state.live_store
    held = store._classes[code].info
    assert held.token_hash == token_hash(body["teacher_token"]) and body["teacher_token"] not in repr(held)
    assert token_matches(body["teacher_token"], held.token_hash) and not token_matches("guess", held.token_hash)


def test_the_join_link_is_the_public_origins_never_the_requests_host():
    """A server bound to 127.0.0.1 without ACTLAB_PUBLIC_URL writes a loopback join link (the
    class panel warns of it); a Host header, which any client sets, never changes it."""
    for settings, origin in [(Settings(log_level="warning", host="127.0.0.1", port=8221), "http://127.0.0.1:8221"),
                             (Settings(log_level="warning", host="0.0.0.0", port=8221), "http://127.0.0.1:8221"),
                             (Settings(log_level="warning", host="0.0.0.0", port=8221, public_url="http://192.168.1.20:8221/"), "http://192.168.1.20:8221")]:
        c = TestClient(make_app(settings))
        r = c.post("/api/classes", json={"query": ""}, headers={"Host": "evil.example:8221"})
        assert r.status_code == 201, r.text
        code = r.json()["code"]
        assert r.json()["join_url"] == f"{origin}/join/{code}"
        # the class's public state names the same link (a teacher's page reopened reads it there)
        assert c.get(f"/api/classes/{code}", headers={"Host": "evil.example"}).json()["join_url"] == f"{origin}/join/{code}"


def test_public_info_takes_the_code_in_any_case_with_or_without_the_hyphen(client):
    code, _, _ = start(client, "fn=elu(alpha=0.5)")
    for spelling in (code, code.lower(), f"{code[:4]}-{code[4:]}".lower()):
        r = client.get(f"/api/classes/{spelling}")
        assert r.status_code == 200
        assert r.json() == {"code": code, "display_code": f"{code[:4]}-{code[4:]}", "seq": 0, "query": "fn=elu(alpha=0.5)",
                            "paused": False, "message": "", "experiment": None, "students": 0, "exploring": 0, "results": 0,
                            "results_revision": 0, "join_url": f"http://testserver/join/{code}"}
    assert normalise_code("abcl efgh") is None and normalise_code("abcd efgh") == "ABCDEFGH"  # no L in the alphabet
    r = client.get("/api/classes/22222222")
    assert r.status_code == 404 and r.json()["code"] == "class_not_found" and r.json()["field"] == "code"


def test_the_teacher_changes_state_pause_release_and_experiment_in_sequence(client):
    code, teacher, _ = start(client)
    assert client.put(f"/api/classes/{code}/state", json={"query": "fn=sigmoid&view=network"}, headers=teacher).json() == {"seq": 1}
    assert client.post(f"/api/classes/{code}/pause", json={"message": "Pens down"}, headers=teacher).json() == {"seq": 2}
    info = client.get(f"/api/classes/{code}").json()
    assert (info["seq"], info["query"], info["paused"], info["message"]) == (2, "fn=sigmoid&view=network", True, "Pens down")
    assert client.post(f"/api/classes/{code}/release", headers=teacher).json() == {"seq": 3}
    assert client.post(f"/api/classes/{code}/pause", headers=teacher).json() == {"seq": 4}  # the default message
    assert "paused" in client.get(f"/api/classes/{code}").json()["message"]
    r = client.post(f"/api/classes/{code}/experiment", json={"prompt": "Pick a leak, train, submit", "param": "leak"}, headers=teacher)
    assert r.json() == {"seq": 5, "experiment": {"prompt": "Pick a leak, train, submit", "collect": ["test_accuracy", "dead_fraction", "final_loss"], "param": "leak", "id": 5, "open": True}}


# ----------------------------------------------------------------------------- only the teacher


@pytest.mark.parametrize("method,path,body", [
    ("PUT", "state", {"query": "fn=relu"}),
    ("POST", "pause", None),
    ("POST", "release", None),
    ("POST", "experiment", {"prompt": "x"}),
    ("GET", "results", None),
    ("POST", "end", None),
])
def test_only_the_teacher_token_controls_a_class(client, method, path, body):
    code, teacher, _ = start(client)
    other_code, other_teacher, _ = start(client)
    url = f"/api/classes/{code}/{path}"
    for headers in ({}, {"Authorization": "Basic dGVhY2hlcjp4"}, {"Authorization": teacher["Authorization"].split()[1]}):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "teacher_token_missing" and r.json()["field"] == "Authorization"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    for headers in ({"Authorization": "Bearer not-the-token"}, {"Authorization": "Bearer "}, other_teacher,
                    {"Authorization": teacher["Authorization"][:-1] + ("A" if teacher["Authorization"][-1] != "A" else "B")}):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "teacher_token_wrong", headers
    assert client.get(f"/api/classes/{code}").json()["seq"] == 0  # nothing changed
    assert client.request(method, url, json=body, headers=teacher).status_code == 200


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("query,words", [
    ("fn=a b", "printable ASCII"),
    ("fn=é", "printable ASCII"),
    ("fn=relu&&view=x", "key=value"),
    ("bad-key=1", "key=value"),
    ("fn=<script>", "cannot carry"),
    ("fn=%zz", "cannot carry"),
    ("fn=x#frag", "cannot carry"),
    ("x=" + "a" * 2047, "at most 2048"),
    ("&".join(f"k{i}=1" for i in range(65)), "at most 64"),
], ids=["space", "non-ascii", "empty-pair", "bad-key", "angle-brackets", "bad-escape", "fragment", "too-long", "too-many-pairs"])
def test_a_state_outside_the_url_query_vocabulary_is_refused_naming_query(client, query, words):
    code, teacher, _ = start(client)
    r = client.put(f"/api/classes/{code}/state", json={"query": query}, headers=teacher)
    assert r.status_code == 422 and r.json()["field"] == "query" and r.json()["code"] == "invalid_input"
    assert words in r.json()["detail"]


@pytest.mark.parametrize("query,words", [
    ("step=3", "'step' is not a setting of the explorer"),
    ("class=ABCDEFGH", "'class' is not a setting of the explorer"),
    ("fn=relu&fn=elu", "given more than once"),
    ("view=tabs", "view='tabs' must be one of function, network"),
    ("depth=99", "depth='99' must be a whole number from 1 to"),
    ("learning_rate=abc", "learning_rate='abc'"),
    ("fn=nope", "unknown activation"),
    ("fn=elu(alpha=99)", "out of range"),
    ("fn=" + ",".join(["relu"] * 7), "too many"),
    ("page=lessons/no-such-lesson", "page must be lessons/<slug>"),
    ("page=explorer&fn=relu", "page must be lessons/<slug>"),
    ("page=lessons/dying-relu&fn=relu", "'fn' is not a setting of lesson 'dying-relu'"),
    ("page=lessons/dying-relu&leak=5", "leak must be a number in [0, 1]"),
    ("page=lessons/dying-relu&step=99", "step must be a whole number from 1 to 5"),
    ("page=lessons/dying-relu&present=yes", "present must be 0 or 1"),
    ("theme=neon", "theme='neon' must be one of light, dark, contrast"),
], ids=["explorer-step", "class-key", "repeated", "not-a-choice", "out-of-range", "not-a-number", "unknown-activation",
        "param-out-of-range", "too-many-curves", "unknown-lesson", "page-not-a-lesson", "lesson-unknown-key", "lesson-control-range",
        "lesson-step-range", "lesson-present", "theme"])
def test_a_state_the_pages_would_not_show_as_written_is_refused(client, query, words):
    """The class state speaks the app's vocabulary: the explorer's settings (app/api/meta.py STATE,
    read by the links' rule) or a lesson's (page=lessons/<slug>, its controls, present, step), so
    every student's page shows what the teacher's does."""
    code, teacher, _ = start(client)
    r = client.put(f"/api/classes/{code}/state", json={"query": query}, headers=teacher)
    assert r.status_code == 422 and r.json()["field"] == "query" and r.json()["code"] == "invalid_input", r.text
    assert words in r.json()["detail"]
    assert client.post("/api/classes", json={"query": query}).status_code == 422  # the same rule when a class starts


def test_validate_query_keeps_what_the_explorer_writes():
    for q in ("", "fn=relu", "fn=elu(alpha=0.5),relu&view=function&xmin=-6&xmax=6", "page=lessons/dying-relu&present=1&step=2&leak=0.1",
              "fn=noisy_relu(sigma=0.2)&view=network&seed=3", "view=network&mode=compare&act=relu,leaky_relu(leak=0.1)&learning_rate=0.3&theme=dark",
              "fn=%5Bx%5D", "fn=[a*x](a=1)", "view=network&mode=sweep&sweep=learning_rate&values=0.01,0.1,1"):
        assert validate_query(q) == q
    assert validate_query("?fn=relu") == "fn=relu"


@pytest.mark.parametrize("body,field", [
    ({"params": {"leak": 0.1}, "test_accuracy": 1.5}, "test_accuracy"),
    ({"params": {"leak": 0.1}, "dead_fraction": -0.1}, "dead_fraction"),
    ({"params": {"leak": 0.1}, "final_loss": 1e7}, "final_loss"),
    ({"params": {"leak": "0.1"}}, "params.leak"),
    ({"params": {"bad key": 0.1}}, "params.bad key.[key]"),
    ({"params": {f"p{i}": 0.1 for i in range(17)}}, "params"),
    ({"nickname": "x" * 25}, "nickname"),
    ({"nickname": "Ada\u202e"}, "nickname"),
    ({"activation": "r" * 201}, "activation"),
    ({"student": "short"}, "student"),
    ({"experiment": 0}, "experiment"),
    ({"ip": "1.2.3.4"}, "ip"),
])
def test_a_result_is_validated_like_every_input(client, body, field):
    code, teacher, _ = start(client)
    client.post(f"/api/classes/{code}/experiment", json={"prompt": "p", "collect": ["test_accuracy"]}, headers=teacher)
    r = client.post(f"/api/classes/{code}/results", json=body)
    assert r.status_code == 422 and r.json()["field"] == field, r.json()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_no_result_number_may_be_nan_or_infinite(client, number):
    code, teacher, _ = start(client)
    client.post(f"/api/classes/{code}/experiment", json={"prompt": "p"}, headers=teacher)
    for name in ("test_accuracy", "final_loss"):
        r = client.post(f"/api/classes/{code}/results", content=f'{{"{name}": {number}}}', headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["field"] == name
    r = client.post(f"/api/classes/{code}/results", content=f'{{"params": {{"leak": {number}}}}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "params.leak"


@pytest.mark.parametrize("path,body,field", [
    ("pause", {"message": "m" * 201}, "message"),
    ("pause", {"message": "bell\x07"}, "message"),
    ("pause", {"msg": "x"}, "msg"),
    ("experiment", {}, "prompt"),
    ("experiment", {"prompt": "p" * 301}, "prompt"),
    ("experiment", {"prompt": "p", "collect": ["test_accuracy", "test_accuracy"]}, "collect"),
    ("experiment", {"prompt": "p", "collect": ["weights"]}, "collect.0"),
    ("experiment", {"prompt": "p", "collect": []}, "collect"),
    ("experiment", {"prompt": "p", "param": "1leak"}, "param"),
])
def test_teacher_messages_are_validated_naming_the_field(client, path, body, field):
    code, teacher, _ = start(client)
    r = client.post(f"/api/classes/{code}/{path}", json=body, headers=teacher)
    assert r.status_code == 422 and r.json()["field"] == field, r.json()


def test_a_malformed_code_in_the_path_is_refused_naming_code(client):
    r = client.get("/api/classes/" + "A" * 17)
    assert r.status_code == 422 and r.json()["field"] == "code"


def test_openapi_documents_the_ranges(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    result = schemas["ResultBody"]["properties"]
    assert result["nickname"]["anyOf"][0]["maxLength"] == 24
    assert result["test_accuracy"]["anyOf"][0]["maximum"] == 1.0
    assert result["activation"]["maxLength"] == 200
    assert schemas["StateBody"]["properties"]["query"]["maxLength"] == 2048
    ops = spec["paths"]
    assert {"401", "403", "404", "429"} <= set(ops["/api/classes/{code}/state"]["put"]["responses"])
    assert "text/event-stream" in ops["/api/classes/{code}/events"]["get"]["responses"]["200"]["content"]
    assert ops["/api/classes/{code}/state"]["put"]["security"] == [{"HTTPBearer": []}]


# ----------------------------------------------------------------------------- results


def test_a_class_experiment_collects_results_that_carry_nothing_personal(client):
    code, teacher, _ = start(client)
    r = client.post(f"/api/classes/{code}/results", json=RESULT)
    assert r.status_code == 409 and r.json()["code"] == "no_experiment"
    exp = client.post(f"/api/classes/{code}/experiment", json={"prompt": "Pick a leak", "param": "leak"}, headers=teacher).json()["experiment"]

    r = client.post(f"/api/classes/{code}/results", json={**RESULT, "params": {}})
    assert r.status_code == 422 and r.json()["field"] == "params.leak" and r.json()["code"] == "result_incomplete"
    r = client.post(f"/api/classes/{code}/results", json={k: v for k, v in RESULT.items() if k != "final_loss"})
    assert r.status_code == 422 and r.json()["field"] == "final_loss"

    key = "a1b2c3d4e5f6a7b8"
    assert client.post(f"/api/classes/{code}/results", json={**RESULT, "student": key, "nickname": " Ada "}).json() == {"count": 1}
    assert client.post(f"/api/classes/{code}/results", json={**RESULT, "student": key, "params": {"leak": 0.2}, "experiment": exp["id"]}).json() == {"count": 1}
    assert client.post(f"/api/classes/{code}/results", json=RESULT).status_code == 201
    body = client.get(f"/api/classes/{code}/results", headers=teacher).json()
    assert body["count"] == 2 and body["experiment"] == exp
    assert sorted(x["params"]["leak"] for x in body["results"]) == [0.1, 0.2]  # the resubmission replaced the first
    assert set(body["results"][0]) == {"nickname", "activation", "params", "test_accuracy", "dead_fraction", "final_loss"}
    assert key not in json.dumps(body) and "testclient" not in json.dumps(body)
    assert client.get(f"/api/classes/{code}").json()["results"] == 2

    # a new experiment starts afresh; a result for the old one is refused
    new = client.post(f"/api/classes/{code}/experiment", json={"prompt": "Now pick a learning rate", "param": "learning_rate"}, headers=teacher).json()["experiment"]
    assert client.get(f"/api/classes/{code}/results", headers=teacher).json()["count"] == 0
    r = client.post(f"/api/classes/{code}/results", json={**RESULT, "experiment": exp["id"], "params": {"learning_rate": 0.1}})
    assert r.status_code == 409 and r.json()["code"] == "experiment_changed"
    assert client.post(f"/api/classes/{code}/results", json={**RESULT, "experiment": new["id"], "params": {"learning_rate": 0.1}}).status_code == 201

    # closing keeps the results readable and takes no more
    closed = client.post(f"/api/classes/{code}/experiment", json={"prompt": None}, headers=teacher).json()["experiment"]
    assert closed == {**new, "open": False}
    r = client.post(f"/api/classes/{code}/results", json={**RESULT, "params": {"learning_rate": 0.1}})
    assert r.status_code == 409 and r.json()["code"] == "no_experiment"
    assert client.get(f"/api/classes/{code}/results", headers=teacher).json()["count"] == 1


def test_a_result_carries_only_the_numbers_the_experiment_collects(client):
    """A number the teacher chose not to collect is refused (422, naming it), not kept: the
    teacher's results (and their JSON export) hold the ticked numbers only. Null is no number."""
    code, teacher, _ = start(client)
    client.post(f"/api/classes/{code}/experiment", json={"prompt": "Pick a leak", "param": "leak", "collect": ["test_accuracy", "dead_fraction"]}, headers=teacher)
    r = client.post(f"/api/classes/{code}/results", json=RESULT)
    assert r.status_code == 422 and r.json()["field"] == "final_loss" and r.json()["code"] == "result_not_collected"
    assert {"detail", "field", "code"} <= set(r.json()) and "does not collect" in r.json()["detail"]
    assert client.post(f"/api/classes/{code}/results", json={**RESULT, "final_loss": None}).status_code == 201
    without = {k: v for k, v in RESULT.items() if k != "final_loss"}
    assert client.post(f"/api/classes/{code}/results", json={**without, "student": "b1b2c3d4e5f6a7b8"}).status_code == 201
    body = client.get(f"/api/classes/{code}/results", headers=teacher).json()
    assert body["count"] == 2
    for result in body["results"]:
        assert set(result) == {"nickname", "activation", "params", "test_accuracy", "dead_fraction"}, result


# ----------------------------------------------------------------------------- limits


def test_unknown_codes_are_rate_limited_per_client_address():
    app = make_app(misses_per_min=3)
    guesser = TestClient(app, client=("203.0.113.7", 5000))
    teacher_client = TestClient(app, client=("198.51.100.1", 5000))
    code, _, _ = start(teacher_client)
    for guess in ("22222222", "33333333", "44444444"):
        assert guesser.get(f"/api/classes/{guess}").status_code == 404
    r = guesser.get("/api/classes/55555555")
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts" and 1 <= int(r.headers["Retry-After"]) <= 60
    assert guesser.get(f"/api/classes/{code}").status_code == 429  # even a right guess, until the minute is over
    assert guesser.get(f"/api/classes/{code}/events").status_code == 429
    assert guesser.post(f"/api/classes/{code}/results", json=RESULT).status_code == 429
    assert teacher_client.get(f"/api/classes/{code}").status_code == 200  # another address is not affected
    # known codes do not count: a classroom behind one address can join as often as it likes
    for _ in range(10):
        assert teacher_client.get(f"/api/classes/{code}").status_code == 200


def test_an_ipv6_client_is_limited_by_its_64_prefix():
    salt = b"s" * 32
    assert client_key("2001:db8:1:2::1", salt) == client_key("2001:db8:1:2:ffff::9", salt)
    assert client_key("2001:db8:1:3::1", salt) != client_key("2001:db8:1:2::1", salt)
    assert client_key("192.0.2.1", salt) != client_key("192.0.2.2", salt)
    assert "192.0.2.1" not in client_key("192.0.2.1", salt)


def test_a_teachers_changes_are_capped_per_second():
    c = TestClient(make_app(messages_per_s=3))
    code, teacher, _ = start(c)
    for i in range(3):
        assert c.put(f"/api/classes/{code}/state", json={"query": f"xmax={i + 1}"}, headers=teacher).status_code == 200
    r = c.put(f"/api/classes/{code}/state", json={"query": "xmax=9"}, headers=teacher)
    assert r.status_code == 429 and r.json()["code"] == "too_many_messages" and r.headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert c.put(f"/api/classes/{code}/state", json={"query": "xmax=9"}, headers=teacher).json() == {"seq": 4}


def test_results_are_capped_per_experiment_and_per_second():
    c = TestClient(make_app(max_results=2, results_per_s=3))
    code, teacher, _ = start(c)
    c.post(f"/api/classes/{code}/experiment", json={"prompt": "p"}, headers=teacher)
    assert c.post(f"/api/classes/{code}/results", json={**RESULT, "student": "student-a"}).status_code == 201
    assert c.post(f"/api/classes/{code}/results", json={**RESULT, "student": "student-b"}).status_code == 201
    r = c.post(f"/api/classes/{code}/results", json={**RESULT, "student": "student-c"})
    assert r.status_code == 409 and r.json()["code"] == "results_full"
    r = c.post(f"/api/classes/{code}/results", json={**RESULT, "student": "student-a"})
    assert r.status_code == 429 and r.json()["code"] == "too_many_messages"
    time.sleep(1.05)
    assert c.post(f"/api/classes/{code}/results", json={**RESULT, "student": "student-a"}).status_code == 201  # replacing is fine


def test_starting_classes_is_capped_per_address():
    c = TestClient(make_app(creates_per_hour=2))
    start(c)
    start(c)
    r = c.post("/api/classes")
    assert r.status_code == 429 and r.json()["code"] == "too_many_classes_started" and int(r.headers["Retry-After"]) > 3000


def test_several_workers_without_redis_refuse_live_classes_and_say_why():
    c = TestClient(create_app(Settings(workers=2, log_level="warning")))
    assert c.get("/healthz").status_code == 200  # the app itself starts normally
    r = c.post("/api/classes")
    assert r.status_code == 503 and r.json()["code"] == "live_classes_need_redis"
    assert "ACTLAB_REDIS_URL" in r.json()["detail"] and "each worker would hold its own classes" in r.json()["detail"]


def test_the_new_settings_are_validated():
    s = Settings.from_env({"ACTLAB_REDIS_URL": "redis://:pw@127.0.0.1:6379/0", "ACTLAB_CLASS_IDLE_S": "60", "ACTLAB_CLASS_MAX_STUDENTS": "30"})
    assert (s.redis_url, s.class_idle_s, s.class_max_students) == ("redis://:pw@127.0.0.1:6379/0", 60.0, 30)
    assert "pw" not in repr(s)
    for name, value in [("ACTLAB_REDIS_URL", "http://x"), ("ACTLAB_REDIS_URL", "redis://"), ("ACTLAB_REDIS_URL", "redis://h:99999"),
                        ("ACTLAB_CLASS_IDLE_S", "0.5"), ("ACTLAB_CLASS_IDLE_S", "nan"), ("ACTLAB_CLASS_MAX_STUDENTS", "0"),
                        ("ACTLAB_CLASS_MAX_STUDENTS", "ten")]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
    with pytest.raises(SettingsError) as e:
        Settings.from_env({"ACTLAB_REDIS_URL": "redis://user:secret@:bad"})
    assert "secret" not in str(e.value)
    assert TestClient(make_app(Settings(class_max_students=30, log_level="warning"))).post("/api/classes").json()["max_students"] == 30


def test_a_class_left_alone_expires():
    now = [1000.0]
    app = make_app()
    app.state.live_store = MemoryStore(idle_s=60, clock=lambda: now[0])
    c = TestClient(app)
    code, teacher, _ = start(c)
    now[0] += 59
    assert c.put(f"/api/classes/{code}/state", json={"query": "fn=elu"}, headers=teacher).status_code == 200  # activity
    now[0] += 59
    assert c.get(f"/api/classes/{code}").status_code == 200  # reading is no activity
    now[0] += 2
    for method, path in (("GET", ""), ("PUT", "/state"), ("GET", "/qr.svg"), ("GET", "/events")):
        r = c.request(method, f"/api/classes/{code}{path}", json={"query": "fn=tanh"} if method == "PUT" else None, headers=teacher)
        assert r.status_code == 404 and r.json()["code"] == "class_not_found", path


# ----------------------------------------------------------------------------- the event stream


def test_a_follower_gets_a_snapshot_then_every_change_in_order():
    app = make_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        code, teacher, _ = start(http, "fn=relu")
        with http.stream("GET", f"/api/classes/{code}/events") as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-store" and r.headers["x-accel-buffering"] == "no"
            events = sse(r)
            snap, eid = next_event(events, "snapshot")
            assert (snap["seq"], snap["query"], snap["students"], eid) == (0, "fn=relu", 1, "0")
            for i in range(1, 6):
                http.put(f"/api/classes/{code}/state", json={"query": f"fn=relu&xmax={i}"}, headers=teacher)
            got = [next(events) for _ in range(5)]
            assert got == [("state", {"seq": i, "query": f"fn=relu&xmax={i}"}, str(i)) for i in range(1, 6)]
            http.post(f"/api/classes/{code}/pause", json={"message": "Look up"}, headers=teacher)
            http.post(f"/api/classes/{code}/release", headers=teacher)
            http.post(f"/api/classes/{code}/experiment", json={"prompt": "Try a leak", "collect": ["test_accuracy"]}, headers=teacher)
            http.post(f"/api/classes/{code}/results", json={"test_accuracy": 0.75})
            assert next(events) == ("pause", {"seq": 6, "message": "Look up"}, "6")
            assert next(events) == ("release", {"seq": 7}, "7")
            kind, data, eid = next(events)
            assert (kind, data["experiment"]["prompt"], data["experiment"]["id"], eid) == ("experiment", "Try a leak", 8, "8")
            assert next(events) == ("results", {"count": 1, "revision": 1}, None)


def test_a_resubmission_changes_the_results_revision_though_not_the_count():
    """A student's second result replaces the first: the count stays, the revision (in the
    class's state and in the event) moves, so the teacher knows to read the results again."""
    app = make_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        code, teacher, _ = start(http)
        exp = http.post(f"/api/classes/{code}/experiment", json={"prompt": "Pick a leak", "param": "leak", "collect": ["final_loss"]},
                        headers=teacher).json()["experiment"]
        with http.stream("GET", f"/api/classes/{code}/events") as r:
            events = sse(r)
            assert next_event(events, "snapshot")[0]["results_revision"] == 0
            seen = []
            for leak in (0.05, 0.7):
                body = {"student": "s" * 16, "experiment": exp["id"], "activation": f"leaky_relu(leak={leak})", "params": {"leak": leak}, "final_loss": 0.3}
                assert http.post(f"/api/classes/{code}/results", json=body).json() == {"count": 1}
                data, _ = next_event(events, "results")
                info = http.get(f"/api/classes/{code}").json()
                assert data["count"] == info["results"] == 1
                assert data["revision"] == info["results_revision"]
                seen.append(data["revision"])
            assert seen[0] != seen[1]
        assert [x["params"]["leak"] for x in http.get(f"/api/classes/{code}/results", headers=teacher).json()["results"]] == [0.7]


def test_reconnecting_with_last_event_id_replays_the_latest_state():
    app = make_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        code, teacher, _ = start(http)
        for i in range(3):
            http.put(f"/api/classes/{code}/state", json={"query": f"xmax={i + 1}"}, headers=teacher)
        http.post(f"/api/classes/{code}/pause", headers=teacher)
        with http.stream("GET", f"/api/classes/{code}/events", headers={"Last-Event-ID": "1"}) as r:
            snap, eid = next_event(sse(r), "snapshot")
            assert (snap["seq"], snap["query"], snap["paused"], snap["resumed_from"], eid) == (4, "xmax=3", True, 1, "4")
        r = http.get(f"/api/classes/{code}/events", headers={"Last-Event-ID": "x"})
        assert r.status_code == 422 and r.json()["field"] == "Last-Event-ID"


def test_students_are_counted_while_connected_and_capped():
    app = make_app(max_students=2)
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http, httpx.Client(base_url=url, timeout=5) as other:
        code, _, _ = start(http)
        with http.stream("GET", f"/api/classes/{code}/events") as a:
            events_a = sse(a)  # kept: a dropped generator closes its stream
            next_event(events_a, "snapshot")
            with other.stream("GET", f"/api/classes/{code}/events") as b:
                events_b = sse(b)
                next_event(events_b, "snapshot")
                assert http.get(f"/api/classes/{code}").json()["students"] == 2
                r = httpx.get(f"{url}/api/classes/{code}/events", timeout=5)
                assert r.status_code == 409 and r.json()["code"] == "class_full"
        deadline = time.monotonic() + 5
        while http.get(f"/api/classes/{code}").json()["students"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert http.get(f"/api/classes/{code}").json()["students"] == 0  # both left


def test_the_class_counts_who_follows_and_who_explores():
    """Each stream's snapshot names its connection; a student's page says when it explores on
    its own (and when it rejoins), and the class's state counts them; a stream that ends is
    no longer counted either way."""
    app = make_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http, httpx.Client(base_url=url, timeout=5) as other:
        code, _, _ = start(http)
        with http.stream("GET", f"/api/classes/{code}/events") as a:
            events_a = sse(a)
            conn_a = next_event(events_a, "snapshot")[0]["connection"]
            with other.stream("GET", f"/api/classes/{code}/events") as b:
                events_b = sse(b)
                conn_b = next_event(events_b, "snapshot")[0]["connection"]
                assert conn_a != conn_b and re.fullmatch(r"[0-9a-f]{16}", conn_a)
                info = http.get(f"/api/classes/{code}").json()
                assert (info["students"], info["exploring"]) == (2, 0)
                for conn in (conn_a, conn_b):
                    r = http.put(f"/api/classes/{code}/following", json={"connection": conn, "following": False})
                    assert r.status_code == 200 and r.json() == {"counted": True}
                assert http.get(f"/api/classes/{code}").json()["exploring"] == 2
                assert http.put(f"/api/classes/{code}/following", json={"connection": conn_a, "following": True}).json() == {"counted": True}
                info = http.get(f"/api/classes/{code}").json()
                assert (info["students"], info["exploring"]) == (2, 1)
                # unknown connections are not counted; bad input names its field
                assert http.put(f"/api/classes/{code}/following", json={"connection": "0" * 16, "following": False}).json() == {"counted": False}
                r = http.put(f"/api/classes/{code}/following", json={"connection": "x", "following": False})
                assert r.status_code == 422 and r.json()["field"] == "connection"
                r = http.put(f"/api/classes/{code}/following", json={"connection": conn_a, "following": "no"})
                assert r.status_code == 422 and r.json()["field"] == "following"
            deadline = time.monotonic() + 5
            while http.get(f"/api/classes/{code}").json()["students"] != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            info = http.get(f"/api/classes/{code}").json()
            assert (info["students"], info["exploring"]) == (1, 0)  # the explorer left
        r = http.put("/api/classes/ZZZZZZZZ/following", json={"connection": conn_a, "following": False})
        assert r.status_code == 404 and r.json()["code"] == "class_not_found"


def test_followers_of_an_expired_class_are_told_and_the_stream_ends():
    app = make_app(Settings(class_idle_s=1, log_level="warning"))
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        code, _, _ = start(http)
        t0 = time.monotonic()
        with http.stream("GET", f"/api/classes/{code}/events") as r:
            events = list(sse(r))  # ends by itself
        assert [k for k, _, _ in events] == ["snapshot", "closed"] and events[-1][1] == {"reason": "expired"}
        assert time.monotonic() - t0 < 3
        assert http.get(f"/api/classes/{code}").status_code == 404


def test_the_teacher_ends_the_class_its_followers_are_told_and_its_code_says_so():
    app = make_app()
    with serving(app) as url, httpx.Client(base_url=url, timeout=5) as http:
        code, teacher, _ = start(http)
        other, _, _ = start(http)
        http.post(f"/api/classes/{code}/experiment", json={"prompt": "p"}, headers=teacher)
        assert http.get(f"/join/{code}").status_code == 200  # the join page while it runs
        with http.stream("GET", f"/api/classes/{code}/events") as r:
            events = sse(r)
            next_event(events, "snapshot")
            assert http.post(f"/api/classes/{code}/end", headers={"Authorization": "Bearer " + "x" * 43}).status_code == 403
            r = http.post(f"/api/classes/{code}/end", headers=teacher)
            assert r.status_code == 200 and r.json() == {"code": code, "ended": True}
            assert list(events) == [("closed", {"reason": "ended"}, None)]  # and the stream ends
        for method, path in (("GET", ""), ("GET", "/events"), ("PUT", "/state"), ("POST", "/results"), ("POST", "/end"), ("GET", "/qr.svg")):
            r = http.request(method, f"/api/classes/{code}{path}", json={"query": "fn=tanh"} if method == "PUT" else RESULT if path == "/results" else None, headers=teacher)
            assert r.status_code == 410 and r.json()["code"] == "class_ended" and r.json()["field"] == "code", path
            assert "has ended: its teacher ended it" in r.json()["detail"]
        page = http.get(f"/join/{code}")  # the join page says so, as it says a wrong code (not the page it showed before)
        assert page.status_code == 410 and "has ended: its teacher ended it" in page.text and 'id="code"' in page.text
        assert http.get("/api/classes/22222222").json()["code"] == "class_not_found"
        assert http.get(f"/api/classes/{other}").status_code == 200  # the other class goes on
        assert code not in app.state.live_store._classes


# ----------------------------------------------------------------------------- pages and the QR code


def test_the_join_page_asks_only_for_an_optional_nickname(client):
    code, _, _ = start(client)
    r = client.get(f"/join/{code.lower()}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    html = r.text
    assert f"{code[:4]}-{code[4:]}" in html and 'id="nickname"' in html and 'maxlength="24"' in html
    assert f'name="class" value="{code}"' in html and 'action="/"' in html
    assert re.findall(r"<script[^>]*>", html) == [s for s in re.findall(r"<script[^>]*>", html) if 'src="/static/' in s and 'type="module"' in s]
    assert "js/live/join.js" in html and "plotly" not in html
    assert "script-src 'self'" in r.headers["content-security-policy"]
    r = client.get("/join/22222222")
    assert r.status_code == 404 and join_problem(r.text) == "No live class has the code '22222222' (it may have expired): check the code with the teacher."
    assert 'id="code"' in r.text
    r = client.get("/join")
    assert r.status_code == 200 and 'id="code-form"' in r.text
    assert client.get(f"/join?code={code}").status_code == 200  # the code form without JavaScript


def join_problem(page: str) -> str:
    """The join page's message about the code, as a person reads it."""
    return html.unescape(re.search(r'<p class="join-problem" role="alert">([^<]*)</p>', page).group(1))


@pytest.mark.parametrize("typed,character", [("a9unsak0", "0"), ("a9un-sakl", "l"), ("ABCD_EFGH", "_"), ("ABC", None), ("ABCD-EFGH-J", None)])
def test_a_code_that_cannot_be_one_is_said_so_and_is_no_guess(typed, character):
    """A typo with a character no code has (the alphabet leaves out 0, O, 1, I and L) was told
    "no live class has the code" as if it might have expired; it now names the character (or the
    length), in the one error shape, and does not count against the address's guesses."""
    c = TestClient(make_app(misses_per_min=1))
    said = f"{typed!r} cannot be a class code: " + (
        f"no code has {character!r}" if character else f"a code has {CODE_LENGTH} letters and digits, this has {len(typed.replace('-', ''))}")
    for _ in range(3):
        r = c.get(f"/join/{typed}")
        assert r.status_code == 422 and 'id="code"' in r.text
        assert join_problem(r.text).startswith(said[:1].upper() + said[1:]) and join_problem(r.text).endswith("check the code with the teacher.")
        if character != "_":  # (the API's path takes letters, digits and hyphens: "_" is refused as input)
            body = c.get(f"/api/classes/{typed}").json()
            assert (body["code"], body["field"], body.get("character")) == ("invalid_class_code", "code", character), body
            assert body["detail"].startswith(said) and body["detail"].endswith("check the code with the teacher") and body["errors"] == [
                {"field": "code", "message": body["detail"], "code": "invalid_class_code"}], body
    assert c.get("/api/classes/22222222").status_code == 404  # its one miss a minute is still there
    assert c.get("/api/classes/22222223").status_code == 429


def test_the_qr_code_is_an_svg_drawn_here(client):
    code, _, _ = start(client)
    r = client.get(f"/api/classes/{code}/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg") and f"Join class {code[:4]}-{code[4:]}" in r.text and "http" not in r.text.split(">", 1)[1].replace("http://www.w3.org", "")
    assert client.get("/api/classes/22222222/qr.svg").status_code == 404


def test_the_live_client_module_is_served_and_self_contained(client):
    from app.api.pages import ROOT

    source = (ROOT / "static/js/live/client.js").read_text()
    assert "export class LiveClient" in source and "import " not in source.split("export const ALPHABET")[0].replace("//", "")
    assert f'ALPHABET = "{ALPHABET}"' in source
    for method in ("connect()", "follow()", "unfollow()", "submitResult(", "setState(", "pause(", "release()", "setExperiment(", "getResults()", "end()"):
        assert method in source


def test_the_results_path_lists_both_its_methods_when_refusing_another(client):
    code, _, _ = start(client)
    r = client.delete(f"/api/classes/{code}/results")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, POST" and r.json()["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_400_with_a_code(client):
    code, teacher, _ = start(client)
    r = client.put(f"/api/classes/{code}/state", content=b'{"query": ', headers={**teacher, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "malformed_json" and r.json()["field"] == "body"
