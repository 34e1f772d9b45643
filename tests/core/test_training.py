"""The training engine: backprop against finite differences, what it measures, and how it runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core import activations as acts
from app.core import training as tr
from app.core.datasets import DatasetSpec, make_dataset
from app.core.errors import apart
from app.core.network import Architecture, StackedMLP, Variant, augment, init_theta, make_groups
from app.core.training import (
    STAT_NAMES,
    BudgetError,
    TrainConfig,
    _initial_theta,
    boundary_schedule,
    check_budget,
    frame_epochs,
    init_statistics,
    train,
)

# Every catalogue entry at its defaults, plus other parameter values (consecutive entries of
# one activation with different float parameters are stacked into one group).
GRADCHECK_VARIANTS = [Variant(a.id, a.defaults()) for a in acts.CATALOGUE] + [
    Variant("leaky_relu", {"leak": 0.3}),
    Variant("leaky_relu", {"leak": 0.0}),
    Variant("elu", {"alpha": 0.5}),
    Variant("elu", {"alpha": 2.0}),
    Variant("celu", {"alpha": 0.5}),
    Variant("gelu", {"approximate": "tanh"}),
    Variant("silu", {"beta": 2.5}),
    Variant("softplus", {"beta": 3.0, "threshold": 20.0}),
    Variant("noisy_relu", {"sigma": 0.3, "sigma_growth": 0.2}),
    Variant("rrelu", {"lower": 0.1, "upper": 0.4}),
    Variant("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    Variant("prelu", {"a": -0.3}),
]


def _gradcheck_net(seed: int = 1) -> tuple[StackedMLP, np.ndarray, np.ndarray, np.ndarray]:
    data = make_dataset(DatasetSpec("moons", 20, 0.2, 0.2, seed))
    xT = augment(data.x_train)
    n = xT.shape[1]
    neg_sign = (1.0 - 2.0 * data.y_train).astype(float).reshape(1, -1)
    net = StackedMLP(Architecture(2, 4), GRADCHECK_VARIANTS, n)
    rng = np.random.default_rng(seed)
    for k, v in enumerate(GRADCHECK_VARIANTS):
        net.theta[k] = init_theta(net.layout, "glorot", 0.1, {}, rng) * 1.5
        if v.activation == "prelu":
            for layer in range(2):
                net.theta[k, net.layout.learned_slot("a", layer)] = v.params["a"]
    return net, xT, neg_sign, neg_sign / n


def _loss(net: StackedMLP, xT: np.ndarray, neg_sign: np.ndarray, scale: np.ndarray) -> np.ndarray:
    net.forward(xT)
    ell, _ = net.loss_grad(neg_sign, scale)
    return ell[:, 0].sum(axis=1) / xT.shape[1]


def _kink_distance(net: StackedMLP, xT: np.ndarray) -> float:
    """Smallest distance of any pre-activation to a kink of its activation."""
    net.forward(xT)
    best = np.inf
    for layer in range(net.arch.depth):
        for g, sl, p in net.plan[layer]:
            for k in range(g.k0, g.k1):
                params = {name: (float(np.ravel(val)[k - g.k0]) if isinstance(val, np.ndarray) else val) for name, val in p.items()}
                for kink in g.act.kinks(**params):
                    best = min(best, float(np.abs(net.Z[layer, k, :, : xT.shape[1]] - kink).min()))
    return best


def test_backprop_matches_central_differences_for_every_activation() -> None:
    net, xT, neg_sign, scale = _gradcheck_net()
    assert _kink_distance(net, xT) > 1e-5  # a step of 1e-6 never crosses a kink
    with np.errstate(all="raise", under="ignore"):
        _loss(net, xT, neg_sign, scale)
        net.backward(xT)
        grad = net.grad.copy()
        h = 1e-6
        numeric = np.zeros_like(grad)
        for j in range(net.theta.shape[1]):
            keep = net.theta[:, j].copy()
            net.theta[:, j] = keep + h
            up = _loss(net, xT, neg_sign, scale)
            net.theta[:, j] = keep - h
            down = _loss(net, xT, neg_sign, scale)
            net.theta[:, j] = keep
            numeric[:, j] = (up - down) / (2 * h)
    for k, v in enumerate(GRADCHECK_VARIANTS):
        # PReLU's slope slots are learned parameters too; for the others they are unused (0)
        np.testing.assert_allclose(grad[k], numeric[k], rtol=1e-5, atol=1e-8, err_msg=f"{v.activation} {dict(v.params)}")
    prelu = [k for k, v in enumerate(GRADCHECK_VARIANTS) if v.activation == "prelu"]
    slot = net.layout.learned_slot("a", 0)
    assert all(abs(grad[k, slot]) > 1e-6 for k in prelu)  # the slope gradient is really checked


def test_input_gradient_matches_central_differences() -> None:
    net, xT, neg_sign, scale = _gradcheck_net(seed=2)
    _loss(net, xT, neg_sign, scale)
    dx = net.backward(xT, input_grad=True)
    h = 1e-6
    for i in range(2):
        for j in range(0, xT.shape[1], 3):
            x = xT.copy()
            x[i, j] += h
            up = _loss(net, x, neg_sign, scale)
            x[i, j] -= 2 * h
            down = _loss(net, x, neg_sign, scale)
            np.testing.assert_allclose(dx[:, i, j], (up - down) / (2 * h), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("variants", [[Variant("relu")], [Variant("leaky_relu", {"leak": 0.05}), Variant("leaky_relu", {"leak": 0.3})]])
def test_fast_paths_equal_the_catalogue(variants: list[Variant]) -> None:
    z = np.random.default_rng(0).standard_normal((len(variants), 5, 40))
    z[:, 0, :4] = [0.0, -0.0, 1e-300, -1e-300]
    (group,) = make_groups(variants, np.dtype(np.float64))
    h, df = np.empty_like(z), np.empty_like(z)
    group.apply(z, h, df, group.params({}, 0), None)
    for k, v in enumerate(variants):
        act = acts.get(v.activation)
        params = acts.resolve_params(act, v.params)
        assert np.array_equal(h[k], act.f(z[k], **params))
        assert np.array_equal(df[k], act.df(z[k], **params))


def test_sigmoid_gradients_vanish_while_relu_with_he_keeps_them() -> None:
    seeds = range(6)
    sig = init_statistics(TrainConfig(arch=Architecture(10, 16), init="glorot", variants=(Variant("sigmoid"),)), seeds)
    relu = init_statistics(TrainConfig(arch=Architecture(10, 16), init="he", variants=(Variant("relu"),)), seeds)
    g_sig = sig["grad_norm_weights"].mean(axis=0)
    g_relu = relu["grad_norm_weights"].mean(axis=0)
    assert g_sig[0] < 1e-2 * g_sig[-1]
    assert g_relu[0] > 0.1 * g_relu[-1]


def test_relu_with_he_init_has_half_its_units_active() -> None:
    stats = init_statistics(TrainConfig(arch=Architecture(4, 16), init="he", variants=(Variant("relu"),)), range(12))
    assert 0.45 <= stats["active_fraction"].mean() <= 0.55
    assert stats["dead_fraction"].mean() < 0.1


def test_init_statistics_match_a_training_run_at_epoch_0() -> None:
    cfg = TrainConfig(epochs=1, frames=2, seed=5)
    trace = train(cfg)
    stats = init_statistics(cfg, [5])
    for name in STAT_NAMES:
        np.testing.assert_allclose(stats[name][0], trace.layers[name][0, 0], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(stats["loss"][0], trace.loss_train[0, 0], rtol=1e-12)


def test_high_learning_rate_kills_relu_but_not_leaky_relu() -> None:
    cfg = TrainConfig(variants=(Variant("relu"), Variant("leaky_relu")), learning_rate=1.0, epochs=200, frames=20, boundary_frames=0)
    trace = train(cfg)
    dead = trace.layers["dead_fraction"][:, -1].mean(axis=1)
    assert dead[0] > 0.5  # most ReLU units never fire again
    assert dead[1] < 0.1  # leaky units still pass gradient
    assert trace.acc_test[1, -1] > trace.acc_test[0, -1]


def test_default_config_learns_moons() -> None:
    trace = train(TrainConfig())
    assert trace.acc_test[0, -1] >= 0.95
    assert trace.loss_train[0, -1] < 0.1 * trace.loss_train[0, 0]
    assert trace.elapsed_ms > 0  # its time is measured (bench/run.py compares it with PyTorch)


def test_same_config_same_trace_bit_for_bit() -> None:
    cfg = TrainConfig(
        variants=(Variant("noisy_relu", {"sigma": 0.5, "sigma_growth": 0.0}), Variant("rrelu"), Variant("prelu", {"a": 0.1})),
        optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=32, epochs=30, frames=7, include_weights=True,
    )
    a, b = train(cfg), train(cfg)
    for field in ("frames", "loss_train", "loss_test", "acc_train", "acc_test", "boundary_p", "theta_final"):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
    for name in STAT_NAMES:
        assert np.array_equal(a.layers[name], b.layers[name], equal_nan=True), name
    assert np.array_equal(a.learned["a"], b.learned["a"], equal_nan=True)


def test_a_stacked_sweep_equals_separate_runs() -> None:
    lrs = [0.003, 0.03, 0.3]
    base = TrainConfig(epochs=40, frames=9, boundary_frames=0)
    stacked = train(dataclasses.replace(base, variants=tuple(Variant("relu", {}, learning_rate=lr) for lr in lrs)))
    for k, lr in enumerate(lrs):
        single = train(dataclasses.replace(base, learning_rate=lr))
        np.testing.assert_allclose(stacked.loss_train[k], single.loss_train[0], rtol=1e-12)
        np.testing.assert_allclose(stacked.layers["grad_norm_weights"][k], single.layers["grad_norm_weights"][0], rtol=1e-9)


def test_divergence_is_reported_and_isolated() -> None:
    base = TrainConfig(
        data=DatasetSpec("blobs", 256, 0.1, 0.25, 0), arch=Architecture(6, 8), optimizer="sgd",
        learning_rate=10.0, epochs=30, frames=31, boundary_frames=3,
    )
    trace = train(dataclasses.replace(base, variants=(Variant("leaky_relu"), Variant("relu", {}, learning_rate=0.01))))
    at = trace.diverged_at[0]
    assert at is not None and 0 < at < 30
    assert trace.diverged_at[1] is None
    assert np.all(np.isfinite(trace.loss_train[0, :at])) and np.all(np.isnan(trace.loss_train[0, at:]))
    for name in STAT_NAMES:
        assert np.all(np.isnan(trace.layers[name][0, at:])), name
    assert trace.hist_final[0] is None
    # the diverging neighbour does not disturb the other variant
    alone = train(dataclasses.replace(base, variants=(Variant("relu"),), learning_rate=0.01))
    np.testing.assert_allclose(trace.loss_train[1], alone.loss_train[0], rtol=1e-12)


def test_wall_clock_limit_cuts_the_run_short(monkeypatch) -> None:
    # the last state becomes a frame when frames are cheap enough; how cheap depends on the
    # machine's load, so the threshold is lifted here (the behaviour, not the speed, is tested)
    monkeypatch.setattr(tr, "FINAL_FRAME_S", float("inf"))
    cfg = TrainConfig(arch=Architecture(6, 32), data=DatasetSpec("spirals", 1000), epochs=5000, frames=50)
    trace = train(cfg, time_limit_s=0.2)
    assert trace.cut_short and trace.epochs_run < 5000
    assert trace.frames[-1] == trace.epochs_run and trace.frames[0] == 0
    assert np.all(np.isfinite(trace.loss_train[0]))
    assert trace.boundary_frames[-1] == trace.epochs_run and trace.hist_final


def test_cancellation_and_progress() -> None:
    calls: list[int] = []
    seen: list[tuple[int, np.ndarray]] = []
    trace = train(
        TrainConfig(epochs=1000),
        should_stop=lambda: calls.append(1) or len(calls) > 10,
        on_progress=lambda e, loss: seen.append((e, loss.copy())),
        progress_interval_s=0.0,
    )
    assert trace.cut_short and trace.epochs_run == 11
    assert [e for e, _ in seen] == list(range(12))
    assert np.isclose(seen[0][1][0], trace.loss_train[0, 0])


def test_mini_batches_stochastic_activations_and_float32_train() -> None:
    cfg = TrainConfig(variants=(Variant("noisy_relu"), Variant("rrelu")), optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=16, epochs=40, frames=5)
    trace = train(cfg)
    assert np.all(trace.loss_train[:, -1] < trace.loss_train[:, 0])
    f32 = train(dataclasses.replace(TrainConfig(epochs=50, frames=3), dtype="float32"))
    f64 = train(TrainConfig(epochs=50, frames=3))
    np.testing.assert_allclose(f32.loss_train[0, 0], f64.loss_train[0, 0], rtol=1e-5)
    assert np.all(np.isfinite(f32.loss_train))


def test_prelu_learns_its_slope() -> None:
    trace = train(TrainConfig(variants=(Variant("prelu", {"a": 0.25}),), learning_rate=0.05, epochs=100, frames=5))
    slopes = trace.learned["a"][0]
    assert np.all(slopes[0] == 0.25)
    assert np.any(np.abs(slopes[-1] - 0.25) > 1e-3)


def test_recorded_shapes_boundary_and_histograms() -> None:
    cfg = TrainConfig(arch=Architecture(2, 5), variants=(Variant("tanh"), Variant("elu")), epochs=20, frames=6, boundary_frames=3, boundary_grid=12)
    trace = train(cfg)
    assert trace.frames.tolist() == [0, 4, 8, 12, 16, 20]
    assert trace.layers["std"].shape == (2, 6, 2)
    assert trace.boundary_frames.tolist() == [0, 8, 20] or trace.boundary_frames.tolist() == [0, 12, 20]
    assert trace.boundary_p.shape == (2, 3, 12, 12)
    assert trace.boundary_p.min() >= 0.0 and trace.boundary_p.max() <= 1.0
    n_train = len(trace.data.x_train)
    for hists in (trace.hist_init, trace.hist_final):
        for edges, counts in hists[0]:
            assert len(edges) == len(counts) + 1 and counts.sum() == n_train * 5


def test_dead_fraction_is_the_share_of_units_never_positive() -> None:
    cfg = TrainConfig(variants=(Variant("relu"),), learning_rate=1.0, epochs=60, frames=2, include_weights=True)
    trace = train(cfg)
    net = StackedMLP(cfg.arch, cfg.variants, len(trace.data.x_train))
    net.theta[:] = trace.theta_final
    net.forward(augment(trace.data.x_train))
    never = (net.Z[:, 0] <= 0).all(axis=2).mean(axis=1)  # per layer
    np.testing.assert_array_equal(trace.layers["dead_fraction"][0, -1], never)


@pytest.mark.parametrize("name", sorted(a.id for a in acts.CATALOGUE if a.nonnegative_derivative))
def test_nonnegative_derivative_list_holds_over_every_parameter_range(name: str) -> None:
    """The dead-unit count sums f' for these (not |f'|): f' ≥ 0 must hold at every range end."""
    act = acts.get(name)
    x = np.concatenate([np.linspace(-50, 50, 4001), [-1e4, -1e3, 0.0, 1e3, 1e4]])
    numeric = [p for p in act.params if p.kind != "choice"]
    settings = [{}] + [{p.id: v} for p in numeric for v in (p.min, p.max)]
    for params in settings:
        try:
            full = acts.resolve_params(act, params)
        except acts.ParamError:  # a range end the other parameters' defaults rule out (lower > upper)
            continue
        assert np.all(act.df(x, **full) >= 0), (name, params)


