"""Training K stacked MLP variants on one toy problem, recording what the activation does.

The problem is binary classification (cross-entropy on one logit), multi-class
(softmax cross-entropy on C logits) or regression (squared error), on the inputs'
features; L1 and L2 penalties on the weights (not the biases) are optional:
L = mean ℓ + l1·Σ|w| + ½·l2·Σw², whose gradient l1·sign(w) + l2·w is added before each
optimiser step (the recorded loss is the data term, mean ℓ, and the recorded gradients
are the data term's). A run may continue from a :class:`app.core.state.RunState`.

One call trains every variant (activations to compare, or one value each of a swept
parameter) on the same data from the same initial weights, in one stacked pass, and
records at ``frames`` evenly spaced epochs (always epoch 0 — at initialisation, before
any update — and the last):

- loss and accuracy (regression: R² = 1 − MSE / variance of the targets, null where they are
  all equal) on the training and test sets (evaluation mode);
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
- the decision boundary on a grid over the data at ``boundary_frames`` frames: σ(s) (binary),
  softmax(s) per class (multi-class), or the prediction s (regression);
- with ``unit_grid``, the network's diagram at the last frame (see :mod:`app.core.diagram`).

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
weights and the training noise / batch order), and a run continued from the state after N
epochs for M more ends where one run of N + M epochs does, bit for bit.

Stopping: ``abandoned`` (the client left) is checked after every layer of every pass and
ends the run at once (:class:`RunAbandoned`); the wall-clock limit is checked there too
and ends it with what it has (``cut_short``): the state after the last whole epoch, recorded
as the last frame when one frame takes less than FINAL_FRAME_S (the first frame, at
initialisation, always completes). ``should_stop`` is polled
once per epoch and ends the run the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from . import activations as acts
from . import diagram as diagrams
from . import state as states
from .budget import MAX_COST, MAX_ELEMENTS, STEP_COST, check_budget, cost, elements
from .datasets import DEFAULT_FEATURES, Dataset, DatasetSpec, featurize, make_dataset, split_sizes
from .errors import BudgetError
from .losses import shown, task_losses
from .losses import targets as _targets
from .network import Architecture, Layout, StackedMLP, Variant, augment, stacked_init
from .optim import ADAM_BETAS, ADAM_EPS, OPTIMIZERS, Optimizer
from .plan import Plan, boundary_schedule, frame_epochs
from .recording import DEAD_EPS, STAT_NAMES, Recorder, boundary_grid, histograms
from .state import RunState

__all__ = [
    "ADAM_BETAS", "ADAM_EPS", "Optimizer", "DEAD_EPS", "MAX_COST", "MAX_ELEMENTS", "OPTIMIZERS", "STAT_NAMES", "STEP_COST",
    "BudgetError", "RunAbandoned", "RunState", "Trace", "TrainConfig",
    "boundary_schedule", "check_budget", "parameter_count", "cost", "elements", "frame_epochs", "init_statistics", "train",
]

Array = np.ndarray

DTYPES: tuple[str, ...] = ("float64", "float32")
# Boundary probabilities are rounded to this many decimals (keeps the JSON small).
BOUNDARY_DECIMALS = 4
# Passes with more than this many units × inputs leave the test inputs out between frames.
TRAIN_ONLY_ELEMENTS = 8192
# A run stopped by its time limit records its last state as a frame when a frame took less than this.
FINAL_FRAME_S = 0.1


def augment_features(x: Array, features: Sequence[str], dtype: np.dtype) -> Array:
    """Points (n, 2) as the network's input columns: their features and the ones row."""
    return augment(featurize(x, features), dtype)


class RunAbandoned(Exception):
    """The client went away: the run ended without a result."""


class _Stopped(Exception):
    """The time limit passed inside an epoch."""


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
    features: tuple[str, ...] = DEFAULT_FEATURES  # in the order of datasets.FEATURES
    l1: float = 0.0
    l2: float = 0.0
    include_state: bool = False
    unit_grid: int = 0  # > 0: the diagram at the last frame, units drawn on a unit_grid² grid
    probe: tuple[float, float, float] | None = None  # (x₁, x₂, target): the diagram's numbers at one point

    @property
    def n_train(self) -> int:
        return split_sizes(self.data.size, self.data.test_fraction)[0]

    @property
    def network(self) -> Architecture:
        """The architecture with its inputs (features) and outputs (1, or C classes)."""
        return replace(self.arch, n_in=len(self.features), n_out=self.data.n_classes)

    @property
    def task(self) -> str:
        return self.data.task


