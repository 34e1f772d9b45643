"""The activation catalogue: every activation is declared exactly once, here.

Each :class:`Activation` carries its id, display name, LaTeX formula, parameters (with
ranges and defaults), value function, analytic derivative, the convention it uses at
kinks and its properties. The API, the explorer's sliders, the docs, the training engine
and the tests are all driven by :data:`CATALOGUE`.

Functions take ``x`` and keyword parameters, which may be floats or arrays that
broadcast against ``x`` (the training engine stacks K variants along a leading axis).
Every function and derivative is finite and free of floating-point warnings (overflow,
invalid, divide *and* underflow) for |x| up to 1e4 and any parameter within its range.
Defaults match PyTorch's ``torch.nn`` where PyTorch has the function, and so do the
derivative conventions at kinks (PyTorch's autograd values).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

import numpy as np
from scipy import special as sc

Array = np.ndarray
ParamValue = float | str | Array
Params = Mapping[str, ParamValue]

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


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Param:
    """A user-facing parameter of an activation."""

    id: str
    label: str
    default: float | str
    min: float = 0.0
    max: float = 1.0
    step: float = 0.01
    help: str = ""
    kind: Literal["float", "choice"] = "float"
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        d: dict = {"id": self.id, "label": self.label, "kind": self.kind, "default": self.default, "help": self.help}
        if self.kind == "float":
            d.update(min=self.min, max=self.max, step=self.step)
        else:
            d["choices"] = list(self.choices)
        return d


@dataclass(frozen=True)
class Properties:
    """Honest properties at the default parameters (``notes`` says how parameters change them)."""

    output_range: str
    monotonic: bool
    smooth: bool  # continuously differentiable everywhere (C¹)
    zero_centred: bool  # takes both signs, with E[f(z)] close to 0 for z ~ N(0, 1)
    bounded_below: bool
    bounded_above: bool
    saturates: Literal["none", "left", "right", "both"]  # where f' → 0 as |x| → ∞
    notes: str = ""

    def as_dict(self) -> dict:
        return {
            "output_range": self.output_range,
            "monotonic": self.monotonic,
            "smooth": self.smooth,
            "zero_centred": self.zero_centred,
            "bounded": self.bounded_below and self.bounded_above,
            "bounded_below": self.bounded_below,
            "bounded_above": self.bounded_above,
            "saturates": self.saturates,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Stochastic:
    """What a stochastic activation adds to its deterministic (mean / eval-mode) curve.

    ``quantile(x, p, **params)`` is the p-quantile of f(x); ``sample(x, rng, **params)``
    returns one draw of (f(x), ∂f/∂x) as used while training.
    """

    description: str
    quantile: Callable[..., Array]
    sample: Callable[..., tuple[Array, Array]]


@dataclass(frozen=True)
class Activation:
    id: str
    name: str
    latex: str
    f: Callable[..., Array]
    df: Callable[..., Array]
    properties: Properties
    convention: str  # the derivative's value at kinks
    params: tuple[Param, ...] = ()
    kinks: Callable[..., list[float]] = lambda **p: []
    description: str = ""
    reference: str = ""
    # the torch.nn equivalent, where one exists: "{leak}" stands for the parameter's value
    torch: str | None = None
    # parameter values outside which torch.nn has no such module (SiLU: only β = 1)
    torch_only: Mapping[str, float] = field(default_factory=dict)
    in_source: bool = False  # named by the Wikipedia article (SEED.md)
    stochastic: Stochastic | None = None
    # ∂f/∂param for parameters the network may learn (PReLU's slope)
    param_grads: Mapping[str, Callable[..., Array]] = field(default_factory=dict)
    # cross-parameter constraint: returns an error message or None
    check: Callable[..., str | None] = lambda **p: None

    def param(self, pid: str) -> Param:
        for p in self.params:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def defaults(self) -> dict[str, float | str]:
        return {p.id: p.default for p in self.params}

    def torch_call(self, params: Mapping[str, float | str]) -> str | None:
        """The torch.nn module with these (resolved) parameters, or None where torch has none."""
        if self.torch is None or any(params.get(k) != v for k, v in self.torch_only.items()):
            return None
        return self.torch.format(**{k: repr(v if isinstance(v, str) else float(v)) for k, v in params.items()})


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


# --------------------------------------------------------------------------- the catalogue

_NOT_SMOOTH_AT_0 = "not differentiable at 0"

CATALOGUE: tuple[Activation, ...] = (
    Activation(
        id="relu",
        name="ReLU",
        latex=r"f(x) = \max(0, x)",
        f=relu,
        df=relu_grad,
        kinks=lambda: [0.0],
        convention="f'(0) = 0 (PyTorch's choice; the left derivative)",
        properties=Properties("[0, ∞)", True, False, False, True, False, "left", _NOT_SMOOTH_AT_0),
        description="The rectifier: the positive part of its input, like a half-wave rectifier.",
        reference="Hahnloser et al. 2000; Glorot, Bordes & Bengio 2011",
        torch="torch.nn.ReLU()",
        in_source=True,
    ),
    Activation(
        id="softplus",
        name="Softplus",
        latex=r"f(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right)",
        params=(
            Param("beta", "β (sharpness)", 1.0, 0.1, 20.0, 0.1, "Larger β approaches ReLU; softplus → max(0, x) as β → ∞."),
            Param("threshold", "threshold", 20.0, 1.0, 50.0, 1.0, "Where βx > threshold, f(x) = x exactly (PyTorch's numerical switch)."),
        ),
        f=softplus,
        df=softplus_grad,
        kinks=lambda beta, threshold: [threshold / beta],
        convention="f'(x) = σ(βx), the logistic; exactly 1 where βx > threshold",
        properties=Properties(
            "(0, ∞)", True, True, False, True, False, "left",
            "Smooth approximation of ReLU. PyTorch's threshold makes a tiny jump "
            "(about e^{-threshold}/β) where βx = threshold.",
        ),
        description="A smooth ReLU whose derivative is the logistic function.",
        reference="Dugas et al. 2001; Glorot, Bordes & Bengio 2011",
        torch="torch.nn.Softplus(beta={beta}, threshold={threshold})",
        in_source=True,
    ),
    Activation(
        id="noisy_relu",
        name="Noisy ReLU",
        latex=r"f(x) = \max(0, x + Y),\ Y \sim \mathcal{N}\!\left(0, \sigma(x)^2\right),\ \sigma(x) = \sigma + \gamma\,|x|",
        params=(
            Param("sigma", "σ (noise std)", 0.5, 0.0, 3.0, 0.01, "Standard deviation of the Gaussian noise added before rectifying."),
            Param("sigma_growth", "γ (σ growth with |x|)", 0.0, 0.0, 1.0, 0.01, "Lets the noise grow with |x|: σ(x) = σ + γ|x|."),
        ),
        f=noisy_relu,
        df=noisy_relu_grad,
        kinks=lambda sigma, sigma_growth: [0.0] if sigma == 0 or sigma_growth != 0 else [],
        convention="curves show the mean E[f(x)] = x·Φ(x/s) + s·φ(x/s) and its derivative; "
        "each sample's pathwise derivative is 1[x + Y > 0]",
        properties=Properties(
            "[0, ∞)", True, True, False, True, False, "left",
            "Stochastic; the properties are those of the mean curve at constant noise (γ = 0, σ > 0). "
            "With σ = 0 it is ReLU. With γ > 0 the mean rises again for x < 0 (f′ = Φ − γφ < 0 there): "
            "neither monotonic nor saturating.",
        ),
        description="Gaussian noise added before rectifying, as in restricted Boltzmann machines.",
        reference="Nair & Hinton 2010",
        in_source=True,
        stochastic=Stochastic(
            "Gaussian noise before the rectifier; training draws fresh noise, evaluation uses the mean.",
            noisy_relu_quantile,
            noisy_relu_sample,
        ),
    ),
    Activation(
        id="leaky_relu",
        name="Leaky ReLU",
        latex=r"f(x) = \begin{cases} x & x > 0 \\ \text{leak}\cdot x & x \le 0 \end{cases}",
        params=(Param("leak", "leak (negative slope)", 0.01, 0.0, 1.0, 0.001, "Slope for x < 0; keeps a small gradient when the unit is inactive."),),
        f=leaky_relu,
        df=leaky_relu_grad,
        kinks=lambda leak: [0.0] if leak != 1 else [],
        convention="f'(0) = leak (as PyTorch)",
        properties=Properties("(−∞, ∞)", True, False, False, False, False, "none", _NOT_SMOOTH_AT_0 + " unless leak = 1"),
        description="A rectifier with a small slope for negative inputs, so inactive units still learn.",
        reference="Maas, Hannun & Ng 2013",
        torch="torch.nn.LeakyReLU(negative_slope={leak})",
        in_source=True,
    ),
    Activation(
        id="prelu",
        name="Parametric ReLU (PReLU)",
        latex=r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}",
        params=(Param("a", "a (learned slope)", 0.25, -1.0, 2.0, 0.01, "Initial negative slope; the network learns it (one per layer). For a ≤ 1, f(x) = max(x, a·x)."),),
        f=prelu,
        df=prelu_grad,
        param_grads={"a": prelu_grad_a},
        kinks=lambda a: [0.0] if a != 1 else [],
        convention="f'(0) = a (as PyTorch)",
        properties=Properties(
            "(−∞, ∞)", True, False, False, False, False, "none",
            _NOT_SMOOTH_AT_0 + "; monotonic only for a ≥ 0; equals max(x, a·x) for a ≤ 1 (a maxout unit)",
        ),
        description="Leaky ReLU whose slope is learned with the other weights.",
        reference="He, Zhang, Ren & Sun 2015",
        torch="torch.nn.PReLU(init={a})",
        in_source=True,
    ),
    Activation(
        id="elu",
        name="ELU",
        latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}",
        params=(Param("alpha", "α (negative saturation)", 1.0, 0.0, 5.0, 0.01, "f(x) → −α as x → −∞; pulls mean activations toward zero."),),
        f=elu,
        df=elu_grad,
        kinks=lambda alpha: [0.0] if alpha != 1 else [],
        convention="f'(0) = α (the left derivative, as PyTorch)",
        properties=Properties(
            "(−α, ∞)", True, True, False, True, False, "left",
            "Continuous for every α; C¹ only for α = 1 (the slope jumps from α to 1 at 0 otherwise). Mean output closer to zero than ReLU's.",
        ),
        description="Exponential linear unit: negative outputs saturate at −α, pulling means toward zero.",
        reference="Clevert, Unterthiner & Hochreiter 2015",
        torch="torch.nn.ELU(alpha={alpha})",
        in_source=True,
    ),
    Activation(
        id="sigmoid",
        name="Logistic sigmoid",
        latex=r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}",
        f=sigmoid,
        df=sigmoid_grad,
        convention="smooth everywhere; f'(x) = σ(x)·(1 − σ(x)) ≤ 1/4",
        properties=Properties("(0, 1)", True, True, False, True, True, "both", "f'(x) ≤ 1/4, so gradients shrink through deep stacks."),
        description="The classic squashing function ReLU replaced.",
        reference="LeCun, Bottou, Orr & Müller 1998",
        torch="torch.nn.Sigmoid()",
        in_source=True,
    ),
    Activation(
        id="tanh",
        name="tanh",
        latex=r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        f=tanh,
        df=tanh_grad,
        convention="smooth everywhere; f'(x) = 1 − tanh²(x)",
        properties=Properties("(−1, 1)", True, True, True, True, True, "both", "Antisymmetric and zero-centred, but saturates on both sides."),
        description="Hyperbolic tangent: a zero-centred sigmoid.",
        reference="LeCun, Bottou, Orr & Müller 1998",
        torch="torch.nn.Tanh()",
        in_source=True,
    ),
    Activation(
        id="selu",
        name="SELU",
        latex=r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases},\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        f=selu,
        df=selu_grad,
        kinks=lambda: [0.0],
        convention="f'(0) = λα (the left derivative, as PyTorch)",
        properties=Properties("(−λα, ∞) ≈ (−1.758, ∞)", True, False, True, True, False, "left", "Self-normalising: keeps mean ≈ 0 and variance ≈ 1 with LeCun init."),
        description="Scaled ELU whose fixed λ and α make activations self-normalising.",
        reference="Klambauer, Unterthiner, Mayr & Hochreiter 2017",
        torch="torch.nn.SELU()",
    ),
    Activation(
        id="celu",
        name="CELU",
        latex=r"f(x) = \max(0, x) + \min\left(0, \alpha\,(e^{x/\alpha} - 1)\right)",
        params=(Param("alpha", "α", 1.0, 0.05, 5.0, 0.01, "f(x) → −α as x → −∞; unlike ELU, the slope at 0 is 1 for every α."),),
        f=celu,
        df=celu_grad,
        convention="f'(0) = 1; continuously differentiable for every α",
        properties=Properties("(−α, ∞)", True, True, False, True, False, "left"),
        description="Continuously differentiable ELU.",
        reference="Barron 2017",
        torch="torch.nn.CELU(alpha={alpha})",
    ),
    Activation(
        id="gelu",
        name="GELU",
        latex=r"f(x) = x\,\Phi(x) = \frac{x}{2}\left[1 + \operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)\right]",
        params=(Param("approximate", "form", "none", kind="choice", choices=("none", "tanh"), help="'none' is the exact erf form; 'tanh' is 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))."),),
        f=gelu,
        df=gelu_grad,
        convention="smooth everywhere; f'(x) = Φ(x) + x·φ(x)",
        properties=Properties("[≈ −0.17, ∞)", False, True, False, True, False, "left", "Dips to ≈ −0.170 at x ≈ −0.752 before rising."),
        description="Gaussian error linear unit: the input weighted by the probability a standard normal is below it.",
        reference="Hendrycks & Gimpel 2016",
        torch="torch.nn.GELU(approximate={approximate})",
    ),
    Activation(
        id="silu",
        name="SiLU / Swish",
        latex=r"f(x) = x\,\sigma(\beta x) = \frac{x}{1 + e^{-\beta x}}",
        params=(Param("beta", "β", 1.0, 0.0, 10.0, 0.01, "β = 1 is SiLU; β → ∞ approaches ReLU, β = 0 gives x/2."),),
        f=silu,
        df=silu_grad,
        convention="smooth everywhere; f'(x) = σ(βx) + βx·σ(βx)·(1 − σ(βx))",
        properties=Properties("[≈ −0.278/β, ∞)", False, True, False, True, False, "left", "Dips to ≈ −0.278/β at x ≈ −1.278/β; non-monotonic for β > 0."),
        description="Self-gated unit found by automated search (Swish).",
        reference="Ramachandran, Zoph & Le 2017; Elfwing et al. 2017",
        torch="torch.nn.SiLU()",
        torch_only={"beta": 1.0},
    ),
    Activation(
        id="mish",
        name="Mish",
        latex=r"f(x) = x \tanh\left(\log\left(1 + e^{x}\right)\right)",
        f=mish,
        df=mish_grad,
        convention="smooth everywhere",
        properties=Properties("[≈ −0.309, ∞)", False, True, False, True, False, "left", "Dips to ≈ −0.309 at x ≈ −1.19."),
        description="Self-regularised non-monotonic activation.",
        reference="Misra 2019",
        torch="torch.nn.Mish()",
    ),
    Activation(
        id="relu6",
        name="ReLU6",
        latex=r"f(x) = \min\left(\max(0, x), 6\right)",
        f=relu6,
        df=relu6_grad,
        kinks=lambda: [0.0, 6.0],
        convention="f'(0) = f'(6) = 0 (as PyTorch)",
        properties=Properties("[0, 6]", True, False, False, True, True, "both", "not differentiable at 0 and 6"),
        description="ReLU capped at 6, common in mobile networks.",
        reference="Krizhevsky 2010; Howard et al. 2017",
        torch="torch.nn.ReLU6()",
    ),
    Activation(
        id="hardtanh",
        name="Hard tanh",
        latex=r"f(x) = \min\left(\max(x, x_{\min}), x_{\max}\right)",
        params=(
            Param("min_val", "lower bound", -1.0, -5.0, 5.0, 0.1, "Output floor; must be below the upper bound."),
            Param("max_val", "upper bound", 1.0, -5.0, 5.0, 0.1, "Output ceiling; must be above the lower bound."),
        ),
        f=hardtanh,
        df=hardtanh_grad,
        kinks=lambda min_val, max_val: [min_val, max_val],
        convention="f' = 1 strictly between the bounds and 0 at and beyond them (as PyTorch)",
        properties=Properties("[min_val, max_val]", True, False, True, True, True, "both", "not differentiable at the two bounds"),
        description="A piecewise-linear tanh.",
        reference="Collobert 2004",
        torch="torch.nn.Hardtanh(min_val={min_val}, max_val={max_val})",
        check=lambda min_val, max_val: None if min_val < max_val else "min_val must be less than max_val",
    ),
    Activation(
        id="hardsigmoid",
        name="Hard sigmoid",
        latex=r"f(x) = \frac{\operatorname{ReLU6}(x + 3)}{6}",
        f=hardsigmoid,
        df=hardsigmoid_grad,
        kinks=lambda: [-3.0, 3.0],
        convention="f' = 1/6 strictly inside (−3, 3), 0 at ±3 (as PyTorch)",
        properties=Properties("[0, 1]", True, False, False, True, True, "both", "not differentiable at ±3"),
        description="A piecewise-linear logistic sigmoid.",
        reference="Courbariaux et al. 2015; Howard et al. 2019",
        torch="torch.nn.Hardsigmoid()",
    ),
    Activation(
        id="hardswish",
        name="Hard swish",
        latex=r"f(x) = x\,\frac{\operatorname{ReLU6}(x + 3)}{6}",
        f=hardswish,
        df=hardswish_grad,
        kinks=lambda: [-3.0, 3.0],
        convention="f'(−3) = 0 and f'(3) = 1, the outer one-sided derivatives (PyTorch's values since 2.7; earlier releases gave −1/2 and 3/2)",
        properties=Properties("[−0.375, ∞)", False, False, False, True, False, "left", "Dips to −0.375 at x = −1.5; not differentiable at ±3."),
        description="A piecewise-polynomial Swish for mobile networks.",
        reference="Howard et al. 2019 (MobileNetV3)",
        torch="torch.nn.Hardswish()",
    ),
    Activation(
        id="softsign",
        name="Softsign",
        latex=r"f(x) = \frac{x}{1 + |x|}",
        f=softsign,
        df=softsign_grad,
        convention="smooth everywhere; f'(x) = 1/(1 + |x|)²",
        properties=Properties("(−1, 1)", True, True, True, True, True, "both", "Saturates polynomially, more slowly than tanh."),
        description="A tanh-like squashing function with polynomial tails.",
        reference="Bergstra et al. 2009",
        torch="torch.nn.Softsign()",
    ),
    Activation(
        id="rrelu",
        name="Randomised leaky ReLU (RReLU)",
        latex=r"f(x) = \begin{cases} x & x \ge 0 \\ r\,x & x < 0 \end{cases},\ r \sim U(l, u)\ \text{(training)},\ r = \tfrac{l + u}{2}\ \text{(evaluation)}",
        params=(
            Param("lower", "l (lower slope)", 0.125, 0.0, 1.0, 0.005, "Smallest random negative slope."),
            Param("upper", "u (upper slope)", 1.0 / 3.0, 0.0, 1.0, 0.005, "Largest random negative slope."),
        ),
        f=rrelu,
        df=rrelu_grad,
        kinks=lambda lower, upper: [0.0] if lower + upper != 2 else [],
        convention="curves show evaluation mode, slope (l + u)/2 for x < 0; f'(0) = (l + u)/2",
        properties=Properties("(−∞, ∞)", True, False, False, False, False, "none", "Stochastic while training; the band shows the slopes' range."),
        description="Leaky ReLU with a random slope while training and the mean slope at evaluation.",
        reference="Xu, Wang, Chen & Li 2015",
        torch="torch.nn.RReLU(lower={lower}, upper={upper})",
        stochastic=Stochastic("A random negative slope r ~ U(l, u) per unit while training; evaluation uses (l + u)/2.", rrelu_quantile, rrelu_sample),
        check=lambda lower, upper: None if lower <= upper else "lower must not exceed upper",
    ),
    Activation(
        id="identity",
        name="Identity (linear)",
        latex=r"f(x) = x",
        f=identity,
        df=identity_grad,
        convention="f'(x) = 1",
        properties=Properties("(−∞, ∞)", True, True, True, False, False, "none", "No non-linearity: a deep linear network is still linear."),
        description="No activation at all: the baseline.",
        torch="torch.nn.Identity()",
    ),
)

BY_ID: dict[str, Activation] = {a.id: a for a in CATALOGUE}
IDS: tuple[str, ...] = tuple(BY_ID)


def get(activation_id: str) -> Activation:
    """The activation with this id (KeyError names the known ids)."""
    try:
        return BY_ID[activation_id]
    except KeyError:
        raise KeyError(f"unknown activation {activation_id!r}; known: {', '.join(IDS)}") from None


class ParamError(ValueError):
    """A parameter is unknown, of the wrong kind, or outside its declared range."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# A number written as text (a query string): a plain ASCII decimal. Python's float() would
