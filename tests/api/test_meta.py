"""GET /api/meta (the vocabulary the pages read) and the links' rule on the server."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from app.api import meta, training_schemas
from app.core import activations as acts

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "spec_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["link"], ids=lambda c: c["query"] or "(empty)")
def test_links_are_read_by_the_one_rule(case: dict) -> None:
    fields = {k: meta.STATE[k] for k in case["fields"]}
    state, notes = meta.read_link(dict(parse_qsl(case["query"], keep_blank_values=True)), fields)
    state = {k: ([s.as_dict() for s in v] if fields[k]["type"] == "specs" else v) for k, v in state.items()}
    assert state == case["state"] and notes == case["notes"]


def test_meta_serves_the_vocabulary(client) -> None:
    r = client.get("/api/meta")
    assert r.status_code == 200 and r.headers["etag"]
    m = r.json()
    # the request fields are the request model's: same ranges, defaults and choices
    train = m["requests"]["train"]
    for name, field in training_schemas.TrainRequest.model_fields.items():
        assert name in train
    assert (train["depth"]["min"], train["depth"]["max"], train["depth"]["default"]) == (1, training_schemas.MAX_DEPTH, 3)
    assert train["dataset"]["choices"] == list(m["labels"]["dataset"])
    # every form field is a request field; every setting of the URL state is typed
    assert all(f["key"] in train for f in m["form"])
    assert all(s["type"] in ("string", "number", "int", "bool", "specs", "list", "points") for s in m["state"].values())
    assert m["state"]["depth"] == {"type": "int", "default": 3, "min": 1, "max": training_schemas.MAX_DEPTH}
    assert m["caps"]["sweep_values"] == training_schemas.MAX_SWEEP_VALUES and m["caps"]["curves"] <= m["caps"]["api_curves"]
    assert set(m["panels"]) >= {"function", "loss", "boundary", "gradient-flow", "sweep"} and all(p["title"] and p["help"] for p in m["panels"].values())
    assert client.get("/api/meta", headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_the_javascript_declares_no_vocabulary() -> None:
    """Ranges, datasets, inits, caps and panel texts come from /api/meta, never from the JS."""
    root = Path(__file__).resolve().parents[2] / "static" / "js"
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.js"))
    for needle in ("Two moons", "He (Kaiming)", "MAX_COMPARE", "MAX_SWEEP_VALUES", "MAX_CURVES", "/openapi.json", "Concentric circles", "Gaussian jitter added"):
        assert needle not in text, needle
    catalogue = {a.id for a in acts.CATALOGUE}
    assert "relu" in catalogue


def test_a_live_class_is_a_page_setting_and_its_numbers_come_from_the_class_api(client) -> None:
    from app.api import class_bodies as classes

    m = client.get("/api/meta").json()
    assert m["page_keys"] == ["class"]
    _, notes = meta.read_link({"class": "ABCDEFGH", "fn": "relu"})
    assert notes == []  # not an unknown setting
    assert list(m["live"]["numbers"]) == list(classes.NUMBERS)
    assert (m["live"]["max_prompt"], m["live"]["max_message"]) == (classes.MAX_PROMPT, classes.MAX_MESSAGE)
    assert m["panels"]["class-results"]["kind"] == "class" and m["panels"]["class-results"]["help"]
