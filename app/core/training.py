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
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
from scipy import special as sc

from . import activations as acts
from .datasets import Dataset, DatasetSpec, make_dataset, split_sizes
from .network import Architecture, StackedMLP, Variant, augment, init_theta

Array = np.ndarray

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
DTYPES: tuple[str, ...] = ("float64", "float32")
# PyTorch's Adam defaults.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
# A unit is dead when Σ_n |f'(z_n)| over the training set is below this.
DEAD_EPS = 1e-8
HIST_BINS = 30
# Boundary probabilities are rounded to this many decimals (keeps the JSON small).
BOUNDARY_DECIMALS = 4
# The grid extends the data's bounding box by this fraction on each side.
BOUNDARY_MARGIN = 0.1

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
# Sums of squares over more than this many (layer, variant, unit, input) numbers go through
# a dot product per unit (one call more, much faster on big buffers).
BIG_STATS = 16384

STAT_NAMES: tuple[str, ...] = ("grad_norm_weights", "grad_norm_input", "active_fraction", "dead_fraction", "mean", "std")


@dataclass(frozen=True)
class TrainConfig:
    data: DatasetSpec = DatasetSpec()
    arch: Architecture = Architecture()
    init: str = "he"
    bias_init: float = 0.0
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


def budget_problem(config: TrainConfig, variants_are: str = "the number of activations / sweep values") -> str | None:
    """Why ``config`` is too large to run, naming what to reduce, or None (``variants_are``:
    what the stacked variants are to the user, e.g. "seeds")."""
    c = cost(config)
    if c > MAX_COST:
        # the cost is proportional to the epochs: how many would fit with the rest unchanged
        fit = int(config.epochs * MAX_COST / c)
        hint = f"with the rest unchanged, at most {fit:,} epochs fit; or " if fit >= 1 else ""
        return (
            f"this run costs {c:.3g} (epochs × training points × Σ over activations of (Σ layer weights + "
            f"the activation's unit cost × hidden units) + {STEP_COST:,} × optimiser steps); the limit is {MAX_COST:.3g}: "
            f"{hint}reduce epochs, n_points, depth, width, {variants_are}, or raise batch_size"
        )
    e = elements(config)
    if e > MAX_ELEMENTS:
        return (
            f"this run keeps {e:,} numbers per layer buffer (variants × n_points × depth × width); "
            f"the limit is {MAX_ELEMENTS:,}: reduce n_points, depth, width or {variants_are}"
        )
    return None


# --------------------------------------------------------------------------- the engine


def _initial_theta(net: StackedMLP, config: TrainConfig, seeds: Sequence[int]) -> Array:
    """(K, P): variant k's weights from the init stream of seeds[k] (one seed for all →
    identical weights), its learned activation parameters from its own given value."""
    layout = net.layout
    by_seed = {s: init_theta(layout, config.init, config.bias_init, {}, np.random.default_rng((s, 1))) for s in dict.fromkeys(seeds)}
    theta = np.stack([by_seed[s] for s in seeds]).astype(net.dtype)
    for k, v in enumerate(config.variants):
        learnable = acts.get(v.activation).param_grads
        for name in layout.learned:
            value = float(v.params.get(name, 0.0)) if name in learnable else 0.0
            for layer in range(layout.arch.depth):
                theta[k, layout.learned_slot(name, layer)] = value
    return theta


