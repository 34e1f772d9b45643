"""A small multilayer perceptron, n_in → w₁ → … → w_D → n_out, for K variants at once.

The K variants (different activations, activation parameters or learning rates) share
the architecture and are stacked along a leading axis, so every matrix product is one
batched ``np.matmul`` over K. Their parameters live in one flat buffer ``theta`` of
shape (K, P) — per layer the matrix [Wᵀ | b] of shape fan_out × (fan_in + 1), then one
learned value per hidden layer for each learnable activation parameter (PReLU's ``a``)
— and the layers' weights and slopes are views into it, so an optimiser updates
everything with a few whole-buffer operations.

Hidden layers may differ in width (w_l). The inputs are the n_in features of the data
(x₁, x₂, x₁², … see :mod:`app.core.datasets`); the outputs are one logit (binary
cross-entropy), C logits (softmax cross-entropy) or one value (squared error).

Activations are stored transposed, units × inputs, with a constant row of ones appended
(ĥ = [h; 1]), so that one product applies weights and bias together. Per layer l
(h₀ = x), over the n inputs as columns:

Forward:    zᵀ_l = [Wᵀ_l | b_l] ĥᵀ_{l-1},   hᵀ_l = f(zᵀ_l);   outputs sᵀ = [Wᵀ_out | b_out] ĥᵀ_D.
Loss (mean over the n training inputs of ℓ; ∂L/∂s per input):
  binary      sign = 2y − 1, m = sign·s:  ℓ = log(1 + e^{−m}),        ∂L/∂s = −sign·σ(−m)/n
  multiclass  ℓ = log Σ_c e^{s_c} − s_y,                               ∂L/∂s = (softmax(s) − onehot(y))/n
  regression  ℓ = (s − y)²,                                            ∂L/∂s = 2(s − y)/n
Backward (δ = ∂L/∂z):
            ∂L/∂[Wᵀ_l | b_l] = δᵀ_l ĥ_{l-1}   (so ∂L/∂b_l = Σ_n δ_l),   ∂L/∂hᵀ_{l-1} = W_l δᵀ_l,
            δ_l = ∂L/∂h_l ⊙ f'(z_l),   ∂L/∂a_l = Σ ∂L/∂h_l ⊙ ∂f/∂a(z_l)  (learned parameters).
(Regularisation — l1·Σ|w| + ½·l2·Σw² over the weights, not biases — is added to the
gradient by :mod:`app.core.training`.)

Per-layer buffers are (K, w_l, rows) blocks, layer after layer, of two flat buffers: z, and
one holding ∂L/∂x (K·n_in rows, filled by a pass with input_grad), ∂L/∂h, ĥ (one more row per
block), f'(z) (overwritten by δ in the backward pass) and per input [ℓ; correct] (2K rows),
in this order, so that a recorded frame's statistics are a product and a row-wise dot
product over contiguous ranges, the latter without δ (see :mod:`app.core.recording`). With equal widths they are
also (depth, K, width, rows) arrays: ``Z``, ``H``, ``Haug``, ``DF``, ``DH``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import special as sc

from . import activations as acts
from .passes import Hooks, PassViews, copyto

Array = np.ndarray

INITS: tuple[str, ...] = ("he", "glorot", "lecun", "uniform", "custom")
INIT_LABELS: dict[str, str] = {"he": "He (Kaiming)", "glorot": "Glorot (Xavier)", "lecun": "LeCun", "uniform": "Uniform ±0.5 (Playground)", "custom": "Custom variance (σ_w², σ_b²)"}
# The named schemes: every init but "custom", which needs its two variances.
SCHEME_INITS: tuple[str, ...] = tuple(i for i in INITS if i != "custom")
# "custom": W ~ N(0, σ_w²/fan_in), b ~ N(bias_init, σ_b²) — the initialisation of mean-field theory.
SIGMA_W2_RANGE = (0.01, 10.0)
SIGMA_B2_RANGE = (0.0, 4.0)
# TensorFlow Playground's weights: uniform on [−0.5, 0.5].
UNIFORM_HALF_WIDTH = 0.5
LOSSES: tuple[str, ...] = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Architecture:
    """Hidden layers ``widths`` (or ``depth`` × ``width`` when not given), ``n_in`` inputs
    (features) and ``n_out`` outputs. ``depth`` and ``width`` are then the number of hidden
    layers and the widest one."""

    depth: int = 3
    width: int = 8
    n_in: int = 2
    widths: tuple[int, ...] = ()
    n_out: int = 1

    def __post_init__(self) -> None:
        if self.widths:
            ws = tuple(int(w) for w in self.widths)
            object.__setattr__(self, "widths", ws)
            object.__setattr__(self, "depth", len(ws))
            object.__setattr__(self, "width", max(ws))
        else:
            object.__setattr__(self, "widths", (self.width,) * self.depth)

    @property
    def uniform(self) -> bool:
        return len(set(self.widths)) <= 1

    @property
    def units(self) -> int:
        return sum(self.widths)

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each weight matrix, hidden layers first, then the output."""
        sizes = (self.n_in, *self.widths, self.n_out)
        return list(zip(sizes[:-1], sizes[1:]))

    @property
    def n_weights(self) -> int:
        """Σ fan_in·fan_out: the multiply-adds of one forward pass for one input."""
        return sum(i * o for i, o in self.shapes)


