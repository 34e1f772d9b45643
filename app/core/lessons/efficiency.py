"""Lesson extra: efficient computation."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .. import activations as acts
from .formatting import _verdict, fmt
from .framework import Array, Lesson, Measurement, Plot, Readout, Runner, function_view

TIMING_N = 200_000
TIMING_REPEATS = 5
TIMED = ("relu", "leaky_relu", "elu", "softplus", "sigmoid", "tanh", "gelu")
EXP_BASED = ("elu", "softplus", "sigmoid", "tanh", "gelu")


def time_activation(name: str, x: Array, repeats: int = TIMING_REPEATS) -> float:
    """Median wall-clock seconds of one call of the catalogue's f on ``x``."""
    act = acts.get(name)
    d = act.defaults()
    act.f(x, **d)  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        act.f(x, **d)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure_efficiency(p: dict[str, Any], run: Runner) -> Measurement:
    x = np.random.default_rng(0).standard_normal(TIMING_N)
    times = {n: time_activation(n, x, TIMING_REPEATS) for n in TIMED}
    relu_t = times["relu"]
    slowest_ratio = min(times[n] / relu_t for n in EXP_BASED)
    readouts = [
        Readout("fastest_exp_ratio", "Fastest exp-based activation ÷ ReLU, time per call", slowest_ratio, f"{fmt(slowest_ratio, 2)}×", "> 1: ReLU is cheaper", slowest_ratio > 1.0),
        *[Readout(f"time_{n}", f"{acts.get(n).name}: time for {TIMING_N:,} values", times[n], f"{fmt(times[n] * 1e3, 3)} ms", "") for n in TIMED],
        Readout("engine_cost", f"The training engine's measured cost per unit (ReLU = {acts.get('relu').unit_cost})", float(acts.get("relu").unit_cost),
                ", ".join(f"{acts.get(n).name} {acts.get(n).unit_cost}" for n in TIMED ), "forward + derivative + backward, in multiply-add units"),
    ]
    verdict = _verdict(
        readouts,
        f"Supports the claim: a comparison and a multiplication are cheaper than an exponential — the fastest exp-based activation takes {fmt(slowest_ratio, 2)}× ReLU's time here.",
        "Does not support the claim on this machine right now: timing is noisy, try again.",
    )
    data = {
        "names": [acts.get(n).name for n in TIMED],
        "ids": list(TIMED),
        "times_ms": [times[n] * 1e3 for n in TIMED],
        "engine_cost": [acts.get(n).unit_cost for n in TIMED],
        "n": TIMING_N,
    }
    return Measurement(readouts, verdict, data, function_view("relu", "elu", "sigmoid"))


def note_efficiency(p: dict[str, Any], m: Measurement) -> str:
    return "The explorer draws ReLU, ELU and the logistic sigmoid; it does not time them — the timings are measured only here, on this server, each time you measure."


EFFICIENCY = Lesson(
    slug="efficient-computation",
    number=10,
    title="Efficient computation: no exponentials",
    claim="Efficient computation: only comparison, addition and multiplication.",
    source="Claimed advantages of the rectifier, 4",
    measures=f"Wall-clock time of the app's own activation functions on {TIMING_N:,} random inputs (median of {TIMING_REPEATS} calls), and the per-unit costs the training engine measured for its compute budget.",
    threshold="Every exp-based activation (ELU, softplus, sigmoid, tanh, GELU) takes longer than ReLU.",
    explanation=(
        "max(0, x) is one comparison per input. Sigmoid, tanh, softplus and ELU each need an exponential (or a logarithm), which costs tens of basic operations; GELU needs the error function.",
        f"The app's own functions are timed on {TIMING_N:,} random inputs, median of {TIMING_REPEATS} calls. Timings depend on the machine and on what else it is doing — measure again to see them move. Leaky ReLU is slow here only because the catalogue computes it with np.where for clarity; the training engine uses an in-place fast path (its measured cost is {acts.get('leaky_relu').unit_cost} against ReLU's {acts.get('relu').unit_cost}).",
        "The engine's costs were measured once, for the compute budget of the training API: forward pass, derivative and backward pass per unit and input.",
    ),
    controls=(),
    plots=(Plot("times", "Time per call", "Median wall-clock time of the catalogue's f on the inputs; ReLU first."),),
    measure=measure_efficiency,
    explorer_note=note_efficiency,
    deterministic=False,
    optional=True,
)
