"""What a training run records at each recorded frame, straight from the network's buffers.

Per hidden layer l, on the whole training set in evaluation mode:
``grad_norm_weights`` ‖∂L/∂W_l‖₂; ``grad_norm_input`` ‖∂L/∂(input of layer l)‖₂;
``active_fraction`` the share of (unit, input) pairs with z > 0; ``dead_fraction`` the share
of units with Σ_n |f′(z_n)| < DEAD_EPS; ``mean`` and ``std`` of the activations h; and the
learned activation parameters. Also the pre-activation histograms and the decision
boundary's grid (see :mod:`app.core.training` for when each is recorded).
"""

from __future__ import annotations

import math

import numpy as np

from .datasets import Dataset
from .network import StackedMLP

Array = np.ndarray

# A unit is dead when Σ_n |f'(z_n)| over the training set is below this.
DEAD_EPS = 1e-8
HIST_BINS = 30
# The grid extends the data's bounding box by this fraction on each side.
BOUNDARY_MARGIN = 0.1
# Sums of squares over more than this many (layer, variant, unit, input) numbers go through
# a dot product per unit (one call more, much faster on big buffers).
BIG_STATS = 16384

STAT_NAMES: tuple[str, ...] = ("grad_norm_weights", "grad_norm_input", "active_fraction", "dead_fraction", "mean", "std")


class Recorder:
    """Per-frame statistics of one evaluation pass over all of the network's input columns,
    of which the first n are the training set (statistics are over those).

    Each recorded frame stores a few raw sums per (layer, variant) — counts of dead units,
    Σ 1[z > 0], Σ h, Σ h², Σ (∂L/∂W)², Σ (∂L/∂input)², loss and accuracy — with one call
    each, straight into (frames, …) arrays: a per-unit product over the flat buffers, then
    segment sums per (layer, variant) block (layers may differ in width); fractions, means,
    standard deviations and norms are derived for all frames at once in :meth:`finish`.
    """

    def __init__(self, net: StackedMLP, n: int, n_frames: int):
        K, D = net.K, net.arch.depth
        F = n_frames
        self.net, self.n, self.F = net, n, F
        self.widths = net.seg_widths  # (D, K): each block's units
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
        U = net.unit_rows
        self.unit = np.empty((U, 1), dt)
        self.big = U * net.rows > BIG_STATS
        self.unit_dead = np.empty((U, 1), bool)
        self.unit_h = np.empty((len(net.Hf), 1), dt)
        self.h_rows = np.empty(len(net.Hf), dt)
        # ĥ's blocks without their ones rows: [start, start + w) pairs for reduceat
        self.h_pairs = np.stack([net.seg_starts_h, net.seg_starts_h + net.seg_widths.ravel().astype(np.intp)], axis=1).ravel()
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

    def _seg(self, per_unit: Array, out: Array) -> None:
        """Sums of per-unit values (U,) over each (layer, variant) block, into out (D, K)."""
        out[...] = np.add.reduceat(per_unit, self.net.seg_starts).reshape(out.shape)

    def _rowsq(self, a: Array, out: Array) -> Array:
        """Σ over columns of a², per row of a (2-D)."""
        if self.big:  # a dot product per row (BLAS); einsum's loop is slower at this size
            return np.vecdot(a, a, out=out)
        return np.einsum("rn,rn->r", a, a, out=out)

    def forward_stats(self, fi: int) -> None:
        """From z, h, f'(z) of the last forward pass (before backward overwrites f')."""
        net, cols, unit = self.net, self.train_cols, self.unit
        # the flat buffers are (units, rows), contiguous: per-unit sums over the training inputs
        # are one (units × rows) @ (rows × 1) product, per-block ones segment sums of those
        df = net.DFf if net.nonneg_df else np.abs(net.DFf, out=net.DHf)  # DH is free until backward
        np.matmul(df, cols, out=unit)  # Σ_n |f'(z)| per unit
        np.less(unit, DEAD_EPS, out=self.unit_dead)
        self._seg(self.unit_dead[:, 0].astype(np.float64), self.dead[fi])
        if not net.relu_only:  # for ReLU f'(z) = 1[z > 0], so Σ f' already counts the active pairs
            np.matmul(np.greater(net.Zf, 0.0, out=net.DHf), cols, out=unit)
        self._seg(unit[:, 0], self.active[fi])
        np.matmul(net.Hf, cols, out=self.unit_h)  # (the ones rows too: left out by the pairs)
        self.h_sum[fi] = np.add.reduceat(self.unit_h[:, 0], self.h_pairs)[::2].reshape(self.h_sum[fi].shape)
        sq = self._rowsq(net.Hf[:, : self.n], self.h_rows)
        self.h_sq[fi] = np.add.reduceat(sq, self.h_pairs)[::2].reshape(self.h_sq[fi].shape)
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
            below = int(net.seg_starts[(D - 1) * net.K])  # the unit rows of layers 1 … D−1
            sq = self._rowsq(net.DHf[:below], self.unit[:below, 0])
            self.gin_sq[fi, 1:] = np.add.reduceat(sq, net.seg_starts[: (D - 1) * net.K]).reshape(D - 1, net.K)
        np.einsum("kin,kin->k", dxT, dxT, out=self.gin_sq[fi, 0])

    def unit_sums(self, flat: Array) -> Array:
        """Σ over the training inputs of a flat per-unit buffer (U, rows), per unit: (U,)."""
        return (flat @ self.train_cols)[:, 0].astype(np.float64)

    def finish(self, F: int) -> None:
        """The statistics of the first F frames, (K, F, depth) each, NaN where diverged."""
        W = self.widths  # (D, K)
        count = self.n * W
        kfd = lambda a: np.ascontiguousarray(a[:F].transpose(1, 0, 2))
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


def histograms(net: StackedMLP, n: int, alive: Array) -> list[list[tuple[Array, Array]] | None]:
    """Per variant, per layer: (edges, counts) of the pre-activations over the training set."""
    out: list[list[tuple[Array, Array]] | None] = []
    for k in range(net.K):
        if net.tick is not None:
            net.tick()
        if not alive[k]:
            out.append(None)
            continue
        layers = []
        for layer in range(net.arch.depth):
            z = net.Zs[layer][k, :, :n].ravel().astype(np.float64)
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


def boundary_grid(data: Dataset, size: int) -> tuple[Array, Array, Array]:
    """Grid x and y coordinates over the data's bounding box (plus a margin), and the
    size² points, row-major with y down the rows."""
    pts = data.x_all.astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = BOUNDARY_MARGIN * (hi - lo) + 1e-3
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.stack([xx.ravel(), yy.ravel()], axis=1)