@dataclass(frozen=True)
class Variant:
    """One of the K stacked networks: its activation (validated params) and optional
    per-variant optimiser settings (a sweep over learning_rate or momentum)."""

    activation: str
    params: Mapping[str, float | str] = field(default_factory=dict)
    learning_rate: float | None = None
    momentum: float | None = None


@dataclass(frozen=True)
class Layout:
    """Where the parameters sit in the flat vector of one variant: per layer the
    fan_out × (fan_in + 1) matrix [Wᵀ | b] (row-major: each output unit's incoming weights,
    then its bias), then the learned activation parameters (one per hidden layer each)."""

    arch: Architecture
    learned: tuple[str, ...]  # learnable activation parameters with a slot per hidden layer

    @property
    def layer_slices(self) -> list[slice]:
        out, off = [], 0
        for fi, fo in self.arch.shapes:
            out.append(slice(off, off + fo * (fi + 1)))
            off += fo * (fi + 1)
        return out

    @property
    def weight_mask(self) -> np.ndarray:
        """1 for the weights, 0 for the biases and learned parameters: (P,)."""
        mask = np.zeros(self.size)
        for s, (fi, fo) in zip(self.layer_slices, self.arch.shapes):
            block = mask[s].reshape(fo, fi + 1)
            block[:, :fi] = 1.0
        return mask

    @property
    def learned_offset(self) -> int:
        return self.layer_slices[-1].stop

    @property
    def size(self) -> int:
        return self.learned_offset + len(self.learned) * self.arch.depth

    def learned_slot(self, name: str, layer: int) -> int:
        return self.learned_offset + self.learned.index(name) * self.arch.depth + layer

    def unpack(self, theta: Array) -> dict[str, list[Array]]:
        """One variant's weights {"W": [fan_in × fan_out per layer, so z = h·W + b], "b": [fan_out per layer]}."""
        blocks = [theta[s].reshape(fo, fi + 1) for s, (fi, fo) in zip(self.layer_slices, self.arch.shapes)]
        return {
            "W": [np.ascontiguousarray(m[:, :-1].T) for m in blocks],
            "b": [np.ascontiguousarray(m[:, -1]) for m in blocks],
        }


