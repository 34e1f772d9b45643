"""The engine's fast paths give what the straightforward ones give.

Each speed-up in app.core.network / app.core.training has a slower, simpler twin: the
test-set-as-extra-columns pass vs the train-only pass with a separate test evaluation, the
first layer as one product across variants vs K products, per-unit dot products vs einsum,
Adam with scaled moments vs PyTorch's formulation. These tests force both and compare (and
the recorded histograms are np.histogram's, edge cases included).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from app.core import passes, recording
from app.core import training as tr
from app.core.network import Architecture, StackedMLP, Variant, augment
from app.core.training import ADAM_BETAS, ADAM_EPS, STAT_NAMES, TrainConfig, train

FIELDS = ("loss_train", "loss_test", "acc_train", "acc_test", "boundary_p")


def _assert_traces_close(a, b, rtol: float = 1e-10) -> None:
    assert np.array_equal(a.frames, b.frames)
    for f in FIELDS:
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=rtol, atol=1e-13, err_msg=f)
    for name in STAT_NAMES:
        np.testing.assert_allclose(a.layers[name], b.layers[name], rtol=rtol, atol=1e-13, err_msg=name)
    for name in a.learned:
        np.testing.assert_allclose(a.learned[name], b.learned[name], rtol=rtol, atol=1e-13, err_msg=name)
    assert a.diverged_at == b.diverged_at


CONFIGS = [
    TrainConfig(epochs=30, frames=11),
    TrainConfig(variants=(Variant("tanh"), Variant("prelu", {"a": 0.2}), Variant("elu")), epochs=25, frames=6, boundary_frames=2),
    TrainConfig(variants=(Variant("noisy_relu"), Variant("rrelu")), optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=32, epochs=12, frames=4),
    TrainConfig(variants=tuple(Variant("relu", {}, learning_rate=lr) for lr in (0.003, 0.03, 0.3)), epochs=30, frames=10, boundary_frames=0),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=["relu", "mixed-prelu", "minibatch-stochastic", "lr-sweep"])
def test_train_only_buffers_equal_the_shared_pass(cfg: TrainConfig, monkeypatch) -> None:
    monkeypatch.setattr(tr, "TRAIN_ONLY_ELEMENTS", 10**12)  # test inputs as extra columns
    shared = train(cfg)
    monkeypatch.setattr(tr, "TRAIN_ONLY_ELEMENTS", 0)  # training inputs only, test evaluated apart
    apart = train(cfg)
    _assert_traces_close(shared, apart)


@pytest.mark.parametrize("cfg", CONFIGS[:2], ids=["relu", "mixed-prelu"])
def test_statistics_staged_in_batches_equal_one_frame_at_a_time(cfg: TrainConfig, monkeypatch) -> None:
    batched = train(cfg)
    monkeypatch.setattr(recording, "STAGE_NUMBERS", 1)  # a stage of one frame: summed at every frame
    single = train(cfg)
    _assert_traces_close(batched, single, rtol=1e-12)


def test_first_layer_across_variants_equals_one_product_each() -> None:
    variants = [Variant("relu"), Variant("tanh"), Variant("leaky_relu", {"leak": 0.2})]
    x = np.random.default_rng(3).standard_normal((50, 2))
    xT = augment(x)
    fused = StackedMLP(Architecture(2, 5), variants, 50)
    single = StackedMLP(Architecture(2, 5), variants, 50)
    single.fuse_first = False
    theta = np.random.default_rng(4).standard_normal(fused.theta.shape)
    fused.theta[:] = theta
    single.theta[:] = theta
    neg = np.where(np.arange(50) % 2, 1.0, -1.0).reshape(1, -1)
    for net in (fused, single):
        net.forward(xT)
        net.loss_grad(neg, neg / 50)
        net.backward(xT)
    np.testing.assert_allclose(fused.Z, single.Z, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fused.grad, single.grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fused.logits(xT), single.logits(xT), rtol=1e-13, atol=1e-15)


SINGLE = [
    TrainConfig(epochs=30, frames=11),
    TrainConfig(variants=(Variant("prelu", {"a": 0.2}),), epochs=20, frames=5, data=dataclasses.replace(TrainConfig().data, classes=3, name="blobs"), arch=Architecture(2, 6, n_out=3)),
    TrainConfig(variants=(Variant("elu"),), batch_size=32, epochs=8, frames=4),
]


@pytest.mark.parametrize("cfg", SINGLE, ids=["relu", "prelu-multiclass", "elu-minibatch"])
def test_single_variant_dot_products_equal_batched_matmul(cfg: TrainConfig, monkeypatch) -> None:
    uses = []
    product = passes.product

    def recorded(a, b, out):
        p = product(a, b, out)
        uses.append(p[0])
        return p

    monkeypatch.setattr(passes, "product", recorded)
    dot = train(cfg)
    assert passes.dot in uses  # the fast path was taken (np.dot without its dispatch)
    monkeypatch.setattr(passes, "product", lambda a, b, out: (np.matmul, a, b, out))
    matmul = train(cfg)
    _assert_traces_close(dot, matmul, rtol=1e-11)


def _torch_style_adam(theta: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    """PyTorch's Adam, written the way torch.optim.Adam does it (single-tensor path)."""
    b1, b2 = ADAM_BETAS
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    theta = theta.copy()
    for step, g in enumerate(grads, 1):
        m += (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - b2**step) + ADAM_EPS
        theta -= lr / (1 - b1**step) * m / denom
    return theta


