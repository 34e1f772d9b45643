"""The network's diagram at a run's last frame: what each unit computes, and its numbers.

For every variant: each input feature and hidden unit drawn as its output over a coarse
``unit_grid``² grid of the plane (the same box as the boundary plot), the output as the
boundary plot shows it; per hidden unit, averaged over the training inputs in evaluation
mode, z = w·a + b, φ(z), φ′(z), whether it is dead (Σ|φ′| < DEAD_EPS), and the
back-propagated gradient Σ_n ∂L/∂z_n (= ∂L/∂b, the gradient of the mean loss with respect
to the unit's bias); the weights and their gradients ∂L/∂w (of the data term). With a
probe point (x₁, x₂, target), the same numbers for that one input: its z, φ(z), φ′(z) and
∂ℓ/∂z (the gradient of that input's own loss). Every number comes from the engine's own
passes (:class:`app.core.network.StackedMLP`), so the page shows what the API computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .datasets import featurize
from .network import StackedMLP, augment
from .recording import DEAD_EPS, Recorder, boundary_grid

Array = np.ndarray
DECIMALS = 4  # heatmap values are rounded (keeps the JSON small)


@dataclass
class UnitNumbers:
    """Per hidden layer, (K, w_l) arrays."""

    z: list[Array]
    h: list[Array]
    df: list[Array]
    grad: list[Array]


@dataclass
class Diagram:
    grid_x: Array  # (g,)
    grid_y: Array
    inputs: Array  # (features, g, g)
    units: list[Array]  # per hidden layer (K, w_l, g, g)
    output: Array  # (K, g, g), or (K, C, g, g) for several classes
    mean: UnitNumbers  # over the training inputs (grad: summed, = ∂L/∂b)
    dead: list[Array]  # per hidden layer (K, w_l) bool
    theta: Array  # (K, P)
    grad_theta: Array  # (K, P): ∂L/∂θ of the data term at this frame
    probe: dict[str, Any] | None = None  # {"x", "target", "numbers": UnitNumbers, "output": (K, n_out), "loss": (K,)}


def forward_means(net: StackedMLP, rec: Recorder) -> tuple[list[Array], ...]:
    """Right after a frame's forward pass: per-unit means of z, φ(z), φ′(z) over the training inputs, and dead flags."""
    n = rec.n
    z = [a[:, :, :n].mean(axis=2) for a in net.Zs]
    h = [a[:, :, :n].mean(axis=2) for a in net.Hs]
    df = [a[:, :, :n].mean(axis=2) for a in net.DFs]
    dead = [np.abs(a[:, :, :n]).sum(axis=2) < DEAD_EPS for a in net.DFs]
    return z, h, df, dead


def backward_means(net: StackedMLP, rec: Recorder, fwd: tuple[list[Array], ...]) -> tuple[UnitNumbers, list[Array], Array]:
    """After the frame's backward pass (δ in DF): the unit numbers, dead flags and ∂L/∂θ."""
    z, h, df, dead = fwd
    grad = [a[:, :, : rec.n].sum(axis=2) for a in net.DFs]
    return UnitNumbers(z, h, df, grad), dead, net.grad.copy()


def probe(net: StackedMLP, x: tuple[float, float], target: float, features: tuple[str, ...], tgt_of: Callable[[Array], Array]) -> dict[str, Any]:
    """One input's numbers through a one-column copy of ``net`` (evaluation mode)."""
    one = StackedMLP(net.arch, net.variants, 1, net.dtype, loss=net.loss)
    one.theta[:] = net.theta
    xT = augment(featurize(np.array([x], dtype=net.dtype), features), net.dtype)
    tgt = tgt_of(np.array([target]))
    out = one.forward(xT).copy()
    scale = tgt if net.loss == "binary" else np.ones((1, 1, 1), net.dtype)
    ell, _ = one.loss_grad(tgt, scale)
    loss = ell[:, 0, 0].copy()
    z = [a[:, :, 0].copy() for a in one.Zs]
    h = [a[:, :, 0].copy() for a in one.Hs]
    df = [a[:, :, 0].copy() for a in one.DFs]
    one.backward(xT)
    grad = [a[:, :, 0].copy() for a in one.DFs]
    return {"x": list(x), "target": target, "numbers": UnitNumbers(z, h, df, grad), "output": out[:, :, 0], "loss": loss}


def build(net: StackedMLP, data: Any, config: Any, means: tuple[UnitNumbers, list[Array], Array], output_of: Callable[[Array, int, int], Array], tgt_of: Callable[[Array], Array]) -> Diagram:
    numbers, dead, grad_theta = means
    g = max(config.unit_grid, 2)
    gx, gy, pts = boundary_grid(data, g, config.data.plane)
    feats = featurize(pts.astype(net.dtype), config.features)
    out, hs = net.eval_layers(augment(feats, net.dtype), keep=True)
    K = net.K
    units = [np.round(h.astype(np.float64).reshape(K, h.shape[1], g, g), DECIMALS) for h in hs]
    diagram = Diagram(
        grid_x=gx, grid_y=gy,
        inputs=np.round(feats.T.astype(np.float64).reshape(-1, g, g), DECIMALS),
        units=units, output=output_of(out, g, g), mean=numbers, dead=dead,
        theta=net.theta.copy(), grad_theta=grad_theta,
    )
    if config.probe is not None:
        x1, x2, target = config.probe
        diagram.probe = probe(net, (x1, x2), target, config.features, tgt_of)
    return diagram