def init_theta(
    layout: Layout, init: str, bias_init: float, learned_init: Mapping[str, float], rng: np.random.Generator,
    sigma_w2: float = 2.0, sigma_b2: float = 0.0,
) -> Array:
    """One variant's initial parameters (P,), drawn layer by layer from ``rng``.

    he:      W ~ N(0, 2/fan_in)                         (He et al. 2015, for rectifiers)
    glorot:  W ~ U(±√(6/(fan_in + fan_out)))            (Glorot & Bengio 2010, "Xavier")
    lecun:   W ~ N(0, 1/fan_in)                         (LeCun et al. 1998; SELU's init)
    uniform: W ~ U(±0.5)                                (TensorFlow Playground)
    custom:  W ~ N(0, σ_w²/fan_in), b ~ N(bias_init, σ_b²)   (mean-field theory's network;
             each layer's biases drawn after its weights)
    Otherwise every bias starts at ``bias_init``; learned activation parameters at their
    given value. (The draws are i.i.d., so the storage order — fan_out × fan_in — does not matter.)
    """
    theta = np.empty(layout.size)
    for (fi, fo), sl in zip(layout.arch.shapes, layout.layer_slices):
        if init == "he":
            w = rng.standard_normal(fi * fo) * math.sqrt(2.0 / fi)
        elif init == "glorot":
            limit = math.sqrt(6.0 / (fi + fo))
            w = rng.uniform(-limit, limit, fi * fo)
        elif init == "lecun":
            w = rng.standard_normal(fi * fo) * math.sqrt(1.0 / fi)
        elif init == "uniform":
            w = rng.uniform(-UNIFORM_HALF_WIDTH, UNIFORM_HALF_WIDTH, fi * fo)
        elif init == "custom":
            w = rng.standard_normal(fi * fo) * math.sqrt(sigma_w2 / fi)
        else:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
        block = theta[sl].reshape(fo, fi + 1)
        block[:, :fi] = w.reshape(fo, fi)
        block[:, fi] = bias_init
        if init == "custom" and sigma_b2 > 0:
            block[:, fi] += rng.standard_normal(fo) * math.sqrt(sigma_b2)
    for name in layout.learned:
        for layer in range(layout.arch.depth):
            theta[layout.learned_slot(name, layer)] = learned_init.get(name, 0.0)
    return theta


