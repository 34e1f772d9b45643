"""The network lab's engine pieces: statistics with uneven widths, the diagram's numbers,
the client-held state's checks, and stopping inside an epoch."""

from __future__ import annotations

import base64
import dataclasses
import types

import numpy as np
import orjson
import pytest

from app.core import activations as acts
from app.core import reference
from app.core import state as states
from app.core import training as training_module
from app.core.datasets import DatasetSpec, featurize, make_dataset, own_points
from app.core.errors import CoreError
from app.core.network import Architecture, Layout, Variant
from app.core.training import RunAbandoned, TrainConfig, train


def _ref_params(cfg: TrainConfig, theta: np.ndarray, name: str) -> dict:
    learned = tuple(acts.get(name).param_grads)
    layout = Layout(cfg.network, learned)
    return {**layout.unpack(theta), "learned": {k: np.array([theta[layout.learned_slot(k, i)] for i in range(cfg.arch.depth)]) for k in learned}}


@pytest.mark.parametrize("name", ["relu", "elu", "tanh"])
def test_statistics_per_layer_of_its_own_width(name: str) -> None:
    """Frame 0's per-layer statistics with widths (5, 2, 7) against the reference's forward pass."""
    cfg = TrainConfig(data=DatasetSpec("moons", 60, 0.1, 0.25, 1), arch=Architecture(widths=(5, 2, 7)), variants=(Variant(name),),
                      bias_init=-0.3, epochs=1, frames=2, boundary_frames=0, include_weights=True, histograms=True)
    t = train(cfg)
    data = make_dataset(cfg.data)
    act = acts.get(name)
    _, cache = reference.forward(_ref_params(cfg, t.theta_initial[0], name), act, acts.resolve_params(act, {}), featurize(data.x_train, cfg.features))
    for layer, (z, h, df, _) in enumerate(cache):
        assert z.shape[1] == cfg.arch.widths[layer]
        np.testing.assert_allclose(t.layers["active_fraction"][0, 0, layer], (z > 0).mean(), rtol=1e-12)
        np.testing.assert_allclose(t.layers["dead_fraction"][0, 0, layer], (np.abs(df).sum(axis=0) < 1e-8).mean(), rtol=1e-12)
        np.testing.assert_allclose(t.layers["mean"][0, 0, layer], h.mean(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(t.layers["std"][0, 0, layer], h.std(), rtol=1e-7, atol=1e-10)
        counts = t.hist_init[0][layer][1]
        assert counts.sum() == z.size


def test_the_diagram_numbers_are_the_reference_forward_and_backward() -> None:
    cfg = TrainConfig(data=DatasetSpec("class_blobs", 80, 0.1, 0.25, 0, classes=3), arch=Architecture(widths=(4, 3)), variants=(Variant("elu"),),
                      features=("x1", "x2", "x1x2"), epochs=5, frames=2, boundary_frames=1, unit_grid=6, probe=(0.3, -0.2, 2.0), include_weights=True)
    t = train(cfg)
    d = t.diagram
    params = _ref_params(cfg, t.theta_final[0], "elu")
    act = acts.get("elu")
    p = acts.resolve_params(act, {})
    data = make_dataset(cfg.data)
    X = featurize(data.x_train, cfg.features)
    _, cache = reference.forward(params, act, p, X)
    _, grads = reference.loss_and_grads(params, act, p, X, data.y_train.astype(float), task="multiclass")
    for layer, (z, h, df, _) in enumerate(cache):
        np.testing.assert_allclose(d.mean.z[layer][0], z.mean(axis=0), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(d.mean.h[layer][0], h.mean(axis=0), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(d.mean.df[layer][0], df.mean(axis=0), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(d.mean.grad[layer][0], grads["b"][layer], rtol=1e-8, atol=1e-12)  # Σ_n δ = ∂L/∂b
    # one point: its own forward and backward
    x = featurize(np.array([[0.3, -0.2]]), cfg.features)
    _, cache = reference.forward(params, act, p, x)
    _, grads = reference.loss_and_grads(params, act, p, x, np.array([2.0]), task="multiclass")
    for layer, (z, h, df, _) in enumerate(cache):
        np.testing.assert_allclose(d.probe["numbers"].z[layer][0], z[0], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(d.probe["numbers"].h[layer][0], h[0], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(d.probe["numbers"].grad[layer][0], grads["b"][layer], rtol=1e-9, atol=1e-13)
    # heatmaps: units over the grid, the output as the boundary plot shows it (class probabilities)
    assert [u.shape for u in d.units] == [(1, 4, 6, 6), (1, 3, 6, 6)] and d.inputs.shape == (3, 6, 6)
    assert d.output.shape == (1, 3, 6, 6) and np.allclose(d.output.sum(axis=1), 1.0, atol=1e-3)


def _state(cfg: TrainConfig) -> tuple[dict, int, int]:
    t = train(dataclasses.replace(cfg, include_state=True))
    K, P = t.state.theta.shape
    return orjson.loads(orjson.dumps(states.encode(t.state))), K, P


def test_a_state_is_checked_on_the_way_in() -> None:
    cfg = TrainConfig(epochs=3, frames=2, boundary_frames=0)
    wire, K, P = _state(cfg)

    def code(mutate, config=cfg) -> tuple[str, str]:
        w = orjson.loads(orjson.dumps(wire))
        mutate(w)
        with pytest.raises(CoreError) as e:
            states.decode(w, config, K, P)
        return e.value.field, e.value.code

    assert states.decode(wire, cfg, K, P).epoch == 3
    assert code(lambda w: w.update(version=99)) == ("state.version", "state_version")
    assert code(lambda w: None, dataclasses.replace(cfg, arch=Architecture(widths=(8, 8, 7)))) == ("state", "state_mismatch")
    assert code(lambda w: None, dataclasses.replace(cfg, data=DatasetSpec("xor"))) == ("state", "state_mismatch")
    assert code(lambda w: w.update(theta=w["theta"][:-8])) == ("state.theta", "wrong_size")
    assert code(lambda w: w.update(theta="***")) == ("state.theta", "not_base64")
    nan = base64.b64encode(np.full(K * P, np.nan).tobytes()).decode()
    assert code(lambda w: w.update(m=nan)) == ("state.m", "not_finite")
    assert code(lambda w: w.update(v=base64.b64encode(np.full(K * P, -1.0).tobytes()).decode())) == ("state.v", "out_of_range")
    assert code(lambda w: w["rng"].update(inc="2")) == ("state.rng.inc", "out_of_range")
    assert code(lambda w: w["rng"].update(state="-1")) == ("state.rng.state", "not_a_number")
    assert code(lambda w: w.update(epoch=-1)) == ("state.epoch", "out_of_range")
    assert code(lambda w: w.update(diverged_at=[None, None])) == ("state.diverged_at", "wrong_size")
    # what may change between continuations: learning rate, regularisation, batch size, recording
    states.decode(wire, dataclasses.replace(cfg, learning_rate=0.1, l2=0.01, batch_size=16, frames=9), K, P)
    # … each of the fields the page is told it may change while Play goes on (meta's live.continuable)
    changed = {"epochs": 7, "learning_rate": 0.3, "momentum": 0.9, "l1": 0.01, "l2": 0.02, "batch_size": 8}
    assert set(changed) == set(states.CONTINUABLE)
    for key, value in changed.items():
        assert states.decode(wire, dataclasses.replace(cfg, **{key: value}), K, P).epoch == 3, key
    assert states.fingerprint(dataclasses.replace(cfg, **changed)) == states.fingerprint(cfg)
    # and not the seed, the optimiser or the initialisation
    for key, value in {"seed": 1, "optimizer": "sgd", "init": "lecun"}.items():
        assert code(lambda w: None, dataclasses.replace(cfg, **{key: value})) == ("state", "state_mismatch"), key


def test_own_points_are_validated_with_the_row_and_column() -> None:
    good = own_points([[0.0, 1.0]] * 12, [0, 1] * 6)
    assert make_dataset(DatasetSpec("own", points=good)).task == "binary"
    with pytest.raises(CoreError) as e:
        own_points([[0.0, 1.0]] * 11 + [[0.0, float("nan")]], [0, 1] * 6)
    assert (e.value.field, e.value.info["row"], e.value.info["column"]) == ("points.x.11.1", 11, 1)
    with pytest.raises(CoreError) as e:
        own_points([[0.0, 1.0]] * 12, [0, 1] * 5 + [0, 7])
    assert e.value.field == "points.y.11" and e.value.code == "not_a_label"
    with pytest.raises(CoreError) as e:
        own_points([[0.0, 1.0]] * 12, [0] * 12)
    assert e.value.code == "one_class"
    assert own_points([[0.0, 1.0]] * 12, [0, 3] * 6).classes == 4
    reg = make_dataset(DatasetSpec("own", points=own_points([[0.1 * i, 0.0] for i in range(12)], [0.5 * i for i in range(12)], "regress")))
    assert reg.task == "regression" and reg.y_train.dtype == np.float64


def test_r_squared_is_undefined_where_the_targets_do_not_vary() -> None:
    from app.core.training import r_squared

    mse = np.array([[0.5, 0.25]])
    y = np.array([1.0, 2.0, 3.0, 6.0])
    assert r_squared(mse, y) == pytest.approx(1.0 - mse / 3.5, rel=1e-15)
    # 0.1 three times: np.var is ~1e-34 (rounding), not 0, and 1 − MSE/var was about −1e33
    for const in (np.zeros(5), np.full(3, 0.1), np.zeros(0)):
        assert np.isnan(r_squared(mse, const)).all() and r_squared(mse, const).shape == mse.shape
    assert r_squared(mse, np.array([0.0, 1e-9]))[0, 0] == pytest.approx(1.0 - 0.5 / 2.5e-19)


def test_own_points_keep_their_drawing_plane_after_a_run() -> None:
    """Own points are drawn on ±OWN_PLANE plus 10 %: the boundary grid (and the diagram's) is
    that square whatever the points' extent, and ±(the largest |coordinate|) plus 10 % beyond it,
    the square the page draws them on; a built-in dataset's grid is its points' box plus margin."""
    from app.core.datasets import OWN_PLANE
    from app.core.recording import BOUNDARY_MARGIN

    edge = OWN_PLANE * (1 + BOUNDARY_MARGIN)
    pts = own_points([[0.05 * i - 0.3, 0.02 * i] for i in range(12)], [0, 1] * 6)
    t = train(TrainConfig(data=DatasetSpec("own", points=pts), epochs=5, frames=2, boundary_frames=2, boundary_grid=11, unit_grid=5))
    assert t.boundary_x[0] == pytest.approx(-edge) and t.boundary_x[-1] == pytest.approx(edge)
    assert t.boundary_y[0] == pytest.approx(-edge) and t.boundary_y[-1] == pytest.approx(edge)
    assert t.diagram.grid_x[0] == pytest.approx(-edge) and t.diagram.grid_y[-1] == pytest.approx(edge)
    far = own_points([[3.0 * (i % 2) - 0.2, 0.1 * i] for i in range(12)], [0, 1] * 6)  # x up to 2.8: beyond the plane
    t = train(TrainConfig(data=DatasetSpec("own", points=far), epochs=2, frames=2, boundary_frames=2, boundary_grid=11))
    far_edge = 2.8 * (1 + BOUNDARY_MARGIN)
    assert t.boundary_x[-1] == pytest.approx(far_edge) and t.boundary_x[0] == pytest.approx(-far_edge)
    assert t.boundary_y[-1] == pytest.approx(far_edge) and t.boundary_y[0] == pytest.approx(-far_edge)
    moons = train(TrainConfig(data=DatasetSpec("moons", 60, 0.1, 0.25, 1), epochs=2, frames=2, boundary_frames=2, boundary_grid=11))
    x = moons.data.x_all[:, 0]
    assert moons.boundary_x[0] == pytest.approx(x.min() - BOUNDARY_MARGIN * (x.max() - x.min()) - 1e-3)


# about the most expensive run the budget admits (bench/budget_spread.py)
BIG = TrainConfig(data=DatasetSpec("moons", 1000, test_fraction=0.05), arch=Architecture(12, 64), epochs=15, frames=3, boundary_frames=2,
                  variants=(Variant("noisy_relu"),) * 4)


def test_the_biggest_runs_are_within_the_budget_and_issue_16s_reproduction_is_not() -> None:
    from app.core.budget import check_budget
    from app.core.errors import BudgetError

    check_budget(BIG)
    repro = TrainConfig(data=DatasetSpec("moons", 2000, test_fraction=0.05), arch=Architecture(12, 64), epochs=9, frames=10, boundary_frames=7,
                        boundary_grid=80, variants=(Variant("noisy_relu"),) * 4)
    with pytest.raises(BudgetError):
        check_budget(repro)


def test_a_run_stopped_in_its_first_frame_has_no_frame_and_a_state() -> None:
    t = train(dataclasses.replace(BIG, include_state=True), time_limit_s=0.0, first_frame=False)
    assert t.cut_short and len(t.frames) == 0 and t.loss_train.shape == (4, 0) and t.state.epoch == 0
    t = train(dataclasses.replace(BIG, epochs=1, frames=2, boundary_frames=0), time_limit_s=0.0)  # first_frame: it always completes
    assert list(t.frames) == [0]


class _Polls:
    """An ``abandoned`` callback that counts its polls and says "gone" from poll ``leave`` on."""

    def __init__(self, leave: float = float("inf")):
        self.n, self.leave = 0, leave

    def __call__(self) -> bool:
        self.n += 1
        return self.n >= self.leave


# small and deep, frames only at the ends: the middle epochs poll alike
DEEP = TrainConfig(data=DatasetSpec("moons", 200), arch=Architecture(6, 8), epochs=8, frames=2, boundary_frames=0,
                   variants=(Variant("noisy_relu"), Variant("relu")))


def _polls_per_epoch() -> int:
    polls = [_Polls(), _Polls()]
    train(dataclasses.replace(DEEP, epochs=4), abandoned=polls[0], first_frame=False)
    train(dataclasses.replace(DEEP, epochs=5), abandoned=polls[1], first_frame=False)
    return polls[1].n - polls[0].n


def test_a_client_leaving_abandons_the_run_inside_an_epoch() -> None:
    """Polled after every layer of every pass (not once per epoch), and the first "gone" ends it."""
    per_epoch = _polls_per_epoch()
    assert per_epoch >= 2 * DEEP.arch.depth, per_epoch  # forward and backward, layer by layer
    leave = _Polls(leave=3 * per_epoch + per_epoch // 2)  # inside the fourth epoch
    with pytest.raises(RunAbandoned):
        train(DEEP, abandoned=leave, first_frame=False)
    assert leave.n == leave.leave  # not one more layer computed


def test_the_time_limit_stops_inside_an_epoch(monkeypatch) -> None:
    """A clock that jumps past the limit half-way through an epoch: the run stops at the next
    layer (one poll later), keeps the state of its last whole epoch and says it was cut short."""
    per_epoch = _polls_per_epoch()
    polls = _Polls()
    jump_at = 3 * per_epoch + per_epoch // 2
    after: list[int] = []

    def clock() -> float:
        if polls.n >= jump_at:
            after.append(polls.n)
            return 1e9
        return 0.0

    monkeypatch.setattr(training_module, "time", types.SimpleNamespace(perf_counter=clock))
    trace = train(DEEP, abandoned=polls, time_limit_s=1.0, first_frame=False)
    assert trace.cut_short and trace.epochs_run in (2, 3)  # the state of its last whole epoch (epoch 0 polls more: its frame)
    assert after[0] <= jump_at + 1  # the clock is read at the next layer, which stops the run
