"""Every class of bad input gets a 4xx whose message names the field and what is allowed.

NaN, ±Infinity, empty, huge, negative sizes, unknown names, wrong types, duplicated and
missing parameters, malformed bodies; and no request at all produces a 500. Also the
ACTLAB_* settings: a bad value stops the server at startup naming the variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
JSON_CT = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    with TestClient(create_app(Settings(train_timeout_s=2)), raise_server_exceptions=False) as c:
        yield c


def _err(r, status: int = 422) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert {"detail", "field", "code", "errors"} <= set(body) and body["detail"] and body["errors"] and isinstance(body["code"], str), body
    return body


def _names(body: dict, field: str, *allowed: str) -> None:
    """``field`` is the field named, and the message says it and every ``allowed`` fragment."""
    assert body["field"] == field, body
    assert field.split(".")[-1] in body["detail"], body
    for text in allowed:
        assert text in body["detail"], (text, body["detail"])


# ----------------------------------------------------------------------------- NaN and ±Infinity


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize(("field", "allowed"), [("xmin", "-10000 ≤ xmin ≤ 10000"), ("xmax", "-10000 ≤ xmax ≤ 10000"), ("band", "0 < band < 1")])
def test_non_finite_query_numbers(client, field, allowed, value) -> None:
    _names(_err(client.get("/api/curve", params={"name": "relu", field: value})), field, allowed)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_activation_parameter(client, value) -> None:
    _names(_err(client.get("/api/curve", params={"name": "elu", "alpha": value})), "alpha", "[0, 5]")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
@pytest.mark.parametrize(
    ("path", "template", "field", "allowed"),
    [
        ("/api/train", b'{"noise": %s}', "noise", "0 ≤ noise ≤ 1"),
        ("/api/train", b'{"learning_rate": %s}', "learning_rate", "0.0001 ≤ learning_rate ≤ 10"),
        ("/api/train", b'{"bias_init": %s}', "bias_init", "-2 ≤ bias_init ≤ 2"),
        ("/api/train", b'{"activations": [{"name": "elu", "params": {"alpha": %s}}]}', "activations.0.params.alpha", "[0, 5]"),
        ("/api/curves", b'{"curves": [{"name": "relu"}], "xmin": %s}', "xmin", "-10000 ≤ xmin ≤ 10000"),
        ("/api/curves", b'{"curves": [{"name": "elu", "params": {"alpha": %s}}]}', "curves.0.params.alpha", "[0, 5]"),
        ("/api/sweep", b'{"sweep": {"param": "learning_rate", "values": [0.1, %s]}}', "sweep.values.1", "finite"),
    ],
)
def test_non_finite_json_numbers(client, path, template, field, allowed, literal) -> None:
    _names(_err(client.post(path, content=template % literal, headers=JSON_CT)), field, allowed)


# ----------------------------------------------------------------------------- empty


@pytest.mark.parametrize(("field", "allowed"), [("name", "'relu'"), ("n", "2 ≤ n ≤ 10001"), ("xmin", "xmin ≤ 10000"), ("seed", "0 ≤ seed ≤ 4294967295")])
def test_empty_query_values(client, field, allowed) -> None:
    query = {"name": "relu", field: ""}
    _names(_err(client.get("/api/curve", params=query)), field, allowed)


def test_empty_activation_parameter(client) -> None:
    _names(_err(client.get("/api/curve", params={"name": "leaky_relu", "leak": ""})), "leak", "[0, 1]")


@pytest.mark.parametrize("path", ["/api/train", "/api/sweep", "/api/init_stats", "/api/curves", "/api/train/stream"])
def test_empty_body(client, path) -> None:
    body = _err(client.post(path, content=b"", headers=JSON_CT))
    assert body["field"] == "body" and "JSON object" in body["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field", "allowed"),
    [
        ("/api/train", {"dataset": ""}, "dataset", "'moons'"),
        ("/api/train", {"activations": [{"name": ""}]}, "activations.0.name", "'relu'"),
        ("/api/train", {"activations": []}, "activations", "1–4 items"),
        ("/api/curves", {"curves": []}, "curves", "1–8 items"),
        ("/api/sweep", {"sweep": {"param": "learning_rate", "values": []}}, "sweep.values", "1–16 items"),
        ("/api/sweep", {"sweep": {"param": "", "values": [0.1]}}, "sweep.param", "learning_rate"),
    ],
)
def test_empty_body_values(client, path, body, field, allowed) -> None:
    _names(_err(client.post(path, json=body)), field, allowed)


# ----------------------------------------------------------------------------- huge


@pytest.mark.parametrize(
    ("query", "field", "allowed"),
    [
        ({"n": "1000000"}, "n", "n ≤ 10001"),
        ({"n": "9" * 5000}, "n", "n ≤ 10001"),
        ({"samples": str(10**20)}, "samples", "samples ≤ 5000"),
        ({"xmax": "1e300"}, "xmax", "xmax ≤ 10000"),
        ({"seed": str(2**64)}, "seed", "seed ≤ 4294967295"),
        ({"alpha": "1" * 33}, "alpha", "32 characters"),
    ],
)
def test_huge_query_values(client, query, field, allowed) -> None:
    _names(_err(client.get("/api/curve", params={"name": "elu", **query})), field, allowed)


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ({"epochs": 10**30}, "epochs", "epochs ≤ 5000"),
        ({"n_points": 10**6}, "n_points", "n_points ≤ 2000"),
        ({"width": 2**63}, "width", "width ≤ 64"),
        ({"activations": [{"name": "relu"}] * 1000}, "activations", "1–4 items"),
        ({"activations": [{"name": "elu", "params": {f"p{i}": 1 for i in range(20)}}]}, "activations.0.params", "at most 8"),
        ({"n_points": 2000, "depth": 12, "width": 64, "epochs": 5000}, "epochs", "reduce epochs"),
    ],
)
def test_huge_body_values(client, body, field, allowed) -> None:
    _names(_err(client.post("/api/train", json=body)), field, allowed)


def test_integer_with_thousands_of_digits_in_json_is_a_400(client) -> None:
    body = _err(client.post("/api/train", content=b'{"epochs": 1' + b"0" * 5000 + b"}", headers=JSON_CT), 400)
    assert body["field"] == "body" and "number too long" in body["detail"]


def test_body_over_the_cap_is_413(client) -> None:
    big = json.dumps({"curves": [{"name": "relu", "params": {"x": "y" * 70_000}}]}).encode()
    body = _err(client.post("/api/curves", content=big, headers=JSON_CT), 413)
    assert body["field"] == "body" and "65536 bytes" in body["detail"]
    # the training routes take a run's state and own points: their own cap (8 MiB by default)
    assert client.post("/api/train", content=big, headers=JSON_CT).status_code == 422
    huge = json.dumps({"activations": [{"name": "relu", "params": {"x": "y" * (8 * 1024 * 1024)}}]}).encode()
    body = _err(client.post("/api/train", content=huge, headers=JSON_CT), 413)
    assert body["field"] == "body" and body["limit"] == 8 * 1024 * 1024


def test_chunked_body_over_the_cap_is_413_too(client) -> None:
    def chunks():
        yield b'{"curves": [{"name": "relu", "params": {"x": "'
        for _ in range(100):
            yield b"y" * 1000
        yield b'"}}]}'

    body = _err(client.post("/api/curves", content=chunks(), headers=JSON_CT), 413)
    assert body["field"] == "body"


# ----------------------------------------------------------------------------- negative sizes


@pytest.mark.parametrize(("field", "allowed"), [("n", "2 ≤ n ≤ 10001"), ("samples", "0 ≤ samples ≤ 5000"), ("seed", "0 ≤ seed")])
def test_negative_sizes_in_the_query(client, field, allowed) -> None:
    _names(_err(client.get("/api/curve", params={"name": "relu", field: "-1"})), field, allowed)


@pytest.mark.parametrize(
    ("path", "field", "allowed"),
    [
        ("/api/train", "n_points", "n_points ≤ 2000"),
        ("/api/train", "depth", "1 ≤ depth ≤ 12"),
        ("/api/train", "width", "1 ≤ width ≤ 64"),
        ("/api/train", "epochs", "1 ≤ epochs ≤ 5000"),
        ("/api/train", "frames", "2 ≤ frames ≤ 500"),
        ("/api/train", "boundary_frames", "0 ≤ boundary_frames ≤ 20"),
        ("/api/train", "boundary_grid", "8 ≤ boundary_grid ≤ 80"),
        ("/api/train", "batch_size", "0 ≤ batch_size ≤ 2000"),
        ("/api/train/stream", "epochs", "1 ≤ epochs ≤ 5000"),
        ("/api/init_stats", "seeds", "1 ≤ seeds ≤ 64"),
        ("/api/curves", "n", "2 ≤ n ≤ 10001"),
        ("/api/curves", "samples", "0 ≤ samples ≤ 5000"),
    ],
)
def test_negative_sizes_in_the_body(client, path, field, allowed) -> None:
    body = {field: -1}
    if path == "/api/curves":
        body["curves"] = [{"name": "relu"}]
    _names(_err(client.post(path, json=body)), field, allowed)


# ----------------------------------------------------------------------------- unknown names


def test_unknown_activation_lists_the_allowed_ones(client) -> None:
    for r, field in (
        (client.get("/api/curve", params={"name": "swishy"}), "name"),
        (client.post("/api/curves", json={"curves": [{"name": "swishy"}]}), "curves.0.name"),
        (client.post("/api/train", json={"activations": [{"name": "swishy"}]}), "activations.0.name"),
    ):
        _names(_err(r), field, "'relu'", "'gelu'", "'identity'", "swishy")


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ({"dataset": "mnist"}, "dataset", "'moons', 'circles'"),
        ({"optimizer": "rmsprop"}, "optimizer", "'adam', 'sgd'"),
        ({"init": "zeros"}, "init", "'he'"),
        ({"dtype": "float16"}, "dtype", "'float64'"),
    ],
)
def test_unknown_choice_lists_the_allowed_values(client, body, field, allowed) -> None:
    _names(_err(client.post("/api/train", json=body)), field, allowed)


def test_unknown_fields_list_the_allowed_ones(client) -> None:
    _names(_err(client.post("/api/train", json={"colour": "red"})), "colour", "allowed fields", "epochs", "learning_rate")
    _names(_err(client.post("/api/curves", json={"curves": [{"name": "relu", "extra": 1}]})), "curves.0.extra", "allowed fields: name, formula, params, ranges")
    _names(_err(client.post("/api/sweep", json={"sweep": {"param": "learning_rate", "values": [1], "steps": 3}})), "sweep.steps", "param, values")
    _names(_err(client.get("/api/curve", params={"name": "relu", "colour": "red"})), "colour", "allowed", "xmin")


@pytest.mark.parametrize(
    ("path", "body", "field", "allowed"),
    [
        # a parameter of another activation
        ("/api/train", {"activations": [{"name": "relu", "params": {"alpha": 1}}]}, "activations.0.params.alpha", "relu has no parameter"),
        ("/api/train/stream", {"activations": [{"name": "tanh", "params": {"leak": 0.1}}]}, "activations.0.params.leak", "tanh has no parameter"),
        ("/api/init_stats", {"activations": [{"name": "elu", "params": {"a": 0.1}}]}, "activations.0.params.a", "alpha"),
        ("/api/sweep", {"activations": [{"name": "relu"}], "sweep": {"param": "alpha", "values": [1]}}, "sweep.param", "learning_rate, momentum"),
        ("/api/curves", {"curves": [{"name": "gelu", "params": {"sigma": 1}}]}, "curves.0.params.sigma", "approximate"),
    ],
)
def test_parameters_of_the_wrong_activation(client, path, body, field, allowed) -> None:
    _names(_err(client.post(path, json=body)), field, allowed)


def test_parameter_of_the_wrong_activation_in_the_query(client) -> None:
    _names(_err(client.get("/api/curve", params={"name": "relu", "alpha": "1"})), "alpha", "relu")


# ----------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ({"epochs": "10"}, "epochs", "1 ≤ epochs ≤ 5000"),
        ({"epochs": 10.5}, "epochs", "1 ≤ epochs ≤ 5000"),
        ({"epochs": True}, "epochs", "1 ≤ epochs ≤ 5000"),
        ({"epochs": None}, "epochs", "an integer"),
        ({"noise": "0.1"}, "noise", "0 ≤ noise ≤ 1"),
        ({"noise": [0.1]}, "noise", "0 ≤ noise ≤ 1"),
        ({"include_weights": "yes"}, "include_weights", "true or false"),
        ({"include_weights": 1}, "include_weights", "true or false"),
        ({"dataset": 3}, "dataset", "'moons'"),
        ({"dataset": {"name": "moons"}}, "dataset", "'moons'"),
        ({"activations": "relu"}, "activations", "1–4 items"),
        ({"activations": [{"name": "elu", "params": {"alpha": [1]}}]}, "activations.0.params.alpha", "a finite number or a string"),
        ({"activations": [{"name": "elu", "params": {"alpha": True}}]}, "activations.0.params.alpha", "a finite number or a string"),
        ({"activations": [{"name": "elu", "params": ["alpha"]}]}, "activations.0.params", "an object"),
    ],
)
def test_wrong_types_in_the_body(client, body, field, allowed) -> None:
    _names(_err(client.post("/api/train", json=body)), field, allowed)


def test_wrong_types_in_the_curves_body(client) -> None:
    _names(_err(client.post("/api/curves", json={"curves": [{"name": "relu"}], "seed": False})), "seed", "0 ≤ seed")
    _names(_err(client.post("/api/curves", json={"curves": [{"name": "relu"}], "n": "5"})), "n", "2 ≤ n ≤ 10001")
    _names(_err(client.post("/api/curves", json={"curves": {"name": "relu"}})), "curves", "1–8 items")


@pytest.mark.parametrize(("field", "value", "allowed"), [("n", "2.5", "2 ≤ n ≤ 10001"), ("n", "abc", "an integer"), ("seed", "1e3", "an integer"), ("xmin", "abc", "xmin ≤ 10000"), ("band", "0x1", "0 < band < 1")])
def test_wrong_types_in_the_query(client, field, value, allowed) -> None:
    _names(_err(client.get("/api/curve", params={"name": "relu", field: value})), field, allowed)


@pytest.mark.parametrize("body", [b"[]", b"null", b'"moons"', b"42", b"true"])
def test_body_that_is_not_an_object(client, body) -> None:
    r = _err(client.post("/api/train", content=body, headers=JSON_CT))
    assert r["field"] == "body" and "JSON object" in r["detail"]


# ----------------------------------------------------------------------------- duplicated and missing


@pytest.mark.parametrize("query", ["name=relu&name=elu", "name=relu&n=10&n=20", "name=elu&alpha=1&alpha=2", "name=relu&xmin=-1&xmin=-2"])
def test_duplicated_query_parameters(client, query) -> None:
    field = query.split("&")[-1].split("=")[0]
    _names(_err(client.get("/api/curve?" + query)), field, "more than once")


def test_missing_parameters(client) -> None:
    _names(_err(client.get("/api/curve")), "name", "'relu'")
    _names(_err(client.get("/api/curve", params={"n": 5})), "name", "'relu'")
    _names(_err(client.post("/api/curves", json={})), "curves", "1–8 items")
    _names(_err(client.post("/api/curves", json={"curves": [{"params": {}}]})), "curves.0.name", "'relu'")
    _names(_err(client.post("/api/sweep", json={})), "sweep", "param, values")
    _names(_err(client.post("/api/sweep", json={"sweep": {"param": "learning_rate"}})), "sweep.values", "1–16 items")
    _names(_err(client.post("/api/sweep", json={"sweep": {"values": [0.1]}})), "sweep.param", "32 characters")


def test_thousands_of_errors_are_answered_and_capped(client) -> None:
    """A 50 KB body of 4000 unknown fields (named like pydantic's union tags, to tempt the merger)."""
    for prefix in ("A", "float", "k"):
        content = json.dumps({f"{prefix}{i}": 1 for i in range(4000)}, separators=(",", ":")).encode()
        body = _err(client.post("/api/train", content=content, headers=JSON_CT))
        assert body["field"] == f"{prefix}0" and "unknown field" in body["detail"]
        assert len(body["errors"]) == 21 and body["errors"][-1]["message"] == "… and 3980 more errors"


def test_every_error_is_listed_not_only_the_first(client) -> None:
    body = _err(client.post("/api/train", json={"depth": 0, "width": 0, "epochs": 0}))
    assert [e["field"] for e in body["errors"]] == ["depth", "width", "epochs"]
    assert all(e["message"].startswith(e["field"] + ":") for e in body["errors"])


# ----------------------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    ("content", "status", "text"),
    [
        (b"{bad", 400, "not valid JSON"),
        (b'{"epochs": 5,}', 400, "not valid JSON"),
        (b'{"epochs": 5', 400, "not valid JSON"),
        (b"\xff\xfe{}", 400, "JSON"),
        (b'{"dataset": "\xff"}', 400, "could not be parsed"),
        (b'{"activations": ' + b"[" * 100_00 + b"]" * 100_00 + b"}", 400, "could not be parsed"),
    ],
)
def test_malformed_json(client, content, status, text) -> None:
    body = _err(client.post("/api/train", content=content, headers=JSON_CT), status)
    assert body["field"] == "body" and text in body["detail"]


