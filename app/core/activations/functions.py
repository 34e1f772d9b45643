"""The activations' value and derivative functions, plain numpy, one pair per activation.

Functions take ``x`` and keyword parameters, which may be floats or arrays that broadcast
against ``x`` (the training engine stacks K variants along a leading axis). Every function
and derivative is finite and free of floating-point warnings (overflow, invalid, divide
*and* underflow) for |x| up to 1e4 and any parameter within its declared range.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special as sc

Array = np.ndarray
ParamValue = float | str | Array


SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_TANH_C = 0.044715
# SELU constants (Klambauer et al. 2017), the values PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# exp(-t^2/2) is below the smallest normal double for t^2 > 1416; we return exact 0
# there instead of letting numpy underflow.
_PDF_T2_CUTOFF = 1400.0


def normal_pdf(t: Array) -> Array:
    """Standard normal density φ(t) = exp(-t²/2)/√(2π), exactly 0 where it would underflow."""
    t2 = t * t
    return np.where(t2 < _PDF_T2_CUTOFF, np.exp(-0.5 * np.minimum(t2, _PDF_T2_CUTOFF)), 0.0) * INV_SQRT_2PI


def softplus_unit(x: Array) -> Array:
    """log(1 + e^x), stable for any x; exactly 0 below x = −700 (where it is < 1e-304)."""
    return np.where(x > -700.0, -sc.log_expit(-np.maximum(x, -700.0)), 0.0)


# --------------------------------------------------------------------------- functions
# One pure function per activation and one per derivative. x may be any float array.


def identity(x: Array) -> Array:
    return np.asarray(x, dtype=float) * 1.0


def identity_grad(x: Array) -> Array:
    return np.ones_like(x, dtype=float)


def relu(x: Array) -> Array:
    """max(0, x)."""
    return np.maximum(x, 0.0)


def relu_grad(x: Array) -> Array:
    """1 for x > 0, else 0 (ReLU'(0) = 0, as PyTorch)."""
    return (x > 0).astype(float)


def leaky_relu(x: Array, leak: ParamValue = 0.01) -> Array:
    """x if x > 0 else leak·x."""
    return np.where(x > 0, x, leak * x)


def leaky_relu_grad(x: Array, leak: ParamValue = 0.01) -> Array:
    """1 if x > 0 else leak (the slope at 0 is leak, as PyTorch)."""
    return np.where(x > 0, 1.0, leak * np.ones_like(x))


def prelu(x: Array, a: ParamValue = 0.25) -> Array:
    """x if x > 0 else a·x, with the slope a learned."""
    return np.where(x > 0, x, a * x)


def prelu_grad(x: Array, a: ParamValue = 0.25) -> Array:
    return np.where(x > 0, 1.0, a * np.ones_like(x))


def prelu_grad_a(x: Array, a: ParamValue = 0.25) -> Array:
    """∂f/∂a = min(x, 0)."""
    return np.minimum(x, 0.0)


def elu(x: Array, alpha: ParamValue = 1.0) -> Array:
    """x if x > 0 else α·(eˣ − 1)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_grad(x: Array, alpha: ParamValue = 1.0) -> Array:
    """1 if x > 0 else α·eˣ (f'(0) = α, as PyTorch)."""
    return np.where(x > 0, 1.0, alpha * np.exp(np.maximum(np.minimum(x, 0.0), -700.0)) * (x > -700))


def celu(x: Array, alpha: ParamValue = 1.0) -> Array:
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def celu_grad(x: Array, alpha: ParamValue = 1.0) -> Array:
    """1 if x > 0 else e^{x/α}."""
    t = np.minimum(x, 0.0) / alpha
    return np.where(x > 0, 1.0, np.exp(np.maximum(t, -700.0)) * (t > -700))


def selu(x: Array) -> Array:
    """λ·(x if x > 0 else α·(eˣ − 1)) with the self-normalising λ, α."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_grad(x: Array) -> Array:
    return SELU_SCALE * elu_grad(x, SELU_ALPHA)


def softplus(x: Array, beta: ParamValue = 1.0, threshold: ParamValue = 20.0) -> Array:
    """(1/β)·log(1 + e^{βx}); linear (= x) where βx > threshold, as PyTorch."""
    bx = beta * x
    return np.where(bx > threshold, x, softplus_unit(bx) / beta)


def softplus_grad(x: Array, beta: ParamValue = 1.0, threshold: ParamValue = 20.0) -> Array:
    """The logistic σ(βx); 1 where βx > threshold."""
    bx = beta * x
    return np.where(bx > threshold, 1.0, sc.expit(bx))


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^{-x})."""
    return sc.expit(x)


def sigmoid_grad(x: Array) -> Array:
    """σ(x)·σ(−x), which is σ(1 − σ) without cancellation."""
    return sc.expit(x) * sc.expit(-x)


def tanh(x: Array) -> Array:
    return np.tanh(x)


def tanh_grad(x: Array) -> Array:
    """1 − tanh²(x) = 4·σ(2x)·σ(−2x), computed without cancellation."""
    return 4.0 * sc.expit(2.0 * x) * sc.expit(-2.0 * x)


def gelu(x: Array, approximate: ParamValue = "none") -> Array:
    """x·Φ(x) (exact), or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) with approximate="tanh"."""
    if approximate == "tanh":
        # 0.5·(1 + tanh(u)) = σ(2u): the same function without 1 + tanh(u) cancelling for u ≪ 0
        return x * sc.expit(2.0 * SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x))
    # Below x = −37.4, |x·Φ(x)| < 1e-304 and the product would underflow: return 0 there.
    return np.where(x > -37.4, x * sc.ndtr(np.maximum(x, -37.4)), 0.0)


def gelu_grad(x: Array, approximate: ParamValue = "none") -> Array:
    if approximate == "tanh":
        u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)
        s = sc.expit(2.0 * u)  # 0.5·(1 + tanh(u)), without cancellation for u ≪ 0
        sech2 = 4.0 * s * sc.expit(-2.0 * u)
        return s + 0.5 * x * sech2 * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x * x)
    return sc.ndtr(x) + x * normal_pdf(x)