def stacked_init(net: StackedMLP, variants: Sequence[Variant], init: str, bias_init: float, seeds: Sequence[int], sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> Array:
    """(K, P): variant k's weights from the init stream of seeds[k] (one seed for all →
    identical weights), its learned activation parameters from its own given value."""
    layout = net.layout
    by_seed = {s: init_theta(layout, init, bias_init, {}, np.random.default_rng((s, 1)), sigma_w2, sigma_b2) for s in dict.fromkeys(seeds)}
    theta = np.stack([by_seed[s] for s in seeds]).astype(net.dtype)
    for k, v in enumerate(variants):
        learnable = acts.get(v.activation).param_grads
        for name in layout.learned:
            value = float(v.params.get(name, 0.0)) if name in learnable else 0.0
            for layer in range(layout.arch.depth):
                theta[k, layout.learned_slot(name, layer)] = value
    return theta


def weight_variance(init: str, fan_in: int, fan_out: int, sigma_w2: float = 2.0) -> float:
    """Var(W) of one weight of a fan_in → fan_out layer as :func:`init_theta` draws it;
    fan_in·Var(W) is the σ_w² of mean-field theory (the tests hold the draws to it)."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
    return {"he": 2.0 / fan_in, "glorot": 2.0 / (fan_in + fan_out), "lecun": 1.0 / fan_in,
            "uniform": UNIFORM_HALF_WIDTH**2 / 3.0, "custom": sigma_w2 / fan_in}[init]


# --------------------------------------------------------------------------- activations


class ActivationGroup:
    """A run of consecutive variants [k0, k1) with the same activation and choice parameters.

    Float parameters that differ between its variants are stacked as (k, 1, 1) arrays that
    broadcast against the group's (k, width, rows) slice; learnable ones are views of
    the slopes in ``theta``. An activation that declares an in-place ``kernel`` is computed
    with it (equal to its f and f′ — the tests check); every other one goes through the
    catalogue's own f / df.
    """

    def __init__(self, k0: int, variants: Sequence[Variant], dtype: np.dtype):
        self.k0, self.k1 = k0, k0 + len(variants)
        self.sl = slice(self.k0, self.k1)
        self.act = acts.get(variants[0].activation)
        self.learned = tuple(self.act.param_grads)
        self.fixed: dict[str, float | str | Array] = {}
        for p in self.act.params:
            if p.id in self.learned:
                continue
            values = [v.params[p.id] for v in variants]
            if p.kind == "choice" or all(v == values[0] for v in values):
                self.fixed[p.id] = values[0]
            else:
                self.fixed[p.id] = np.asarray(values, dtype=dtype).reshape(-1, 1, 1)
        self.kernel = self.act.kernel
        self.stochastic = self.act.stochastic
        self.mask: Array | None = None  # boolean scratch for the kernel

    def params(self, learned_views: Mapping[str, Sequence[Array]], layer: int) -> dict:
        p = dict(self.fixed)
        for name in self.learned:
            p[name] = learned_views[name][layer][self.sl]
        return p

    def apply(self, z: Array, h: Array, df: Array | None, p: dict, rng: np.random.Generator | None) -> None:
        """h = f(z) and df = f'(z) for this group's slice (a training sample when ``rng`` is given)."""
        if rng is not None and self.stochastic is not None:
            y, dy = self.stochastic.sample(z, rng, **p)
            h[...] = y
            if df is not None:
                df[...] = dy
        elif self.kernel is not None:
            if self.mask is None or self.mask.shape != z.shape:
                self.mask = np.empty(z.shape, dtype=bool)
            self.kernel(z, h, df, self.mask, **p)
        else:
            h[...] = self.act.f(z, **p)
            if df is not None:
                df[...] = self.act.df(z, **p)


def make_groups(variants: Sequence[Variant], dtype: np.dtype) -> list[ActivationGroup]:
    """Maximal runs of consecutive variants sharing the activation and its choice parameters
    (parameters are validated and completed with their defaults first)."""
    variants = [replace(v, params=acts.resolve_params(acts.get(v.activation), v.params)) for v in variants]
    groups: list[ActivationGroup] = []
    start = 0

    def key(v: Variant) -> tuple:
        act = acts.get(v.activation)
        return (act.id, tuple(v.params[p.id] for p in act.params if p.kind == "choice"))

    for k in range(1, len(variants) + 1):
        if k == len(variants) or key(variants[k]) != key(variants[start]):
            groups.append(ActivationGroup(start, variants[start:k], dtype))
            start = k
    return groups


# --------------------------------------------------------------------------- the network


class StackedMLP:
    """K networks of one architecture, with the buffers for passes over up to ``rows`` inputs.

    Inputs are passed transposed with the ones row, x̂ᵀ of shape (n_in + 1, n) (see
    :func:`augment`); a pass over n < rows inputs uses the first n columns of every buffer.
    ``loss`` is "binary", "multiclass" or "regression" (see the module docstring).
    ``tick``, when given, is called after each layer of a pass (the engine's stop check:
    it may raise to abandon the pass).
    """

    def __init__(self, arch: Architecture, variants: Sequence[Variant], rows: int, dtype: np.dtype | type = np.float64, loss: str = "binary"):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")
        self.arch = arch
        self.loss = loss
        self.dtype = dt = np.dtype(dtype)
        self.K = K = len(variants)
        self.variants = tuple(variants)
        self.groups = make_groups(variants, dt)
        learned: list[str] = []
        for g in self.groups:
            learned += [n for n in g.learned if n not in learned]
        self.layout = Layout(arch, tuple(learned))
        self.theta = np.zeros((K, self.layout.size), dt)
        # the gradient and a scratch of its size side by side (Adam keeps g² there: see optim)
        self.grad_pair = np.zeros((2, *self.theta.shape), dt)
        self.grad = self.grad_pair[0]
        self.W = self._layer_views(self.theta)  # [Wᵀ | b]: (K, fan_out, fan_in + 1)
        self.WT = [w[:, :, :-1].transpose(0, 2, 1) for w in self.W]  # W without the bias: (K, fan_in, fan_out)
        self.gW = self._layer_views(self.grad)
        self.learned = {n: self._learned_views(self.theta, n) for n in learned}
        self.g_learned = {n: self._learned_views(self.grad, n) for n in learned}
        D, ws, C, n_in = arch.depth, arch.widths, arch.n_out, arch.n_in
        self.rows = rows
        # unit rows of layer l start at K·Σ_{j<l} w_j in the per-unit buffers (ĥ: plus one ones row per layer)
        starts = np.concatenate([[0], np.cumsum(ws)]).astype(int)
        self.unit_rows = U = K * int(starts[-1])
        # the flat buffer's parts (see the module docstring): where each starts
        # (np.zeros: pages are zeroed lazily, so a big run starts at once and can stop at once)
        self.offsets = off = {"dx": 0, "dh": K * n_in, "h": K * n_in + U, "df": K * n_in + 2 * U + K * D, "lc": K * n_in + 3 * U + K * D}
        self.flat = np.zeros((off["lc"] + 2 * K, rows), dt)
        self.Zf = np.zeros((U, rows), dt)  # pre-activations z
        self.DXf, self.DHf, self.Hf, self.DFf = (self.flat[off[a] : off[b]] for a, b in (("dx", "dh"), ("dh", "h"), ("h", "df"), ("df", "lc")))
        self.DX = self.DXf.reshape(K, n_in, rows)
        block = lambda buf, lo, w: buf[lo : lo + K * w].reshape(K, w, rows)
        self.Zs = [block(self.Zf, K * int(starts[j]), w) for j, w in enumerate(ws)]
        self.DFs = [block(self.DFf, K * int(starts[j]), w) for j, w in enumerate(ws)]
        self.DHs = [block(self.DHf, K * int(starts[j]), w) for j, w in enumerate(ws)]
        self.Haugs = [block(self.Hf, K * (int(starts[j]) + j), w + 1) for j, w in enumerate(ws)]
        self.Hs = [ha[:, :-1] for ha in self.Haugs]
        for ha in self.Haugs:
            ha[:, -1] = 1.0
        # each (layer, variant) block's first unit row in the per-unit buffers (segment sums)
        self.seg_starts = np.array([K * int(starts[j]) + k * w for j, w in enumerate(ws) for k in range(K)], dtype=np.intp)
        self.seg_starts_h = np.array([K * (int(starts[j]) + j) + k * (w + 1) for j, w in enumerate(ws) for k in range(K)], dtype=np.intp)
        self.seg_widths = np.array([w for w in ws for _ in range(K)], dtype=float).reshape(D, K)
        if arch.uniform:  # the same memory as (depth, K, width, rows) arrays
            W = arch.width
            self.Z = self.Zf.reshape(D, K, W, rows)
            self.DF = self.DFf.reshape(D, K, W, rows)
            self.DH = self.DHf.reshape(D, K, W, rows)
            self.Haug = self.Hf.reshape(D, K, W + 1, rows)
            self.H = self.Haug[:, :, :W]
        self.S = np.zeros((K, C, rows), dt)  # outputs
        self.T = np.zeros((K, C, rows), dt)  # scratch, then ∂L/∂s
        self.M = np.zeros((K, 1, rows), dt)  # multiclass: max logit, then Σ e^{s − max}
        # per-input losses and 1 where classified correctly: LC[:, 0] = ℓ, LC[:, 1] = correct
        self.LC = self.flat[off["lc"] :].reshape(K, 2, rows)
        self.L, self.C = self.LC[:, 0:1], self.LC[:, 1:2]
        # f' ≥ 0 everywhere: the dead-unit test sums f' rather than |f'|
        self.nonneg_df = all(g.act.nonnegative_derivative for g in self.groups)
        # ReLU everywhere: f'(z) = 1[z > 0], and passes that keep nothing for statistics can
        # compute h and δ in place (less memory traffic)
        self.relu_only = all(g.act.step_derivative and g.stochastic is None for g in self.groups)
        # per layer: each group with its parameters (learned ones are views, so this stays current);
        # a single group covering every variant takes whole buffers instead of slices
        whole = slice(None) if len(self.groups) == 1 else None
        self.plan = [[(g, whole or g.sl, g.params(self.learned, layer)) for g in self.groups] for layer in range(arch.depth)]
        self._eval_bufs: dict[int, list[tuple[Array, Array]]] = {}
        self._views: dict[int, list[tuple[Array, ...]]] = {}
        self._passes: dict[int, PassViews] = {}
        self._losses: dict[tuple[int, int], tuple[Array, ...]] = {}
        self.zero = np.zeros((), dt)  # 0 as an array of the buffers' type (a little faster than the float)
        self.hooks = Hooks()  # tick (see above) and the forward pass's noise, as a pass's steps read them
        # The first layer's input x̂ is the same for every variant, so with K > 1 its product is one
        # (K·w₁ × (n_in + 1)) @ ((n_in + 1) × n) product instead of K small ones (and its weight gradient
        # one (K·w₁ × n) @ (n × (n_in + 1))): the stacked weights go through these scratch copies.
        self.fuse_first = K > 1
        self.W0 = np.empty((K, ws[0], n_in + 1), dt)
        self.gW0 = np.empty_like(self.W0)

    def _layer_views(self, flat: Array) -> list[Array]:
        K = flat.shape[0]
        return [flat[:, s].reshape(K, fo, fi + 1) for s, (fi, fo) in zip(self.layout.layer_slices, self.arch.shapes)]

    def _learned_views(self, flat: Array, name: str) -> list[Array]:
        slots = [self.layout.learned_slot(name, layer) for layer in range(self.arch.depth)]
        return [flat[:, s : s + 1].reshape(-1, 1, 1) for s in slots]

    def views(self, n: int) -> list[tuple[Array, ...]]:
        """Per layer, the first n columns of z, h, f'(z), ∂L/∂h, ĥ and ĥᵀ (cached: passes reuse them)."""
        if n not in self._views:
            self._views[n] = [
                (z, h, df, dh, ha, ha.transpose(0, 2, 1))
                for z, h, df, dh, ha in zip(*([b[..., :n] for b in bufs] for bufs in (self.Zs, self.Hs, self.DFs, self.DHs, self.Haugs)))
            ]
        return self._views[n]

    def _pass(self, n: int) -> PassViews:
        """Everything a pass over n inputs touches, as views made once."""
        ps = self._passes.get(n)
        if ps is None:
            ps = self._passes[n] = PassViews(self, n)
        return ps

    # ----------------------------------------------------------------- passes

    def _first_layer(self, xT: Array, z: Array, z2: Array | None = None) -> None:
        """z = [Wᵀ₀ | b₀] x̂ᵀ for every variant (z2: z as K·w₁ rows, when it can be)."""
        if self.fuse_first:
            copyto(self.W0, self.W[0])
            K, H, n = z.shape
            np.matmul(self.W0.reshape(K * H, -1), xT, out=z.reshape(K * H, n) if z2 is None else z2)
        else:
            np.matmul(self.W[0], xT, out=z)

    def forward(self, xT: Array, rng: np.random.Generator | None = None, need_df: bool = True, keep: bool = True) -> Array:
        """Fill z, h, f'(z) for the n inputs x̂ᵀ (n_in + 1, n) and return the outputs (K, n_out, n).

        With ``rng``, stochastic activations draw a training sample; without, they use
        their deterministic (mean / evaluation-mode) curve. (``keep`` is accepted for
        symmetry with :meth:`backward`; z is always kept.)
        """
        ps = self._pass(xT.shape[1])
        mm, W, _, into = ps.fwd[0][0]
        if self.fuse_first:
            self._first_layer(xT, ps.fwd[0][1], ps.z0)
        else:
            mm(W, xT, into)
        self.hooks.rng = rng
        for fn, args, kw in ps.forward_steps(need_df, rng is not None, self.tick is not None):
            fn(*args, **kw)
        return ps.s

    @property
    def tick(self) -> Callable[[], None] | None:
        return self.hooks.tick

    @tick.setter
    def tick(self, fn: Callable[[], None] | None) -> None:
        self.hooks.tick = fn

    def eval_layers(self, xT: Array, keep: bool = False) -> tuple[Array, list[Array]]:
        """Evaluation-mode outputs (K, n_out, n) for any inputs x̂ᵀ, without touching the
        training buffers; with ``keep`` also each layer's activations h (K, w_l, n) (copies)."""
        n = xT.shape[1]
        if n not in self._eval_bufs:
            self._eval_bufs[n] = [(np.empty((self.K, w, n), self.dtype), np.ones((self.K, w + 1, n), self.dtype)) for w in self.arch.widths]
        prev: Array = xT
        kept = []
        for layer, (z, ha) in enumerate(self._eval_bufs[n]):
            if layer == 0:
                self._first_layer(xT, z)
            else:
                np.matmul(self.W[layer], prev, out=z)
            h = ha[:, :-1]
            for g, sl, p in self.plan[layer]:
                g.apply(z[sl], h[sl], None, p, None)
            if keep:
                kept.append(h.copy())
            prev = ha
            if self.tick is not None:
                self.tick()
        return np.matmul(self.W[-1], prev), kept

    def logits(self, xT: Array) -> Array:
        """Evaluation-mode outputs (K, n_out, n) for any inputs x̂ᵀ, without touching the training buffers."""
        return self.eval_layers(xT)[0]

    def loss_grad(self, target: Array, grad_scale: Array, want_loss: bool = True) -> tuple[Array, Array] | None:
        """The loss on the outputs of the last forward pass over target.shape[-1] inputs.

        ``target``: binary −(2y − 1) (1, 1, rows); multiclass one-hot(y) (1, C, rows);
        regression y (1, 1, rows) (the outputs' shape but K: same-shape operands when K = 1,
        which numpy multiplies faster than broadcast ones). ``grad_scale`` (1, 1, n) weighs each of the first n inputs'
        ∂ℓ/∂s into ∂L/∂s, left in T: binary −(2y − 1)/n (its sign folded in), otherwise 1/n;
        it covers either the first n inputs (the rest get 0: evaluation only) or all of them
        (then it is 0 on the evaluation-only ones).

        binary: with m = sign·s, ℓ = log(1 + e^{−m}) (= −log σ(m), as logaddexp(0, −m): finite
        for any finite m) and ∂L/∂s = grad_scale·σ(−m). multiclass: ℓ = m + log Σ e^{s − m} − s_y
        with m = max s, and ∂L/∂s = grad_scale·(softmax(s) − onehot). regression: ℓ = (s − y)²,
        ∂L/∂s = grad_scale·2(s − y). With ``want_loss`` returns (ℓ, correct) per input, each
        (K, 1, inputs), correct as 0/1 (0 for regression) — views of LC.
        """
        rows, n = target.shape[-1], grad_scale.shape[-1]
        key = (rows, n)
        v = self._losses.get(key)
        if v is None:
            v = self._losses[key] = (self.S[:, :, :rows], self.T[:, :, :rows], self.T[:, :, :n], self.L[:, :, :rows], self.C[:, :, :rows], self.M[:, :, :rows], self.T[:, :, n:rows])
        s, t, td, ell, correct, m, rest = v
        out = None
        if self.loss == "binary":
            np.multiply(s, target, out=t)  # −m
            if want_loss:
                np.logaddexp(self.zero, t, out=ell)  # (0 as an array: ~2 µs faster than the float)
                np.less(t, self.zero, out=correct)
                out = (ell, correct)
            sc.expit(td, out=td)
            td *= grad_scale
        elif self.loss == "regression":
            np.subtract(s, target, out=t)  # s − y
            if want_loss:
                np.multiply(t, t, out=ell)
                correct[...] = 0.0
                out = (ell, correct)
            td *= grad_scale
            td *= 2.0
        else:
            np.max(s, axis=1, keepdims=True, out=m)
            np.subtract(s, m, out=t)
            np.exp(t, out=t)
            if want_loss:
                sy = np.einsum("kcn,cn->kn", s, target[0])[:, None]  # s_y
                np.greater_equal(sy, m, out=correct)
                np.add.reduce(t, axis=1, keepdims=True, out=ell)
                np.log(ell, out=ell)
                ell += m
                ell -= sy
                out = (ell, correct)
            np.add.reduce(t, axis=1, keepdims=True, out=m)  # Σ e^{s − max}
            t /= m
            t -= target
            td *= grad_scale
        if rows > n:
            rest[...] = 0.0
        return out

    def backward(self, xT: Array, input_grad: bool = False, keep: bool = True) -> Array | None:
        """Gradients of the loss into ``grad`` (all weights, biases and learned parameters)
        from the last forward pass over x̂ᵀ and ∂L/∂s in T (zero for evaluation-only inputs,
        which then add nothing); f'(z) in DF becomes δ. With ``input_grad`` returns
        ∂L/∂x̂ᵀ without the ones row (K, n_in, n), a view of DX. Without ``keep``, a ReLU
        network may overwrite ∂L/∂h with δ."""
        ps = self._pass(xT.shape[1])
        over_dh = not keep and self.relu_only
        for fn, args, kw in ps.backward_steps(over_dh, self.tick is not None):
            fn(*args, **kw)
        if self.fuse_first:  # one product for all variants (see _first_layer)
            np.matmul(ps.dh0 if over_dh else ps.df0, xT.T, out=ps.gW0)
            copyto(self.gW[0], self.gW0)
        else:
            mm, a, _, gW = ps.bwd[0][3][over_dh][0]
            mm(a, xT.T, gW)
        if self.tick is not None:
            self.tick()
        if input_grad:
            mm, a, b, into = ps.dx_of[over_dh]
            mm(a, b, into)
            return ps.dx
        return None


def augment(x: Array, dtype: np.dtype | type = np.float64) -> Array:
    """Inputs (n, n_in) as the (n_in + 1, n) columns x̂ᵀ = [xᵀ; 1] the network takes."""
    out = np.ones((x.shape[1] + 1, x.shape[0]), dtype)
    out[:-1] = x.T
    return out