def test_deep_nesting_below_the_parser_limit_is_a_plain_422(client) -> None:
    content = b'{"activations": [{"name": "relu", "params": {"a": ' + b"[" * 500 + b"]" * 500 + b"}}]}"
    body = _err(client.post("/api/train", content=content, headers=JSON_CT))
    assert body["field"] == "activations.0.params.a"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"])
def test_wrong_content_type(client, ctype) -> None:
    body = _err(client.post("/api/train", content=b"{}", headers={"content-type": ctype}))
    assert body["field"] == "body" and "application/json" in body["detail"] and ctype.split(";")[0] in body["detail"]


def test_no_content_type(client) -> None:
    body = _err(client.post("/api/train", content=b"{}"))
    assert body["field"] == "body" and "Content-Type" in body["detail"]


@pytest.mark.parametrize("value", ["moons\u0000", "m\u00f6\u00f6ns", "\U0001F600", "\u202emoons", "ｍｏｏｎｓ"])
def test_unicode_in_choice_fields(client, value) -> None:
    _names(_err(client.post("/api/train", json={"dataset": value})), "dataset", "'moons'")


def test_lone_surrogate_in_json_string(client) -> None:
    body = _err(client.post("/api/train", content=b'{"dataset": "\\ud83d"}', headers=JSON_CT))
    assert body["field"] == "dataset"