def silu(x: Array, beta: ParamValue = 1.0) -> Array:
    """x·σ(βx) (SiLU for β = 1, Swish-β in general)."""
    return x * sc.expit(beta * x)


def silu_grad(x: Array, beta: ParamValue = 1.0) -> Array:
    """σ(βx) + βx·σ(βx)·σ(−βx)."""
    s = sc.expit(beta * x)
    return s + beta * x * s * sc.expit(-beta * x)


def mish(x: Array) -> Array:
    """x·tanh(softplus(x)); exactly 0 below x = −700 (where |f| < 1e-300)."""
    return np.where(x > -700.0, np.maximum(x, -700.0) * np.tanh(softplus_unit(x)), 0.0)


def mish_grad(x: Array) -> Array:
    """tanh(sp(x)) + x·sech²(sp(x))·σ(x), sp = softplus."""
    sp = softplus_unit(x)
    sech2 = 4.0 * sc.expit(2.0 * sp) * sc.expit(-2.0 * sp)
    return np.tanh(sp) + x * sech2 * sc.expit(x)


def hardtanh(x: Array, min_val: ParamValue = -1.0, max_val: ParamValue = 1.0) -> Array:
    """clip(x, min_val, max_val)."""
    return np.minimum(np.maximum(x, min_val), max_val)


def hardtanh_grad(x: Array, min_val: ParamValue = -1.0, max_val: ParamValue = 1.0) -> Array:
    """1 strictly between the bounds, 0 elsewhere (0 at the corners, as PyTorch)."""
    return ((x > min_val) & (x < max_val)).astype(float)


def relu6(x: Array) -> Array:
    """min(max(0, x), 6)."""
    return hardtanh(x, 0.0, 6.0)


def relu6_grad(x: Array) -> Array:
    return hardtanh_grad(x, 0.0, 6.0)


def hardsigmoid(x: Array) -> Array:
    """ReLU6(x + 3) / 6."""
    return np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


def hardsigmoid_grad(x: Array) -> Array:
    """1/6 strictly inside (−3, 3), else 0."""
    return ((x > -3.0) & (x < 3.0)) / 6.0


def hardswish(x: Array) -> Array:
    """x·ReLU6(x + 3) / 6."""
    return x * hardsigmoid(x)


def hardswish_grad(x: Array) -> Array:
    """0 for x ≤ −3, x/3 + 1/2 for −3 < x < 3, 1 from 3 on (PyTorch's values at ±3 since 2.7)."""
    return np.where(x <= -3.0, 0.0, np.where(x < 3.0, x / 3.0 + 0.5, 1.0))


def softsign(x: Array) -> Array:
    """x / (1 + |x|)."""
    return x / (1.0 + np.abs(x))


def softsign_grad(x: Array) -> Array:
    d = 1.0 + np.abs(x)
    return 1.0 / (d * d)


