"""The activations' value and derivative functions, plain numpy, one pair per activation.

Functions take ``x`` and keyword parameters, which may be floats or arrays that broadcast
against ``x`` (the training engine stacks K variants along a leading axis). Every function
and derivative is finite and free of floating-point warnings (overflow, invalid, divide
*and* underflow) for |x| up to 1e4 and any parameter within its declared range. The smooth
ones are their in-place kernels (at the bottom) run on fresh buffers, so that the training
engine, which calls the kernels, computes exactly these numbers.
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


# The kernels below take e^t only for t ≥ −700 (e^{−700} ≈ 1e-304, normal with room to
# spare for the products it enters) and use exactly 0 below, as exp(−inf): no exp underflows.
_EXP_FLOOR = 700.0
# Mish squares e^{−x}: it takes e^{−x} as 0 above x = 350 (tanh(softplus(x)) is 1 there).
_MISH_CEILING = 350.0
# GELU evaluates Φ and φ on x clipped to ±37.4 (Φ(37.4) rounds to 1) and takes them as 0
# below −37.4, where x·Φ(x) < 1e-304.
_GELU_CLIP = 37.4
SQRT_HALF = math.sqrt(0.5)


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
    """x if x > 0 else α·(eˣ − 1), computed as max(0, x) + α·expm1(min(0, x))."""
    return _value(elu_kernel, x, alpha=alpha)


def elu_grad(x: Array, alpha: ParamValue = 1.0) -> Array:
    """1 if x > 0 else α·eˣ (f'(0) = α, as PyTorch)."""
    return _slope(elu_kernel, x, alpha=alpha)


def celu(x: Array, alpha: ParamValue = 1.0) -> Array:
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""
    return _value(celu_kernel, x, alpha=alpha)


def celu_grad(x: Array, alpha: ParamValue = 1.0) -> Array:
    """e^{min(0, x)/α}: 1 for x ≥ 0."""
    return _slope(celu_kernel, x, alpha=alpha)


def selu(x: Array) -> Array:
    """λ·(x if x > 0 else α·(eˣ − 1)) with the self-normalising λ, α: exactly λ·elu(x, α)."""
    return _value(selu_kernel, x)


def selu_grad(x: Array) -> Array:
    """λ·elu_grad(x, α)."""
    return _slope(selu_kernel, x)


def softplus(x: Array, beta: ParamValue = 1.0, threshold: ParamValue = 20.0) -> Array:
    """(1/β)·log(1 + e^{βx}) = (max(βx, 0) + log1p(e^{−|βx|}))/β; linear (= x) where βx > threshold, as PyTorch."""
    return _value(softplus_kernel, x, beta=beta, threshold=threshold)


def softplus_grad(x: Array, beta: ParamValue = 1.0, threshold: ParamValue = 20.0) -> Array:
    """The logistic σ(βx); 1 where βx > threshold."""
    return _slope(softplus_kernel, x, beta=beta, threshold=threshold)


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^{-x}), computed as e^{min(x,0)} / (e^{min(x,0)} + e^{−max(x,0)})."""
    return _value(sigmoid_kernel, x)


def sigmoid_grad(x: Array) -> Array:
    """σ(x)·σ(−x), which is σ(1 − σ) without cancellation."""
    return _slope(sigmoid_kernel, x)


def tanh(x: Array) -> Array:
    return _value(tanh_kernel, x)


def tanh_grad(x: Array) -> Array:
    """1 − tanh²(x) = 4e/(1 + e)² with e = e^{−2|x|}, computed without cancellation."""
    return _slope(tanh_kernel, x)


def gelu(x: Array, approximate: ParamValue = "none") -> Array:
    """x·Φ(x) (exact), or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) with approximate="tanh"."""
    return _value(gelu_kernel, x, approximate=approximate)


def gelu_grad(x: Array, approximate: ParamValue = "none") -> Array:
    """Φ(x) + x·φ(x); with approximate="tanh", σ(2u) + x·σ(2u)·σ(−2u)·2u′ (u as in gelu)."""
    return _slope(gelu_kernel, x, approximate=approximate)


def silu(x: Array, beta: ParamValue = 1.0) -> Array:
    """x·σ(βx) (SiLU for β = 1, Swish-β in general)."""
    return _value(silu_kernel, x, beta=beta)


def silu_grad(x: Array, beta: ParamValue = 1.0) -> Array:
    """σ(βx) + βx·σ(βx)·σ(−βx)."""
    return _slope(silu_kernel, x, beta=beta)


def mish(x: Array) -> Array:
    """x·tanh(softplus(x)), tanh(log(1 + eˣ)) written as a ratio of exponentials (see mish_kernel)."""
    return _value(mish_kernel, x)


def mish_grad(x: Array) -> Array:
    """tanh(sp(x)) + x·sech²(sp(x))·σ(x), sp = softplus."""
    return _slope(mish_kernel, x)


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
    """√(x² + b) as hypot(x, √b): x² would underflow for |x| < 1e-154 (b = 0 gave f = x/2 there)."""
    return np.hypot(x, np.sqrt(b))


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
    left = 0.5 * b / safe / np.where(neg, s - x, 1.0)  # (divided in turn: the product underflows for b = 0, |x| < 1e-154)
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
# kernel(z, h, df, mask, **params) writes h = f(z) and, unless df is None, df = f′(z) into the
# engine's buffers (often strided views); ``mask`` is a boolean scratch of z's shape. For the
# smooth activations the kernel IS the formulation: f and df above call it (_value, _slope),
# so the engine's numbers are f's and df's bit for bit (tests/core/test_kernels.py checks
# every kernel). Whole-array numpy ufuncs only, writing into out= buffers; np.putmask
# selects (several times faster than where= on mixed masks); float scratch is allocated per
# call (np.empty costs ~0.5 µs, small beside the ufuncs, and nothing is shared between runs).


def _params_shape(x: Array, params: dict) -> tuple[int, ...]:
    return np.broadcast_shapes(x.shape, *(np.shape(v) for v in params.values() if not isinstance(v, str)))


def _buffers(x: ParamValue, params: dict) -> tuple[Array, Array, Array]:
    """x as a float array broadcast against the parameters, an output of its shape and a mask."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(float)
    shape = _params_shape(x, params)
    if shape != x.shape:
        x = np.broadcast_to(x, shape)
    return x, np.empty(shape, x.dtype), np.empty(shape, bool)


