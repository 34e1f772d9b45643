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
from .passes import dot

Array = np.ndarray

# A unit is dead when Σ_n |f'(z_n)| over the training set is below this.
DEAD_EPS = 1e-8
HIST_BINS = 30
# The grid extends the data's bounding box by this fraction on each side.
BOUNDARY_MARGIN = 0.1
# A frame's per-row sums wait in a stage of at most this many numbers, then are summed per
# (layer, variant) for all the staged frames at once.
STAGE_NUMBERS = 1 << 17

STAT_NAMES: tuple[str, ...] = ("grad_norm_weights", "grad_norm_input", "active_fraction", "dead_fraction", "mean", "std")


class Recorder:
    """Per-frame statistics of one evaluation pass over all of the network's input columns,
    of which the first n are the training set (statistics are over those).

    A recorded frame costs a few calls on the network's flat buffer (see
    :class:`app.core.network.StackedMLP`): after the forward pass and the loss, one product
    with a 0/1 vector sums every row over the training inputs — f′(z) per unit, ĥ per unit,
    ℓ and correct per variant (and, for activations other than ReLU, 1[z > 0] and |f′(z)|
    first written into the ∂L/∂h rows, free until the backward pass) — and another sums ℓ and
    correct over the test inputs; after the backward pass, one row-wise dot product over the
    training inputs sums the squares of ∂L/∂x, ∂L/∂h and ĥ, and one product of the weight
    gradient's squares with a 0/1 (parameters × layers) matrix gives Σ (∂L/∂W_l)². The per-row
    sums wait in a stage; :meth:`flush` sums them per (layer, variant) for all the staged frames
    at once — dead units (Σ_n |f′| < DEAD_EPS), Σ 1[z > 0], Σ h, Σ h², Σ (∂L/∂input)², loss and
    accuracy — and :meth:`finish` derives fractions, means, standard deviations and norms for
    all frames.
    """

    def __init__(self, net: StackedMLP, n: int, n_frames: int):
        K, D = net.K, net.arch.depth
        F = n_frames
        self.net, self.n, self.F = net, n, F
        self.widths = net.seg_widths  # (D, K): each block's units
        # per frame, per (layer, variant)
        self.dead = np.zeros((F, D, K))  # units with Σ_n |f'(z)| < DEAD_EPS
        self.active = np.zeros((F, D, K))  # Σ 1[z > 0] over units and training inputs
        self.h_sum = np.zeros((F, D, K))
        self.h_sq = np.zeros((F, D, K))
        self.gw_sq = np.zeros((F, K, D), net.dtype)  # Σ (∂L/∂W_l)² over the weights (not the biases)
        self.gin_sq = np.zeros((F, D, K))  # Σ (∂L/∂input of layer l)²
        self.lossacc = np.full((F, K, 2, 2), np.nan)  # [loss, accuracy] × [train, test]
        self.gone = np.zeros((F, K), bool)  # variants that had diverged by the frame
        learned_at = net.layout.learned_offset
        self.learned_cols = slice(learned_at, net.layout.size)
        self.learned_raw = np.zeros((F, K, net.layout.size - learned_at)) if net.layout.learned else None
        dt, U, off, rows = net.dtype, net.unit_rows, net.offsets, net.rows
        # the rows the forward product sums: from ĥ on for ReLU, else from ∂L/∂h on
        # (1[z > 0] there), and where each part starts among them
        lo = off["h"] if net.relu_only else off["dh"]
        self.fwd_rows = net.flat[lo:]
        self.at = {k: v - lo for k, v in off.items() if v >= lo}
        # 0/1 over the columns: the training inputs; and the test inputs when the passes carry
        # them, whose sums only ℓ and correct need (two matrix-vector products cost a third of
        # one product with a two-column matrix)
        self.train_col = np.zeros(rows, dt)
        self.train_col[:n] = 1.0
        self.lc_rows = net.flat[off["lc"] :]
        self.test_col = 1.0 - self.train_col if rows > n else None
        # the rows the backward dot products cover: ∂L/∂x, ∂L/∂h and ĥ
        self.sq_rows = net.flat[: off["df"], :n]
        self.signed = not net.nonneg_df  # f' may be negative: the dead-unit test sums |f'| apart
        per_frame = len(self.fwd_rows) + 2 * K + len(self.sq_rows) + (U if self.signed else 0)
        self.C = C = max(1, min(F, STAGE_NUMBERS // per_frame))
        self.stage_fwd = np.zeros((C, len(self.fwd_rows)), dt)
        self.stage_test = np.zeros((C, 2 * K), dt)  # the test inputs' Σ ℓ and Σ correct
        self.stage_sq = np.zeros((C, len(self.sq_rows)), dt)
        self.stage_abs = np.zeros((C, U), dt) if self.signed else None
        self.base = self.top = 0  # the staged frames: [base, top)
        # the hidden layers' weights (not the biases) in θ: a 0/1 (P, D) matrix
        self.weight_mask = np.zeros((net.layout.size, D), dt)
        for layer, (sl, (fi, fo)) in enumerate(zip(net.layout.layer_slices[:D], net.arch.shapes)):
            self.weight_mask[sl, layer].reshape(fo, fi + 1)[:, :fi] = 1.0
        # ĥ's blocks without their ones rows: [start, start + w) pairs for reduceat
        self.h_pairs = np.stack([net.seg_starts_h, net.seg_starts_h + net.seg_widths.ravel().astype(np.intp)], axis=1).ravel()
        # ∂L/∂(input of layer l) among the dot products: ∂L/∂x per variant, then ∂L/∂h of layers 0 … D−2
        n_in = net.arch.n_in
        self.gin_starts = np.concatenate([np.arange(K) * n_in, off["dh"] + net.seg_starts[: (D - 1) * K]]).astype(np.intp)
        self.gin_stop = off["dh"] + (int(net.seg_starts[(D - 1) * K]) if D > 1 else 0)
        self.layers: dict[str, Array] = {}
        self.learned: dict[str, Array] = {}

    def _slot(self, fi: int) -> int:
        """Frame fi's place in the stage (flushing it first when full)."""
        if fi - self.base >= self.C:
            self.flush()
            self.base = fi
        self.top = max(self.top, fi + 1)
        return fi - self.base

    def forward_stats(self, fi: int) -> Array:
        """From z, h, f'(z), ℓ and correct of the last forward pass and its loss (before backward
        overwrites f'). Returns the training inputs' Σ ℓ per variant (K,)."""
        net, slot = self.net, self._slot(fi)
        if self.signed:
            np.abs(net.DFf, out=net.DHf)
            dot(net.DHf, self.train_col, out=self.stage_abs[slot])
        if not net.relu_only:  # for ReLU f'(z) = 1[z > 0], so Σ f' already counts the active pairs
            np.greater(net.Zf, net.zero, out=net.DHf)
        out = self.stage_fwd[slot]
        dot(self.fwd_rows, self.train_col, out=out)  # (2-D and contiguous: dot costs less than matmul)
        if self.test_col is not None:
            dot(self.lc_rows, self.test_col, out=self.stage_test[slot])
        if self.learned_raw is not None:
            self.learned_raw[fi] = net.theta[:, self.learned_cols]
        lc = self.at["lc"]
        return out[lc : lc + 2 * net.K : 2]

    def grad_stats(self, fi: int, dxT: Array | None = None) -> None:
        """From the gradients of the backward pass that followed (with input_grad: ∂L/∂x is
        in the network's buffer; ``dxT`` is that); sums over the training inputs."""
        net, slot = self.net, fi - self.base  # (forward_stats(fi) made the place)
        np.vecdot(self.sq_rows, self.sq_rows, out=self.stage_sq[slot])
        g2 = net.grad_pair[1]  # (where Adam takes it: see optim)
        np.multiply(net.grad, net.grad, out=g2)
        dot(g2, self.weight_mask, out=self.gw_sq[fi])

    def flush(self) -> None:
        """Sum the staged frames' rows per (layer, variant)."""
        lo, hi = self.base, self.top
        if hi <= lo:
            return
        net, at, m = self.net, self.at, hi - lo
        K, D, U = net.K, net.arch.depth, net.unit_rows
        train = self.stage_fwd[:m].astype(np.float64)
        seg = lambda a, starts: np.add.reduceat(a, starts, axis=1)
        df = train[:, at["df"] : at["df"] + U]
        dead_test = self.stage_abs[:m].astype(np.float64) if self.signed else df
        self.dead[lo:hi] = seg((dead_test < DEAD_EPS).astype(np.float64), net.seg_starts).reshape(m, D, K)
        positive = df if net.relu_only else train[:, at["dh"] : at["dh"] + U]
        self.active[lo:hi] = seg(positive, net.seg_starts).reshape(m, D, K)
        h = train[:, at["h"] : at["df"]]
        self.h_sum[lo:hi] = seg(h, self.h_pairs)[:, ::2].reshape(m, D, K)
        sq = self.stage_sq[:m].astype(np.float64)
        self.h_sq[lo:hi] = seg(sq[:, net.offsets["h"] :], self.h_pairs)[:, ::2].reshape(m, D, K)
        self.gin_sq[lo:hi] = seg(sq[:, : self.gin_stop], self.gin_starts).reshape(m, D, K)
        self.lossacc[lo:hi, :, :, 0] = train[:, at["lc"] : at["lc"] + 2 * K].reshape(m, K, 2) / self.n
        if self.test_col is not None:
            self.lossacc[lo:hi, :, :, 1] = self.stage_test[:m].astype(np.float64).reshape(m, K, 2) / (net.rows - self.n)
        self.base = hi

    def finish(self, F: int) -> None:
        """The statistics of the first F frames, (K, F, depth) each, NaN where diverged."""
        self.flush()
        W = self.widths  # (D, K)
        count = self.n * W
        kfd = lambda a: np.ascontiguousarray(a[:F].transpose(1, 0, 2))
        mean = self.h_sum[:F] / count
        var = np.maximum(self.h_sq[:F] / count - mean * mean, 0.0)  # one-pass variance, clamped at 0
        L = {
            "grad_norm_weights": np.ascontiguousarray(np.sqrt(self.gw_sq[:F].astype(np.float64)).transpose(1, 0, 2)),
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
    """Per variant, per layer: (edges, counts) of the pre-activations over the training set
    (none for a non-finite z or span), as ``np.histogram(z, HIST_BINS, (min, max))`` gives them
    (its equal-bins algorithm, corrections within an ulp of an edge included), for all of a
    variant's layers at once."""
    B = HIST_BINS
    sizes = [w * n for w in net.arch.widths]
    starts = np.cumsum([0, *sizes[:-1]])
    empty = (np.zeros(0), np.zeros(0, np.int64))
    out: list[list[tuple[Array, Array]] | None] = []
    for k in range(net.K):
        if net.tick is not None:
            net.tick()
        if not alive[k]:
            out.append(None)
            continue
        z = np.concatenate([zs[k, :, :n] for zs in net.Zs]).ravel().astype(np.float64, copy=False)
        ranges = []  # per layer: (lo, hi), None where the span is not finite
        for lo, hi in zip(np.minimum.reduceat(z, starts).tolist(), np.maximum.reduceat(z, starts).tolist()):
            if not math.isfinite(hi - lo):  # (a span beyond float64's range has no finite bins)
                ranges.append(None)
            else:
                ranges.append((lo - 0.5, hi + 0.5) if hi - lo < 1e-12 else (lo, hi))
        ok = [r is not None for r in ranges]
        if not any(ok):
            out.append([empty] * len(ok))
            continue
        if not all(ok):
            z = z[np.repeat(ok, sizes)]
        lo, hi = np.array([r for r in ranges if r is not None]).T.copy()
        m = [size for size, good in zip(sizes, ok) if good]
        span = hi - lo
        # (rows, B + 1): each row np.linspace(lo, hi, B + 1), as linspace computes it
        edges = np.arange(B + 1.0) * (span / B)[:, None] + lo[:, None]
        edges[:, -1] = hi
        idx = ((z - np.repeat(lo, m)) / np.repeat(span, m) * B).astype(np.intp)
        np.minimum(idx, B - 1, out=idx)  # z = hi: the last bin
        at = np.repeat(np.arange(0, len(m) * (B + 1), B + 1), m)  # each value's row of edges
        flat = edges.ravel()
        idx -= z < flat[at + idx]
        idx += (z >= flat[at + idx + 1]) & (idx != B - 1)
        idx += at  # + row·(B + 1) − row: the bin's place among all rows' bins
        idx -= np.repeat(np.arange(len(m)), m)
        counts = np.bincount(idx, minlength=len(m) * B).reshape(-1, B)
        rows = iter(zip(edges, counts))
        out.append([next(rows) if good else empty for good in ok])
    return out


def boundary_grid(data: Dataset, size: int, plane: float = 0.0) -> tuple[Array, Array, Array]:
    """Grid x and y coordinates, and the size² points, row-major with y down the rows: over the
    data's bounding box plus a margin; with a ``plane`` (own data) over the square the points were
    drawn on, ±max(plane, every |coordinate|) plus the margin (as the page draws it)."""
    pts = data.x_all.astype(np.float64)
    if plane:
        edge = max(plane, float(np.abs(pts).max())) * (1 + BOUNDARY_MARGIN)
        lo, hi = np.array([-edge, -edge]), np.array([edge, edge])
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = BOUNDARY_MARGIN * (hi - lo) + 1e-3
        lo, hi = lo - pad, hi + pad
    gx = np.linspace(lo[0], hi[0], size)
    gy = np.linspace(lo[1], hi[1], size)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.stack([xx.ravel(), yy.ravel()], axis=1)
