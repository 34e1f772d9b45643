"""The Formula object: parsing, errors, parameters, the hostile corpus, pickling, the
PyTorch snippet, and proof that no user text reaches eval/exec/compile or sympy."""

from __future__ import annotations

import builtins
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

import app.core.formula as formula_pkg
from app.core.activations import Properties
from app.core.formula import (
    CODES,
    CONVENTION,
    RELAXED_LIMITS,
    Formula,
    FormulaError,
    ParamSpec,
    compile_formula,
    parse,
)
from app.core.formula import properties as _properties  # noqa: F401  (imported before the no-eval patch)

CASES = Path(__file__).parents[1] / "cases"
HOSTILE = json.loads((CASES / "formula_hostile.json").read_text())
VALID = json.loads((CASES / "formula_valid.json").read_text())
BUILTIN = json.loads((CASES / "builtin_formulas.json").read_text())
GRID = np.linspace(-1e4, 1e4, 2001)


def hostile_text(entry: dict) -> str:
    return entry["text"] if "text" in entry else "".join(s * n for s, n in entry["parts"])


# --------------------------------------------------------------------------- the hostile corpus


def test_hostile_corpus_is_large_and_varied():
    rejected = [e for e in HOSTILE if e["code"]]
    assert len(rejected) >= 50
    assert {e["code"] for e in rejected} >= {
        "syntax", "not_allowed", "non_ascii", "too_long", "too_deep", "too_many_nodes", "exponent_too_large",
        "bad_exponent", "unknown_name", "not_callable", "reserved_name", "arity", "condition_outside_where",
        "condition_expected", "too_many_params", "number_too_large", "derivative_too_large", "empty",
    }
    assert len({e["name"] for e in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("entry", [e for e in HOSTILE if e["code"]], ids=lambda e: e["name"])
def test_hostile_input_is_rejected_with_code_and_position(entry):
    text = hostile_text(entry)
    with pytest.raises(FormulaError) as info:
        compile_formula(text, entry.get("params"))
    err = info.value
    assert (err.code, err.position) == (entry["code"], entry["position"]), err.message
    assert err.code in CODES and isinstance(err, ValueError)
    if err.position is not None:
        assert err.message.startswith(f"at character {err.position + 1}: ")  # counted from 1
        assert err.end is not None and err.end > err.position
    if err.code == "non_ascii":
        assert f"U+{ord(text[err.position]):04X}" in err.message  # names the character
    if err.code == "unknown_name":
        assert "allowed: abs, cos, erf, exp" in err.message
    assert pickle.loads(pickle.dumps(err)).as_dict() == err.as_dict()


@pytest.mark.parametrize("entry", [e for e in HOSTILE if not e["code"]], ids=lambda e: e["name"])
def test_hostile_but_valid_formulas_are_reported_not_crashed(entry):
    F = compile_formula(hostile_text(entry))
    report = F.check_finite(GRID)
    assert (None if report.ok else report.kind) == entry["report"], report.message
    if not report.ok:
        assert report.message and report.culprit and report.error().code == report.kind
    F.kinks()
    assert F.dtext and F.cost >= 0


# --------------------------------------------------------------------------- errors


def test_every_error_code_is_documented():
    src = "\n".join(p.read_text() for p in Path(formula_pkg.__file__).parent.glob("*.py"))
    used = set(re.findall(r'FormulaError\(\s*"([a-z_]+)"', src))
    assert used <= set(CODES), used - set(CODES)


def test_non_ascii_message_names_character_and_position():
    with pytest.raises(FormulaError) as info:
        parse("exp(\u0445) + 1")
    e = info.value
    assert e.code == "non_ascii" and e.position == 4
    assert "'х' (U+0445 CYRILLIC SMALL LETTER HA)" in e.message
    with pytest.raises(FormulaError) as info:
        parse("x \u2264 1")
    assert "write '<='" in info.value.message


@pytest.mark.parametrize("value", [None, b"x", 1.5, ["x"]])
def test_only_text_is_a_formula(value):
    with pytest.raises(FormulaError) as info:
        compile_formula(value)  # type: ignore[arg-type]
    assert info.value.code == "syntax" and "must be text" in info.value.message


def test_unknown_function_message():
    with pytest.raises(FormulaError) as info:
        parse("2*x + foo(x)")
    assert info.value.message.startswith("at character 7: unknown function 'foo'; allowed: abs, cos")
    assert (info.value.position, info.value.end) == (6, 9)


# --------------------------------------------------------------------------- grammar


def test_precedence_and_associativity():
    eq = lambda a, b: parse(a) == parse(b)
    assert eq("-x^2", "-(x^2)")
    assert eq("2^3^2", "2^(3^2)")
    assert eq("x**2", "x^2")
    assert eq("a*b/c*d", "((a*b)/c)*d")
    assert not eq("a - b - c", "a - (b - c)")
    assert eq("x^-2", "x^(-2)")
    assert eq("where(x > 0 and not x > 1 or x < -1, x, 0)", "where((x > 0 and (not x > 1)) or x < -1, x, 0)")
    assert eq("piecewise(x < 0, 0, x < 1, x, 1)", "where(x < 0, 0, where(x < 1, x, 1))")
    assert eq("e^(2*x)", "exp(2*x)")
    assert parse("-2").value == -2.0 and parse("(-2)^2") != parse("-2^2")
    assert compile_formula("-2^2").f(np.array(0.0)) == -4.0
    assert compile_formula(".5*x + 1.e1 + 2E-1").f(np.array(0.0)) == pytest.approx(10.2)


def test_limits_are_documented_defaults():
    F = compile_formula("x^16 + x^-16*0 + 1000000 + " + "+".join(["x"] * 10))
    assert F.node_count < 300
    compile_formula("(" * 40 + "x" + ")" * 40)
    compile_formula("+".join(f"p{i}*x" for i in range(8)))
    with pytest.raises(FormulaError, match="more than 8 parameters"):
        compile_formula("+".join(f"p{i}*x" for i in range(9)))
    compile_formula("a234567890123456*x")
    assert compile_formula("x^(1/2)").f(np.array([4.0]))[0] == 2.0
    assert compile_formula("x^2.5").f(np.array([4.0]))[0] == 32.0


# --------------------------------------------------------------------------- parameters


def test_parameters_defaults_ranges_and_order():
    F = compile_formula("alpha*x + beta*sigmoid(x) + alpha", {"beta": {"default": 0.5, "min": 0, "max": 1}})
    assert F.params == (ParamSpec("alpha", 1.0, -10.0, 10.0), ParamSpec("beta", 0.5, 0.0, 1.0))
    assert F.param_names == ("alpha", "beta") and F.defaults() == {"alpha": 1.0, "beta": 0.5}
    assert F.f(np.array([0.0]))[0] == 1.0 + 0.25
    assert F.f(np.array([0.0]), alpha=2.0, beta=1.0)[0] == 2.5


@pytest.mark.parametrize("values,code,name", [
    ({"beta": 2.0}, "param_value", "beta"),
    ({"beta": float("nan")}, "param_value", "beta"),
    ({"alpha": float("inf")}, "param_value", "alpha"),
    ({"alpha": "1"}, "param_value", "alpha"),
    ({"alpha": True}, "param_value", "alpha"),
    ({"gamma": 1.0}, "unknown_param", "gamma"),
    ({"beta": np.array([0.5, 1.5])}, "param_value", "beta"),
])
def test_parameter_values_are_checked(values, code, name):
    F = compile_formula("alpha*x + beta*sigmoid(x)", {"beta": {"default": 0.5, "min": 0, "max": 1}})
    with pytest.raises(FormulaError) as info:
        F.f(np.array([0.0]), **values)
    assert info.value.code == code and info.value.param == name and name in info.value.message


@pytest.mark.parametrize("spec,fragment", [
    ({"a": {"default": 20.0}}, "min <= default <= max"),
    ({"a": {"min": 1, "max": 0}}, "min <= default <= max"),
    ({"a": {"default": 1e7, "max": 1e8}}, "magnitude at most"),
    ({"a": {"dflt": 1}}, "unknown field"),
    ({"a": 3}, "expected {default, min, max}"),
    ({"b": {}}, "no parameter 'b'"),
])
def test_parameter_declarations_are_checked(spec, fragment):
    with pytest.raises(FormulaError) as info:
        compile_formula("a*x", spec)
    assert info.value.code == "param_spec" and fragment in info.value.message


def test_parameters_broadcast_like_the_training_engine():
    F = compile_formula("where(x > 0, x, a*(exp(x) - 1))", {"a": {"default": 1, "min": 0, "max": 5}})
    x = np.linspace(-3, 3, 2 * 4 * 5).reshape(2, 4, 5)
    a = np.array([0.5, 2.0]).reshape(2, 1, 1)
    f, d = F.f_and_df(x, a=a)
    assert f.shape == d.shape == (2, 4, 5)
    for k in range(2):
        np.testing.assert_array_equal(f[k], F.f(x[k], a=float(a[k, 0, 0])))
        np.testing.assert_array_equal(d[k], F.df(x[k], a=float(a[k, 0, 0])))
    ga = F.dparam("a")(x, a=a)
    np.testing.assert_allclose(ga, np.where(x > 0, 0.0, np.expm1(x)) * np.ones((2, 1, 1)), rtol=1e-15)
    # outputs are new arrays of the broadcast shape, even for constant or identity formulas
    x1 = np.array([1.0, 2.0])
    assert compile_formula("x").f(x1) is not x1
    assert compile_formula("2").f(x1).shape == (2,) and list(compile_formula("x").df(x1)) == [1.0, 1.0]
    assert compile_formula("x*a").f(x1[:, None], a=np.array([1.0, 2.0])).shape == (2, 2)


def test_dparam():
    F = compile_formula("where(x > 0, x, a*x)", {"a": {"default": 0.25, "min": -1, "max": 2}})
    assert F.dparam_text("a") == "where(x > 0, 0, x)"
    np.testing.assert_array_equal(F.dparam("a")(np.array([-2.0, 0.0, 3.0])), [-2.0, 0.0, 0.0])
    with pytest.raises(FormulaError) as info:
        F.dparam("b")
    assert info.value.code == "unknown_param"


# --------------------------------------------------------------------------- the object


def test_immutable_picklable_and_keyed():
    F = compile_formula("x*sigmoid(b*x)", {"b": {"default": 1.5, "min": 0, "max": 5}})
    with pytest.raises(AttributeError):
        F.text = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        F.anything = 1  # type: ignore[attr-defined]
    G = pickle.loads(pickle.dumps(F))
    assert isinstance(G, Formula) and G == F and G.key() == F.key() and G.tree == F.tree and G.params == F.params
    xs = np.linspace(-5, 5, 11)
    np.testing.assert_array_equal(G.df(xs), F.df(xs))
    assert F.key() == "formula/1:x*sigmoid(b*x)|b=1.5[0.0,5.0]"
    for case in VALID:
        H = compile_formula(case["text"], case.get("params"))
        assert pickle.loads(pickle.dumps(H)) == H
        assert pickle.loads(pickle.dumps(H.tree)) == H.tree


def test_every_attribute_of_the_api():
    F = compile_formula("x*sigmoid(beta*x)")
    assert F.text == "x*sigmoid(beta*x)" and F.source == "x*sigmoid(beta*x)"
    assert F.dtext == "sigmoid(beta*x) + beta*x*sigmoid(beta*x)*(1 - sigmoid(beta*x))"
    assert F.latex == r"x\,\sigma\left(\beta\,x\right)" and F.dlatex.startswith(r"\sigma\left(\beta\,x\right) + ")
    assert F.node_count == 6 and F.kinks() == [] and F.kinks_known
    assert 10 < F.cost < 60
    assert isinstance(F.properties(), Properties)
    assert F.check_finite(GRID).ok
    assert "class MyActivation(torch.nn.Module)" in F.torch_source()
    assert "CONVENTION" not in CONVENTION and "smaller" in CONVENTION.lower()


def test_cost_grows_with_work():
    costs = [compile_formula(t).cost for t in ("x", "max(x, 0)", "x*sigmoid(x)", "x*tanh(softplus(x))")]
    assert costs == sorted(costs) and costs[0] == 0


# --------------------------------------------------------------------------- PyTorch snippet


@pytest.mark.parametrize("case", BUILTIN + VALID, ids=lambda c: c.get("id", c.get("text")))
def test_torch_source_is_valid_python(case):
    F = compile_formula(case.get("formula") or case["text"], case.get("params"))
    src = F.torch_source("Act")
    code = compile(src, "<torch snippet>", "exec")  # our generated text, never user text
    assert code is not None
    assert src.startswith("import math\n\nimport torch\n")
    for p in F.params:
        assert f"{p.name}: float = {p.default!r}" in src and f"self.{p.name} = float({p.name})" in src


def test_torch_source_locals_do_not_clash_with_parameters():
    src = compile_formula("t0*softplus(softplus(t1*x))").torch_source()
    assigned = re.findall(r"^        (\w+) = ", src, re.M)
    assert assigned == ["t0", "t1", "_t0", "_t1"]  # each name bound once: no parameter overwritten
    assert src.rstrip().endswith("return (t0 * torch.logaddexp(_t1, torch.zeros_like(_t1)))")


TIES = ["max(0.1*x, x)", "max(x^2, x)", "min(x, 2*x)", "max(x, 0)", "min(max(x, -1), 1)", "x*min(max(x + 3, 0), 6)/6"]


def test_torch_source_takes_the_smaller_slope_at_a_max_min_tie():
    """The app's f′ at a tie of max/min is the smaller slope; the snippet's autograd took the
    second argument's (max(0.1*x, x): 1 at 0, the card 0.1). It now selects, at a tie, the
    argument whose derivative is the smaller."""
    src = compile_formula("max(0.1*x, x)").torch_source()
    assert "torch.where((_t0 > x) | ((_t0 == x) & (torch.as_tensor(0.1, dtype=x.dtype) <= torch.as_tensor(1.0, dtype=x.dtype))), _t0, x)" in src, src
    assert "torch.where(x > 0.0, x, torch.as_tensor(0.0, dtype=x.dtype))" in compile_formula("max(x, 0)").torch_source()


@pytest.mark.parametrize("text", TIES)
def test_torch_snippets_autograd_at_ties_is_the_apps_derivative(text):
    torch = pytest.importorskip("torch")
    F = compile_formula(text)
    scope: dict = {}
    exec(compile(F.torch_source("M"), "<torch snippet>", "exec"), scope)  # our generated text, never user text
    x = torch.tensor([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0], dtype=torch.float64, requires_grad=True)
    scope["M"]()(x).sum().backward()
    assert x.grad.tolist() == pytest.approx(list(F.df(x.detach().numpy())), abs=1e-15)


def test_torch_source_defaults_and_class_name():
    F = compile_formula("where(x > 0, x, a*x)", {"a": {"default": 0.25, "min": -1, "max": 2}})
    src = F.torch_source("LeakyThing", a=0.5)
    assert "class LeakyThing(torch.nn.Module)" in src and "a: float = 0.5" in src
    assert "torch.where((x > 0.0), x, (a * x))" in src
    for bad in ("1abc", "class", "a-b", "x" * 80, "Ünï"):
        with pytest.raises(FormulaError):
            F.torch_source(bad)
    with pytest.raises(FormulaError):
        F.torch_source(a=3.0)


# --------------------------------------------------------------------------- no code execution

FORBIDDEN = ("eval", "exec", "compile", "sympify", "parse_expr", "lambdify")


def test_no_forbidden_calls_in_the_package_source():
    # bare calls (re.compile is a method, not the builtin) and any mention of sympy's parsers
    pattern = re.compile(r"(?<![\w.])(eval|exec|compile|__import__|getattr|setattr)\s*\(|sympify|parse_expr|lambdify")
    pattern_import = re.compile(r"^\s*(import|from)\s+(ast|sympy|pickle|marshal|subprocess|os)\b", re.M)
    for path in Path(formula_pkg.__file__).parent.glob("*.py"):
        src = path.read_text()
        assert not pattern.search(src), (path.name, pattern.search(src))
        assert not pattern_import.search(src), path.name


def test_no_code_path_reaches_eval_exec_compile_or_sympy(monkeypatch):
    import sympy
    import sympy.parsing.sympy_parser as sympy_parser

    calls = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return refuse

    # build everything lazily built first (programs, kink finders) in the patched state too
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, trap(name))
    for name in ("sympify", "parse_expr", "lambdify"):
        monkeypatch.setattr(sympy, name, trap(name))
    monkeypatch.setattr(sympy_parser, "parse_expr", trap("parse_expr"))

    texts = [(c["text"], c.get("params")) for c in VALID] + [(c["formula"], c["params"]) for c in BUILTIN]
    for text, params in texts:
        F = compile_formula(text, params)
        F.f(GRID), F.df(GRID), F.f_and_df(GRID), F.check_finite(GRID)
        F.dtext, F.latex, F.dlatex, F.torch_source(), F.key(), F.kinks(), F.properties()
        for name in F.param_names:
            F.dparam(name)(GRID), F.dparam_text(name)
        parse(F.dtext, RELAXED_LIMITS)
        pickle.loads(pickle.dumps(F))
    for entry in HOSTILE:
        try:
            F = compile_formula(hostile_text(entry), entry.get("params"))
        except FormulaError:
            continue
        F.check_finite(GRID), F.dtext, F.latex, F.torch_source(), F.kinks()
    assert calls == []


@pytest.mark.parametrize("text,meant", [("x*sigmod(x)", "sigmoid"), ("x*tahn(x)", "tanh"), ("softpluss(x)", "softplus"), ("sqr(x)", "sqrt")])
def test_a_misspelt_function_is_named(text, meant):
    """`sigmod` was told "for a product write sigmod*(...)", as if it were a parameter."""
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert info.value.code == "unknown_name"
    assert f"did you mean {meant}?" in info.value.message and "for a product" not in info.value.message


@pytest.mark.parametrize("text", [
    "x*sigmoid(x)" + "+0.001*tanh(x)" * 34,  # 488 characters: spaced, 556
    "where(x>0 and x<5,x,-x)" + "+0.01*sin(x)" * 38,
])
def test_a_formula_accepted_reads_back_from_its_own_text(text):
    """The editor accepted a 488-character sum, then wrote it as 556 characters (spaces around
    each +), and the plot refused that as too long. The canonical text stays within the limit
    (spaces beside symbols dropped when needed) and compiles to the same formula."""
    assert len(text) <= 500
    f = compile_formula(text)
    assert len(f.text) <= 500 and compile_formula(f.text) == f
    assert compile_formula("x*sigmoid(x) + 1").text == "x*sigmoid(x) + 1"  # short ones keep their spaces


def test_an_activations_name_called_as_a_function_is_told_its_formula():
    """relu(x) was told "for a product write relu*(...)", and sign(x) "did you mean sin?". Each
    suggestion compiles, and for the catalogue's activations computes the activation."""
    from app.core import activations as A
    from app.core.formula.parser import WRITE_OUT

    with pytest.raises(FormulaError) as e:
        compile_formula("relu(x)")
    assert e.value.code == "unknown_name" and "write it out, as max(x, 0)" in e.value.message and "product" not in e.value.message
    with pytest.raises(FormulaError) as e:
        compile_formula("2*sign(x)")
    assert "sin?" not in e.value.message and e.value.position == 2
    x = np.linspace(-6.0, 6.0, 241)
    for name, suggestion in WRITE_OUT.items():
        f = compile_formula(suggestion.split(" (")[0])
        if name in A.IDS:
            act = A.get(name)
            tol = 1e-4 if name == "selu" else 1e-12  # (its constants to 5 digits)
            np.testing.assert_allclose(f.f(x), act.f(x, **act.defaults()), atol=tol, err_msg=name)