@pytest.mark.parametrize("query", ["name=%F0%9F%98%80", "name=%FF%FE", "name=relu%00", "name=relu&xmin=%00", "name=%3Cscript%3E"])
def test_odd_bytes_in_the_query(client, query) -> None:
    body = _err(client.get("/api/curve?" + query))
    assert body["field"] in ("name", "xmin")


# ----------------------------------------------------------------------------- no 500, whatever comes in

GARBAGE_BODIES = [b"", b"{}", b"null", b"[]", b"{", b"}", b'"', b"1e999", b"-0", b"\x00", b"\xff" * 10, b'{"a":' * 2000, b"[" * 50_000, b'{"x": "' + b"\\u0000" * 1000 + b'"}', b'{"epochs": 1e308}', b'{"epochs": -1e-308}', b'{"activations": [null]}', b'{"activations": [[]]}', b'{"activations": [{"name": null}]}', b'{"sweep": null}', b'{"sweep": []}', b'{"sweep": {"param": "a", "values": [null]}}', b'{"curves": [null]}', b'{"curves": [{"name": "relu", "params": null}]}', b'{"__proto__": {}}']
CONTENT_TYPES = ["application/json", "text/plain", "application/json; charset=latin-1", "application/vnd.api+json", "application/json; charset=utf-16"]


