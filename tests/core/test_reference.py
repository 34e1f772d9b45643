"""The fast stacked engine against the reference engine (app/core/reference.py), which
computes the same training the plain way: every activation, both optimisers, mini-batches."""

from __future__ import annotations

import numpy as np
import pytest

from app.core import activations as acts
from app.core import reference
from app.core.datasets import DatasetSpec
from app.core.network import Architecture, Layout, Variant
from app.core.training import TrainConfig, train

EPOCHS = 12


def _config(name: str, **kw) -> TrainConfig:
    base = dict(
        data=DatasetSpec("moons", 64, 0.1, 0.25, 3), arch=Architecture(2, 5), variants=(Variant(name),),
        epochs=EPOCHS, frames=EPOCHS + 1, boundary_frames=0, histograms=False, include_weights=True, seed=5,
    )
    base.update(kw)
    return TrainConfig(**base)


def _assert_same(cfg: TrainConfig, rtol: float = 1e-11) -> None:
    fast = train(cfg)
    ref = reference.train(cfg, fast.theta_initial[0])
    assert np.array_equal(fast.frames, np.arange(cfg.epochs + 1))
    np.testing.assert_allclose(fast.loss_train[0], ref["loss"], rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(fast.loss_test[0], ref["test_loss"], rtol=rtol, atol=1e-15)
    learned = tuple(acts.get(cfg.variants[0].activation).param_grads)
    final = Layout(cfg.arch, learned).unpack(fast.theta_final[0])
    for a, b in zip(final["W"] + final["b"], ref["params"]["W"] + ref["params"]["b"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", acts.IDS)
def test_fast_engine_equals_the_reference_with_adam(name: str) -> None:
    _assert_same(_config(name, optimizer="adam", learning_rate=0.02))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "prelu", "tanh", "noisy_relu", "rrelu", "gelu"])
def test_fast_engine_equals_the_reference_with_sgd_momentum_and_minibatches(name: str) -> None:
    _assert_same(_config(name, optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=16))


def test_reference_gradients_match_finite_differences() -> None:
    """The reference's own backward pass, checked against central differences."""
    cfg = _config("elu")
    fast = train(cfg)
    act = acts.get("elu")
    layout = Layout(cfg.arch, ())
    params = {**layout.unpack(fast.theta_initial[0]), "learned": {}}
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 2)), (rng.random(20) > 0.5).astype(float)
    _, g = reference.loss_and_grads(params, act, {"alpha": 1.0}, X, y)
    h = 1e-6
    for which in ("W", "b"):
        for layer, arr in enumerate(params[which]):
            idx = tuple(int(i) for i in np.unravel_index(3 % arr.size, arr.shape))
            old = arr[idx]
            arr[idx] = old + h
            up = reference.loss_and_grads(params, act, {"alpha": 1.0}, X, y)[0]
            arr[idx] = old - h
            down = reference.loss_and_grads(params, act, {"alpha": 1.0}, X, y)[0]
            arr[idx] = old
            assert abs((up - down) / (2 * h) - g[which][layer][idx]) < 1e-7


# The knobs of the network lab (issue 15), each against the reference engine.
KNOBS = {
    "l2": dict(l2=0.05),
    "l1": dict(l1=0.01),
    "l1_l2_sgd": dict(l1=0.003, l2=0.02, optimizer="sgd", learning_rate=0.1, momentum=0.5),
    "multiclass": dict(data=DatasetSpec("class_blobs", 90, 0.1, 0.25, 2, classes=4)),
    "multiclass_spirals_minibatch": dict(data=DatasetSpec("class_spirals", 80, 0.05, 0.25, 1, classes=3), batch_size=16),
    "regression_plane": dict(data=DatasetSpec("plane", 60, 0.05, 0.25, 4)),
    "regression_gauss_l2": dict(data=DatasetSpec("multi_gaussian", 60, 0.0, 0.25, 4), l2=0.01),
    "features": dict(features=("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2")),
    "features_only_squares": dict(features=("x1_sq", "x2_sq")),
    "widths": dict(arch=Architecture(widths=(7, 3, 5))),
    "everything": dict(arch=Architecture(widths=(4, 6)), features=("x1", "x1x2", "sin_x2"), l1=0.002, l2=0.01,
                       data=DatasetSpec("class_blobs", 70, 0.2, 0.3, 5, classes=5), batch_size=10),
}