# also take "1_0", " 1 " and full-width digits.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def resolve_params(act: Activation, given: Mapping[str, object], *, text_numbers: bool = True) -> dict[str, float | str]:
    """Validated parameters: defaults filled in, each value checked against its declaration.

    Numeric values are numbers, or (``text_numbers``, for query strings) plain decimal text;
    a JSON body passes ``text_numbers=False``, so "1" is not taken for 1 there."""
    known = {p.id for p in act.params}
    for key in given:
        if key not in known:
            allowed = ", ".join(sorted(known)) or "none"
            raise ParamError(key, f"{act.id} has no parameter {key!r}; its parameters: {allowed}")
    out: dict[str, float | str] = {}
    for p in act.params:
        raw = given.get(p.id, p.default)
        if p.kind == "choice":
            if raw not in p.choices:
                raise ParamError(p.id, f"{p.id} must be one of {', '.join(p.choices)} (got {raw!r})")
            out[p.id] = str(raw)
            continue
        text = isinstance(raw, str)
        if isinstance(raw, bool) or (text and not (text_numbers and DECIMAL.fullmatch(raw))):  # type: ignore[arg-type]
            raise ParamError(p.id, f"{p.id} must be a number in [{p.min:g}, {p.max:g}] (got {raw!r})")
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ParamError(p.id, f"{p.id} must be a number in [{p.min:g}, {p.max:g}] (got {raw!r})") from None
        if not math.isfinite(value) or not (p.min <= value <= p.max):
            raise ParamError(p.id, f"{p.id} must be a number in [{p.min:g}, {p.max:g}] (got {raw!r})")
        out[p.id] = value
    problem = act.check(**out)
    if problem:
        raise ParamError(",".join(p.id for p in act.params), problem)
    return out
