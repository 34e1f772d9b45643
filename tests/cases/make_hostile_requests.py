"""Writes tests/cases/hostile_requests.json: hostile bodies, queries, headers, paths and
methods, run in process by tests/api/test_hostile_requests.py (no 5xx, one error shape).

    python3 tests/cases/make_hostile_requests.py

Each case: {"name", "method", "path", "headers", "body"} where body is text (sent as UTF-8),
or {"body_hex": "..."} for bytes that are not UTF-8, or {"body_repeat": [head, piece, n, tail]}
for large bodies (head + piece × n + tail). "{code}" and "{token}" in a path, header or body stand for
a live class the test starts first.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "hostile_requests.json"
JSON = {"Content-Type": "application/json"}

cases: list[dict] = []


def add(name: str, method: str, path: str, body: str | None = None, headers: dict | None = None, **extra) -> None:
    case = {"name": name, "method": method, "path": path, "headers": headers if headers is not None else (dict(JSON) if body is not None or extra else {})}
    if body is not None:
        case["body"] = body
    case.update(extra)
    cases.append(case)


TRAIN_ROUTES = ["/api/train", "/api/train/stream", "/api/sweep", "/api/init_stats"]
SWEEP = '"sweep": {"param": "learning_rate", "values": [0.1]}'

# ------------------------------------------------------------------ bodies: not JSON, not objects
NOT_JSON = ["", "{", "[", "}", "{}}", "{'epochs': 3}", "NaN", "Infinity", "-Infinity", "null", "true", "1", '"text"', "[]", "[{}]",
            "{\"epochs\": 3,}", "{epochs: 3}", "\ufeff{}", "{\"epochs\": 3} trailing", "/* comment */ {}"]
for route in ["/api/train", "/api/curves", "/api/sweep", "/api/init_stats", "/api/train/stream", "/api/classes"]:
    for i, text in enumerate(NOT_JSON):
        add(f"not-json {route} #{i}", "POST", route, text)

# ------------------------------------------------------------------ numbers JSON should not carry
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "9" * 5000, "-0", "3.5", "1.0", "true", "null", '"300"', "[]", "{}",
           "18446744073709551616", "-1", "0", "1e308", "0.1e1"]
for i, n in enumerate(NUMBERS):
    add(f"epochs={n[:12]} train", "POST", "/api/train", f'{{"epochs": {n}}}')
    add(f"learning_rate={n[:12]} sweep", "POST", "/api/sweep", f'{{"learning_rate": {n}, "epochs": 2, {SWEEP}}}')
    add(f"n={n[:12]} curves", "POST", "/api/curves", f'{{"curves": [{{"name": "relu"}}], "n": {n}}}')
    add(f"leak={n[:12]} curves", "POST", "/api/curves", f'{{"curves": [{{"name": "leaky_relu", "params": {{"leak": {n}}}}}]}}')

# ------------------------------------------------------------------ text that is not text, keys twice
TEXT = ['"\\ud800"', '"\\udfff"', '"\\ud83d"', '"a\\u0000b"', '"\\u202e"', '"<script>alert(1)</script>"', '"../../etc/passwd"', '"__proto__"',
        '"relu\\n"', '" relu"', '"RELU"', '"' + "x" * 3000 + '"']
for i, t in enumerate(TEXT):
    add(f"name text #{i} curves", "POST", "/api/curves", f'{{"curves": [{{"name": {t}}}]}}')
    add(f"param key text #{i} train", "POST", "/api/train", f'{{"activations": [{{"name": "elu", "params": {{{t}: 1}}}}], "epochs": 2}}')
    add(f"sweep param text #{i}", "POST", "/api/sweep", f'{{"epochs": 2, "sweep": {{"param": {t}, "values": [0.1]}}}}')
    add(f"dataset text #{i}", "POST", "/api/init_stats", f'{{"dataset": {t}, "seeds": 1}}')
    add(f"class query text #{i}", "POST", "/api/classes", f'{{"query": {t}}}')
for route, body in [("/api/train", '{"epochs": 2, "epochs": 3}'), ("/api/curves", '{"curves": [{"name": "elu", "params": {"alpha": 1, "alpha": 2}}]}'),
                    ("/api/sweep", '{"sweep": {"param": "leak", "param": "alpha", "values": [0.1]}}'), ("/api/init_stats", '{"\\ud800": 1, "\\ud800": 2}'),
                    ("/api/train/stream", '{"activations": [{"name": "relu", "name": "elu"}]}'), ("/api/classes", '{"query": "a=1", "query": "b=2"}')]:
    add(f"duplicate key {route}", "POST", route, body)

# ------------------------------------------------------------------ shapes: nesting, sizes, wrong types
for route in ["/api/train", "/api/curves", "/api/sweep"]:
    add(f"nesting 100000 {route}", "POST", route, body_repeat=["", "[", 100000, ""])
    add(f"nesting objects 5000 {route}", "POST", route, body_repeat=["", '{"a":', 5000, "1" + "}" * 5000])
    add(f"over the body cap {route}", "POST", route, body_repeat=['{"pad": "', "x", 70000, '"}'])
    add(f"many activations {route}", "POST", route, body_repeat=['{"activations": [', '{"name": "relu"},', 1000, '{"name": "relu"}]}'])
    add(f"many params {route}", "POST", route, '{"activations": [{"name": "elu", "params": {' + ",".join(f'"p{i}": {i}' for i in range(300)) + "}}]}")
    add(f"array of errors {route}", "POST", route, '{"activations": [' + ",".join(['{"name": 1, "params": 2}'] * 60) + "]}")
WRONG = [('"activations": "relu"', "activations a string"), ('"activations": []', "no activations"), ('"activations": [null]', "a null activation"),
         ('"activations": [{"name": "relu", "params": []}]', "params a list"), ('"activations": [{"name": "relu", "extra": 1}]', "unknown key"),
         ('"dataset": "xor", "n_points": 1', "one point"), ('"depth": 0', "depth 0"), ('"depth": 13', "depth 13"), ('"width": 65', "width 65"),
         ('"batch_size": -1', "batch -1"), ('"frames": 1', "frames 1"), ('"boundary_grid": 81', "grid 81"), ('"seed": 4294967296', "seed 2^32"),
         ('"seed": -1', "seed -1"), ('"dtype": "float16"', "float16"), ('"init": "zeros"', "init zeros"), ('"optimizer": "lbfgs"', "lbfgs"),
         ('"momentum": 1', "momentum 1"), ('"noise": -0.1', "noise -0.1"), ('"test_fraction": 0', "test fraction 0"),
         ('"include_weights": "yes"', "weights yes"), ('"epochs": 5000, "n_points": 2000, "width": 64, "depth": 12', "over the budget"),
         ('"boundary_frames": 20, "boundary_grid": 80, "activations": [{"name":"relu"},{"name":"elu"},{"name":"tanh"},{"name":"gelu"}]', "boundary cells"),
         ('"activations": [{"name": "hardtanh", "params": {"min_val": 1, "max_val": -1}}]', "broken order"),
         ('"activations": [{"name": "gelu", "params": {"approximate": "fast"}}]', "not a choice"),
         ('"activations": [{"name": "noisy_relu", "params": {"sigma": -1}}]', "sigma -1")]
for route in ["/api/train", "/api/init_stats", "/api/train/stream"]:
    for frag, label in WRONG:
        add(f"{label} {route}", "POST", route, "{" + frag + "}")
SWEEPS = ['{"sweep": {"param": "leak", "values": [0.1]}}', '{"sweep": {"param": "learning_rate", "values": []}}', '{"sweep": {"param": "learning_rate", "values": [0]}}',
          '{"sweep": {"param": "learning_rate", "values": ' + json.dumps([0.1] * 17) + "}}", '{"sweep": {"param": "momentum", "values": [1.5]}}',
          '{"sweep": {"param": "alpha", "values": [0.5]}, "activations": [{"name": "elu"}, {"name": "relu"}]}', '{"sweep": {"param": "learning_rate", "values": ["0.1"]}}',
          '{"sweep": {"param": "learning_rate", "values": [NaN]}}', '{"sweep": {"param": "sigma", "values": [1e9]}, "activations": [{"name": "noisy_relu"}]}', '{"sweep": null}',
          '{"sweep": {"param": "learning_rate"}}', '{"activations": [{"name":"relu"},{"name":"elu"},{"name":"tanh"},{"name":"gelu"}], ' + SWEEP + "}"]
for i, body in enumerate(SWEEPS):
    add(f"sweep #{i}", "POST", "/api/sweep", body)
CURVES = ['{"curves": []}', '{"curves": [{"name": "relu"}], "xmin": 5, "xmax": -5}', '{"curves": [{"name": "relu"}], "xmin": -1e5}', '{"curves": [{"name": "relu"}], "n": 1}',
          '{"curves": [{"name": "relu"}], "n": 10002}', '{"curves": [{"name": "noisy_relu"}], "samples": 5001}', '{"curves": [{"name": "noisy_relu"}], "band": 1}',
          '{"curves": ' + json.dumps([{"name": "relu"}] * 9) + "}", '{"curves": [{"name": "elu", "params": {"alpha": "1"}}]}', '{"curves": [{"name": "relu", "params": null}]}',
          '{"curves": [{"name": "softplus", "params": {"beta": 0}}]}', '{"curves": [{"name": "hardtanh", "params": {"min_val": 2, "max_val": 1}}]}']
for i, body in enumerate(CURVES):
    add(f"curves #{i}", "POST", "/api/curves", body)

# ------------------------------------------------------------------ bytes that are not UTF-8, other encodings
for route in ["/api/train", "/api/curves", "/api/classes", "/api/classes/{code}/results"]:
    add(f"invalid utf-8 {route}", "POST", route, body_hex=b'{"epochs": "\xff\xfe"}'.hex())
    add(f"utf-16 {route}", "POST", route, body_hex='{"epochs": 3}'.encode("utf-16").hex())
    add(f"nul bytes {route}", "POST", route, body_hex=b'{"epochs": 3\x00}'.hex())
    add(f"latin-1 declared {route}", "POST", route, '{"epochs": 3}', headers={"Content-Type": "application/json; charset=latin-1"})
    add(f"text/plain {route}", "POST", route, '{"epochs": 3}', headers={"Content-Type": "text/plain"})
    add(f"form {route}", "POST", route, "epochs=3", headers={"Content-Type": "application/x-www-form-urlencoded"})
    add(f"multipart junk {route}", "POST", route, "--x\r\n\r\n--x--", headers={"Content-Type": "multipart/form-data; boundary=x"})
    add(f"no content type {route}", "POST", route, '{"epochs": 3}', headers={})

# ------------------------------------------------------------------ live classes
for i, body in enumerate(['{"query": "' + "a=1&" * 600 + '"}', '{"query": "a b=1"}', '{"query": "=1"}', '{"query": 5}', '{"query": "fn=relu", "x": 1}']):
    add(f"class create #{i}", "POST", "/api/classes", body)
for path in ["/api/classes/0", "/api/classes/OOOOOOOO", "/api/classes/%F0%9F%98%80", "/api/classes/" + "A" * 300, "/api/classes/{code}/qr.svg",
             "/api/classes/ZZZZZZZZ/events?x=1", "/api/classes/..%2F..%2Fetc", "/join/%3Cscript%3E", "/join/" + "Z" * 500]:
    add(f"class GET {path[:30]}", "GET", path)
TEACHER = {"Content-Type": "application/json", "Authorization": "Bearer {token}"}
for i, (method, path, body, headers) in enumerate([
    ("PUT", "/api/classes/{code}/state", '{"query": "fn=elu"}', {"Content-Type": "application/json"}),
    ("PUT", "/api/classes/{code}/state", '{"query": "fn=elu"}', {"Content-Type": "application/json", "Authorization": "Bearer wrong"}),
    ("PUT", "/api/classes/{code}/state", '{"query": "fn=elu"}', {"Content-Type": "application/json", "Authorization": "Basic {token}"}),
    ("PUT", "/api/classes/{code}/state", '{"query": "fn=elu"}', {"Content-Type": "application/json", "Authorization": "Bearer " + "x" * 5000}),
    ("PUT", "/api/classes/{code}/state", '{"query": "\\ud800=1"}', TEACHER),
    ("POST", "/api/classes/{code}/pause", '{"message": ""}', TEACHER),
    ("POST", "/api/classes/{code}/pause", '{"message": "' + "m" * 5000 + '"}', TEACHER),
    ("POST", "/api/classes/{code}/experiment", '{"prompt": "go", "collect": ["nothing"]}', TEACHER),
    ("POST", "/api/classes/{code}/experiment", '{"prompt": "go", "param": "\\ud800"}', TEACHER),
    ("POST", "/api/classes/{code}/results", '{"params": {"leak": NaN}, "test_accuracy": 2}', JSON),
    ("POST", "/api/classes/{code}/results", '{"params": {}, "test_accuracy": 0.5, "dead_fraction": 0.1, "final_loss": 1e999, "activation": "relu"}', JSON),
    ("POST", "/api/classes/{code}/results", '{"nickname": "\\u202e\\u0000", "params": {}}', JSON),
    ("GET", "/api/classes/{code}/results", None, {"Authorization": "Bearer nope"}),
    ("DELETE", "/api/classes/{code}", None, {}),
]):
    add(f"class teacher #{i}", method, path, body, headers=headers)

# ------------------------------------------------------------------ queries
CURVE_Q = ["", "name=", "name=%00", "name=relu&name=elu", "name=relu&n=1e9", "name=relu&n=-1", "name=relu&n=2.5", "name=relu&n=0x10", "name=relu&n=",
           "name=relu&xmin=nan", "name=relu&xmin=inf", "name=relu&xmin=1e400", "name=relu&xmin=5&xmax=-5", "name=leaky_relu&leak=1_0", "name=leaky_relu&leak=%D9%A3",
           "name=leaky_relu&leak=%EF%BC%91", "name=elu&alpha=1e-400", "name=noisy_relu&samples=999999", "name=relu&seed=-1", "name=relu&seed=1e20",
           "name=noisy_relu&band=1", "name=noisy_relu&band=0", "name=relu&unknown=1", "name=relu&" + "x" * 9000 + "=1", "name=relu&leak=" + "1" * 40,
           "name=relu%26n%3D3", "name=%ED%A0%80", "name=%FF%FE", "name=relu&n=%20401", "name=relu&n=401%20", "name=relu&n=+401", "name=elu&alpha=-0",
           "name=hardtanh&min_val=2&max_val=1", "name=gelu&approximate=fast", "name=softplus&beta=0", "name=relu;n=3", "name=relu&&&", "=&=&=", "name=relu&n=4%0A01",
           "name[]=relu", "name=relu#frag"]
for i, q in enumerate(CURVE_Q):
    add(f"curve query #{i}", "GET", "/api/curve?" + q)
LESSON_Q = ["depth=13", "depth=0", "depth=3.5", "depth=1e1", "depth=%D9%A3", "depth=nan", "depth=", "depth=3&depth=4", "nothing=1", "init=zeros", "seeds=99999",
            "learning_rate=inf", "epochs=-1", "seed=1e30", "depth=" + "9" * 400]
for i, q in enumerate(LESSON_Q):
    add(f"lesson query #{i}", "GET", "/api/lessons/vanishing-gradients/measure?" + q)
for i, q in enumerate(["url=javascript:alert(1)", "url=data:text/html,x", "url=//evil.example/embed/loss", "url=http://[::1", "url=http://testserver/%0Aembed/loss",
                       "url=http://testserver/embed/loss&maxwidth=-1", "url=http://testserver/embed/loss&maxwidth=1e9", "url=http://testserver/embed/loss&format=xml",
                       "url=http://testserver/embed/loss&format=" + "j" * 40, "url=" + "a" * 5000, "url=http://testserver:99999/", "url=http://evil.example/embed/loss",
                       "url=http://testserver/embed/loss?title=%3Cscript%3E", "url=http://testserver/lessons", "maxwidth=5", "url=http://testserver/embed/%2E%2E/%2E%2E/etc"]):
    add(f"oembed #{i}", "GET", "/oembed?" + q)
for i, q in enumerate(["act=%3Cscript%3E", "act=relu(leak=%22%3E)", "epochs=1e999", "values=NaN,Infinity", "title=" + "t" * 5000, "theme=%00", "controls=1&act=" + "elu," * 200,
                       "sweep=__proto__&values=1", "act=relu&act=elu", "fn=" + "(" * 2000]):
    add(f"embed query #{i}", "GET", "/embed/loss?" + q)
    add(f"explorer query #{i}", "GET", "/?" + q)

# ------------------------------------------------------------------ headers
for i, h in enumerate([{"Host": ""}, {"Host": "a b"}, {"Host": "evil.example:99999"}, {"Host": "[::1"}, {"Host": "x" * 5000}, {"If-None-Match": "*"},
                       {"If-None-Match": 'W/"x", "y", ' * 300}, {"If-None-Match": '"'}, {"Accept-Encoding": "gzip;q=0"}, {"Accept-Encoding": "*;q=0, identity;q=0"},
                       {"Accept-Encoding": "br, zstd"}, {"Accept-Encoding": "gzip;q=abc"}, {"Cookie": "a=" + "b" * 8000}, {"X-Forwarded-For": "<script>, ::ffff:1.2.3.4"},
                       {"X-Forwarded-Proto": "javascript"}, {"Range": "bytes=0-10"}, {"Range": "bytes=9999999-"}, {"Accept": "text/html"},
                       {"Origin": "https://evil.example"}, {"Content-Type": "application/json"}]):
    add(f"headers #{i} curve", "GET", "/api/curve?name=relu", headers=h)
    add(f"headers #{i} page", "GET", "/", headers=h)
    add(f"headers #{i} static", "GET", "/static/css/app.css", headers=h)

# ------------------------------------------------------------------ paths and methods
for path in ["/../../etc/passwd", "/static/../app/main.py", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/x/../../pyproject.toml", "/static/%00", "//", "/%00",
             "/api/curve%00", "/embed/%3Cscript%3E", "/embed/nothing", "/embed/", "/lessons/%E2%80%AE", "/lessons/..%2F..%2Fetc", "/api/lessons/nope/measure",
             "/api/lessons/%ff", "/" + "a" * 5000, "/vendor/plotly-../../x.min.js", "/vendor/plotly-0.0.0.min.js", "/vendor/swagger/x/..%2F..%2Fetc",
             "/vendor/swagger/1/evil.js", "/docs/../openapi.json", "/api/", "/api", "/static", "/openapi.json?x=%ff", "/healthz/../readyz", "/api/activations/x"]:
    add(f"path {path[:40]}", "GET", path)
for method, path in [("PUT", "/api/curve?name=relu"), ("DELETE", "/"), ("PATCH", "/api/train"), ("OPTIONS", "/api/curve"), ("TRACE", "/"), ("HEAD", "/api/train"),
                     ("POST", "/api/curve?name=relu"), ("GET", "/api/train"), ("POST", "/healthz"), ("PROPFIND", "/"), ("HEAD", "/api/curve?name=relu&n=1e9"),
                     ("POST", "/oembed"), ("PUT", "/static/css/app.css"), ("DELETE", "/api/lessons")]:
    add(f"method {method} {path[:30]}", method, path, "{}" if method in ("POST", "PUT", "PATCH") else None)

OUT.write_text(json.dumps({"about": __doc__.strip().splitlines()[0], "cases": cases}, ensure_ascii=True, indent=0) + "\n")
print(f"{len(cases)} cases → {OUT}")