def test_dead_units_of_a_non_monotone_activation_count_gradient_magnitude() -> None:
    """Noisy ReLU with σ growing with |x| has f' < 0 for x < 0: such units still pass gradient."""
    v = Variant("noisy_relu", {"sigma": 0.0, "sigma_growth": 1.0})
    trace = train(TrainConfig(arch=Architecture(2, 8), variants=(v,), bias_init=-2.0, epochs=1, frames=2))
    assert np.all(trace.layers["dead_fraction"][0, 0] == 0)


def test_schedules_and_budget() -> None:
    f = frame_epochs(300, 100)
    assert len(f) == 100 and f[0] == 0 and f[-1] == 300 and np.all(np.diff(f) > 0)
    assert frame_epochs(10, 500).tolist() == list(range(11))
    assert boundary_schedule(f, 5).tolist()[0] == 0 and boundary_schedule(f, 5).tolist()[-1] == 300
    check_budget(TrainConfig())
    big = TrainConfig(data=DatasetSpec("moons", 2000), arch=Architecture(12, 64), epochs=5000)
    with pytest.raises(BudgetError) as e:
        check_budget(big)
    assert e.value.code == "budget" and e.value.field == "epochs" and "epochs" in e.value.info["reduce"]
    assert e.value.info["cost"] > e.value.info["limit"] == tr.MAX_COST
    # the epochs it says would fit do fit, and one more does not
    fit = e.value.info["fit_epochs"]
    check_budget(dataclasses.replace(big, epochs=fit))
    with pytest.raises(BudgetError):
        check_budget(dataclasses.replace(big, epochs=fit + 1))
    # a full batch cannot be raised: the advice to raise batch_size is for mini-batches only
    assert "batch_size (raise it)" not in e.value.info["reduce"] and "batch_size" not in e.value.message
    assert e.value.message.endswith("frames, or boundary_frames"), e.value.message
    assert f"at most {fit:,} epochs fit; or reduce" in e.value.message, e.value.message
    with pytest.raises(BudgetError) as e:
        check_budget(dataclasses.replace(big, batch_size=500))
    assert "batch_size (raise it)" in e.value.info["reduce"] and e.value.message.endswith("or raise batch_size")


