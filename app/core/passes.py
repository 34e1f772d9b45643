"""The views of a :class:`~app.core.network.StackedMLP`'s buffers that one pass uses, made once
per number of input columns (a pass then only indexes a list: no slicing, no reshaping)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .network import StackedMLP


class PassViews:
    """The views of a :class:`StackedMLP`'s buffers that a pass over its first n inputs uses."""

    def __init__(self, net: StackedMLP, n: int):
        K = net.K
        views = net.views(n)
        self.s, self.t, self.dx = net.S[:, :, :n], net.T[:, :, :n], net.DX[:, :, :n]
        # the first layer's blocks as K·w₁ rows (see _first_layer): views, as the blocks are whole
        two = lambda a: a.reshape(K * a.shape[1], n, copy=False) if net.fuse_first else None
        self.z0, self.df0, self.dh0 = (two(views[0][i]) for i in (0, 2, 3))
        self.gW0 = net.gW0.reshape(K * net.gW0.shape[1], -1)
        self.fwd: list[tuple] = []  # per layer: [Wᵀ | b], z, h, ĥ, and each group's slices
        self.bwd: list[tuple] = []  # per layer: f'(z), ∂L/∂h, ĥᵀ below, ∂L/∂[Wᵀ | b], W, ∂L/∂h below, learned
        for layer, (z, h, df, dh, ha, _) in enumerate(views):
            self.fwd.append((net.W[layer], z, h, ha, [(g, z[sl], h[sl], df[sl], p) for g, sl, p in net.plan[layer]]))
            learned = [(g.act.param_grads[name], z[sl], dh[sl], p, net.g_learned[name][layer][sl]) for g, sl, p in net.plan[layer] for name in g.learned]
            below = views[layer - 1] if layer else (None,) * 6
            self.bwd.append((df, dh, below[5], net.gW[layer], net.WT[layer], below[3], learned))
        self.last_dh, self.last_haT = views[-1][3], views[-1][5]  # for the output layer
        # f'(z) of all layers at once (a ReLU network's forward pass fills it in one call)
        self.z_all, self.df_all = net.Zf[:, :n], net.DFf[:, :n]
        # equal widths: layers 1 … D−1's weight gradients δ_l ĥᵀ_{l−1} are one batched product
        # of (D−1, K, …) views, into θ's gradient seen as (D−1, K, w, w + 1)
        self.gW_stack = self.df_stack = self.dh_stack = self.haT_stack = None
        D = net.arch.depth
        if net.arch.uniform and D > 1:
            w, sl = net.arch.width, net.layout.layer_slices
            self.gW_stack = net.grad[:, sl[1].start : sl[D - 1].stop].reshape(K, D - 1, w, w + 1).transpose(1, 0, 2, 3)
            self.df_stack, self.dh_stack = net.DF[1:, :, :, :n], net.DH[1:, :, :, :n]
            self.haT_stack = net.Haug[:-1, :, :, :n].transpose(0, 1, 3, 2)