def _value(kernel, x, **params) -> Array:
    """f(x) through the activation's kernel."""
    z, h, mask = _buffers(x, params)
    kernel(z, h, None, mask, **params)
    return h if h.ndim else h[()]


def _slope(kernel, x, **params) -> Array:
    """f′(x) through the activation's kernel."""
    z, h, mask = _buffers(x, params)
    df = np.empty_like(h)
    kernel(z, h, df, mask, **params)
    return df if df.ndim else df[()]


def _scratch(z: Array, h: Array) -> Array:
    return np.empty(z.shape, h.dtype)


def _is_one(v: ParamValue) -> bool:
    """v is the number 1: multiplying or dividing by it may be skipped (x·1 = x/1 = x exactly)."""
    return isinstance(v, float) and v == 1.0


def _times(z: Array, factor: ParamValue, h: Array) -> Array:
    """z·factor in a fresh buffer, or z itself (not to be written) when factor is 1."""
    if _is_one(factor):
        return z
    y = _scratch(z, h)
    np.multiply(z, factor, out=y)
    return y


def _exp_or_zero(t: Array, far: Array) -> None:
    """t = e^t in place, exactly 0 where t < −700 (far: a boolean scratch)."""
    np.less(t, -_EXP_FLOOR, out=far)
    np.putmask(t, far, -np.inf)
    np.exp(t, out=t)


def _logistic_parts(y: Array, e: Array, p: Array, far: Array) -> None:
    """e = e^{−|y|} (0 where |y| > 700) and p = 1 for y ≥ 0, e below: σ(y) = p/(1 + e) and
    σ(y)·σ(−y) = e/(1 + e)², with no cancellation. y may be p (not e)."""
    np.negative(y, out=e)
    np.minimum(e, y, out=e)  # −|y|
    _exp_or_zero(e, far)
    np.greater_equal(y, 0.0, out=p)
    np.maximum(p, e, out=p)


def relu_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    np.maximum(z, 0.0, out=h)
    if df is not None:
        np.greater(z, 0.0, out=df)


def leaky_relu_kernel(z: Array, h: Array, df: Array | None, mask: Array, leak: ParamValue = 0.01) -> None:
    """For leak in its declared [0, 1]: f′ = max(1[z > 0], leak) and f = z·f′ = max(z, leak·z),
    equal to leaky_relu and leaky_relu_grad (x·1 = x and x·leak = leak·x exactly)."""
    if df is None:
        np.multiply(z, leak, out=h)
        np.maximum(h, z, out=h)
        return
    np.greater(z, 0.0, out=df)
    np.maximum(df, leak, out=df)
    np.multiply(z, df, out=h)


def prelu_kernel(z: Array, h: Array, df: Array | None, mask: Array, a: ParamValue = 0.25) -> None:
    """f′ = 1 where z > 0 else a, and f = z·f′ (the learned a may take any value)."""
    np.greater(z, 0.0, out=mask)
    if df is None:
        np.multiply(z, a, out=h)
        np.putmask(h, mask, z)
        return
    np.copyto(df, a)
    np.putmask(df, mask, 1.0)
    np.multiply(z, df, out=h)


