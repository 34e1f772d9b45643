"""The optimisers, on the whole (K, P) parameter buffer of K stacked networks, as PyTorch does them."""

from __future__ import annotations

import math

import numpy as np

from .passes import copyto

Array = np.ndarray

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
OPTIMIZER_LABELS: dict[str, str] = {"adam": "Adam", "sgd": "SGD"}
# PyTorch's Adam defaults.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class Optimizer:
    """Adam or SGD (with momentum) on the whole (K, P) parameter buffer, as PyTorch does them;
    learning rate and momentum are (K, 1) so a sweep gives each variant its own.

    Adam keeps its two moments in one (2, K, P) buffer and the gradient with its square in
    another, so that both moments are updated by two whole-buffer operations. ``grad_pair``,
    when given, is that second buffer with ``grad`` as its first half (the network allocates
    its gradient so); otherwise the gradient is copied into one of the optimiser's own."""

    def __init__(self, kind: str, theta: Array, grad: Array, lr: Array, momentum: Array, grad_pair: Array | None = None):
        self.kind, self.theta, self.grad = kind, theta, grad
        self.lr, self.momentum = lr, momentum  # (K, 1)
        # one learning rate for every variant: a scalar (one array operation less per step)
        self.lr_scalar: float | None = float(lr[0, 0]) if bool(np.all(lr == lr[0, 0])) else None
        self.step = 0
        adam = kind == "adam"
        self.moments = np.zeros((2 if adam else 1, *theta.shape), theta.dtype)
        self.m = self.moments[0]
        self.v = self.moments[1] if adam else None
        self.t = np.empty_like(theta)
        self.use_momentum = bool(np.any(momentum != 0))
        if adam:
            own = grad_pair is None or grad_pair[0].shape != grad.shape or grad_pair[0].ctypes.data != grad.ctypes.data
            self.pair = np.zeros((2, *theta.shape), theta.dtype) if own else grad_pair
            self.copy_grad = own  # the gradient is copied into pair[0] at each step
            # [β₁; β₂] at the moments' full shape: a same-shape product skips numpy's broadcasting
            self.betas = np.empty_like(self.moments)
            self.betas[0], self.betas[1] = ADAM_BETAS
            self.scalars = (np.zeros((), theta.dtype), np.zeros((), theta.dtype))

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

    def update(self, squared: bool = False) -> None:
        """One step. ``squared``: the gradient's square is already in ``grad_pair[1]`` (Adam)."""
        self.step += 1
        g, t, m = self.grad, self.t, self.m
        if self.kind == "adam":
            b1, b2 = ADAM_BETAS
            # PyTorch's Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
            # θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
            # Kept here as m̃ = m/(1 − β₁) and ṽ = v/(1 − β₂) (the same numbers up to rounding,
            # fewer operations): [m̃; ṽ] ← [β₁; β₂]·[m̃; ṽ] + [g; g²], and with c = √((1 − β₂)/(1 − β₂ᵗ))
            # θ ← θ − lr(1 − β₁)/((1 − β₁ᵗ)c) · m̃ / (√ṽ + ε/c).
            pair = self.pair
            if self.copy_grad:
                copyto(pair[0], g)
            if not squared or self.copy_grad:
                np.multiply(g, g, out=pair[1])
            mv = self.moments
            mv *= self.betas
            mv += pair
            c = math.sqrt((1.0 - b2) / (1.0 - b2**self.step))
            eps, step = self.scalars  # the step's numbers as 0-d arrays (faster operands than floats)
            eps[()] = ADAM_EPS / c
            np.sqrt(self.v, out=t)
            t += eps
            np.divide(m, t, out=t)
            scale = -(1.0 - b1) / ((1.0 - b1**self.step) * c)
            if self.lr_scalar is not None:
                step[()] = scale * self.lr_scalar
                t *= step
            else:
                t *= self.lr * scale
            self.theta += t
        else:
            if self.use_momentum:  # buf ← μ·buf + g (the first step gives buf = g); θ ← θ − lr·buf
                m *= self.momentum
                m += g
                g = m
            np.multiply(g, self.lr_scalar if self.lr_scalar is not None else self.lr, out=t)
            self.theta -= t