class _Recorder:
    """Per-frame statistics of one evaluation pass over all of the network's input columns,
    of which the first n are the training set (statistics are over those).

    Each recorded frame stores a few raw sums per (layer, variant) — counts of dead units,
    Σ 1[z > 0], Σ h, Σ h², Σ (∂L/∂W)², Σ (∂L/∂input)², loss and accuracy — with one call
    each, straight into (frames, …) arrays; fractions, means, standard deviations and norms
    are derived for all frames at once in :meth:`finish`.
    """

    def __init__(self, net: StackedMLP, n: int, n_frames: int):
        K, D, W = net.K, net.arch.depth, net.arch.width
        F = n_frames
        self.net, self.n, self.F = net, n, F
        self.count = n * W
        # raw sums per frame
        self.dead = np.zeros((F, D, K))  # units with Σ_n |f'(z)| < DEAD_EPS
        self.active = np.zeros((F, D, K))  # Σ 1[z > 0] over units and training inputs
        self.h_sum = np.zeros((F, D, K))
        self.h_sq = np.zeros((F, D, K))
        self.gw_sq = np.zeros((F, K, D))  # Σ (∂L/∂W_l)² over the weights (not the biases)
        self.gin_sq = np.zeros((F, D, K))  # Σ (∂L/∂input of layer l)²
        self.lossacc = np.full((F, K, 2, 2), np.nan)  # [loss, accuracy] × [train, test]
        self.gone = np.zeros((F, K), bool)  # variants that had diverged by the frame
        learned_at = net.layout.learned_offset
        self.learned_cols = slice(learned_at, net.layout.size)
        self.learned_raw = np.zeros((F, K, net.layout.size - learned_at)) if net.layout.learned else None
        # scratch
        dt = net.dtype
        self.unit = np.empty((D, K, W), dt)
        self.big = D * K * W * net.rows > BIG_STATS
        self.unit_dead = np.empty((D, K, W), bool)
        self.unit_h = np.empty((D, K, W + 1), dt)
        # the hidden layers' weights (not the biases) in θ, layer by layer, and where each layer's run starts
        mask = net.layout.weight_mask
        mask[net.layout.layer_slices[D].start :] = 0.0
        self.weight_idx = np.flatnonzero(mask)
        self.weight_starts = np.searchsorted(self.weight_idx, [s.start for s in net.layout.layer_slices[:D]])
        self.gw = np.empty((K, len(self.weight_idx)), dt)
        # sums over the training inputs are products with this 0/1 column
        self.train_cols = np.zeros((net.rows, 1), dt)
        self.train_cols[:n] = 1.0
        self.layers: dict[str, Array] = {}
        self.learned: dict[str, Array] = {}

    def forward_stats(self, fi: int) -> None:
        """From z, h, f'(z) of the last forward pass (before backward overwrites f')."""
        net, cols, unit = self.net, self.train_cols, self.unit
        rows = net.rows
        # buffers are (D, K, W, rows), contiguous: per-unit sums over the training inputs are
        # one (D·K·W × rows) @ (rows × 1) product, per-layer ones reductions of those
        df = net.DF if net.nonneg_df else np.abs(net.DF, out=net.DH)  # DH is free until backward
        np.matmul(df.reshape(-1, rows), cols, out=unit.reshape(-1, 1))  # Σ_n |f'(z)| per unit
        np.less(unit, DEAD_EPS, out=self.unit_dead)
        np.add.reduce(self.unit_dead, axis=2, out=self.dead[fi])
        if not net.relu_only:  # for ReLU f'(z) = 1[z > 0], so Σ f' already counts the active pairs
            np.matmul(np.greater(net.Z, 0.0, out=net.DH).reshape(-1, rows), cols, out=unit.reshape(-1, 1))
        np.add.reduce(unit, axis=2, out=self.active[fi])
        np.matmul(net.Haug.reshape(-1, rows), cols, out=self.unit_h.reshape(-1, 1))  # (the ones row too)
        np.add.reduce(self.unit_h[:, :, : net.arch.width], axis=2, out=self.h_sum[fi])
        h = net.H[..., : self.n]
        if self.big:  # a dot product per unit (BLAS), then per layer; einsum's loop is slower at this size
            np.add.reduce(np.vecdot(h, h, out=unit), axis=2, out=self.h_sq[fi])
        else:
            np.einsum("dkwn,dkwn->dk", h, h, out=self.h_sq[fi])
        if self.learned_raw is not None:
            self.learned_raw[fi] = net.theta[:, self.learned_cols]

    def grad_stats(self, fi: int, dxT: Array) -> None:
        """From the gradients of the backward pass that followed (zero on the test inputs)."""
        net = self.net
        D = net.arch.depth
        np.take(net.grad, self.weight_idx, axis=1, out=self.gw)
        np.multiply(self.gw, self.gw, out=self.gw)
        np.add.reduceat(self.gw, self.weight_starts, axis=1, out=self.gw_sq[fi])
        if D > 1:
            dh = net.DH[: D - 1]
            if self.big:
                np.add.reduce(np.vecdot(dh, dh, out=self.unit[: D - 1]), axis=2, out=self.gin_sq[fi, 1:])
            else:
                np.einsum("dkwn,dkwn->dk", dh, dh, out=self.gin_sq[fi, 1:])
        np.einsum("kin,kin->k", dxT, dxT, out=self.gin_sq[fi, 0])

    def finish(self, F: int) -> None:
        """The statistics of the first F frames, (K, F, depth) each, NaN where diverged."""
        W, count = self.net.arch.width, self.count
        kfd = lambda a: np.ascontiguousarray(a[:F].transpose(1, 0, 2))  # noqa: E731 — (F, ·, ·) → (K, F, D)
        mean = self.h_sum[:F] / count
        var = np.maximum(self.h_sq[:F] / count - mean * mean, 0.0)  # one-pass variance, clamped at 0
        L = {
            "grad_norm_weights": np.ascontiguousarray(np.sqrt(self.gw_sq[:F]).transpose(1, 0, 2)),
            "grad_norm_input": kfd(np.sqrt(self.gin_sq[:F]).transpose(0, 2, 1)),
            "active_fraction": kfd((self.active[:F] / count).transpose(0, 2, 1)),
            "dead_fraction": kfd((self.dead[:F] / W).transpose(0, 2, 1)),
            "mean": kfd(mean.transpose(0, 2, 1)),
            "std": kfd(np.sqrt(var).transpose(0, 2, 1)),
        }
        self.layers = {name: L[name] for name in STAT_NAMES}
        D = self.net.arch.depth
        self.learned = {}
        for i, name in enumerate(self.net.layout.learned):
            self.learned[name] = kfd(self.learned_raw[:F, :, i * D : (i + 1) * D])
        gone = self.gone[:F].T  # (K, F)
        if gone.any():
            for arr in (*self.layers.values(), *self.learned.values()):
                arr[gone] = np.nan
            self.lossacc[:F][self.gone[:F]] = np.nan


