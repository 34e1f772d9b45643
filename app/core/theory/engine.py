"""The mean-field prediction for the training engine's own networks (app.core.network), set
next to what the engine measures at initialisation.

The engine's network is 2 → depth × width → 1 on a toy dataset. Its layers' σ_w² are
fan_in·Var(W) for the initialisation it uses (:func:`app.core.network.weight_variance`:
He 2, LeCun 1, Glorot 1 on the square hidden layers, uniform ±0.5 width/12, custom σ_w²);
the first layer's (fan_in 2) may differ, σ_w1². Biases are 0 (σ_b² = 0) except with the
custom init, N(bias_init, σ_b²). Mean-field theory assumes zero-mean biases, so with
bias_init ≠ 0 there is no prediction (``valid`` False, ``reason`` "bias_init").

What the engine records per layer is the gradient at the layer's input, ‖∂L/∂(input of
layer l)‖ over the training set (``grad_norm_input``): ∂L/∂x for layer 1, ∂L/∂h_{l−1} =
W_lᵀ δ_l after it, so in expectation σ_w(l)·‖δ_l‖ with δ_l = ∂L/∂z_l, whose ratios the
theory predicts (:func:`.meanfield.gradient_prediction_inputs`, each training input with its
own q_in = σ_w1²·‖x‖²/(2σ_w²), so that q₁ = σ_w1²‖x‖²/2 + σ_b²). Layer 1 adds
½·log₁₀(σ_w1²/σ_w²). Ratios are to the last layer (0 there).

Layer 1's ∂L/∂x has two components per input: a single draw scatters like a χ² with
two degrees of freedom (where the inputs' gradients are nearly parallel, as in the ordered
phase), so its median over draws sits up to log₁₀ √(ln 2) ≈ −0.08 decades below the
mean-field value; the hidden layers' gradients have `width` components and concentrate.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations as acts
from ..network import weight_variance
from ..training import TrainConfig
from ._json import num, nums
from .meanfield import gradient_prediction_inputs
from .quadrature import phi_from_activation

Array = np.ndarray

INPUT_QUANTILES = 33  # training inputs summarised by this many quantiles of their second moment
BAND = (0.1, 0.9)  # the spread over weight draws reported with the median
# the χ²₂ median factor of layer 1's two-component gradient, in decades (see the docstring)
LAYER1_MEDIAN_SHIFT = 0.5 * math.log10(math.log(2.0))


def engine_sigmas(config: TrainConfig) -> dict[str, float]:
    """σ_w² of the hidden (square) layers, σ_w1² of the first, and σ_b², for ``config``'s init."""
    arch, init = config.arch, config.init
    first = arch.n_in * weight_variance(init, arch.n_in, arch.width, config.sigma_w2)
    hidden = arch.width * weight_variance(init, arch.width, arch.width, config.sigma_w2) if arch.depth > 1 else first
    return {"sigma_w2": hidden, "first_layer_sigma_w2": first, "sigma_b2": config.sigma_b2 if init == "custom" else 0.0}


def input_moments(x: Array, ratio: float = 1.0) -> Array:
    """Each input's q_in = ratio·‖x‖²/dim, summarised by INPUT_QUANTILES quantiles (all of them if fewer)."""
    q = ratio * np.mean(np.asarray(x, dtype=float) ** 2, axis=1)
    if len(q) <= INPUT_QUANTILES:
        return np.sort(q)
    return np.quantile(q, (np.arange(INPUT_QUANTILES) + 0.5) / INPUT_QUANTILES)


def predict_gradients(config: TrainConfig, x_train: Array, variant: int = 0) -> dict:
    """The predicted log₁₀‖∂L/∂(input of layer l)‖ − log₁₀ of the last layer's, l = 1..depth,
    for ``config``'s network (its ``variant``-th activation) on these training inputs."""
    v = config.variants[variant]
    phi = phi_from_activation(acts.get(v.activation), v.params)
    s = engine_sigmas(config)
    sw2, sw1, sb2 = s["sigma_w2"], s["first_layer_sigma_w2"], s["sigma_b2"]
    q_in = input_moments(x_train, sw1 / sw2)
    valid = config.bias_init == 0.0
    pred: list = [None] * config.arch.depth
    if valid:
        pred = gradient_prediction_inputs(phi, sw2, sb2, config.arch.depth, q_in)["log10_grad_norm"]
        if config.arch.depth > 1 and pred[0] is not None:
            pred[0] = num(pred[0] + 0.5 * math.log10(sw1 / sw2))
    return {
        **s, "q_in": {"data": num(float(np.mean(np.asarray(x_train, dtype=float) ** 2))), "quantiles": nums(q_in)},
        "log10_grad_norm": pred, "valid": valid, "reason": None if valid else "bias_init",
    }


def measured_gradients(grad_norm_input: Array, band: tuple[float, float] = BAND) -> dict:
    """Per layer, the median and ``band`` quantiles over weight draws of log₁₀‖∂L/∂(input of
    layer l)‖ − log₁₀ of the last layer's (from init_statistics' (draws, depth) array), and
    the median of the norm itself. Draws with a zero or non-finite norm are left out."""
    g = np.asarray(grad_norm_input, dtype=float)
    ok = np.all(np.isfinite(g) & (g > 0), axis=1)
    if not ok.any():
        none = [None] * g.shape[1]
        return {"median": none, "low": none, "high": none, "norm_median": none, "draws": 0}
    logs = np.log10(g[ok]) - np.log10(g[ok][:, -1:])
    lo, med, hi = np.quantile(logs, [band[0], 0.5, band[1]], axis=0)
    return {"median": nums(med), "low": nums(lo), "high": nums(hi), "norm_median": nums(np.median(g[ok], axis=0)), "draws": int(ok.sum())}
