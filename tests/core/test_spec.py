"""The links' notation (app/core/spec.py) on the shared case file, which the browser runs too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core import spec

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "spec_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["parse"], ids=lambda c: repr(c["text"])[:40])
def test_parse(case: dict) -> None:
    specs, notes = spec.parse(case["text"])
    assert [s.as_dict() for s in specs] == case["specs"] and notes == case["notes"]


@pytest.mark.parametrize("case", CASES["numbers"], ids=lambda c: repr(c["value"]))
def test_numbers_are_written_as_javascript_writes_them(case: dict) -> None:
    assert spec.format_number(case["value"]) == case["text"]
    assert float(case["text"]) == float(f"{case['value']:.12g}")  # and read back to the 12 digits kept


@pytest.mark.parametrize("case", CASES["format"], ids=lambda c: c["text"])
def test_format(case: dict) -> None:
    assert spec.format(case["specs"]) == case["text"]
    # what is written reads back as the same activations (parameters at their default left out)
    again, notes = spec.parse(case["text"])
    assert not notes and [s.name or s.formula for s in again] == [s.get("name") or s.get("formula") for s in case["specs"]]


@pytest.mark.parametrize("case", CASES["sanitise"], ids=lambda c: c["text"])
def test_sanitise(case: dict) -> None:
    specs, notes = spec.sanitise(spec.parse(case["text"])[0], case["max"])
    assert [s.as_dict() for s in specs] == case["specs"] and notes == case["notes"]


def test_every_note_code_is_covered_by_a_case() -> None:
    codes = {n["code"] for group in ("parse", "sanitise", "link") for c in CASES[group] for n in c["notes"]}
    assert {"unreadable", "unknown_activation", "unknown_parameter", "not_a_number", "out_of_range", "not_a_choice", "constraint", "too_many",
            "unknown_setting", "not_whole", "not_a_bool", "formula_error", "bad_range"} <= codes


@pytest.mark.parametrize("case", CASES["sanitise"], ids=lambda c: c["text"])
def test_sanitise_is_idempotent(case: dict) -> None:
    """What sanitise gives (a page's state: numbers, formulas with their ranges apart) reads back
    unchanged, with no notes (the page runs its state through it again; so does the browser test)."""
    again, notes = spec.sanitise([spec.Spec(**{"params": {}, **s}) for s in case["specs"]], case["max"])
    assert [s.as_dict() for s in again] == case["specs"] and notes == []