@pytest.mark.parametrize("lrs", [[0.01], [0.001, 0.01, 0.1]])
def test_adam_with_scaled_moments_equals_pytorchs_formulation(lrs: list[float]) -> None:
    rng = np.random.default_rng(0)
    K, P = len(lrs), 37
    theta = rng.standard_normal((K, P))
    grad = np.zeros((K, P))
    opt = tr.Optimizer("adam", theta, grad, np.array(lrs).reshape(-1, 1), np.zeros((K, 1)))
    start = theta.copy()
    grads = []
    for _ in range(200):
        g = rng.standard_normal((K, P)) * rng.choice([1e-6, 1.0, 1e3], (K, P))
        grads.append(g)
        grad[:] = g
        opt.update()
    for k, lr in enumerate(lrs):
        ref = _torch_style_adam(start[k], [g[k] for g in grads], lr)
        np.testing.assert_allclose(theta[k], ref, rtol=1e-12, atol=1e-14)


def test_recorded_statistics_equal_a_direct_computation() -> None:
    """The batched per-frame sums, derived at the end, against numpy on the network's own buffers."""
    cfg = TrainConfig(variants=(Variant("relu"), Variant("tanh")), epochs=5, frames=2, include_weights=True, boundary_frames=0)
    trace = train(cfg)
    net = StackedMLP(cfg.arch, cfg.variants, len(trace.data.x_train))
    net.theta[:] = trace.theta_final
    xT = augment(trace.data.x_train)
    neg = (1.0 - 2.0 * trace.data.y_train).reshape(1, -1)
    n = xT.shape[1]
    net.forward(xT)
    z, h = net.Z.copy(), net.H.copy()
    net.loss_grad(neg, neg / n)
    dx = net.backward(xT, input_grad=True)
    for k in range(2):
        for layer in range(cfg.arch.depth):
            hk = h[layer, k]
            assert math.isclose(trace.layers["mean"][k, -1, layer], hk.mean(), rel_tol=1e-9, abs_tol=1e-12)
            assert math.isclose(trace.layers["std"][k, -1, layer], hk.std(), rel_tol=1e-6, abs_tol=1e-9)
            assert math.isclose(trace.layers["active_fraction"][k, -1, layer], (z[layer, k] > 0).mean(), rel_tol=1e-12)
            gw = net.gW[layer][k, :, :-1]
            assert math.isclose(trace.layers["grad_norm_weights"][k, -1, layer], np.linalg.norm(gw), rel_tol=1e-9)
        assert math.isclose(trace.layers["grad_norm_input"][k, -1, 0], np.linalg.norm(dx[k]), rel_tol=1e-9)
        for layer in range(1, cfg.arch.depth):
            assert math.isclose(trace.layers["grad_norm_input"][k, -1, layer], np.linalg.norm(net.DH[layer - 1, k]), rel_tol=1e-9)


