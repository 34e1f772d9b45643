"""The views of a :class:`~app.core.network.StackedMLP`'s buffers that one pass uses, made once
per number of input columns, and the pass itself as a list of steps over them (a pass then
runs the list: no slicing, no reshaping, no Python deciding between the calls)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import ActivationGroup, StackedMLP

Array = np.ndarray
Product = tuple[Callable, Array, Array | None, Array]

# np.dot and np.copyto without their __array_function__ dispatch (a Python call that collects the
# arguments to look for overrides, which plain ndarrays never have): 0.2–0.9 µs less per call.
dot = getattr(np.dot, "_implementation", np.dot)
copyto = getattr(np.copyto, "_implementation", np.copyto)


def product(a: np.ndarray, b: np.ndarray | None, out: np.ndarray) -> Product:
    """out = a @ b, of (K, …) stacks, as ``fn(a, b, out)`` (b None: given at the call).

    For a single variant (K = 1) with a C-contiguous ``out`` (which ``np.dot`` needs), the
    2-D matrices go to ``np.dot``: a BLAS product as in a batched ``np.matmul`` (the last bits
    may differ where BLAS picks another kernel), with ~0.4 µs less overhead per call, and for
    an outer product 1 µs instead of a 3 µs broadcast."""
    if a.shape[0] == 1 and out.shape[0] == 1 and out[0].flags.c_contiguous and (b is None or b.shape[0] == 1):
        return dot, a[0], None if b is None else b[0], out[0]
    return np.matmul, a, b, out


# one call of a pass: fn(*args, **kw)
Step = tuple[Callable, tuple, dict]
NO_KW: dict = {}


class Hooks:
    """What a pass's steps read when they run: the engine's stop check (``tick``) and the noise's
    generator (``rng``), set by the network. (The steps hold this, not the network: no cycle
    keeps a network's buffers alive after its run.)"""

    __slots__ = ("tick", "rng")

    def __init__(self) -> None:
        self.tick: Callable[[], None] | None = None
        self.rng: np.random.Generator | None = None

    def tick_now(self) -> None:
        if self.tick is not None:
            self.tick()

    def apply_sampled(self, g: ActivationGroup, z: Array, h: Array, df: Array | None, p: dict) -> None:
        """Group g's activation of z, drawing its noise from ``rng``."""
        g.apply(z, h, df, p, self.rng)


def _apply_mean(g: ActivationGroup, z: Array, h: Array, df: Array | None, p: dict) -> None:
    """Group g's activation of z (a stochastic one: its mean curve)."""
    g.apply(z, h, df, p, None)


def _learned_grad(fn: Callable, z: Array, dh: Array, p: dict, into: Array) -> None:
    """∂L/∂(a learned parameter) of one group's layer: Σ over units and inputs of ∂L/∂h ⊙ ∂h/∂param."""
    into[...] = np.einsum("kwn,kwn->k", dh, fn(z, **p)).reshape(-1, 1, 1)


class PassViews:
    """The views of a :class:`StackedMLP`'s buffers that a pass over its first n inputs uses,
    and each pass as its steps, but the calls that take the pass's inputs x̂ᵀ (made once per
    kind of pass, then reused)."""

    def __init__(self, net: StackedMLP, n: int):
        K = net.K
        self.hooks, self.relu, self.zero, self.depth = net.hooks, net.relu_only, net.zero, net.arch.depth
        self._steps: dict[tuple, list[Step]] = {}
        views = net.views(n)
        self.s, self.t, self.dx = net.S[:, :, :n], net.T[:, :, :n], net.DX[:, :, :n]
        # the first layer's blocks as K·w₁ rows (see _first_layer): views, as the blocks are whole
        two = lambda a: a.reshape(K * a.shape[1], n, copy=False) if net.fuse_first else None
        self.z0, self.df0, self.dh0 = (two(views[0][i]) for i in (0, 2, 3))
        self.gW0 = net.gW0.reshape(K * net.gW0.shape[1], -1)
        self.fwd: list[tuple] = []  # per layer: z = [Wᵀ | b] ĥ below (a product), z, h, ĥ, and each group's slices
        self.bwd: list[tuple] = []  # per layer: f'(z), ∂L/∂h, learned, and by what δ overwrites (f' or ∂L/∂h): its products
        for layer, (z, h, df, dh, ha, _) in enumerate(views):
            below = views[layer - 1] if layer else None
            self.fwd.append((product(net.W[layer], below[4] if below else None, z), z, h, ha, [(g, z[sl], h[sl], df[sl], p) for g, sl, p in net.plan[layer]]))
            learned = [(g.act.param_grads[name], z[sl], dh[sl], p, net.g_learned[name][layer][sl]) for g, sl, p in net.plan[layer] for name in g.learned]
            # per δ buffer: ∂L/∂[Wᵀ | b] = δ ĥᵀ below (layer 0: ĥᵀ = x̂ᵀᵀ, given at the call), ∂L/∂h below = W δ
            prods = {
                over: (product(delta, below[5] if below else None, net.gW[layer]), product(net.WT[layer], delta, below[3]) if below else None)
                for over, delta in ((False, df), (True, dh))
            }
            self.bwd.append((df, dh, learned, prods))
        # the output layer: s = [Wᵀ | b] ĥ_D; ∂L/∂[Wᵀ | b] = (∂L/∂s) ĥᵀ_D; ∂L/∂h_D = W (∂L/∂s)
        self.out = product(net.W[-1], views[-1][4], self.s)
        self.g_out = product(self.t, views[-1][5], net.gW[-1])
        self.dh_out = product(net.WT[-1], self.t, views[-1][3])
        if self.dh_out[0] is np.matmul and net.arch.n_out == 1:  # an outer product: faster as a broadcast
            self.dh_out = (np.multiply, *self.dh_out[1:])
        # ∂L/∂x̂ (without the ones row) = W₀ δ₀
        self.dx_of = {over: product(net.WT[0], delta, self.dx) for over, delta in ((False, views[0][2]), (True, views[0][3]))}
        # f'(z) of all layers at once (a ReLU network's forward pass fills it in one call)
        self.z_all, self.df_all = net.Zf[:, :n], net.DFf[:, :n]
        # equal widths: layers 1 … D−1's weight gradients δ_l ĥᵀ_{l−1} are one batched product
        # of (D−1, K, …) views, into θ's gradient seen as (D−1, K, w, w + 1) — for K > 1 (a single
        # variant's D − 1 products go to np.dot, which together cost less than the batched one)
        self.gW_stack = self.df_stack = self.dh_stack = self.haT_stack = None
        D = net.arch.depth
        if net.arch.uniform and D > 1 and K > 1:
            w, sl = net.arch.width, net.layout.layer_slices
            self.gW_stack = net.grad[:, sl[1].start : sl[D - 1].stop].reshape(K, D - 1, w, w + 1).transpose(1, 0, 2, 3)
            self.df_stack, self.dh_stack = net.DF[1:, :, :, :n], net.DH[1:, :, :, :n]
            self.haT_stack = net.Haug[:-1, :, :, :n].transpose(0, 1, 3, 2)

    def forward_steps(self, need_df: bool, sample: bool, ticking: bool) -> list[Step]:
        """The forward pass after the first layer's product: each layer's activation (and
        f'(z) unless not ``need_df``; with ``sample``, stochastic ones draw from the hooks'
        ``rng``), the next layer's product, a tick after each layer."""
        key = ("forward", need_df, sample, ticking)
        steps = self._steps.get(key)
        if steps is None:
            relu, zero, hooks = self.relu, self.zero, self.hooks
            steps = []
            for layer, (prod, z, h, _, groups) in enumerate(self.fwd):
                if layer:
                    steps.append((prod[0], prod[1:], NO_KW))
                if relu:
                    steps.append((np.maximum, (z, zero), {"out": h}))  # (a positional out: deprecated, slower)
                else:
                    apply = hooks.apply_sampled if sample else _apply_mean
                    steps += [(apply, (g, zg, hg, dfg if need_df else None, p), NO_KW) for g, zg, hg, dfg, p in groups]
                if ticking:
                    steps.append((hooks.tick_now, (), NO_KW))
            if relu and need_df:  # f'(z) = 1[z > 0] of every layer in one call
                steps.append((np.greater, (self.z_all, zero, self.df_all), NO_KW))
            steps.append((self.out[0], self.out[1:], NO_KW))
            self._steps[key] = steps
        return steps

    def backward_steps(self, over_dh: bool, ticking: bool) -> list[Step]:
        """The backward pass but the first layer's weight gradient (which takes the inputs
        given at the call) and ∂L/∂x: per layer from the top δ = ∂L/∂h ⊙ f'(z) (in place of
        f'(z), or of ∂L/∂h when ``over_dh``), the learned parameters' gradients, the weight
        gradient and ∂L/∂h of the layer below; a tick after each layer but the first."""
        key = ("backward", over_dh, ticking)
        steps = self._steps.get(key)
        if steps is None:
            steps = [(self.g_out[0], self.g_out[1:], NO_KW), (self.dh_out[0], self.dh_out[1:], NO_KW)]
            for layer in range(self.depth - 1, -1, -1):
                df, dh, learned, prods = self.bwd[layer]
                steps.append((np.multiply, (dh, df, dh if over_dh else df), NO_KW))
                steps += [(_learned_grad, args, NO_KW) for args in learned]
                if layer:
                    gW, below = prods[over_dh]
                    if self.gW_stack is None:
                        steps.append((gW[0], gW[1:], NO_KW))
                    steps.append((below[0], below[1:], NO_KW))
                    if ticking:
                        steps.append((self.hooks.tick_now, (), NO_KW))
            if self.gW_stack is not None:  # the weight gradients of layers 1 … D−1 in one product
                steps.append((np.matmul, (self.dh_stack if over_dh else self.df_stack, self.haT_stack, self.gW_stack), NO_KW))
            self._steps[key] = steps
        return steps
