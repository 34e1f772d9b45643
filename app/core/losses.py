"""The three losses' targets, and their per-input values computed apart from the network's buffers.

See :meth:`app.core.network.StackedMLP.loss_grad` for the formulas (binary cross-entropy on
one logit, softmax cross-entropy on C logits, squared error).
"""

from __future__ import annotations

import numpy as np
from scipy import special as sc

Array = np.ndarray


def targets(task: str, y: Array, classes: int, dt: np.dtype) -> Array:
    """What the loss compares the outputs with, per input (see StackedMLP.loss_grad)."""
    if task == "binary":
        return (1.0 - 2.0 * y).astype(dt).reshape(1, 1, -1)
    if task == "multiclass":
        return (np.arange(classes)[:, None] == y[None, :]).astype(dt)[None]
    return y.astype(dt).reshape(1, 1, -1)


def task_losses(loss: str, s: Array, target: Array) -> tuple[Array, Array]:
    """Per-input loss and correct (0/1; 0 for regression), each (K, 1, m), of outputs s
    (K, n_out, m) against targets as :meth:`StackedMLP.loss_grad` takes them (no buffers touched)."""
    if loss == "binary":
        neg_margin = s * target
        return np.logaddexp(0.0, neg_margin), (neg_margin < 0.0).astype(s.dtype)
    if loss == "regression":
        r = s - target
        return r * r, np.zeros_like(r)
    m = s.max(axis=1, keepdims=True)
    sy = np.einsum("kcn,cn->kn", s, target[0])[:, None]
    ell = np.log(np.add.reduce(np.exp(s - m), axis=1, keepdims=True)) + m - sy
    return ell, (sy >= m).astype(s.dtype)


def shown(task: str, out: Array, rows: int, cols: int) -> Array:
    """What the boundary plot shows from outputs (K, n_out, rows·cols): P(class 1) (K, rows,
    cols), P(class) per class (K, C, rows, cols), or the prediction (K, rows, cols)."""
    out = out.astype(np.float64)
    K = out.shape[0]
    if task == "binary":
        return sc.expit(out[:, 0]).reshape(K, rows, cols)
    if task == "multiclass":
        return sc.softmax(out, axis=1).reshape(K, out.shape[1], rows, cols)
    return out[:, 0].reshape(K, rows, cols)
