"""Lesson 8. noisy ReLU."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _verdict, fmt
from .framework import Control, Lesson, Measurement, Plot, Readout, Runner, function_view, param_control

NOISY_SMOOTH = 1e-3
NOISY_MC_SE = 5.0  # Monte-Carlo agreement, in standard errors
NOISY_ROUNDING = 1e-9  # without noise: agreement to rounding, relative to the grid's largest |x|
NOISY_GRID = (-3.0, 3.0, 121)
NOISY_H = 1e-6


def measure_noisy(p: dict[str, Any], run: Runner) -> Measurement:
    act = acts.get("noisy_relu")
    params = {"sigma": p["sigma"], "sigma_growth": p["sigma_growth"]}
    x = np.linspace(*NOISY_GRID)
    mean = act.f(x, **params)
    slope = act.df(x, **params)
    assert act.stochastic is not None
    rng = np.random.default_rng(p["seed"])
    draws = p["draws"]
    samples, _ = act.stochastic.sample(np.broadcast_to(x, (draws, x.size)), rng, **params)
    mc_mean = samples.mean(axis=0)
    se = samples.std(axis=0) / math.sqrt(draws)
    mc_err = np.abs(mc_mean - mean)
    # where the noise scale σ + γ|x| is 0 every draw is max(0, x): no standard error, only rounding
    scale = p["sigma"] + p["sigma_growth"] * np.abs(x)
    noisy = scale > 0
    # where (almost) every draw is 0 the sample spread is 0: floor the standard error at one
    # draw's worth of the noise scale
    se_floored = np.maximum(se, scale / draws)
    worst = float((mc_err[noisy] / se_floored[noisy]).max()) if noisy.any() else 0.0
    rounding = NOISY_ROUNDING * max(abs(NOISY_GRID[0]), abs(NOISY_GRID[1]))
    quiet_err = float(mc_err[~noisy].max()) if not noisy.all() else 0.0
    mc_ok = worst <= NOISY_MC_SE and quiet_err <= rounding
    quiet_text = "equal to rounding" if quiet_err <= rounding else f"differs by {fmt(quiet_err)}, more than rounding"
    if not noisy.any():
        mc_text = f"max diff {fmt(float(mc_err.max()))} (no noise at σ = 0: {quiet_text})"
        mc_target = f"equal to rounding (≤ {fmt(rounding, 1)}): without noise there is no standard error"
    elif noisy.all():
        mc_text = f"max diff {fmt(float(mc_err.max()))} ({fmt(worst, 2)} standard errors)"
        mc_target = f"agree within {fmt(NOISY_MC_SE)} standard errors"
    else:
        quiet_x = ", ".join(fmt(float(v)) for v in x[~noisy])
        mc_text = f"max diff {fmt(float(mc_err.max()))} ({fmt(worst, 2)} standard errors; at x = {quiet_x}, no noise: {quiet_text})"
        mc_target = f"agree within {fmt(NOISY_MC_SE)} standard errors; where σ + γ|x| = 0, to rounding (≤ {fmt(rounding, 1)})"
    q_lo, q_hi = act.stochastic.quantile(x, 0.05, **params), act.stochastic.quantile(x, 0.95, **params)
    emp_lo, emp_hi = np.quantile(samples, 0.05, axis=0), np.quantile(samples, 0.95, axis=0)
    # the slope of the mean just left and right of 0
    h = NOISY_H
    f0 = act.f(np.zeros(1), **params)[0]
    left = float((f0 - act.f(np.array([-h]), **params)[0]) / h)
    right = float((act.f(np.array([h]), **params)[0] - f0) / h)
    jump = abs(right - left)
    at0 = float(f0)
    expected0 = p["sigma"] / math.sqrt(2 * math.pi)
    scatter_x = np.repeat(x[::2], 4)
    scatter_y, _ = act.stochastic.sample(scatter_x, rng, **params)
    at0_text = f"{fmt(at0, 5)} vs {fmt(expected0, 5)}"
    if p["sigma"] > 0:
        at_zero = Readout("at_zero", "E[f(0)] against σ/√(2π)", at0, at0_text, "equal: noise lifts the mean above ReLU", abs(at0 - expected0) <= 1e-12)
    else:  # the noise at x = 0 is σ alone, whatever γ
        at_zero = Readout("at_zero", "E[f(0)] against σ/√(2π)", at0, at0_text, "not scored: no noise at x = 0 (σ = 0), nothing to lift the mean above ReLU's 0")
    readouts = [
        Readout("slope_jump", "Slope of E[f] just right minus just left of 0", jump, fmt(jump), f"≈ 0 (< {fmt(NOISY_SMOOTH)}): smooth, unlike ReLU's jump of 1", jump < NOISY_SMOOTH),
        Readout("mc_agreement", f"Monte-Carlo mean of {draws:,} draws vs the closed form E[f]", float(mc_err.max()), mc_text, mc_target, mc_ok),
        at_zero,
        Readout("band", "5–95 % band: empirical vs exact quantiles, max diff", float(max(np.abs(emp_lo - q_lo).max(), np.abs(emp_hi - q_hi).max())),
                fmt(float(max(np.abs(emp_lo - q_lo).max(), np.abs(emp_hi - q_hi).max()))), "close (sampling error)"),
    ]
    no_noise = p["sigma"] == 0 and p["sigma_growth"] == 0
    verdict = _verdict(
        readouts,
        f"Supports the claim: averaged over the noise, noisy ReLU is smooth — its slope changes by only {fmt(jump)} across 0 (ReLU's jumps by 1) — "
        f"and the sampled mean matches the formula x·Φ(x/σ) + σ·φ(x/σ).",
        "Does not support the claim here: " + ("with σ = 0 there is no noise and the mean is ReLU itself, kink included." if no_noise
                                                else "with σ growing with |x| (γ > 0) the noise scale σ + γ|x| has a kink at 0, and so does the mean." if p["sigma_growth"] > 0 and jump >= NOISY_SMOOTH
                                                else "see the rows marked ✗."),
    )
    data = {
        "x": x,
        "mean": mean,
        "slope": slope,
        "relu": acts.get("relu").f(x),
        "relu_slope": acts.get("relu").df(x),
        "mc_mean": mc_mean,
        "band": {"low": q_lo, "high": q_hi},
        "samples": {"x": scatter_x, "y": scatter_y},
        "sigma": p["sigma"],
    }
    view = function_view(("noisy_relu", params), "relu", xmin=NOISY_GRID[0], xmax=NOISY_GRID[1], samples=True)
    return Measurement(readouts, verdict, data, view)


def note_noisy(p: dict[str, Any], m: Measurement) -> str:
    growth = f", γ = {fmt(p['sigma_growth'])}" if p["sigma_growth"] else ""
    return (f"The explorer draws noisy ReLU with σ = {fmt(p['sigma'])}{growth} next to ReLU on [−{fmt(-NOISY_GRID[0])}, {fmt(NOISY_GRID[1])}]: "
            f"the same closed-form mean and 5–95 % band, with its own seeded samples (not this lesson's {p['draws']:,} draws per x).")


NOISY = Lesson(
    slug="noisy-relu",
    number=8,
    title="Noisy ReLU: noise smooths the kink on average",
    claim="noisy ReLU f(x) = max(0, x + Y), Y ~ N(0, σ(x)): Gaussian noise added before rectifying; σ may depend on x; used in restricted Boltzmann machines (Nair & Hinton 2010).",
    source="Functions, noisy ReLU",
    measures="Random draws of max(0, x + Y) on a grid of x: their mean and 5–95 % band against the closed-form expected value E[f(x)] = x·Φ(x/σ) + σ·φ(x/σ) and its quantiles; the slope of E[f] on each side of 0.",
    threshold=f"The slope of E[f] changes by less than {fmt(NOISY_SMOOTH)} across 0 (ReLU's changes by 1); the sampled mean agrees with the closed form within {fmt(NOISY_MC_SE)} standard errors (where σ + γ|x| = 0 there is no noise: to rounding, ≤ {fmt(NOISY_ROUNDING, 1)} of the largest |x|).",
    explanation=(
        "Each draw of a noisy ReLU is still a ReLU — of a jittered input — so every sample has a kink. But the network's behaviour on average is E[max(0, x + Y)], and averaging over Gaussian noise blurs the corner: E[f(x)] = x·Φ(x/σ) + σ·φ(x/σ), a smooth curve whose slope Φ(x/σ) rises gently from 0 to 1.",
        "At x = 0 the mean is σ/√(2π), not 0: noise that pushes the input up is kept, noise that pushes it down is cut off. The larger σ, the wider the band and the softer the corner; at σ = 0 it is plain ReLU again.",
        "If σ grows with |x| (γ > 0, as the source allows), σ(x) itself has a kink at 0 and so does the mean — smoothness needs a noise scale that is smooth in x.",
    ),
    controls=(
        param_control("noisy_relu", "sigma", "Noise σ"),
        param_control("noisy_relu", "sigma_growth", "σ growth γ with |x|", help="σ(x) = σ + γ|x|."),
        Control("draws", "Draws per x", "int", 4000, 100, 20_000, 100, help=f"Monte-Carlo samples at each of {NOISY_GRID[2]} grid points."),
        Control("seed", "Seed", "int", 0, 0, 10_000, 1),
    ),
    plots=(
        Plot("mean", "Mean, 5–95 % band and samples", "Dots: single draws of max(0, x + Y). Line: the closed-form mean; markers: the Monte-Carlo mean; shaded: the band. ReLU in grey."),
        Plot("slope", "Slope of the mean", "d/dx E[f(x)] = Φ(x/σ) (smooth) against ReLU's step."),
    ),
    measure=measure_noisy,
    explorer_note=note_noisy,
)