@dataclass
class Trace:
    """What :func:`train` recorded. Per-variant arrays have K first; F = len(frames)."""

    frames: Array  # (F,) epochs recorded (counted from the first epoch of the first run)
    epochs_run: int  # epochs reached (likewise)
    cut_short: bool
    data: Dataset
    loss_train: Array  # (K, F)
    loss_test: Array
    acc_train: Array  # accuracy, or R² for regression
    acc_test: Array
    layers: dict[str, Array]  # STAT_NAMES → (K, F, depth)
    learned: dict[str, Array]  # learnable activation parameter → (K, F, depth)
    diverged_at: list[int | None]
    hist_init: list[list[tuple[Array, Array]] | None] = field(default_factory=list)  # [k][layer] = (edges, counts)
    hist_final: list[list[tuple[Array, Array]] | None] = field(default_factory=list)
    boundary_frames: Array = field(default_factory=lambda: np.zeros(0, int))
    boundary_x: Array = field(default_factory=lambda: np.zeros(0))
    boundary_y: Array = field(default_factory=lambda: np.zeros(0))
    # (K, B, rows=y, cols=x); multi-class (K, B, C, rows, cols)
    boundary_p: Array = field(default_factory=lambda: np.zeros((0, 0, 0, 0)))
    theta_initial: Array | None = None
    theta_final: Array | None = None
    state: RunState | None = None
    diagram: diagrams.Diagram | None = None
    task: str = "binary"
    epoch_start: int = 0
    elapsed_ms: float = 0.0


def parameter_count(config: TrainConfig) -> int:
    """P: one variant's parameters (the learned activation parameters in the engine's order)."""
    learned: list[str] = []
    for v in config.variants:
        learned += [n for n in acts.get(v.activation).param_grads if n not in learned]
    return Layout(config.network, tuple(learned)).size


def _initial_theta(net: StackedMLP, config: TrainConfig, seeds: Sequence[int]) -> Array:
    return stacked_init(net, config.variants, config.init, config.bias_init, seeds, config.sigma_w2, config.sigma_b2)


def train(
    config: TrainConfig,
    *,
    state: RunState | None = None,
    should_stop: Callable[[], bool] | None = None,
    abandoned: Callable[[], bool] | None = None,
    on_progress: Callable[[int, Array], None] | None = None,
    time_limit_s: float | None = None,
    progress_interval_s: float = 0.05,
    first_frame: bool = True,
) -> Trace:
    """Train every variant of ``config`` together (from ``state``, if given) and record the trace.

    ``should_stop`` is polled once per epoch (cooperative cancellation) and ends the run with
    the state reached (``cut_short``). ``abandoned`` (the client left) is polled after every
    layer of every pass and raises :class:`RunAbandoned`. ``time_limit_s`` bounds the
    wall-clock time, checked there too: the run ends with the state after its last whole
    epoch (``cut_short``), recorded as the last frame when a frame takes less than
    FINAL_FRAME_S. With ``first_frame`` the first frame (at initialisation) always completes;
    without, the limit may stop the run inside it, which then has no frame at all.
    ``on_progress(epoch, train_losses)`` is called at most once per ``progress_interval_s``.
    """
    start = time.perf_counter()
    if abandoned is not None and abandoned():  # gone before its turn came
        raise RunAbandoned()
    with np.errstate(all="ignore"):
        run = _Run(config, state)
        run.first_frame = first_frame
        trace = run.run(should_stop, abandoned, on_progress, time_limit_s, progress_interval_s, start)
    trace.elapsed_ms = (time.perf_counter() - start) * 1e3
    return trace


def r_squared(mse: Array, y: Array) -> Array:
    """R² = 1 − MSE / variance of the targets y; NaN (null in JSON: undefined) where the targets
    are all equal (their computed variance is then rounding, and 1 − MSE/var about −1e300)."""
    if len(y) == 0 or float(np.max(y)) == float(np.min(y)):
        return np.full(np.shape(mse), np.nan)
    return 1.0 - mse / float(np.var(y))


