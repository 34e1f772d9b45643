"""A formula as a catalogue Activation (app/core/formula/activation.py): what it declares,
and that the engine trains it exactly like the built-in it spells out."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from app.core import activations as acts
from app.core.formula import FormulaError, compile_formula
from app.core.formula.activation import PREFIX, UNIT_COST_BASE, UNIT_COST_PER_OP, formula_activation
from app.core.network import Architecture, Variant
from app.core.training import TrainConfig, cost, train

ELU = "where(x > 0, x, alpha*(exp(x) - 1))"
ELU_RANGE = {"alpha": {"min": 0.0, "max": 5.0, "default": 1.0}}


def test_the_adapter_declares_what_a_catalogue_entry_does():
    act = formula_activation("x*sigmoid(b*x)", {"b": {"min": 0.0, "max": 5.0}})
    assert act.id.startswith(PREFIX) and len(act.id) == len(PREFIX) + 12
    assert act.name == "x*sigmoid(b*x)" and act.latex.startswith("f(x) = ")
    (b,) = act.params
    assert (b.id, b.kind, b.default, b.min, b.max, b.step) == ("b", "float", 1.0, 0.0, 5.0, 0.001)
    assert act.torch is None and act.stochastic is None and not act.param_grads
    assert act.formula.text == "x*sigmoid(b*x)"
    assert act.properties == act.formula.properties()
    assert act.unit_cost == math.ceil(UNIT_COST_PER_OP * act.formula.cost) + UNIT_COST_BASE
    # the catalogue's machinery takes it as it is
    assert acts.get(act) is act
    assert acts.resolve_params(act, {"b": 2.5}) == {"b": 2.5}
    with pytest.raises(acts.ParamError) as e:
        acts.resolve_params(act, {"b": 6.0})
    assert e.value.code == "out_of_range" and e.value.info == {"min": 0.0, "max": 5.0}


def test_ids_name_the_formula_and_its_declarations():
    same = formula_activation("x * sigmoid( b*x )", {"b": {"min": 0.0, "max": 5.0}})
    assert same.id == formula_activation("x*sigmoid(b*x)", {"b": {"min": 0.0, "max": 5.0, "default": 1.0}}).id
    assert same.id != formula_activation("x*sigmoid(b*x)").id  # another range, another activation
    assert formula_activation("x*sigmoid(b*x)") is formula_activation("x*sigmoid(b*x)")  # cached


def test_a_range_without_a_default_takes_1_moved_into_it():
    act = formula_activation("a*x", {"a": {"min": 2.0, "max": 5.0}})
    assert act.params[0].default == 2.0
    assert formula_activation("a*x", {"a": {"min": -3.0, "max": 0.5}}).params[0].default == 0.5


def test_kernel_equals_f_and_df_exactly():
    act = formula_activation("x*tanh(softplus(a*x)) + where(x > 1, b*x, 0)")
    z = np.random.default_rng(0).standard_normal((3, 4, 50)) * 5
    h, d = np.empty_like(z), np.empty_like(z)
    p = {"a": np.array([0.5, 1.0, 2.0]).reshape(3, 1, 1), "b": 0.25}
    act.kernel(z, h, d, np.empty(z.shape, bool), **p)
    assert np.array_equal(h, act.f(z, **p)) and np.array_equal(d, act.df(z, **p))
    h2 = np.empty_like(z)
    act.kernel(z, h2, None, np.empty(z.shape, bool), **p)
    assert np.array_equal(h2, h)


@pytest.mark.parametrize(("text", "ranges", "expected"), [
    ("sigmoid(x)", None, True),
    ("x*sigmoid(b*x)", None, False),  # swish dips
    ("where(x > 0, x, a*x)", {"a": {"min": 0.0, "max": 1.0}}, True),
    ("where(x > 0, x, a*x)", None, False),  # a may be −10
    ("-x", None, False),
])
def test_nonnegative_derivative_is_measured_over_the_parameter_range(text, ranges, expected):
    assert formula_activation(text, ranges).nonnegative_derivative is expected


def test_formula_errors_come_through():
    with pytest.raises(FormulaError) as e:
        formula_activation("x*sigmoid(b*x", None)
    assert e.value.code == "syntax" and e.value.position == 13
    with pytest.raises(FormulaError) as e:
        formula_activation("a*x", {"a": {"min": 3.0, "max": 1.0}})
    assert e.value.code == "param_spec"


def test_unit_cost_ranks_formulas_like_the_catalogue():
    """The budget's cost of a formula is within a small factor of its built-in twin's declared
    cost: a built-in's fused kernel may be several times faster than the formula's generic
    evaluation (measured by bench/formula_unit_cost.py: ReLU's 5.7×, Mish's 3.7×)."""
    pairs = {"elu": ELU, "silu": "x*sigmoid(x)", "mish": "x*tanh(softplus(x))", "relu": "max(x, 0)", "tanh": "tanh(x)"}
    for name, text in pairs.items():
        mine, theirs = formula_activation(text).unit_cost, acts.get(name).unit_cost
        assert 0.4 <= mine / theirs <= 7.0, (name, mine, theirs)
    assert formula_activation("x").unit_cost == UNIT_COST_BASE


def _run(variants, **kw):
    return train(TrainConfig(variants=tuple(variants), arch=Architecture(3, 8), epochs=200, frames=51, include_weights=True, **kw))


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_elus_formula_trains_exactly_like_elu(optimizer):
    mine = formula_activation(ELU, ELU_RANGE)
    a = _run([Variant("elu", {"alpha": 1.0}), Variant("elu", {"alpha": 0.3})], optimizer=optimizer, learning_rate=0.05)
    b = _run([Variant(mine, {"alpha": 1.0}), Variant(mine, {"alpha": 0.3})], optimizer=optimizer, learning_rate=0.05)
    for name in ("loss_train", "loss_test", "acc_train", "acc_test", "theta_final"):
        assert np.allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-12), name
    for stat in a.layers:
        assert np.allclose(a.layers[stat], b.layers[stat], rtol=0, atol=1e-12, equal_nan=True), stat
    assert a.diverged_at == b.diverged_at and cost(TrainConfig(variants=(Variant(mine, {"alpha": 1.0}),))) > 0


def test_a_sweep_over_a_formula_parameter_matches_separate_runs():
    mine = formula_activation(ELU, ELU_RANGE)
    stacked = _run([Variant(mine, {"alpha": a}) for a in (0.2, 1.0, 3.0)])
    for k, alpha in enumerate((0.2, 1.0, 3.0)):
        alone = _run([Variant(mine, {"alpha": alpha})])
        assert np.allclose(stacked.loss_train[k], alone.loss_train[0], rtol=0, atol=1e-12)


def test_a_formula_with_no_twin_trains_and_pickles():
    mine = formula_activation("x*sigmoid(b*x) + c*sin(x)", {"c": {"min": -1.0, "max": 1.0, "default": 0.1}})
    tr = _run([Variant(mine, {"b": 1.5, "c": 0.1})])
    assert np.all(np.isfinite(tr.loss_train)) and tr.loss_train[0, -1] < tr.loss_train[0, 0]
    assert pickle.loads(pickle.dumps(mine.formula)) == mine.formula


def test_canonical_text_is_a_fixed_point():
    for text in ("where(x>0,x,a*(exp(x)-1))", "x * tanh( softplus(x) )", "-x^2/2 + 3", "piecewise(x < -1, -1, x > 1, 1, x)"):
        once = compile_formula(text).text
        assert compile_formula(once).text == once


@pytest.mark.parametrize("text", ["x*sigmoid(b*x) + c*sin(x)", "where(x > 0, x, a*tanh(x))", "max(x, 0.1*x) + min(x, 0)^2"])
def test_the_fast_engine_equals_the_reference_on_formulas(text):
    """tests/core/test_reference.py's check, on typed formulas (the reference engine takes the
    adapter as it takes a catalogue entry)."""
    from app.core import reference
    from app.core.datasets import DatasetSpec
    from app.core.network import Layout

    act = formula_activation(text)
    cfg = TrainConfig(data=DatasetSpec("moons", 64, 0.1, 0.25, 3), arch=Architecture(2, 5), variants=(Variant(act, acts.resolve_params(act, {})),),
                      epochs=12, frames=13, boundary_frames=0, histograms=False, include_weights=True, seed=5, learning_rate=0.02)
    fast = train(cfg)
    ref = reference.train(cfg, fast.theta_initial[0])
    np.testing.assert_allclose(fast.loss_train[0], ref["loss"], rtol=1e-11, atol=1e-15)
    final = Layout(cfg.arch, ()).unpack(fast.theta_final[0])
    for a, b in zip(final["W"] + final["b"], ref["params"]["W"] + ref["params"]["b"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