@pytest.mark.parametrize("knob", list(KNOBS))
@pytest.mark.parametrize("name", ["relu", "tanh", "prelu", "noisy_relu"])
def test_fast_engine_equals_the_reference_on_the_lab_knobs(knob: str, name: str) -> None:
    cfg = _config(name, **{"learning_rate": 0.02, **KNOBS[knob]})
    fast = train(cfg)
    ref = reference.train(cfg, fast.theta_initial[0])
    np.testing.assert_allclose(fast.loss_train[0], ref["loss"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.loss_test[0], ref["test_loss"], rtol=1e-10, atol=1e-14)
    learned = tuple(acts.get(name).param_grads)
    final = Layout(cfg.network, learned).unpack(fast.theta_final[0])
    for a, b in zip(final["W"] + final["b"], ref["params"]["W"] + ref["params"]["b"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_reference_loss_gradients_match_finite_differences(task: str) -> None:
    """Each loss's ∂L/∂θ in the reference (and so its definition), by central differences,
    through uneven widths and several features."""
    rng = np.random.default_rng(3)
    C = 4 if task == "multiclass" else 1
    arch = Architecture(widths=(5, 3), n_in=3, n_out=C)
    layout = Layout(arch, ())
    from app.core.network import init_theta

    params = {**layout.unpack(init_theta(layout, "glorot", 0.1, {}, rng) * 1.5), "learned": {}}
    X = rng.standard_normal((15, 3))
    y = rng.integers(0, 2, 15).astype(float) if task == "binary" else rng.integers(0, C, 15).astype(float) if task == "multiclass" else rng.standard_normal(15)
    act = acts.get("tanh")
    _, g = reference.loss_and_grads(params, act, {}, X, y, task=task)
    h = 1e-6
    for which in ("W", "b"):
        for layer, arr in enumerate(params[which]):
            for flat in range(0, arr.size, 3):
                idx = np.unravel_index(flat, arr.shape)
                old = arr[idx]
                arr[idx] = old + h
                up = reference.loss_and_grads(params, act, {}, X, y, task=task)[0]
                arr[idx] = old - h
                down = reference.loss_and_grads(params, act, {}, X, y, task=task)[0]
                arr[idx] = old
                assert abs((up - down) / (2 * h) - g[which][layer][idx]) < 1e-7, (which, layer, idx)


CONTINUE = {
    "adam": {},
    "sgd_minibatch": dict(optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=16),
    "stochastic_compare": dict(variants=(Variant("noisy_relu"), Variant("prelu"), Variant("rrelu"))),
    "multiclass_knobs": dict(data=DatasetSpec("class_spirals", 120, 0.1, 0.25, 0, classes=4), l1=0.001, l2=0.01, arch=Architecture(widths=(5, 7, 3)),
                             features=("x1", "x2", "x1_sq", "sin_x2")),
    "regression": dict(data=DatasetSpec("multi_gaussian", 100, 0.05, 0.25, 2), batch_size=20),
    "diverging": dict(variants=(Variant("relu"), Variant("relu", {}, learning_rate=10.0)), optimizer="sgd", learning_rate=0.05),
}


@pytest.mark.parametrize("case", list(CONTINUE))
def test_a_run_continued_from_its_state_is_the_longer_run_bit_for_bit(case: str) -> None:
    """N epochs, the state through its JSON form, M more = one run of N + M epochs, bit for bit."""
    import dataclasses

    import orjson

    from app.core import state as states

    cfg = _config("relu", epochs=25, frames=6, include_state=True, include_weights=False, boundary_frames=2, **CONTINUE[case])
    whole = train(cfg)
    first = train(dataclasses.replace(cfg, epochs=9, frames=2))
    wire = orjson.loads(orjson.dumps(states.encode(first.state)))
    K, P = first.state.theta.shape
    then = train(dataclasses.replace(cfg, epochs=16, frames=3), state=states.decode(wire, cfg, K, P))
    assert np.array_equal(whole.state.theta, then.state.theta)
    assert np.array_equal(whole.state.m, then.state.m) and whole.state.step == then.state.step
    assert whole.state.rng == then.state.rng and whole.state.epoch == then.state.epoch == 25
    assert np.array_equal(whole.loss_train[:, -1], then.loss_train[:, -1], equal_nan=True)
    assert whole.diverged_at == then.diverged_at
    assert then.frames[0] == 9 and then.frames[-1] == 25
