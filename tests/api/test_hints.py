"""Every hint of the network form does what it says. Each FORM help text is checked here
(a hint added without a check fails the first test); a hint that promises an effect carries
its recipe ("try": the settings to change), which is run through the engine — by the same
request model and defaults the explorer uses — and the promised effect is measured, over
several seeds, against the defaults."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from app.api import meta, training, training_schemas
from app.core.datasets import DatasetSpec, make_dataset
from app.core.network import Layout
from app.core.training import train

SEEDS = (0, 1, 2)


def run(**settings):
    """A run as the explorer asks for it: the form's defaults, its recording, these settings."""
    body = training_schemas.TrainRequest.model_validate({**meta.RECORDING, "boundary_frames": 0, **settings}, strict=False)
    config = training.make_config(body, [training.Variant(n, p) for n, p in training.resolve_activations(body)])
    trace = train(config)
    trace.layout = Layout(config.network, ())  # to read the weights (include_weights=True)
    return body, trace


def weights(trace, when: str) -> dict:
    """The first variant's {"W": [...], "b": [...]} at the start or the end of the run."""
    return trace.layout.unpack((trace.theta_initial if when == "initial" else trace.theta_final)[0])


def dead_units(body, trace, frame: int = -1) -> float:
    """Dead hidden units, as the explorer's summary counts them (Σ over layers of the fraction × width)."""
    return float(np.nansum(trace.layers["dead_fraction"][0][frame]) * body.width)


def check_learning_rate(hint: dict) -> None:
    for seed in SEEDS:
        body, tried = run(seed=seed, **hint["try"])
        _, default = run(seed=seed)
        units = body.depth * body.width
        assert dead_units(body, tried) >= units / 2, ("most ReLU units die", seed, dead_units(body, tried))
        assert dead_units(body, default) <= units / 4, ("at the default few do", seed, dead_units(body, default))
        assert tried.acc_test[0, -1] <= 0.6, ("accuracy falls to chance", seed, tried.acc_test[0, -1])


def check_bias_init(hint: dict) -> None:
    for seed in SEEDS:
        body, tried = run(seed=seed, epochs=1, **hint["try"])
        _, default = run(seed=seed, epochs=1)
        units = body.depth * body.width
        before = dead_units(body, tried, frame=0)
        assert before >= 0.45 * units, ("about half dead before training", seed, before)
        assert before >= dead_units(body, default, frame=0) + units / 4, seed


def check_seed(hint: dict) -> None:
    _, a = run(seed=7, epochs=50)
    _, b = run(seed=7, epochs=50)
    _, c = run(seed=8, epochs=50)
    assert np.array_equal(a.data.x_train, b.data.x_train) and np.array_equal(a.theta_initial, b.theta_initial)
    assert a.loss_train.tobytes() == b.loss_train.tobytes()  # bit for bit
    assert not np.array_equal(a.data.x_train, c.data.x_train)


def check_noise(hint: dict) -> None:
    """Gaussian jitter of standard deviation noise, on every point."""
    clean = make_dataset(DatasetSpec("moons", 2000, 0.0, 0.25, 3)).x_all
    jittered = make_dataset(DatasetSpec("moons", 2000, 0.3, 0.25, 3)).x_all
    moved = (jittered - clean).ravel()
    assert np.all(moved != 0) and abs(moved.std() - 0.3) < 0.03 and abs(moved.mean()) < 0.03


def check_widths(hint: dict) -> None:
    """e.g. 8, 4, 2: one hidden layer per number, of that many units."""
    body, t = run(widths=[8, 4, 2], epochs=1, include_weights=True)
    assert [w.shape for w in weights(t, "initial")["W"]][:3] == [(2, 8), (8, 4), (4, 2)]


def check_features(hint: dict) -> None:
    """The network's inputs are the chosen features of each point."""
    body, t = run(features=["x1", "x2", "x1_sq", "x2_sq", "x1x2"], epochs=1, include_weights=True)
    assert weights(t, "initial")["W"][0].shape[0] == 5


def check_sigma_w2(hint: dict) -> None:
    """Weights N(0, σ_w²/fan_in): fan_in × their variance is σ_w²."""
    body, t = run(init="custom", sigma_w2=3.0, depth=6, width=64, epochs=1, include_weights=True)
    w = np.concatenate([m.ravel() * np.sqrt(m.shape[0]) for m in weights(t, "initial")["W"][1:-1]])
    assert abs(w.mean()) < 0.05 and abs(w.var() - 3.0) < 0.15


def check_sigma_b2(hint: dict) -> None:
    """Biases N(initial bias, σ_b²)."""
    body, t = run(init="custom", sigma_b2=0.5, bias_init=-0.3, depth=6, width=64, epochs=1, include_weights=True)
    b = np.concatenate(weights(t, "initial")["b"][:-1])
    assert abs(b.mean() + 0.3) < 0.08 and abs(b.var() - 0.5) < 0.08


def check_l1(hint: dict) -> None:
    for seed in SEEDS:
        _, tried = run(seed=seed, epochs=300, include_weights=True, **hint["try"])
        _, default = run(seed=seed, epochs=300, include_weights=True)
        small = lambda t: np.mean(np.abs(np.concatenate([w.ravel() for w in weights(t, "final")["W"]])) < 1e-3)
        assert small(tried) >= 0.25 > 0.05 >= small(default), (seed, small(tried), small(default))


def check_l2(hint: dict) -> None:
    for seed in SEEDS:
        _, tried = run(seed=seed, epochs=300, include_weights=True, **hint["try"])
        _, default = run(seed=seed, epochs=300, include_weights=True)
        norm = lambda t: np.linalg.norm(np.concatenate([w.ravel() for w in weights(t, "final")["W"]]))
        assert 0.3 <= norm(tried) / norm(default) <= 0.7, (seed, norm(tried) / norm(default))


CHECKS: dict[str, Callable[[dict], None]] = {
    "widths": check_widths,
    "features": check_features,
    "sigma_w2": check_sigma_w2,
    "sigma_b2": check_sigma_b2,
    "l1": check_l1,
    "l2": check_l2,
    "learning_rate": check_learning_rate,
    "bias_init": check_bias_init,
    "seed": check_seed,
    "noise": check_noise,
}
HINTS = [f for f in meta.FORM if f.get("help")]


def test_every_hint_has_a_check() -> None:
    assert {f["key"] for f in HINTS} == set(CHECKS)
    for f in HINTS:
        for key in f.get("try", {}):
            assert key in training_schemas.TrainRequest.model_fields, (f["key"], key)


@pytest.mark.parametrize("hint", HINTS, ids=[f["key"] for f in HINTS])
def test_the_hint_does_what_it_says(hint) -> None:
    CHECKS[hint["key"]](hint)