def test_a_run_just_over_the_budget_says_a_cost_above_the_limit() -> None:
    """One epoch over: "costs 1.60e+10 …; the limit is 1.60e+10" read as if it fitted."""
    big = TrainConfig(data=DatasetSpec("moons", 2000), arch=Architecture(12, 64), epochs=5000)
    with pytest.raises(BudgetError) as e:
        check_budget(big)
    fit = e.value.info["fit_epochs"]
    with pytest.raises(BudgetError) as e:
        check_budget(dataclasses.replace(big, epochs=fit + 1))
    cost, limit = e.value.message.split("this run costs ")[1].split(" ")[0], e.value.message.split("the limit is ")[1].split(":")[0]
    assert cost != limit and float(cost) > float(limit) == tr.MAX_COST, e.value.message
    assert apart(1.6015e10, 1.6e10) == ("1.602e+10", "1.6e+10") and apart(2e10, 1.6e10) == ("2e+10", "1.6e+10")


def test_initial_weights_are_shared_by_the_variants() -> None:
    cfg = TrainConfig(variants=(Variant("relu"), Variant("tanh"), Variant("prelu", {"a": 0.5})))
    net = StackedMLP(cfg.arch, cfg.variants, 8)
    theta = _initial_theta(net, cfg, [cfg.seed] * 3)
    weights = slice(0, net.layout.learned_offset)
    assert np.array_equal(theta[0, weights], theta[1, weights]) and np.array_equal(theta[0, weights], theta[2, weights])
    assert theta[2, net.layout.learned_slot("a", 1)] == 0.5


def test_accuracies_are_exact_fractions_within_0_and_1() -> None:
    trace = train(TrainConfig(epochs=300, frames=20))
    for acc, n in ((trace.acc_train, len(trace.data.x_train)), (trace.acc_test, len(trace.data.x_test))):
        assert np.all((acc >= 0) & (acc <= 1))
        np.testing.assert_array_equal(acc * n, np.rint(acc * n))
    assert trace.acc_train.max() == 1.0  # the default run fits the moons exactly: 1, not 1.0000000000000062