# RReLU: a random slope r ~ U(lower, upper) on the negative side while training; the
# mean slope (lower + upper)/2 at evaluation, as PyTorch's RReLU in eval mode.


def _rrelu_mean(lower: ParamValue, upper: ParamValue) -> ParamValue:
    return 0.5 * (lower + upper)


def rrelu(x: Array, lower: ParamValue = 0.125, upper: ParamValue = 1.0 / 3.0) -> Array:
    """Eval mode: x if x ≥ 0 else x·(lower + upper)/2."""
    return leaky_relu(x, _rrelu_mean(lower, upper))


def rrelu_grad(x: Array, lower: ParamValue = 0.125, upper: ParamValue = 1.0 / 3.0) -> Array:
    return leaky_relu_grad(x, _rrelu_mean(lower, upper))


def rrelu_quantile(x: Array, p: float, lower: ParamValue = 0.125, upper: ParamValue = 1.0 / 3.0) -> Array:
    """p-quantile of f(x) = r·x for x < 0 (r ~ U(lower, upper)); x is decreasing in r there."""
    return np.where(x > 0, x, x * (lower + (1.0 - p) * (upper - lower)))


def rrelu_sample(
    x: Array, rng: np.random.Generator, lower: ParamValue = 0.125, upper: ParamValue = 1.0 / 3.0
) -> tuple[Array, Array]:
    r = lower + (upper - lower) * rng.random(np.shape(x))
    slope = np.where(x > 0, 1.0, r)
    return slope * x, slope


# Noisy ReLU: f(x) = max(0, x + Y), Y ~ N(0, s(x)²) with s(x) = σ + σ_growth·|x|.
# With t = x/s:  E[f] = x·Φ(t) + s·φ(t);  ∂E/∂x = Φ(t) + σ_growth·sign(x)·φ(t)
# (because ∂E/∂s = φ(t)); for constant s that is P(x + Y > 0) = E[f'(x + Y)].


def _noise_scale(x: Array, sigma: ParamValue, sigma_growth: ParamValue) -> Array:
    return sigma + sigma_growth * np.abs(x)


def _safe_ratio(x: Array, s: Array) -> tuple[Array, Array]:
    """t = x/s where s > 0; the mask says where the noise is non-degenerate."""
    noisy = s > 0
    t = np.where(noisy, x / np.where(noisy, s, 1.0), 0.0)
    return t, noisy


def noisy_relu(x: Array, sigma: ParamValue = 0.5, sigma_growth: ParamValue = 0.0) -> Array:
    """The expected value E[max(0, x + Y)] = x·Φ(x/s) + s·φ(x/s)."""
    s = _noise_scale(x, sigma, sigma_growth)
    t, noisy = _safe_ratio(x, s)
    # Below t = −37 the mean is < 1e-298·s: return 0 rather than underflow.
    tc = np.maximum(t, -37.0)
    mean = np.where(t > -37.0, x * sc.ndtr(tc) + s * normal_pdf(tc), 0.0)
    return np.where(noisy, mean, np.maximum(x, 0.0))


def noisy_relu_grad(x: Array, sigma: ParamValue = 0.5, sigma_growth: ParamValue = 0.0) -> Array:
    """d/dx E[f(x)] = Φ(t) + σ_growth·sign(x)·φ(t)."""
    s = _noise_scale(x, sigma, sigma_growth)
    t, noisy = _safe_ratio(x, s)
    smooth = sc.ndtr(t) + sigma_growth * np.sign(x) * normal_pdf(t)
    return np.where(noisy, smooth, (x > 0).astype(float))


def noisy_relu_quantile(x: Array, p: float, sigma: ParamValue = 0.5, sigma_growth: ParamValue = 0.0) -> Array:
    """max(0, ·) is monotone, so the p-quantile is max(0, x + s·Φ⁻¹(p))."""
    return np.maximum(x + _noise_scale(x, sigma, sigma_growth) * sc.ndtri(p), 0.0)


def noisy_relu_sample(
    x: Array, rng: np.random.Generator, sigma: ParamValue = 0.5, sigma_growth: ParamValue = 0.0
) -> tuple[Array, Array]:
    """One draw of max(0, x + s(x)·z) and its pathwise derivative 1[x + s·z > 0]·(1 + σ_growth·sign(x)·z)."""
    z = rng.standard_normal(np.shape(x))
    pre = x + _noise_scale(x, sigma, sigma_growth) * z
    on = pre > 0
    return np.where(on, pre, 0.0), on * (1.0 + sigma_growth * np.sign(x) * z)