def _elu_parts(z: Array, h: Array, df: Array | None, mask: Array, alpha: ParamValue, divide: bool) -> Array:
    """t = min(z, 0) (÷ α when ``divide``), −inf below −700 (so expm1(t) = −1 and e^t = 0
    exactly); h = max(z, 0) + α·expm1(t). Returns t (df, when given, serves as scratch)."""
    t = _scratch(z, h)
    np.minimum(z, 0.0, out=t)
    if divide and not _is_one(alpha):
        np.divide(t, alpha, out=t)
    np.less(t, -_EXP_FLOOR, out=mask)
    np.putmask(t, mask, -np.inf)
    np.expm1(t, out=h)
    if not _is_one(alpha):
        np.multiply(h, alpha, out=h)
    pos = _scratch(z, h) if df is None else df
    np.maximum(z, 0.0, out=pos)
    np.add(h, pos, out=h)
    return t


def _scaled_elu(z: Array, h: Array, df: Array | None, mask: Array, alpha: ParamValue, scale: float | None) -> None:
    """h = (max(z, 0) + α·expm1(min(z, 0)))·scale, df = (1 if z > 0 else α·e^z)·scale (no
    scale: 1); e^z is 0 below z = −700."""
    m = _elu_parts(z, h, df, mask, alpha, divide=False)
    if scale is not None:
        np.multiply(h, scale, out=h)
    if df is None:
        return
    np.exp(m, out=df)
    if not _is_one(alpha):
        np.multiply(df, alpha, out=df)
    np.greater(z, 0.0, out=mask)
    np.putmask(df, mask, 1.0)
    if scale is not None:
        np.multiply(df, scale, out=df)


def elu_kernel(z: Array, h: Array, df: Array | None, mask: Array, alpha: ParamValue = 1.0) -> None:
    _scaled_elu(z, h, df, mask, alpha, None)


def selu_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    _scaled_elu(z, h, df, mask, SELU_ALPHA, SELU_SCALE)


def celu_kernel(z: Array, h: Array, df: Array | None, mask: Array, alpha: ParamValue = 1.0) -> None:
    """t = min(z, 0)/α; h = max(z, 0) + α·expm1(t), df = e^t (1 for z ≥ 0, 0 below t = −700)."""
    t = _elu_parts(z, h, df, mask, alpha, divide=True)
    if df is not None:
        np.exp(t, out=df)


def sigmoid_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    """σ(z) = p/(1 + e), σ′ = e/(1 + e)² (e, p: _logistic_parts)."""
    e = _scratch(z, h)
    _logistic_parts(z, e, h, mask)
    s = _scratch(z, h) if df is None else df
    np.add(e, 1.0, out=s)
    np.divide(h, s, out=h)
    if df is not None:
        np.multiply(df, df, out=df)
        np.divide(e, df, out=df)


def tanh_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    """np.tanh; f′ = 4e/(1 + e)² with e = e^{−2|z|} (0 where 2|z| > 700)."""
    if df is not None:
        np.abs(z, out=h)
        np.multiply(h, -2.0, out=h)
        _exp_or_zero(h, mask)
        np.add(h, 1.0, out=df)
        np.multiply(df, df, out=df)
        np.multiply(h, 4.0, out=h)
        np.divide(h, df, out=df)
    np.tanh(z, out=h)


def softplus_kernel(z: Array, h: Array, df: Array | None, mask: Array, beta: ParamValue = 1.0, threshold: ParamValue = 20.0) -> None:
    """y = βz: h = (max(y, 0) + log1p(e))/β and df = σ(y) = p/(1 + e) (e, p: _logistic_parts),
    then z and 1 where y > threshold; so h is exactly 0 below y = −700."""
    y = _times(z, beta, h)
    e = _scratch(z, h)
    p = _scratch(z, h) if df is None else df
    _logistic_parts(y, e, p, mask)
    if df is not None:
        np.add(e, 1.0, out=h)
        np.divide(df, h, out=df)
    np.log1p(e, out=h)
    np.maximum(y, 0.0, out=e)
    np.add(h, e, out=h)
    if not _is_one(beta):
        np.divide(h, beta, out=h)
    np.greater(y, threshold, out=mask)
    np.putmask(h, mask, z)
    if df is not None:
        np.putmask(df, mask, 1.0)