def _histograms(net: StackedMLP, n: int, alive: Array) -> list[list[tuple[Array, Array]] | None]:
    """Per variant, per layer: (edges, counts) of the pre-activations over the training set."""
    out: list[list[tuple[Array, Array]] | None] = []
    for k in range(net.K):
        if not alive[k]:
            out.append(None)
            continue
        layers = []
        for layer in range(net.arch.depth):
            z = net.Z[layer, k, :, :n].ravel().astype(np.float64)
            lo, hi = float(z.min()), float(z.max())
            if not (math.isfinite(lo) and math.isfinite(hi)):
                layers.append((np.zeros(0), np.zeros(0, np.int64)))
                continue
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            counts, edges = np.histogram(z, bins=HIST_BINS, range=(lo, hi))
            layers.append((edges, counts))
        out.append(layers)
    return out


def _boundary_grid(data: Dataset, size: int) -> tuple[Array, Array, Array]:
    """Grid x and y coordinates over the data's bounding box (plus a margin), and the
    size² points, row-major with y down the rows."""
    pts = data.x_all.astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = BOUNDARY_MARGIN * (hi - lo) + 1e-3
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.stack([xx.ravel(), yy.ravel()], axis=1)


class _Optimizer:
    """Adam or SGD (with momentum) on the whole (K, P) parameter buffer, as PyTorch does them;
    learning rate and momentum are (K, 1) so a sweep gives each variant its own."""

    def __init__(self, kind: str, theta: Array, grad: Array, lr: Array, momentum: Array):
        self.kind, self.theta, self.grad = kind, theta, grad
        self.lr, self.momentum = lr, momentum  # (K, 1)
        # one learning rate for every variant: a scalar (one array operation less per step)
        self.lr_scalar: float | None = float(lr[0, 0]) if bool(np.all(lr == lr[0, 0])) else None
        self.step = 0
        self.m = np.zeros_like(theta)
        self.v = np.zeros_like(theta) if kind == "adam" else None
        self.t = np.empty_like(theta)
        self.use_momentum = bool(np.any(momentum != 0))

    def reset(self, k: Array) -> None:
        """Freeze variants ``k`` (a boolean mask): zero parameters, state and learning rate."""
        for arr in (self.theta, self.m, self.v, self.lr, self.momentum):
            if arr is not None:
                arr[k] = 0.0
        self.lr_scalar = None

    def update(self) -> None:
        self.step += 1
        g, t, m = self.grad, self.t, self.m
        if self.kind == "adam":
            b1, b2 = ADAM_BETAS
            v = self.v
            # PyTorch's Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
            # θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
            # Kept here as m̃ = m/(1 − β₁) and ṽ = v/(1 − β₂) (the same numbers up to rounding,
            # fewer operations): m̃ ← β₁m̃ + g, ṽ ← β₂ṽ + g², and with c = √((1 − β₂)/(1 − β₂ᵗ))
            # θ ← θ − lr(1 − β₁)/((1 − β₁ᵗ)c) · m̃ / (√ṽ + ε/c).
            m *= b1
            m += g
            np.multiply(g, g, out=t)
            v *= b2
            v += t
            c = math.sqrt((1.0 - b2) / (1.0 - b2**self.step))
            np.sqrt(v, out=t)
            t += ADAM_EPS / c
            np.divide(m, t, out=t)
            scale = -(1.0 - b1) / ((1.0 - b1**self.step) * c)
            t *= scale * self.lr_scalar if self.lr_scalar is not None else self.lr * scale
            self.theta += t
        else:
            if self.use_momentum:  # buf ← μ·buf + g (the first step gives buf = g); θ ← θ − lr·buf
                m *= self.momentum
                m += g
                g = m
            np.multiply(g, self.lr_scalar if self.lr_scalar is not None else self.lr, out=t)
            self.theta -= t


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


