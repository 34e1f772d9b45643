"""Lesson 5. softplus and the logistic."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _verdict, fmt
from .framework import Array, Control, Lesson, Measurement, Plot, Readout, Runner, function_view, param_control

SOFTPLUS_EXACT = 1e-12
SOFTPLUS_FD = 1e-6
SOFTPLUS_FD_STEP = 1e-5
SOFTPLUS_THRESHOLD = 50.0  # the catalogue's maximum: PyTorch's linear switch then changes f′ by less than rounding
SOFTPLUS_PYTORCH_THRESHOLD = float(acts.get("softplus").defaults()["threshold"])
SOFTPLUS_BETAS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def logistic_source(x: Array) -> tuple[Array, Array]:
    """The logistic function in the two forms the source writes: e^x/(1 + e^x) and 1/(1 + e^(−x))."""
    with np.errstate(over="ignore"):
        e = np.exp(x)
        return e / (1.0 + e), 1.0 / (1.0 + np.exp(-x))


def measure_softplus(p: dict[str, Any], run: Runner) -> Measurement:
    sp = acts.get("softplus")
    R, beta = float(p["range"]), float(p["beta"])
    x = np.linspace(-R, R, 2001)  # odd: contains 0
    d1 = {"beta": 1.0, "threshold": SOFTPLUS_THRESHOLD}
    dsp = sp.df(x, **d1)
    form1, form2 = logistic_source(x)
    diff = np.abs(dsp - form2)
    diff_forms = float(np.abs(form1 - form2).max())
    h = SOFTPLUS_FD_STEP
    fd = (sp.f(x + h, **d1) - sp.f(x - h, **d1)) / (2 * h)
    fd_diff = np.abs(fd - form2)
    max_diff, max_fd = float(diff.max()), float(fd_diff.max())
    relu = acts.get("relu").f(x)

    def gap(b: float) -> float:
        return float(np.abs(sp.f(x, beta=b, threshold=SOFTPLUS_THRESHOLD) - relu).max())

    g = gap(beta)
    predicted = math.log(2.0) / beta
    betas = sorted(set(SOFTPLUS_BETAS) | {beta})
    gaps = [gap(b) for b in betas]
    shrinking = all(g2 < g1 for g1, g2 in zip(gaps, gaps[1:]))
    readouts = [
        Readout("derivative_vs_logistic", "max |softplus′(x) − 1/(1 + e⁻ˣ)|", max_diff, fmt(max_diff), f"0 up to rounding (≤ {fmt(SOFTPLUS_EXACT)})", max_diff <= SOFTPLUS_EXACT),
        Readout("finite_difference", f"max |finite-difference slope of softplus − logistic| (step {fmt(h)})", max_fd, fmt(max_fd), f"≈ 0 (≤ {fmt(SOFTPLUS_FD)}, the step's error)", max_fd <= SOFTPLUS_FD),
        Readout("forms", "max |eˣ/(1 + eˣ) − 1/(1 + e⁻ˣ)|", diff_forms, fmt(diff_forms), "the source's two forms agree"),
        Readout("gap", f"max |softplusᵦ(x) − max(0, x)| for β = {fmt(beta)}", g, fmt(g, 6), f"(log 2)/β = {fmt(predicted, 6)}", abs(g - predicted) <= 1e-9 * max(1.0, predicted)),
        Readout("gap_shrinks", f"gap for β = {', '.join(fmt(b) for b in betas)}", gaps[-1], " → ".join(fmt(v, 3) for v in gaps), "shrinks as β grows: softplus → ReLU", shrinking),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: softplus′ and the logistic {'agree exactly' if max_diff == 0 else f'differ by at most {fmt(max_diff)}'} on [−{fmt(R)}, {fmt(R)}]; "
        f"the largest gap to ReLU is {fmt(g, 4)} = (log 2)/β at x = 0, shrinking as β grows.",
        "Does not support the claim at these settings: see the rows marked ✗.",
    )
    data = {
        "x": x,
        "derivative": dsp,
        "logistic": form2,
        "difference": diff,
        "fd_difference": fd_diff,
        "beta": beta,
        "relu": relu,
        "betas": betas,
        "gaps": gaps,
        "predicted": [math.log(2.0) / b for b in betas],
        "curves": [{"beta": b, "y": sp.f(x, beta=b, threshold=SOFTPLUS_THRESHOLD)} for b in sorted({1.0, beta, 4.0 if beta != 4.0 else 8.0})],
    }
    # softplus with β = 1 (whose slope is the logistic), the chosen β, ReLU and the logistic itself
    sharp = [("softplus", {"beta": beta, "threshold": SOFTPLUS_THRESHOLD})] if beta != 1.0 else []
    return Measurement(readouts, verdict, data, function_view(("softplus", d1), *sharp, "relu", "sigmoid", xmin=-R, xmax=R))


def note_softplus(p: dict[str, Any], m: Measurement) -> str:
    R, beta = float(p["range"]), float(p["beta"])
    sharp = f", softplusᵦ for β = {fmt(beta)}" if beta != 1.0 else ""
    return (f"The explorer draws softplus (β = 1){sharp}, ReLU and the logistic sigmoid on [−{fmt(R)}, {fmt(R)}], with softplus' threshold at {fmt(SOFTPLUS_THRESHOLD)} as here. "
            "Compare softplus' f′ (lower panel) with the sigmoid's f (upper panel): the same curve. The gap to ReLU, (log 2)/β, is softplusᵦ(0) in the upper panel.")


SOFTPLUS = Lesson(
    slug="softplus-logistic",
    number=5,
    title="Softplus: a smooth ReLU whose slope is the logistic",
    claim="softplus f(x) = log(1 + exp(x)): smooth approximation of ReLU; its derivative is the logistic function f'(x) = exp(x)/(1+exp(x)) = 1/(1+exp(-x)).",
    source="Functions, softplus",
    measures="softplus′ (as the catalogue computes it, and as a finite-difference slope of softplus itself) against the source's logistic formula 1/(1 + e⁻ˣ); the largest gap between softplusᵦ(x) = log(1 + exp(βx))/β and ReLU for several β.",
    threshold=f"softplus′ matches 1/(1 + e⁻ˣ) to {fmt(SOFTPLUS_EXACT)} (the finite-difference slope to {fmt(SOFTPLUS_FD)}); the largest gap to ReLU equals (log 2)/β and shrinks as β grows.",
    explanation=(
        "d/dx log(1 + eˣ) = eˣ/(1 + eˣ) = 1/(1 + e⁻ˣ): the chain rule gives the logistic sigmoid directly. The lesson checks it twice: against the derivative the app uses for training, and against the slope of softplus' own values measured by finite differences.",
        "softplus is smooth everywhere — its slope goes continuously from 0 to 1 — while ReLU's slope jumps at 0. With a sharpness β, softplusᵦ(x) = log(1 + exp(βx))/β hugs ReLU more tightly as β grows.",
        "Where is it furthest from ReLU? At x = 0, where softplusᵦ(0) = (log 2)/β and ReLU is 0; on each side the gap shrinks like exp(−β|x|)/β. The measured maximum gap equals (log 2)/β.",
        f"PyTorch switches softplus to the identity where βx > threshold ({fmt(SOFTPLUS_PYTORCH_THRESHOLD)} by default) to avoid overflow; that changes f′ by up to exp(−threshold) ≈ {fmt(math.exp(-SOFTPLUS_PYTORCH_THRESHOLD), 2)}, more than the {fmt(SOFTPLUS_EXACT)} checked here. The lesson sets it to {fmt(SOFTPLUS_THRESHOLD)}, the catalogue's maximum, where the change (≈ {fmt(math.exp(-SOFTPLUS_THRESHOLD), 2)}) is below rounding.",
    ),
    controls=(
        param_control("softplus", "beta", "Sharpness β", default=2.0, help="softplusᵦ(x) = log(1 + exp(βx))/β; larger β is closer to ReLU."),
        Control("range", "x range ±", "float", 6.0, 1.0, 30.0, 0.5, help="The comparison runs over [−range, range]."),
    ),
    plots=(
        Plot("derivative", "softplus′ overlaid on the logistic sigmoid", "Solid: the derivative of softplus; dashed: 1/(1 + e⁻ˣ). Below: their difference (log scale; exact zeros are not drawn)."),
        Plot("approach", "softplusᵦ approaches ReLU as β grows", "softplusᵦ for several β and ReLU (black)."),
        Plot("gap", "Largest gap to ReLU against β", "Measured max |softplusᵦ − ReLU| (markers) and (log 2)/β (line). Log–log."),
    ),
    measure=measure_softplus,
    explorer_note=note_softplus,
)