def silu_kernel(z: Array, h: Array, df: Array | None, mask: Array, beta: ParamValue = 1.0) -> None:
    """y = βz, s = σ(y) = p/(1 + e): h = z·s, df = s + y·e/(1 + e)²."""
    y = _times(z, beta, h)
    e = _scratch(z, h)
    _logistic_parts(y, e, h, mask)
    s = _scratch(z, h)
    np.add(e, 1.0, out=s)
    np.divide(h, s, out=h)
    if df is not None:
        np.multiply(s, s, out=s)
        np.divide(e, s, out=df)
        np.multiply(df, y, out=df)
        np.add(df, h, out=df)
    np.multiply(h, z, out=h)


def _gelu_tanh_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    """y = 2u = 2√(2/π)·z·(1 + 0.044715z²), s = σ(y) = p/(1 + e): h = z·s,
    df = s + z·y′·e/(1 + e)²."""
    z2 = _scratch(z, h)
    np.multiply(z, z, out=z2)
    y = _scratch(z, h)
    np.multiply(z2, GELU_TANH_C, out=y)
    np.add(y, 1.0, out=y)
    np.multiply(y, z, out=y)
    np.multiply(y, 2.0 * SQRT_2_OVER_PI, out=y)
    e = _scratch(z, h)
    _logistic_parts(y, e, h, mask)
    np.add(e, 1.0, out=y)
    np.divide(h, y, out=h)
    if df is not None:
        np.multiply(y, y, out=y)
        np.divide(e, y, out=df)
        np.multiply(z2, 3.0 * GELU_TANH_C, out=z2)
        np.add(z2, 1.0, out=z2)
        np.multiply(z2, 2.0 * SQRT_2_OVER_PI, out=z2)  # y′
        np.multiply(df, z2, out=df)
        np.multiply(df, z, out=df)
        np.add(df, h, out=df)
    np.multiply(h, z, out=h)


def _gelu_erf_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    """t = z clipped to ±37.4, Φ = erfc(−t/√2)/2, φ = e^{−t²/2}/√(2π), both 0 below z = −37.4:
    h = z·Φ, df = Φ + z·φ."""
    t = _scratch(z, h)
    np.maximum(z, -_GELU_CLIP, out=t)
    np.minimum(t, _GELU_CLIP, out=t)
    np.less(z, -_GELU_CLIP, out=mask)
    cdf = _scratch(z, h)
    np.multiply(t, -SQRT_HALF, out=cdf)
    sc.erfc(cdf, out=cdf)
    np.multiply(cdf, 0.5, out=cdf)
    np.putmask(cdf, mask, 0.0)
    np.multiply(z, cdf, out=h)
    if df is not None:
        np.multiply(t, t, out=df)
        np.multiply(df, -0.5, out=df)
        np.putmask(df, mask, -np.inf)
        np.exp(df, out=df)
        np.multiply(df, INV_SQRT_2PI, out=df)
        np.multiply(df, z, out=df)
        np.add(df, cdf, out=df)


def gelu_kernel(z: Array, h: Array, df: Array | None, mask: Array, approximate: ParamValue = "none") -> None:
    if approximate == "tanh":
        _gelu_tanh_kernel(z, h, df, mask)
    else:
        _gelu_erf_kernel(z, h, df, mask)


def mish_kernel(z: Array, h: Array, df: Array | None, mask: Array) -> None:
    """With p = e^{min(z, 0)} and c = e^{−max(z, 0)} (one of them exactly 1; p = 0 below
    z = −700, c = 0 above 350): tanh(softplus(z)) = N/D, N = p·(p + 2c), D = N + 2c², and
    sech²(softplus(z))·σ(z) = 4p·c²·(p + c)/D², all terms positive, so nothing cancels.
    h = z·N/D, df = N/D + z·4p·c²·(p + c)/D²."""
    p = _scratch(z, h)
    np.minimum(z, 0.0, out=p)
    _exp_or_zero(p, mask)
    c = _scratch(z, h)
    np.maximum(z, 0.0, out=c)
    np.greater(c, _MISH_CEILING, out=mask)
    np.negative(c, out=c)
    np.putmask(c, mask, -np.inf)
    np.exp(c, out=c)
    q = _scratch(z, h)
    np.add(p, c, out=q)  # p + c
    n = _scratch(z, h)
    np.add(q, c, out=n)
    np.multiply(n, p, out=n)  # N
    np.multiply(c, c, out=c)
    np.multiply(c, 2.0, out=c)  # 2c²
    np.add(n, c, out=h)  # D
    if df is not None:
        np.multiply(h, h, out=df)  # D²
        np.multiply(c, p, out=c)
        np.multiply(c, q, out=c)
        np.multiply(c, 2.0, out=c)  # 4p·c²·(p + c)
        np.divide(c, df, out=df)
    np.divide(n, h, out=h)  # tanh(softplus(z))
    if df is not None:
        np.multiply(df, z, out=df)
        np.add(df, h, out=df)
    np.multiply(h, z, out=h)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "np", "sc")]
