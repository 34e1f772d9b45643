"""The optimisers, on the whole (K, P) parameter buffer of K stacked networks, as PyTorch does them."""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
OPTIMIZER_LABELS: dict[str, str] = {"adam": "Adam", "sgd": "SGD"}
# PyTorch's Adam defaults.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class Optimizer:
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

    def snapshot(self) -> tuple:
        """Everything a step changes, to go back to (see :meth:`restore`)."""
        return (self.theta.copy(), self.m.copy(), None if self.v is None else self.v.copy(), self.step, self.lr.copy(), self.momentum.copy(), self.lr_scalar)

    def restore(self, snap: tuple) -> None:
        theta, m, v, self.step, lr, momentum, self.lr_scalar = snap
        self.theta[:], self.m[:], self.lr[:], self.momentum[:] = theta, m, lr, momentum
        if v is not None and self.v is not None:
            self.v[:] = v

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
