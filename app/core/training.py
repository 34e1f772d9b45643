"""Training K stacked MLP variants on one toy problem, recording what the activation does.

One call trains every variant (activations to compare, or one value each of a swept
parameter) on the same data from the same initial weights, in one stacked pass, and
records at ``frames`` evenly spaced epochs (always epoch 0 — at initialisation, before
any update — and the last):

- loss and accuracy on the training and test sets (evaluation mode);
- per hidden layer l, on the whole training set in evaluation mode:
  ``grad_norm_weights``  ‖∂L/∂W_l‖₂ (Frobenius);
  ``grad_norm_input``    ‖∂L/∂(input of layer l)‖₂, the gradient arriving at the layer's
                         input: ∂L/∂x for the first layer, ∂L/∂h_{l-1} after it (gradient flow);
  ``active_fraction``    the fraction of (unit, training input) pairs with pre-activation
                         z > 0 — for ReLU exactly where the output is non-zero and the
                         gradient passes; for other activations, the share on the positive side;
  ``dead_fraction``      the fraction of units that pass no gradient at all: the sum over all
                         training inputs of |f'(z)| is below DEAD_EPS. For ReLU that is
                         "z ≤ 0 for every training input"; leaky ReLU, PReLU (a ≠ 0), ELU etc.
                         only die numerically (e.g. ELU with z below about −25 everywhere);
                         tanh and sigmoid units count as dead when saturated on every input;
  ``mean``, ``std``      of the activations h over units and inputs (zero-centredness);
  learned activation parameters (PReLU's slope ``a``), one per layer.
- pre-activation histograms per layer at initialisation and at the end;
- the decision boundary σ(s) on a grid over the data at ``boundary_frames`` frames.

Stochastic activations (noisy ReLU, RReLU) draw fresh noise in training passes; every
recorded number uses their deterministic evaluation-mode curve.

A variant whose loss becomes non-finite has diverged: from that epoch its parameters are
frozen at zero and every recorded value is NaN (``null`` in JSON), and
``diverged_at[k]`` is the epoch of the first non-finite loss — for full-batch training
the loss after that many epochs of updates (between recorded frames it is detected from
the logits: a non-finite logit is what makes the loss non-finite); with mini-batches, a
batch loss in the epoch that starts there. All arithmetic runs under
``np.errstate(all="ignore")``, so overflow never raises or warns.

Same config → same trace, bit for bit (separate seeded streams for the data, the initial
weights and the training noise / batch order).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import special as sc

from . import activations as acts
from .datasets import Dataset, DatasetSpec, make_dataset, split_sizes
from .errors import BudgetError
from .network import Architecture, StackedMLP, Variant, augment, init_theta
from .optim import ADAM_BETAS, ADAM_EPS, OPTIMIZERS, Optimizer
from .recording import BIG_STATS, DEAD_EPS, STAT_NAMES, Recorder, boundary_grid, histograms

__all__ = [
    "ADAM_BETAS", "ADAM_EPS", "BIG_STATS", "Optimizer", "DEAD_EPS", "OPTIMIZERS", "STAT_NAMES", "BudgetError", "Trace", "TrainConfig",
    "boundary_schedule", "check_budget", "cost", "elements", "frame_epochs", "init_statistics", "train",
]

Array = np.ndarray

DTYPES: tuple[str, ...] = ("float64", "float32")
# Boundary probabilities are rounded to this many decimals (keeps the JSON small).
BOUNDARY_DECIMALS = 4
# Compute budget (the API enforces it; measured on a 2-core machine, see bench/README.md).
# One unit of cost ≈ one multiply-add of a matrix product (≈ 0.7 ns here); a run costs
# epochs × training points × Σ_variants (Σ layer weights + unit_cost[f] × hidden units)
# + STEP_COST × optimiser steps, where unit_cost is each activation's declared elementwise
# work per unit and input (forward, derivative, backward), in the same units. The largest
# allowed run takes about 7–10 s on a 2-core machine (see bench/README.md).
STEP_COST = 250_000  # the fixed cost of one optimiser step (~80 numpy calls)
MAX_COST = 9.0e9
# Memory: variants × points × depth × width numbers per activation buffer (four of them,
# so at most 4 × 8 B × 6.2e6 ≈ 200 MB per run in float64).
MAX_ELEMENTS = 6_200_000

# Passes with more than this many units × inputs leave the test inputs out between frames.
TRAIN_ONLY_ELEMENTS = 8192

@dataclass(frozen=True)
class TrainConfig:
    data: DatasetSpec = DatasetSpec()
    arch: Architecture = Architecture()
    init: str = "he"
    bias_init: float = 0.0
    sigma_w2: float = 2.0  # init "custom" only: W ~ N(0, sigma_w2/fan_in)
    sigma_b2: float = 0.0  # init "custom" only: b ~ N(bias_init, sigma_b2)
    variants: tuple[Variant, ...] = (Variant("relu"),)
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.0  # SGD only
    batch_size: int = 0  # 0 (or ≥ the training set) = full batch
    epochs: int = 300
    frames: int = 100
    boundary_frames: int = 5
    boundary_grid: int = 40
    seed: int = 0  # initial weights and training noise; the data use data.seed
    histograms: bool = True
    include_weights: bool = False
    dtype: str = "float64"

    @property
    def n_train(self) -> int:
        return split_sizes(self.data.n_points, self.data.test_fraction)[0]


@dataclass
class Trace:
    """What :func:`train` recorded. Per-variant arrays have K first; F = len(frames)."""

    frames: Array  # (F,) epochs recorded
    epochs_run: int
    cut_short: bool
    data: Dataset
    loss_train: Array  # (K, F)
    loss_test: Array
    acc_train: Array
    acc_test: Array
    layers: dict[str, Array]  # STAT_NAMES → (K, F, depth)
    learned: dict[str, Array]  # learnable activation parameter → (K, F, depth)
    diverged_at: list[int | None]
    hist_init: list[list[tuple[Array, Array]] | None] = field(default_factory=list)  # [k][layer] = (edges, counts)
    hist_final: list[list[tuple[Array, Array]] | None] = field(default_factory=list)
    boundary_frames: Array = field(default_factory=lambda: np.zeros(0, int))
    boundary_x: Array = field(default_factory=lambda: np.zeros(0))
    boundary_y: Array = field(default_factory=lambda: np.zeros(0))
    boundary_p: Array = field(default_factory=lambda: np.zeros((0, 0, 0, 0)))  # (K, B, rows=y, cols=x)
    theta_initial: Array | None = None
    theta_final: Array | None = None
    elapsed_ms: float = 0.0


# --------------------------------------------------------------------------- planning


def frame_epochs(epochs: int, frames: int) -> Array:
    """``frames`` evenly spaced epochs in [0, epochs], both ends included, no repeats."""
    frames = max(1, min(frames, epochs + 1))
    if frames == 1:
        return np.array([epochs])
    return np.unique(np.floor(np.linspace(0, epochs, frames) + 0.5).astype(int))


def boundary_schedule(frames: Array, count: int) -> Array:
    """``count`` of the recorded epochs, evenly spread, first and last included."""
    if count <= 0:
        return np.zeros(0, int)
    idx = np.unique(np.floor(np.linspace(0, len(frames) - 1, min(count, len(frames))) + 0.5).astype(int))
    return frames[idx]


def cost(config: TrainConfig) -> float:
    """The compute a run needs, in multiply-add units (see MAX_COST)."""
    n, arch = config.n_train, config.arch
    units = arch.depth * arch.width
    per_point = sum(arch.n_weights + acts.get(v.activation).unit_cost * units for v in config.variants)
    batch = n if config.batch_size <= 0 else min(config.batch_size, n)
    steps = config.epochs * math.ceil(n / batch)
    return float(config.epochs) * n * per_point + STEP_COST * steps


def elements(config: TrainConfig) -> int:
    """Numbers in one per-layer activation buffer (the engine keeps four), for all points."""
    return len(config.variants) * config.data.n_points * config.arch.depth * config.arch.width


def check_budget(config: TrainConfig, variants_field: str = "activations") -> None:
    """BudgetError if ``config`` is too large to run (``variants_field``: what the stacked
    variants are to the user — activations, sweep.values, seeds — named among what to reduce)."""
    c = cost(config)
    if c > MAX_COST:
        # the cost is proportional to the epochs: how many fit with the rest unchanged
        fit = int(config.epochs * MAX_COST / c)
        reduce = ["epochs", "n_points", "depth", "width", variants_field, "batch_size (raise it)"]
        hint = f"with the rest unchanged, at most {fit:,} epochs fit; or " if fit >= 1 else ""
        raise BudgetError(
            "epochs",
            f"this run costs {c:.3g} (epochs × training points × Σ over activations of (Σ layer weights + "
            f"the activation's unit cost × hidden units) + {STEP_COST:,} × optimiser steps); the limit is {MAX_COST:.3g}: "
            f"{hint}reduce epochs, n_points, depth, width, {variants_field}, or raise batch_size",
            "budget", cost=c, limit=MAX_COST, fit_epochs=fit, reduce=reduce,
        )
    e = elements(config)
    if e > MAX_ELEMENTS:
        raise BudgetError(
            "n_points",
            f"this run keeps {e:,} numbers per layer buffer (variants × n_points × depth × width); "
            f"the limit is {MAX_ELEMENTS:,}: reduce n_points, depth, width or {variants_field}",
            "memory", elements=e, limit=MAX_ELEMENTS, reduce=["n_points", "depth", "width", variants_field],
        )


# --------------------------------------------------------------------------- the engine


def _initial_theta(net: StackedMLP, config: TrainConfig, seeds: Sequence[int]) -> Array:
    """(K, P): variant k's weights from the init stream of seeds[k] (one seed for all →
    identical weights), its learned activation parameters from its own given value."""
    layout = net.layout
    by_seed = {s: init_theta(layout, config.init, config.bias_init, {}, np.random.default_rng((s, 1)), config.sigma_w2, config.sigma_b2) for s in dict.fromkeys(seeds)}
    theta = np.stack([by_seed[s] for s in seeds]).astype(net.dtype)
    for k, v in enumerate(config.variants):
        learnable = acts.get(v.activation).param_grads
        for name in layout.learned:
            value = float(v.params.get(name, 0.0)) if name in learnable else 0.0
            for layer in range(layout.arch.depth):
                theta[k, layout.learned_slot(name, layer)] = value
    return theta


def train(
    config: TrainConfig,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, Array], None] | None = None,
    time_limit_s: float | None = None,
    progress_interval_s: float = 0.05,
) -> Trace:
    """Train every variant of ``config`` together and record the trace.

    ``should_stop`` is polled once per epoch (cooperative cancellation); ``time_limit_s``
    bounds the wall-clock time. Either one ends the run early: the state reached is recorded
    as the last frame and the trace says ``cut_short``. ``on_progress(epoch, train_losses)``
    is called at most once per ``progress_interval_s``.
    """
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        trace = _Run(config).run(should_stop, on_progress, time_limit_s, progress_interval_s, start)
    trace.elapsed_ms = (time.perf_counter() - start) * 1e3
    return trace


@dataclass(frozen=True)
class Plan:
    """What a run does, decided before its first epoch.

    ``frames``: the epochs recorded (an evaluation pass over the training and test inputs and
    every statistic); ``boundary``: those that also record the boundary grid; ``histograms``:
    whether the first and last frames record histograms; ``train_only``: the network's
    buffers hold the training inputs only (big runs: the test set is evaluated apart) rather
    than the training then the test inputs (small, call-bound runs); ``shared_pass``: full
    batches and deterministic activations, so a recorded frame's evaluation pass is also the
    training pass whose gradient makes the update, and between frames one pass per epoch
    trains without recording. A run stopped early (cancelled, out of time, every variant
    diverged) records the epoch it stopped at as its last frame, boundary and histograms
    included."""

    frames: tuple[int, ...]
    boundary: frozenset[int]
    histograms: bool
    train_only: bool
    shared_pass: bool
    batch: int

    @classmethod
    def of(cls, config: TrainConfig, n_train: int, n_test: int, stochastic: bool) -> Plan:
        frames = frame_epochs(config.epochs, config.frames)
        batch = n_train if config.batch_size <= 0 or config.batch_size >= n_train else config.batch_size
        return cls(
            frames=tuple(frames.tolist()),
            boundary=frozenset(boundary_schedule(frames, config.boundary_frames).tolist()),
            histograms=config.histograms,
            train_only=len(config.variants) * (n_train + n_test) * config.arch.width > TRAIN_ONLY_ELEMENTS,
            shared_pass=batch == n_train and not stochastic,
            batch=batch,
        )

    def records(self, epoch: int, last: bool) -> bool:
        return last or epoch in self._frame_set

    def records_boundary(self, epoch: int, last: bool) -> bool:
        return bool(self.boundary) and (last or epoch in self.boundary)

    def records_histograms(self, epoch: int, last: bool) -> bool:
        return self.histograms and (epoch == 0 or last)

    @property
    def _frame_set(self) -> frozenset[int]:
        return frozenset(self.frames)


class _Run:
    """One training run, carried out as its :class:`Plan` says."""

    def __init__(self, config: TrainConfig):
        self.config = c = config
        self.dtype = dt = np.dtype(c.dtype)
        self.data = d = make_dataset(c.data, dt)
        self.n = n = len(d.x_train)
        n_test = len(d.x_test)
        rows = n + n_test
        K = len(c.variants)
        stochastic = any(acts.get(v.activation).stochastic is not None for v in c.variants)
        self.plan = plan = Plan.of(c, n, n_test, stochastic)
        self.train_only = plan.train_only
        net_rows = n if self.train_only else rows
        # inputs as columns: the training set, then the test set
        self.x_allT = augment(np.concatenate([d.x_train, d.x_test]), dt)
        self.xT = np.ascontiguousarray(self.x_allT[:, :n])
        self.x_testT = np.ascontiguousarray(self.x_allT[:, n:])
        # −(2y − 1) per input; the loss gradient's scale −(2y − 1)/n on the training inputs, 0 on the test ones
        self.neg_sign_all = (1.0 - 2.0 * np.concatenate([d.y_train, d.y_test])).astype(dt).reshape(1, -1)
        self.neg_sign = np.ascontiguousarray(self.neg_sign_all[:, :n])
        self.neg_sign_test = np.ascontiguousarray(self.neg_sign_all[:, n:])
        self.grad_scale = np.zeros((1, net_rows), dt)
        self.grad_scale[:, :n] = self.neg_sign / n
        # the columns a full-batch pass covers: all inputs, or the training ones only
        self.x_pass = self.xT if self.train_only else self.x_allT
        self.neg_sign_pass = self.neg_sign if self.train_only else self.neg_sign_all
        # column 0 averages the training inputs, column 1 the test inputs
        self.split_mean = np.zeros((rows, 2), dt)
        self.split_mean[:n, 0] = 1.0 / n
        self.split_mean[n:, 1] = 1.0 / n_test
        self.train_mean = np.full((n, 1), 1.0 / n, dt)
        self.test_mean = np.full((n_test, 1), 1.0 / n_test, dt)
        self.test_lc = np.empty((K, 2, n_test), dt)  # test ℓ and correct (train-only runs)
        self.net = net = StackedMLP(c.arch, c.variants, net_rows, dt)
        net.theta[:] = _initial_theta(net, c, [c.seed] * net.K)
        self.rng = np.random.default_rng((c.seed, 2))
        lr = np.array([[v.learning_rate if v.learning_rate is not None else c.learning_rate] for v in c.variants], dt)
        mom = np.array([[v.momentum if v.momentum is not None else c.momentum] for v in c.variants], dt)
        self.opt = Optimizer(c.optimizer, net.theta, net.grad, lr, mom)
        self.batch = plan.batch
        self.stochastic = stochastic
        self.shared_pass = plan.shared_pass
        self.alive = np.ones(net.K, bool)
        self.all_alive = True
        self.diverged_at: list[int | None] = [None] * net.K

    def _check(self, loss: Array, epoch: int) -> None:
        """Freeze the variants whose loss just became non-finite."""
        if math.isfinite(float(np.add.reduce(loss))):
            return
        bad = ~np.isfinite(loss) & self.alive
        for k in np.flatnonzero(bad):
            self.diverged_at[k] = epoch
        self.alive &= ~bad
        self.all_alive = bool(self.alive.all())
        self.opt.reset(bad)

    def _shared_loss(self) -> Array:
        """The training loss (K,) from the logits of the last full pass."""
        neg_margin = self.net.S[:, 0, : self.n] * self.neg_sign
        return np.add.reduce(np.logaddexp(0.0, neg_margin), axis=1) / self.n

    def _update(self) -> None:
        if not self.all_alive:
            self.net.grad[~self.alive] = 0.0
        self.opt.update()

    def _evaluate(self, rec: Recorder, fi: int) -> Array:
        """A recorded frame's evaluation pass (z, h, f'(z) kept for the statistics): the loss
        gradient left in T, loss and accuracy on both sets stored; returns the training losses (K,)."""
        net = self.net
        lossacc = rec.lossacc[fi]  # (K, [loss, accuracy], [train, test])
        net.forward(self.x_pass, keep=True)
        net.loss_grad(self.neg_sign_pass, self.grad_scale)
        if not self.train_only:
            np.matmul(net.LC, self.split_mean, out=lossacc)
        else:
            np.matmul(net.LC, self.train_mean, out=lossacc[:, :, 0:1])
            t = self.test_lc
            np.multiply(net.logits(self.x_testT), self.neg_sign_test, out=t[:, 0:1])  # −m
            np.less(t[:, 0:1], 0.0, out=t[:, 1:2])
            np.logaddexp(0.0, t[:, 0:1], out=t[:, 0:1])
            np.matmul(t, self.test_mean, out=lossacc[:, :, 1:2])
        return lossacc[:, 0, 0]

    def run(self, should_stop, on_progress, time_limit_s, progress_interval_s, start) -> Trace:
        c, net, n, plan = self.config, self.net, self.n, self.plan
        K = net.K
        F = len(plan.frames)
        rec = Recorder(net, n, F)
        theta_initial = net.theta.copy() if c.include_weights else None
        gx = gy = grid_pts = None
        if plan.boundary:
            gx, gy, grid_pts = boundary_grid(self.data, c.boundary_grid)
            grid_pts = augment(grid_pts, self.dtype)
        boundary: list[tuple[int, Array]] = []
        hist_init: list = []
        hist_final: list = []
        deadline = math.inf if time_limit_s is None else start + time_limit_s
        last_progress = -math.inf
        loss: Array | None = np.full(K, np.nan)  # the latest training loss (None: compute from the logits)
        fi = 0
        stopped = False
        epoch = 0
        for epoch in range(c.epochs + 1):
            if epoch and ((should_stop is not None and should_stop()) or time.perf_counter() > deadline or not (self.all_alive or self.alive.any())):
                stopped = True
            last = stopped or epoch == c.epochs
            if plan.records(epoch, last):
                train_loss = self._record(rec, fi, epoch)
                if plan.shared_pass:
                    loss = train_loss
                if plan.records_histograms(epoch, last):
                    hists = histograms(net, n, self.alive)
                    hist_init = hists if epoch == 0 else hist_init
                    hist_final = hists if last else hist_final
                if plan.records_boundary(epoch, last):
                    p = np.round(sc.expit(net.logits(grid_pts)[:, 0].astype(np.float64)), BOUNDARY_DECIMALS)
                    boundary.append((epoch, p.reshape(K, len(gy), len(gx))))
                rec.grad_stats(fi, net.backward(self.x_pass, input_grad=True))
                if not self.all_alive:
                    rec.gone[fi] = ~self.alive
                fi += 1
            elif plan.shared_pass:
                loss = self._training_pass(epoch)
            if not last:
                if plan.shared_pass:
                    self._update()
                else:
                    loss = self._train_epoch(epoch)
            if on_progress is not None:
                now = time.perf_counter()
                if now - last_progress >= progress_interval_s or last:
                    last_progress = now
                    on_progress(epoch, np.where(self.alive, self._shared_loss() if loss is None else loss, np.nan))
            if last:
                break

        F = fi
        rec.finish(F)
        la = rec.lossacc[:F]
        c_ = np.ascontiguousarray
        bp = np.stack([p for _, p in boundary], axis=1) if boundary else np.zeros((K, 0, 0, 0))
        return Trace(
            frames=np.array(list(plan.frames[: F - 1]) + [epoch]) if F else np.zeros(0, int),
            epochs_run=epoch,
            cut_short=stopped and bool(self.alive.any()),
            data=self.data,
            loss_train=c_(la[:, :, 0, 0].T),
            loss_test=c_(la[:, :, 0, 1].T),
            # accuracies are counts over n: exact fractions (the averaging product leaves 1.0000000000000062)
            acc_train=c_(np.rint(la[:, :, 1, 0].T * n) / n),
            acc_test=c_(np.rint(la[:, :, 1, 1].T * len(self.data.x_test)) / len(self.data.x_test)),
            layers=rec.layers,
            learned=rec.learned,
            diverged_at=self.diverged_at,
            hist_init=hist_init,
            hist_final=hist_final,
            boundary_frames=np.array([e for e, _ in boundary], int),
            boundary_x=gx if gx is not None else np.zeros(0),
            boundary_y=gy if gy is not None else np.zeros(0),
            boundary_p=bp,
            theta_initial=theta_initial,
            theta_final=net.theta.copy() if c.include_weights else None,
        )

    def _record(self, rec: Recorder, fi: int, epoch: int) -> Array:
        """A recorded frame's evaluation pass and forward statistics (the loss gradient is
        left for the backward pass that follows); returns the training losses (K,)."""
        train_loss = self._evaluate(rec, fi)
        self._check(train_loss, epoch)
        rec.forward_stats(fi)
        return train_loss

    def _training_pass(self, epoch: int) -> None:
        """Between frames (full batch, deterministic): the training pass alone, no loss
        unless the logits are not all finite. Returns None: the loss comes from the logits."""
        net, x = self.net, self.x_pass
        net.forward(x, keep=False)
        net.loss_grad(self.neg_sign_pass, self.grad_scale, want_loss=False)
        if not math.isfinite(float(np.add.reduce(net.S[:, 0, : x.shape[1]], axis=None))):
            self._check(self._shared_loss(), epoch)
        net.backward(x, keep=False)
        return None

    def _train_epoch(self, epoch: int) -> Array:
        """One epoch in training mode (mini-batches in a fresh order, noise drawn); the mean batch loss."""
        net, n, b = self.net, self.n, self.batch
        rng = self.rng if self.stochastic else None
        order = self.rng.permutation(n) if b < n else None
        total = np.zeros(net.K)
        for lo in range(0, n, b):
            if order is None:
                xb, sb = self.xT, self.neg_sign
            else:
                idx = order[lo : lo + b]
                xb, sb = self.xT[:, idx], self.neg_sign[:, idx]
            net.forward(xb, rng, keep=False)
            ell, _ = net.loss_grad(sb, sb / xb.shape[1])
            loss = np.add.reduce(ell, axis=2)[:, 0]
            self._check(loss, epoch)
            total += loss
            net.backward(xb, keep=False)
            self._update()
        return total / n


# --------------------------------------------------------------------------- at initialisation


def init_statistics(config: TrainConfig, seeds: Sequence[int]) -> dict[str, Array]:
    """Per-layer statistics at initialisation for each seed of the weights, in one stacked
    forward/backward pass (no training). Uses the first variant's activation and the data
    of ``config.data``. Returns STAT_NAMES → (S, depth), plus "loss" and "accuracy" (S,)."""
    seeds = list(seeds)
    variant = config.variants[0]
    cfg = replace(config, variants=tuple([variant] * len(seeds)))
    dtype = np.dtype(cfg.dtype)
    data = make_dataset(cfg.data, dtype)
    xT = augment(data.x_train, dtype)
    n = xT.shape[1]
    neg_sign = (1.0 - 2.0 * data.y_train).astype(dtype).reshape(1, -1)
    net = StackedMLP(cfg.arch, cfg.variants, n, dtype)
    net.theta[:] = _initial_theta(net, cfg, seeds)
    rec = Recorder(net, n, 1)
    with np.errstate(all="ignore"):
        net.forward(xT)
        ell, correct = net.loss_grad(neg_sign, neg_sign / n)
        loss = np.add.reduce(ell, axis=2)[:, 0] / n
        accuracy = np.add.reduce(correct, axis=2)[:, 0] / n
        rec.forward_stats(0)
        rec.grad_stats(0, net.backward(xT, input_grad=True))
        rec.finish(1)
    out = {k: v[:, 0] for k, v in rec.layers.items()}
    out["loss"] = loss
    out["accuracy"] = accuracy
    return out
