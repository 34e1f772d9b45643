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