@pytest.mark.parametrize("path", ["/api/train", "/api/train/stream", "/api/sweep", "/api/init_stats", "/api/curves"])
def test_no_body_makes_a_500(client, path) -> None:
    for ctype in CONTENT_TYPES:
        for content in GARBAGE_BODIES:
            r = client.post(path, content=content, headers={"content-type": ctype})
            assert r.status_code < 500, (path, ctype, content[:40], r.status_code, r.text[:300])
            if r.status_code >= 400:
                assert {"detail", "field", "code", "errors"} <= set(r.json())


GARBAGE_QUERIES = ["", "name", "name=", "=relu", "&&&", "name=relu&&n=3", "name=relu&n=%", "name=relu&n=%zz", "name[]=relu", "name=relu;n=3", "name=relu&n=" + "9" * 10000, "name=" + "a" * 5000, "name=relu&" + "&".join(f"k{i}=1" for i in range(500)), "name=hardtanh&min_val=5&max_val=5", "name=rrelu&lower=1&upper=0", "name=noisy_relu&samples=5000&n=10001", "name=relu&xmin=-0&xmax=0", "name=relu&xmin=1e-320&xmax=2e-320", "name=gelu&approximate=TANH"]


def test_no_query_makes_a_500(client) -> None:
    for q in GARBAGE_QUERIES:
        r = client.get("/api/curve?" + q)
        assert r.status_code < 500, (q[:80], r.status_code, r.text[:300])
        if r.status_code >= 400:
            assert {"detail", "field", "code", "errors"} <= set(r.json())