class _Run:
    """One training run, carried out as its :class:`Plan` says."""

    def __init__(self, config: TrainConfig, state: RunState | None = None):
        self.config = c = config
        self.dtype = dt = np.dtype(c.dtype)
        self.data = d = make_dataset(c.data, dt)
        self.task = d.task
        self.n = n = len(d.x_train)
        n_test = len(d.x_test)
        rows = n + n_test
        K = len(c.variants)
        stochastic = any(acts.get(v.activation).stochastic is not None for v in c.variants)
        self.plan = plan = Plan.of(c, n, n_test, stochastic, TRAIN_ONLY_ELEMENTS)
        self.train_only = plan.train_only
        net_rows = n if self.train_only else rows
        # inputs as columns (their features, and the ones row): the training set, then the test set;
        # stored input by input (Fortran order), so that the first layer's weight gradient δ x̂
        # reads x̂ as a C-contiguous matrix (a faster BLAS product than its transposed view)
        self.x_allT = np.asfortranarray(augment_features(np.concatenate([d.x_train, d.x_test]), c.features, dt))
        self.xT = self.x_allT[:, :n]
        self.x_testT = np.ascontiguousarray(self.x_allT[:, n:])
        # targets per input; the loss gradient's scale on the training inputs, 0 on the test ones
        self.tgt_all = _targets(self.task, np.concatenate([d.y_train, d.y_test]), d.classes, dt)
        self.tgt = np.ascontiguousarray(self.tgt_all[..., :n])
        self.tgt_test = np.ascontiguousarray(self.tgt_all[..., n:])
        self.grad_scale = np.zeros((1, 1, net_rows), dt)
        self.grad_scale[..., :n] = self._scale(self.tgt, n)
        # the columns a full-batch pass covers: all inputs, or the training ones only
        self.x_pass = self.xT if self.train_only else self.x_allT
        self.tgt_pass = self.tgt if self.train_only else self.tgt_all
        self.test_mean = np.full((n_test, 1), 1.0 / n_test, dt)
        self.test_lc = np.empty((K, 2, n_test), dt)  # test ℓ and correct (train-only runs)
        self.net = net = StackedMLP(c.network, c.variants, net_rows, dt, loss=self.task)
        self.rng = np.random.default_rng((c.seed, 2))
        lr = np.array([[v.learning_rate if v.learning_rate is not None else c.learning_rate] for v in c.variants], dt)
        mom = np.array([[v.momentum if v.momentum is not None else c.momentum] for v in c.variants], dt)
        self.opt = Optimizer(c.optimizer, net.theta, net.grad, lr, mom, net.grad_pair)
        self.batch = plan.batch
        self.stochastic = stochastic
        self.shared_pass = plan.shared_pass
        self.alive = np.ones(net.K, bool)
        self.all_alive = True
        self.squared = False  # grad_pair[1] holds the current gradient's square
        self.diverged_at: list[int | None] = [None] * net.K
        self.start_epoch = 0
        if state is None:
            net.theta[:] = _initial_theta(net, c, [c.seed] * net.K)
        else:
            self._resume(state)
        # the penalties' gradient l1·sign(w) + l2·w, on the weights only
        wmask = net.layout.weight_mask.astype(dt)[None]
        self.l1_mask = c.l1 * wmask if c.l1 else None
        self.l2_mask = c.l2 * wmask if c.l2 else None
        self.pen = np.empty_like(net.theta) if (c.l1 or c.l2) else None
        self.deadline = math.inf
        self.abandoned: Callable[[], bool] | None = None
        self.first_frame = True

    def _scale(self, tgt: Array, m: int) -> Array:
        """grad_scale for a pass over m training inputs with targets ``tgt``."""
        if self.task == "binary":
            return tgt / m
        return np.full((1, 1, m), 1.0 / m, self.dtype)

    def _resume(self, st: RunState) -> None:
        net, opt = self.net, self.opt
        net.theta[:] = st.theta
        opt.m[:] = st.m
        if opt.v is not None and st.v is not None:
            opt.v[:] = st.v
        opt.step = st.step
        self.rng.bit_generator.state = st.rng
        self.start_epoch = st.epoch
        self.diverged_at = list(st.diverged_at)
        gone = np.array([dv is not None for dv in st.diverged_at])
        if gone.any():
            self.alive = ~gone
            self.all_alive = False
            opt.reset(gone)

    def state(self) -> RunState:
        opt = self.opt
        return RunState(
            self.start_epoch + self.epochs_done, opt.step, self.net.theta.copy(), opt.m.copy(), None if opt.v is None else opt.v.copy(),
            self.rng.bit_generator.state, tuple(self.diverged_at), states.fingerprint(self.config),
        )

    def _tick(self) -> None:
        """After every layer of every pass: has the client gone, or the time run out?"""
        if self.abandoned is not None and self.abandoned():
            raise RunAbandoned()
        if time.perf_counter() > self.deadline and (self.fi or not self.first_frame):
            raise _Stopped()

    def _check(self, loss: Array, epoch: int) -> None:
        """Freeze the variants whose loss just became non-finite."""
        if math.isfinite(sum(loss.tolist())):  # (K is small: faster than a numpy reduction)
            return
        bad = ~np.isfinite(loss) & self.alive
        for k in np.flatnonzero(bad):
            self.diverged_at[k] = self.start_epoch + epoch
        self.alive &= ~bad
        self.all_alive = bool(self.alive.all())
        self.opt.reset(bad)

    def _shared_loss(self) -> Array:
        """The training loss (K,) from the outputs of the last full pass."""
        ell, _ = task_losses(self.task, self.net.S[:, :, : self.n], self.tgt)
        return np.add.reduce(ell[:, 0], axis=1) / self.n

    def _update(self) -> None:
        # a recorded frame left the gradient's square in grad_pair[1]: Adam takes it if still true
        squared, self.squared = self.squared and self.all_alive and self.pen is None, False
        if not self.all_alive:
            self.net.grad[~self.alive] = 0.0
        if self.pen is not None:
            theta, grad, pen = self.net.theta, self.net.grad, self.pen
            if self.l1_mask is not None:
                np.sign(theta, out=pen)
                pen *= self.l1_mask
                grad += pen
            if self.l2_mask is not None:
                np.multiply(theta, self.l2_mask, out=pen)
                grad += pen
        self.opt.update(squared)

    def _evaluate(self, rec: Recorder, fi: int) -> Array:
        """A recorded frame's evaluation pass (z, h, f'(z) kept for the statistics): the loss
        gradient left in T, the forward statistics staged (loss and accuracy on both sets
        among them); returns the training inputs' summed losses (K,)."""
        net = self.net
        net.forward(self.x_pass, keep=True)
        net.loss_grad(self.tgt_pass, self.grad_scale)
        train_sums = rec.forward_stats(fi)
        if self.train_only:  # the test set apart
            t = self.test_lc
            ell, correct = task_losses(self.task, net.logits(self.x_testT), self.tgt_test)
            t[:, 0:1], t[:, 1:2] = ell, correct
            np.matmul(t, self.test_mean, out=rec.lossacc[fi][:, :, 1:2])
        return train_sums

    def run(self, should_stop, abandoned, on_progress, time_limit_s, progress_interval_s, start) -> Trace:
        c, net, plan = self.config, self.net, self.plan
        K = net.K
        F = len(plan.frames) + 1  # (+1: a final frame off the schedule)
        self.rec = Recorder(net, self.n, F)
        theta_initial = net.theta.copy() if c.include_weights else None
        self.grid = None
        if plan.boundary:
            gx, gy, pts = boundary_grid(self.data, c.boundary_grid, c.data.plane)
            self.grid = (gx, gy, augment_features(pts, c.features, self.dtype))
        self.boundary: list[tuple[int, Array]] = []
        self.hist_init: list = []
        self.hist_final: list = []
        self.diagram: diagrams.Diagram | None = None
        self.deadline = math.inf if time_limit_s is None else start + time_limit_s
        self.abandoned = abandoned
        net.tick = self._tick if (abandoned is not None or time_limit_s is not None) else None
        last_progress = -math.inf
        # the latest training loss × loss_scale (None: compute it from the logits)
        loss: Array | None = np.full(K, np.nan)
        loss_scale = 1.0
        self.fi = 0
        self.frame_s = math.inf  # how long the last recorded frame took
        stopped = False
        epoch = 0
        snapshot = None
        try:
            for epoch in range(c.epochs + 1):
                self.epochs_done = epoch
                snapshot = None
                if epoch and ((should_stop is not None and should_stop()) or not (self.all_alive or self.alive.any())):
                    stopped = True
                if epoch and net.tick is not None:
                    net.tick()
                last = stopped or epoch == c.epochs
                if plan.records(epoch, last):
                    train_sums = self._frame(epoch, last)
                    if plan.shared_pass:
                        loss, loss_scale = train_sums, 1.0 / self.n
                elif plan.shared_pass:
                    loss = self._training_pass(epoch)
                if not last:
                    if plan.shared_pass:
                        self._update()
                    else:
                        if self.batch < self.n:  # mini-batches: a stop inside the epoch goes back to its start
                            snapshot = self._snapshot()
                        loss, loss_scale = self._train_epoch(epoch), 1.0
                if on_progress is not None:
                    now = time.perf_counter()
                    if now - last_progress >= progress_interval_s or last:
                        last_progress = now
                        on_progress(self.start_epoch + epoch, np.where(self.alive, self._shared_loss() if loss is None else loss * loss_scale, np.nan))
                if last:
                    break
        except _Stopped:
            stopped = True
            net.tick = self._abandon_tick if abandoned is not None else None
            if snapshot is not None:
                self._restore(snapshot)
            self.epochs_done = epoch
            if self.frame_s <= FINAL_FRAME_S:
                self._frame(epoch, True, replace_last=self.fi > 0 and self.last_frame == epoch)
        finally:
            net.tick = None
        return self._trace(stopped, theta_initial)

    def _abandon_tick(self) -> None:
        if self.abandoned is not None and self.abandoned():
            raise RunAbandoned()

    def _snapshot(self) -> tuple:
        return self.opt.snapshot(), self.rng.bit_generator.state, self.alive.copy(), list(self.diverged_at)

    def _restore(self, snap: tuple) -> None:
        opt_state, self.rng.bit_generator.state, alive, self.diverged_at = snap
        self.opt.restore(opt_state)
        self.alive[:] = alive
        self.all_alive = bool(alive.all())

    def _frame(self, epoch: int, last: bool, replace_last: bool = False) -> Array:
        """Record frame ``epoch`` (boundary, histograms and diagram as the plan says)."""
        t0 = time.perf_counter()
        c, net, plan, rec = self.config, self.net, self.plan, self.rec
        if replace_last:
            self.fi -= 1
        fi = self.fi
        train_sums = self._evaluate(rec, fi)
        self._check(train_sums, epoch)
        if plan.records_histograms(epoch, last):
            hists = histograms(net, self.n, self.alive)
            self.hist_init = hists if epoch == 0 else self.hist_init
            self.hist_final = hists if last else self.hist_final
        if plan.records_boundary(epoch, last) and self.grid is not None:
            if self.boundary and self.boundary[-1][0] == epoch:
                self.boundary.pop()
            gx, gy, pts = self.grid
            self.boundary.append((epoch, self._boundary(net.logits(pts), len(gy), len(gx))))
        means = rec_means = None
        if last and (c.unit_grid or c.probe is not None):
            rec_means = diagrams.forward_means(net, rec)
        # over the pass's columns (contiguous: faster than the training ones alone); ∂L/∂s is 0 on the test inputs
        rec.grad_stats(fi, net.backward(self.x_pass, input_grad=True))
        self.squared = plan.shared_pass  # (the update that follows uses this gradient)
        if rec_means is not None:
            means = diagrams.backward_means(net, rec, rec_means)
            self.diagram = diagrams.build(net, self.data, c, means, self._boundary, self._target_of)
        if not self.all_alive:
            rec.gone[fi] = ~self.alive
        self.fi += 1
        self.last_frame = epoch
        self.frame_s = time.perf_counter() - t0
        return train_sums

    def _boundary(self, out: Array, rows: int, cols: int) -> Array:
        return np.round(shown(self.task, out, rows, cols), BOUNDARY_DECIMALS)

    def _target_of(self, y: Array) -> Array:
        return _targets(self.task, y.astype(np.float64 if self.task == "regression" else np.int64), self.data.classes, self.dtype)

    def _trace(self, stopped: bool, theta_initial: Array | None) -> Trace:
        c, net, rec, plan = self.config, self.net, self.rec, self.plan
        K, F, n = net.K, self.fi, self.n
        rec.finish(F)
        la = rec.lossacc[:F]
        c_ = np.ascontiguousarray
        epoch = self.epochs_done
        frames = [e for e in plan.frames if e < self.last_frame] + [self.last_frame] if F else []
        frames = frames[-F:] if F else []
        boundary = self.boundary
        bp = np.stack([p for _, p in boundary], axis=1) if boundary else np.zeros((K, 0, 0, 0))
        n_test = len(self.data.x_test)
        if self.task == "regression":
            acc_train = c_(r_squared(la[:, :, 0, 0].T, self.data.y_train))
            acc_test = c_(r_squared(la[:, :, 0, 1].T, self.data.y_test))
        else:  # accuracies are counts over n: exact fractions (the averaging product leaves 1.0000000000000062)
            acc_train = c_(np.rint(la[:, :, 1, 0].T * n) / n)
            acc_test = c_(np.rint(la[:, :, 1, 1].T * n_test) / n_test)
        off = self.start_epoch
        gx, gy = (self.grid[0], self.grid[1]) if self.grid is not None else (np.zeros(0), np.zeros(0))
        return Trace(
            frames=np.array(frames, dtype=int) + off,
            epochs_run=off + epoch,
            cut_short=stopped and bool(self.alive.any()),
            data=self.data,
            loss_train=c_(la[:, :, 0, 0].T),
            loss_test=c_(la[:, :, 0, 1].T),
            acc_train=acc_train,
            acc_test=acc_test,
            layers=rec.layers,
            learned=rec.learned,
            diverged_at=self.diverged_at,
            hist_init=self.hist_init,
            hist_final=self.hist_final,
            boundary_frames=np.array([e for e, _ in boundary], int) + off,
            boundary_x=gx,
            boundary_y=gy,
            boundary_p=bp,
            theta_initial=theta_initial,
            theta_final=net.theta.copy() if c.include_weights else None,
            state=self.state() if c.include_state else None,
            diagram=self.diagram,
            task=self.task,
            epoch_start=off,
        )

    def _training_pass(self, epoch: int) -> None:
        """Between frames (full batch, deterministic): the training pass alone, over the same
        columns as a recorded frame's (the same gradient, bit for bit), no loss unless the
        outputs are not all finite. Returns None: the loss comes from the outputs."""
        net, x = self.net, self.x_pass
        s = net.forward(x, keep=False)
        net.loss_grad(self.tgt_pass, self.grad_scale, want_loss=False)
        if not math.isfinite(float(np.add.reduce(s, axis=None))):
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
                xb, tb = self.xT, self.tgt
            else:
                idx = order[lo : lo + b]
                xb, tb = self.xT[:, idx], self.tgt[..., idx]
            net.forward(xb, rng, keep=False)
            ell, _ = net.loss_grad(tb, self._scale(tb, xb.shape[1]))
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
    xT = augment_features(data.x_train, cfg.features, dtype)
    n = xT.shape[1]
    tgt = _targets(data.task, data.y_train, data.classes, dtype)
    net = StackedMLP(cfg.network, cfg.variants, n, dtype, loss=data.task)
    net.theta[:] = _initial_theta(net, cfg, seeds)
    rec = Recorder(net, n, 1)
    with np.errstate(all="ignore"):
        net.forward(xT)
        ell, correct = net.loss_grad(tgt, tgt / n if data.task == "binary" else np.full((1, 1, n), 1.0 / n, dtype))
        loss = np.add.reduce(ell, axis=2)[:, 0] / n
        accuracy = np.add.reduce(correct, axis=2)[:, 0] / n
        rec.forward_stats(0)
        rec.grad_stats(0, net.backward(xT, input_grad=True))
        rec.finish(1)
    out = {k: v[:, 0] for k, v in rec.layers.items()}
    out["loss"] = loss
    out["accuracy"] = accuracy
    return out