# --------------------------------------------------------------------------- more rectifiers and shrinks


def squared_relu(x: Array) -> Array:
    """max(0, x)² (Primer's activation)."""
    r = np.maximum(x, 0.0)
    return r * r


def squared_relu_grad(x: Array) -> Array:
    """2·max(0, x): continuous, so no kink (f″ jumps at 0)."""
    return 2.0 * np.maximum(x, 0.0)


def _squareplus_root(x: Array, b: ParamValue) -> Array:
    return np.sqrt(x * x + b)


def squareplus(x: Array, b: ParamValue = 4.0) -> Array:
    """(x + √(x² + b))/2, written b/(2(√(x² + b) − x)) for x < 0 (no cancellation)."""
    s = _squareplus_root(x, b)
    neg = x < 0
    den = np.where(neg, s - x, 1.0)
    return np.where(neg, 0.5 * b / den, 0.5 * (x + s))


def squareplus_grad(x: Array, b: ParamValue = 4.0) -> Array:
    """(1 + x/√(x² + b))/2, written b/(2√(x² + b)(√(x² + b) − x)) for x < 0; 0 at x = 0 when
    b = 0 (then it is ReLU, and ReLU′(0) = 0 as PyTorch)."""
    s = _squareplus_root(x, b)
    neg = x < 0
    safe = np.where(s > 0, s, 1.0)
    left = 0.5 * b / (safe * np.where(neg, s - x, 1.0))
    right = np.where(s > 0, 0.5 * (1.0 + x / safe), 0.0)
    return np.where(neg, left, right)


def logsigmoid(x: Array) -> Array:
    """log σ(x) = −softplus(−x)."""
    return -softplus_unit(-np.asarray(x, dtype=float))


def logsigmoid_grad(x: Array) -> Array:
    """σ(−x) = 1 − σ(x)."""
    return sc.expit(-np.asarray(x, dtype=float))


def softshrink(x: Array, lambd: ParamValue = 0.5) -> Array:
    """x − λ for x > λ, x + λ for x < −λ, 0 between (soft thresholding)."""
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


def softshrink_grad(x: Array, lambd: ParamValue = 0.5) -> Array:
    """1 for |x| > λ, else 0 (0 at ±λ, as PyTorch)."""
    return ((x > lambd) | (x < -lambd)).astype(float)


def hardshrink(x: Array, lambd: ParamValue = 0.5) -> Array:
    """x for |x| > λ, 0 between (hard thresholding: f jumps at ±λ)."""
    return np.where((x > lambd) | (x < -lambd), x, 0.0)


def hardshrink_grad(x: Array, lambd: ParamValue = 0.5) -> Array:
    """1 for |x| > λ, else 0 (0 at ±λ, as PyTorch)."""
    return ((x > lambd) | (x < -lambd)).astype(float)


# x − tanh x = Σ_{n≥2} c_n x^{2n−1} near 0 (tanh's Taylor series, from the Bernoulli numbers), where
# the difference would cancel: below |x| = 0.1 eight terms reach the last bit.
_TANHSHRINK_SERIES = (1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925, -21844 / 6081075, 929569 / 638512875, -6404582 / 10854718875)
_TANHSHRINK_SMALL = 0.1


def tanhshrink(x: Array) -> Array:
    """x − tanh x (a series near 0, where the subtraction would lose the digits)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _TANHSHRINK_SMALL
    xs = np.where(small, x, 0.0)
    x2 = xs * xs
    series = np.zeros_like(xs)
    for c in reversed(_TANHSHRINK_SERIES):
        series = series * x2 + c
    return np.where(small, series * x2 * xs, x - np.tanh(x))


def tanhshrink_grad(x: Array) -> Array:
    """1 − sech² x = tanh² x."""
    t = np.tanh(x)
    return t * t


# --------------------------------------------------------------------------- in-place kernels
# The training engine's h = f(z), df = f′(z) written into its buffers, for the activations
# where that is much faster than f and df; equal to them exactly (tests/core checks).


def relu_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    np.maximum(z, 0.0, out=h)
    if df is not None:
        np.greater(z, 0.0, out=df)


def leaky_relu_kernel(z: Array, h: Array, df: Array | None, mask: Array, leak: ParamValue = 0.01) -> None:
    np.greater(z, 0.0, out=mask)
    np.multiply(z, leak, out=h)
    np.copyto(h, z, where=mask)  # x if x > 0 else leak·x
    if df is not None:
        np.copyto(df, leak)
        np.copyto(df, 1.0, where=mask)

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "np", "sc")]