def test_every_get_route_survives_garbage_queries(client) -> None:
    paths = ["/", "/docs", "/healthz", "/readyz", "/api/activations", "/lessons", "/embed/loss", "/embed/sweep", "/embed/function", "/oembed"]
    for path in paths:
        for q in GARBAGE_QUERIES[:12] + ["url=http://testserver:99999/", "url=http://testserver/embed/loss?epochs=" + "9" * 5000]:
            r = client.get(path + "?" + q)
            assert r.status_code < 500 or (path == "/oembed" and r.status_code == 501), (path, q[:80], r.status_code, r.text[:300])


def test_oembed_with_an_unparseable_url_is_a_4xx(client) -> None:
    for url in ("http://[", "http://[::1", "https://]x["):
        r = client.get("/oembed", params={"url": url})
        assert r.status_code in (404, 422), (url, r.status_code)


def test_methods_other_than_the_documented_ones_are_405_with_allow(client) -> None:
    for method, path in (("PUT", "/api/curve"), ("DELETE", "/api/train"), ("PATCH", "/healthz"), ("GET", "/api/train")):
        body = _err(client.request(method, path), 405)
        assert method in body["detail"]
        assert "allow" in {k.lower() for k in client.request(method, path).headers}


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("ACTLAB_PORT", "abc", "[1, 65535]"),
        ("ACTLAB_PORT", "0", "[1, 65535]"),
        ("ACTLAB_PORT", "70000", "[1, 65535]"),
        ("ACTLAB_WORKERS", "0", "[1, 64]"),
        ("ACTLAB_WORKERS", "2.5", "[1, 64]"),
        ("ACTLAB_HOST", "", "host"),
        ("ACTLAB_LOG_LEVEL", "loud", "debug"),
        ("ACTLAB_TRAIN_WORKERS", "-1", "[1, 64]"),
        ("ACTLAB_TRAIN_QUEUE", "many", "[0, 1000]"),
        ("ACTLAB_TRAIN_TIMEOUT_S", "nan", "[0.1, 3600]"),
        ("ACTLAB_TRAIN_TIMEOUT_S", "inf", "[0.1, 3600]"),
        ("ACTLAB_TRAIN_TIMEOUT_S", "0", "[0.1, 3600]"),
        ("ACTLAB_MAX_BODY_BYTES", "1e9", "1 KiB"),
        ("ACTLAB_MAX_BODY_BYTES", "10", "1 KiB"),
        ("ACTLAB_FRAME_ANCESTORS", "https://a.example; script-src *", "CSP sources"),
        ("ACTLAB_FRAME_ANCESTORS", "https://a.example/path", "CSP sources"),
        ("ACTLAB_FRAME_ANCESTORS", "'unsafe-inline'", "CSP sources"),
        ("ACTLAB_FRAME_ANCESTORS", "   ", "CSP sources"),
    ],
)
def test_bad_settings_name_the_variable(var, value, says) -> None:
    with pytest.raises(SettingsError) as e:
        Settings.from_env({var: value})
    assert str(e.value).startswith(var + " must be") and says in str(e.value), str(e.value)


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "ACTLAB_HOST": "0.0.0.0",
            "ACTLAB_PORT": "9000",
            "ACTLAB_WORKERS": "4",
            "ACTLAB_LOG_LEVEL": "WARNING",
            "ACTLAB_TRAIN_WORKERS": "3",
            "ACTLAB_TRAIN_QUEUE": "0",
            "ACTLAB_TRAIN_TIMEOUT_S": "12.5",
            "ACTLAB_MAX_BODY_BYTES": "4096",
            "ACTLAB_FRAME_ANCESTORS": "https://school.example, https://*.lms.example:8443 'self'",
            "OTHER": "ignored",
        }
    )
    assert (s.host, s.port, s.workers, s.log_level) == ("0.0.0.0", 9000, 4, "warning")
    assert (s.train_workers, s.train_queue, s.train_timeout_s, s.max_body_bytes) == (3, 0, 12.5, 4096)
    assert Settings.from_env({}) == Settings()


