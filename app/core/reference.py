"""The training engine in one sitting: one network, plain numpy, the formulas the app uses.

The fast engine (:mod:`app.core.network`, :mod:`app.core.training`) stacks K networks, keeps
its buffers transposed and fuses work; this module computes the same numbers the plain way,
and the tests hold the fast engine to it on every activation and every knob. A network
F → w₁ → … → w_D → C with activation f, inputs X (n × F: the features of the points),
targets y:

Forward     h₀ = X,   z_l = h_{l−1} W_l + b_l,   h_l = f(z_l)   (l = 1 … D),
            s = h_D W_out + b_out                                  (C outputs per input)
Loss        binary (C = 1, y ∈ {0, 1}):  m = (2y − 1)·s,  ℓ = log(1 + e^{−m}),  ∂ℓ/∂s = −(2y − 1)·σ(−m)
            multiclass (y ∈ 0 … C−1):    ℓ = logsumexp(s) − s_y,          ∂ℓ/∂s = softmax(s) − onehot(y)
            regression (C = 1, y real):  ℓ = (s − y)²,                    ∂ℓ/∂s = 2(s − y)
            L = mean ℓ,  ∂L/∂s = ∂ℓ/∂s / n
Backward    ∂L/∂W_out = h_Dᵀ ∂L/∂s,   ∂L/∂b_out = Σ ∂L/∂s,   ∂L/∂h_D = ∂L/∂s W_outᵀ
            δ_l = ∂L/∂h_l ⊙ f′(z_l)
            ∂L/∂W_l = h_{l−1}ᵀ δ_l,   ∂L/∂b_l = Σ_n δ_l,   ∂L/∂h_{l−1} = δ_l W_lᵀ
            a learned parameter a_l of f (PReLU's slope):  ∂L/∂a_l = Σ ∂L/∂h_l ⊙ ∂f/∂a(z_l)
Penalty     l1·Σ|W| + ½·l2·ΣW² over the weight matrices (not biases): g_W += l1·sign(W) + l2·W
            before each step (the reported loss is L without it)
SGD         buf ← μ·buf + g (buf = g at the first step),   θ ← θ − lr·buf
Adam        m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,
            θ ← θ − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε)          (PyTorch's)

Stochastic activations (noisy ReLU, RReLU) draw a sample in training passes and use their
mean curve for evaluation. Mini-batches follow a fresh permutation of the training set each
epoch. The random streams are the fast engine's, so the same config gives the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special as sc

from . import activations as acts
from .datasets import featurize, make_dataset
from .network import Layout
from .optim import ADAM_BETAS, ADAM_EPS

Array = np.ndarray


def forward(params: dict[str, Any], act: acts.Activation, p: dict, X: Array, rng: np.random.Generator | None = None):
    """Logits (n,) and what backward needs: per layer (z, h, f′(z))."""
    h, cache = X, []
    for layer, (W, b) in enumerate(zip(params["W"][:-1], params["b"][:-1])):
        z = h @ W + b
        q = {**p, **{k: v[layer] for k, v in params["learned"].items()}}
        if rng is not None and act.stochastic is not None:  # a training sample, drawn in the fast engine's layout
            hT, dT = act.stochastic.sample(z.T, rng, **q)
            h, df = hT.T, dT.T
        else:
            h, df = act.f(z, **q), act.df(z, **q)
        cache.append((z, h, df, q))
    return h @ params["W"][-1] + params["b"][-1], cache


def loss_and_ds(s: Array, y: Array, task: str) -> tuple[float, Array]:
    """The mean loss of outputs s (n × C) and ∂L/∂s."""
    n = len(s)
    if task == "binary":
        sign = 2.0 * y - 1.0
        m = sign * s[:, 0]
        return float(np.mean(np.logaddexp(0.0, -m))), (-sign * sc.expit(-m) / n)[:, None]
    if task == "regression":
        r = s[:, 0] - y
        return float(np.mean(r * r)), (2.0 * r / n)[:, None]
    onehot = np.arange(s.shape[1])[None, :] == y.astype(int)[:, None]
    lse = sc.logsumexp(s, axis=1)
    return float(np.mean(lse - s[onehot])), (sc.softmax(s, axis=1) - onehot) / n


def loss_and_grads(params: dict[str, Any], act: acts.Activation, p: dict, X: Array, y: Array, rng=None, task: str = "binary") -> tuple[float, dict[str, Any]]:
    s, cache = forward(params, act, p, X, rng)
    loss, ds = loss_and_ds(s, y, task)
    gW, gb, glearned = [None] * len(params["W"]), [None] * len(params["b"]), {k: np.zeros_like(v) for k, v in params["learned"].items()}
    h_last = cache[-1][1] if cache else X
    gW[-1], gb[-1] = h_last.T @ ds, ds.sum(axis=0)
    dh = ds @ params["W"][-1].T
    for layer in range(len(cache) - 1, -1, -1):
        z, _, df, q = cache[layer]
        for name in glearned:
            glearned[name][layer] = np.sum(dh * act.param_grads[name](z, **q))
        delta = dh * df
        h_prev = cache[layer - 1][1] if layer else X
        gW[layer], gb[layer] = h_prev.T @ delta, delta.sum(axis=0)
        dh = delta @ params["W"][layer].T
    return loss, {"W": gW, "b": gb, "learned": glearned}


def train(config, theta0: Array) -> dict[str, Any]:
    """Train ``config``'s single variant from the fast engine's initial parameters ``theta0``
    (P,); the training loss before each epoch's update, the test loss alongside, and the
    final parameters as {"W", "b", "learned"}."""
    (variant,) = config.variants
    act = acts.get(variant.activation)
    p = acts.resolve_params(act, variant.params)
    learned = {name: p.pop(name) for name in act.param_grads}
    layout = Layout(config.network, tuple(learned))
    params = {**layout.unpack(theta0), "learned": {k: np.array([theta0[layout.learned_slot(k, i)] for i in range(config.arch.depth)]) for k in learned}}
    data = make_dataset(config.data)
    task = data.task
    X, y, Xt, yt = featurize(data.x_train, config.features), data.y_train.astype(float), featurize(data.x_test, config.features), data.y_test.astype(float)
    n = len(X)
    batch = n if config.batch_size <= 0 or config.batch_size >= n else config.batch_size
    rng = np.random.default_rng((config.seed, 2))
    lr = variant.learning_rate if variant.learning_rate is not None else config.learning_rate
    mu = variant.momentum if variant.momentum is not None else config.momentum
    flat = lambda g: [*g["W"], *g["b"], *g["learned"].values()]
    state = [dict(m=np.zeros_like(a), v=np.zeros_like(a)) for a in flat(params)]
    losses, test_losses, step = [], [], 0
    for epoch in range(config.epochs + 1):
        losses.append(loss_and_grads(params, act, p, X, y, task=task)[0])
        test_losses.append(loss_and_grads(params, act, p, Xt, yt, task=task)[0])
        if epoch == config.epochs:
            break
        order = rng.permutation(n) if batch < n else np.arange(n)
        for lo in range(0, n, batch):
            idx = order[lo : lo + batch]
            _, grads = loss_and_grads(params, act, p, X[idx], y[idx], rng if act.stochastic else None, task=task)
            for W, g in zip(params["W"], grads["W"]):
                if config.l1:
                    g += config.l1 * np.sign(W)
                if config.l2:
                    g += config.l2 * W
            step += 1
            for a, g, st in zip(flat(params), flat(grads), state):
                if config.optimizer == "adam":
                    b1, b2 = ADAM_BETAS
                    st["m"] = b1 * st["m"] + (1 - b1) * g
                    st["v"] = b2 * st["v"] + (1 - b2) * g * g
                    a -= lr * (st["m"] / (1 - b1**step)) / (np.sqrt(st["v"] / (1 - b2**step)) + ADAM_EPS)
                else:
                    st["m"] = mu * st["m"] + g if step > 1 else g.copy()
                    a -= lr * (st["m"] if mu else g)
    return {"loss": np.array(losses), "test_loss": np.array(test_losses), "params": params, "finite": all(math.isfinite(v) for v in losses)}