class _Run:
    """One training run.

    Small runs (call-bound) keep the training rows followed by the test rows in the
    network's buffers, so a recorded frame's evaluation pass gives both sets' logits at once
    (the test inputs get no gradient). Big ones (K × inputs × width above
    TRAIN_ONLY_ELEMENTS: sweeps, wide nets, many points; work-bound) keep only the training
    rows, so that every pass runs over whole contiguous buffers, and evaluate the test set
    separately on recorded frames."""

    def __init__(self, config: TrainConfig):
        self.config = c = config
        self.dtype = dt = np.dtype(c.dtype)
        self.data = d = make_dataset(c.data, dt)
        self.n = n = len(d.x_train)
        n_test = len(d.x_test)
        rows = n + n_test
        K = len(c.variants)
        # big passes leave the test inputs out of the network's buffers (small ones are call-bound)
        self.train_only = K * rows * c.arch.width > TRAIN_ONLY_ELEMENTS
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
        self.opt = _Optimizer(c.optimizer, net.theta, net.grad, lr, mom)
        self.batch = n if c.batch_size <= 0 or c.batch_size >= n else c.batch_size
        self.stochastic = any(g.stochastic is not None for g in net.groups)
        # With full batches and deterministic activations the training pass is the evaluation pass.
        self.shared_pass = self.batch == n and not self.stochastic
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

    def _evaluate(self, rec: _Recorder, fi: int) -> Array:
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
        c, net, n = self.config, self.net, self.n
        K = net.K
        planned = frame_epochs(c.epochs, c.frames).tolist()
        planned_boundary = set(boundary_schedule(np.array(planned), c.boundary_frames).tolist())
        F = len(planned)
        rec = _Recorder(net, n, F)
        theta_initial = net.theta.copy() if c.include_weights else None
        gx = gy = grid_pts = None
        if planned_boundary:
            gx, gy, grid_pts = _boundary_grid(self.data, c.boundary_grid)
            grid_pts = augment(grid_pts, self.dtype)
        boundary: list[tuple[int, Array]] = []
        hist_init: list = []
        hist_final: list = []
        deadline = math.inf if time_limit_s is None else start + time_limit_s
        last_progress = -math.inf
        loss: Array | None = np.full(K, np.nan)  # the latest training loss (None: compute from the logits)
        x, neg_sign, grad_scale = self.x_pass, self.neg_sign_pass, self.grad_scale
        cols = x.shape[1]
        fi = 0
        stopped = False
        epoch = 0
        next_frame = planned[0]
        for epoch in range(c.epochs + 1):
            if epoch and ((should_stop is not None and should_stop()) or time.perf_counter() > deadline or not (self.all_alive or self.alive.any())):
                stopped = True
            final = stopped or epoch == c.epochs
            if final or epoch == next_frame:
                # a recorded frame: an evaluation pass over the training and test inputs, its
                # statistics, and (full batch, deterministic) the gradient of the update
                train_loss = self._evaluate(rec, fi)
                self._check(train_loss, epoch)
                if self.shared_pass:
                    loss = train_loss
                rec.forward_stats(fi)
                if c.histograms and (epoch == 0 or final):
                    hists = _histograms(net, n, self.alive)
                    if epoch == 0:
                        hist_init = hists
                    if final:
                        hist_final = hists
                if planned_boundary and (epoch in planned_boundary or final):
                    p = np.round(sc.expit(net.logits(grid_pts)[:, 0].astype(np.float64)), BOUNDARY_DECIMALS)
                    boundary.append((epoch, p.reshape(K, len(gy), len(gx))))
                rec.grad_stats(fi, net.backward(x, input_grad=True))
                if not self.all_alive:
                    rec.gone[fi] = ~self.alive
                fi += 1
                next_frame = planned[fi] if fi < F else -1
            elif self.shared_pass:
                # between frames: the training pass alone, no loss unless the logits are not all finite
                net.forward(x, keep=False)
                net.loss_grad(neg_sign, grad_scale, want_loss=False)
                if not math.isfinite(float(np.add.reduce(net.S[:, 0, :cols], axis=None))):
                    self._check(self._shared_loss(), epoch)
                loss = None
                net.backward(x, keep=False)
            if self.shared_pass and not final:
                self._update()
            if not final and not self.shared_pass:
                loss = self._train_epoch(epoch)
            if on_progress is not None:
                now = time.perf_counter()
                if now - last_progress >= progress_interval_s or final:
                    last_progress = now
                    on_progress(epoch, np.where(self.alive, self._shared_loss() if loss is None else loss, np.nan))
            if final:
                break

        F = fi
        rec.finish(F)
        la = rec.lossacc[:F]
        c_ = np.ascontiguousarray
        bp = np.stack([p for _, p in boundary], axis=1) if boundary else np.zeros((K, 0, 0, 0))
        return Trace(
            frames=np.array(planned[: F - 1] + [epoch]) if F else np.zeros(0, int),
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
    rec = _Recorder(net, n, 1)
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