def test_the_server_refuses_to_start_with_a_bad_setting() -> None:
    env = {**os.environ, "ACTLAB_TRAIN_QUEUE": "lots"}
    proc = subprocess.run([sys.executable, "-m", "app", "serve", "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "ACTLAB_TRAIN_QUEUE must be an integer in [0, 1000] (got 'lots')" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "app", "serve", "--port", "70000"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "--port must be an integer in [1, 65535]" in proc.stderr


def test_a_fraction_for_a_count_says_whole_number_and_ends_are_counts(client: TestClient) -> None:
    """n=abc was not_a_number but n=2.5 wrong_type with pydantic's "unable to parse string as an
    integer"; /api/train's ends of a count came as 1.0 and 12.0."""
    for r in (client.get("/api/curve?name=relu&n=2.5"), client.post("/api/train", json={"depth": 2.5})):
        body = r.json()
        assert r.status_code == 422 and body["code"] == "not_whole" and "must be a whole number" in body["detail"], body
    r = client.post("/api/train", json={"depth": "x"})
    assert r.json()["code"] == "wrong_type"  # text is not a fraction
    body = client.post("/api/train", json={"depth": 99}).json()
    assert body["code"] == "out_of_range" and (body["min"], body["max"]) == (1, 12)
    assert isinstance(body["min"], int) and isinstance(body["errors"][0]["max"], int)


def test_a_whole_number_written_as_a_float_is_a_count(client: TestClient) -> None:
    """JSON does not tell 300 from 300.0 (Python's json.dumps writes a float 300 as 300.0): it was
    wrong_type "Input should be a valid integer (got 300.0)", and 1e9 epochs wrong_type, not out of range."""
    r = client.post("/api/train", json={"epochs": 3.0, "frames": 2.0, "widths": [4.0, 3], "n_points": 40.0})
    assert r.status_code == 200 and r.json()["epochs"] == 3, r.json()
    for field, value, shown in (("epochs", 1e9, "1000000000"), ("seed", 1e30, "1e+30")):
        body = client.post("/api/train", json={field: value}).json()
        assert body["code"] == "out_of_range" and body["field"] == field and f"(got {shown})" in body["detail"], body
    for value, code in ((2.5, "not_whole"), ("3", "wrong_type"), (True, "wrong_type")):
        assert client.post("/api/train", json={"epochs": value}).json()["code"] == code, value