def test_float32_runs_the_same_paths() -> None:
    cfg = dataclasses.replace(CONFIGS[3], dtype="float32")
    trace = train(cfg)
    ref = train(CONFIGS[3])
    np.testing.assert_allclose(trace.loss_train[:, :3], ref.loss_train[:, :3], rtol=1e-4)
    assert all(v.dtype == np.float64 for v in trace.layers.values())


def test_histograms_are_np_histogram_of_each_layer() -> None:
    """Uneven widths, several variants, a constant layer, a non-finite one, a diverged variant,
    values on the edges (where the bin index needs np.histogram's correction), no finite layer."""
    rng = np.random.default_rng(5)
    net = StackedMLP(Architecture(widths=(3, 5, 2)), [Variant("relu")] * 5, 40)
    for z in net.Zs:
        z[...] = rng.standard_normal(z.shape) * 10.0 ** rng.uniform(-3, 3, (5, 1, 1))
    net.Zs[1][0] = 2.5  # constant: np.histogram over [2, 3]
    net.Zs[2][1, 0, 3] = np.nan  # no histogram
    net.Zs[0][1, 0, :2] = -1e308, 1e308  # a span beyond float64: no histogram (np.histogram raises)
    # on and next to the edges of the bins, over ranges where the index computed from
    # (z − lo)/(hi − lo) is one too high at some edges (layers 0 and 2) and one too low (layer 1)
    for layer, z in enumerate(net.Zs):
        lo, hi = (1.369616873214543, 1.4111811552028348) if layer != 1 else (-0.3, 2.7)
        e = np.linspace(lo, hi, recording.HIST_BINS + 1)
        z[3] = rng.choice(np.clip(np.concatenate([e, np.nextafter(e, np.inf), np.nextafter(e, -np.inf)]), lo, hi), z.shape[1:])
        z[3, 0, :2] = lo, hi
        z[4, 0, 0] = np.inf  # no layer has a histogram
    n, alive = 33, np.array([True, True, False, True, True])
    hists = recording.histograms(net, n, alive)
    assert hists[2] is None
    assert all(len(edges) == len(counts) == 0 for edges, counts in hists[4])
    for k in (0, 1, 3):
        for layer, (edges, counts) in enumerate(hists[k]):
            z = net.Zs[layer][k, :, :n].ravel()
            with np.errstate(over="ignore"):
                finite = np.isfinite(z.max() - z.min())
            if not finite:
                assert len(edges) == len(counts) == 0
                continue
            lo, hi = float(z.min()), float(z.max())
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            want_counts, want_edges = np.histogram(z, bins=recording.HIST_BINS, range=(lo, hi))
            np.testing.assert_array_equal(counts, want_counts)
            np.testing.assert_array_equal(edges, want_edges)


def test_a_runs_network_is_freed_without_the_cycle_collector() -> None:
    """A pass's prebuilt steps once held bound methods of the network (its stop check, its noise):
    network → its passes → their steps → network, a cycle only the cyclic GC frees, so a big
    run's buffers outlived the request. The steps hold the network's hooks instead."""
    import gc
    import time
    import weakref

    from app.core import training as T
    from app.core.datasets import DatasetSpec

    for variant in ("relu", "noisy_relu"):  # (the stochastic one draws through the hooks)
        cfg = T.TrainConfig(data=DatasetSpec("moons", 64), arch=Architecture(2, 4), epochs=3, variants=(Variant(variant),))
        was = gc.isenabled()
        gc.disable()
        try:
            run = T._Run(cfg)
            run.run(None, lambda: False, None, 60.0, 0.05, time.perf_counter())  # (with a tick: the stop check's steps)
            net = weakref.ref(run.net)
            del run
            assert net() is None, variant
        finally:
            if was:
                gc.enable()
