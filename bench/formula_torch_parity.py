"""The "copy as PyTorch" snippet computes the same f and f′ as the formula core.

For every formula of tests/cases/builtin_formulas.json and tests/cases/formula_valid.json,
at the default parameters and at values inside the ranges: build the module from
``Formula.torch_source()`` (our own generated text; executing it is what a user does with
the snippet), run forward and autograd in float64 on 4001 points of [−20, 20] (or the
formula's domain) away from kinks, and compare with ``Formula.f``/``Formula.df``:
|torch − ours| ≤ 1e-12·(|f| + |x·f′|) for f and 1e-12·(|f′| + |x·f″|) + 1e-300 for f′ (f″
by central differences of our f′), the scale tests/core/test_formula_builtins.py uses.

Where the two differ by more than that, an mpmath evaluation of the formula (30 digits,
mp.diff; the evaluator of tests/core/test_formula_calculus.py) says who is right. PyTorch's
backward formulas lose precision in the tails: sigmoid′ = (1 − y)·y, tanh′ = 1 − y² and
expm1′ = y + 1 cancel where y is near ±1 (or −1), so there autograd is off by up to 100 %
of a tiny value while ours matches mpmath; those points are counted as "torch less
accurate", not as failures. A failure is a point where ours is the one off.

Also reported, not counted as failures: the derivative at the kinks (the snippet takes, at a
max/min tie, the argument with the smaller slope, as the formula core does; torch.maximum
would split the gradient in halves) and the tails ±1e3, ±1e4 (torch.where backpropagates 0·∞ = NaN from
an overflowing branch it did not take, e.g. ELU's exp(x) at x = 1e4).

    pip install torch==2.13.0     # optional; the script says so and exits 0 without it
    python3 bench/formula_torch_parity.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.formula import compile_formula  # noqa: E402
from tests.core.test_formula_calculus import Domain, mp_eval  # noqa: E402

RTOL = 1e-12


def cases() -> list[tuple[str, str, dict | None, tuple[float, float]]]:
    out = []
    for c in json.loads((ROOT / "tests/cases/builtin_formulas.json").read_text()):
        out.append((c["id"], c["formula"], c["params"], (-20.0, 20.0)))
    for c in json.loads((ROOT / "tests/cases/formula_valid.json").read_text()):
        out.append((c["text"], c["text"], c.get("params"), tuple(c.get("domain", (-20.0, 20.0)))))
    return out


def module_from(source: str, class_name: str, params: dict):
    namespace: dict = {}
    exec(compile(source, "<formula snippet>", "exec"), namespace)
    return namespace[class_name](**params)


def torch_values(torch, module, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = module(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    return y.detach().numpy(), g.numpy()


def referee(F, params: dict, x: float, ours: tuple, theirs: tuple) -> tuple[str, float, float]:
    """Which of ours and torch's (f, f′) at x is nearer the mpmath value, in units of the
    conditioning; "both within" if both are within 1e-10 of it (rounding of the inputs)."""
    import mpmath as mp

    with mp.workdps(30):
        p = {k: mp.mpf(v) for k, v in params.items()}
        try:
            fx = lambda t: mp_eval(F.tree, t, p)
            X = mp.mpf(x)
            rf, rd, rd2 = fx(X), mp.diff(fx, X), mp.diff(fx, X, 2)
        except Domain:
            return "undefined", 0.0, 0.0
        sf, sd = abs(rf) + abs(X * rd) + mp.mpf(1e-300), abs(rd) + abs(X * rd2) + mp.mpf(1e-300)
        eo = float(max(abs(ours[0] - rf) / sf, abs(ours[1] - rd) / sd))
        et = float(max(abs(theirs[0] - rf) / sf, abs(theirs[1] - rd) / sd))
    if eo <= RTOL * 10 and et > eo:
        return "torch less accurate", eo, et
    if eo <= 1e-10 and et <= 1e-10:
        return "both within 1e-10", eo, et
    if eo <= et:
        return "both off (the formula as typed cancels), ours nearer", eo, et
    return "ours off", eo, et


def main() -> int:
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install torch==2.13.0): nothing to compare")
        return 0
    torch.set_default_dtype(torch.float64)
    print(f"torch {torch.__version__}")
    failures = points = 0
    worst_f = worst_d = 0.0
    tally: dict[str, int] = {}
    examples: dict[str, tuple[float, float, float]] = {}
    kink_rows, tail_rows = [], []
    for label, text, spec, (lo, hi) in cases():
        F = compile_formula(text, spec)
        rng = random.Random(label)
        settings = [F.defaults()]
        if F.params:
            settings.append({p.name: round(rng.uniform(p.min + 0.3 * (p.max - p.min), p.max - 0.3 * (p.max - p.min)), 3)
                             for p in F.params})
        for params in settings:
            module = module_from(F.torch_source("Snippet", **params), "Snippet", params)
            breaks = F.breakpoints(**params)
            xs = np.linspace(lo, hi, 4001)
            xs = xs[[all(abs(x - b) > 1e-6 * max(1.0, abs(b)) for b in breaks) for x in xs]]
            f, d = F.f_and_df(xs, **params)
            ok = np.isfinite(f) & np.isfinite(d)
            xs, f, d = xs[ok], f[ok], d[ok]
            tf, td = torch_values(torch, module, xs)
            h = 1e-6 * np.maximum(1.0, np.abs(xs))
            with np.errstate(all="ignore"):
                d2 = (F.df(xs + h, **params) - F.df(xs - h, **params)) / (2 * h)
            d2 = np.where(np.isfinite(d2), d2, 0.0)
            ef = np.abs(tf - f) / (np.abs(f) + np.abs(xs * d) + 1e-300)
            ed = np.abs(td - d) / (np.abs(d) + np.abs(xs * d2) + 1e-300)
            ef = np.where(np.abs(tf - f) <= 1e-300, 0.0, ef)
            ed = np.where(np.abs(td - d) <= 1e-300, 0.0, ed)
            worst_f = max(worst_f, float(np.max(ef, initial=0.0)))
            for i in np.flatnonzero((ef > RTOL) | (ed > RTOL)):
                verdict, err_ours, err_torch = referee(F, params, float(xs[i]), (f[i], d[i]), (tf[i], td[i]))
                tally[verdict] = tally.get(verdict, 0) + 1
                if verdict == "ours off":
                    failures += 1
                    print(f"OURS OFF {label} {params} at x = {xs[i]}: error {err_ours:.3g}, torch {err_torch:.3g}")
                elif verdict == "torch less accurate":
                    examples.setdefault(label, (float(xs[i]), err_ours, err_torch))
            agree = (ef <= RTOL) & (ed <= RTOL)
            worst_d = max(worst_d, float(np.max(ed[agree], initial=0.0)))
            points += xs.size
            kinks = F.kinks(**params)
            if kinks:
                kt, kd = torch_values(torch, module, np.array(kinks))[1], F.df(np.array(kinks), **params)
                kink_rows.append((label, params, kinks, list(kd), list(kt)))
            tails = np.array([-1e4, -1e3, 1e3, 1e4])
            rf, rd = F.f_and_df(tails, **params)
            tf2, td2 = torch_values(torch, module, tails)
            fin = np.isfinite(rf) & np.isfinite(rd)
            bad = fin & ~(np.isclose(tf2, rf, rtol=1e-12, atol=0) & np.isclose(td2, rd, rtol=1e-12, atol=1e-300))
            if bad.any():
                tail_rows.append((label, params, list(tails[bad]), list(rd[bad]), list(td2[bad])))
    print(f"{len(cases())} formulas, {points} points: forward worst relative error {worst_f:.2e}; "
          f"f' worst {worst_d:.2e} where within {RTOL:g}")
    print(f"points over {RTOL:g}, judged by mpmath: {tally or 'none'}")
    for label, (x, eo, et) in examples.items():
        print(f"  torch less accurate: {label} at x = {x:g}: ours {eo:.1e}, autograd {et:.1e} (relative to mpmath)")
    print(f"{failures} points where ours is the one off")
    same = sum(1 for *_, ours, theirs in kink_rows if np.allclose(ours, theirs, rtol=1e-15, atol=0))
    print(f"at kinks: {same} of {len(kink_rows)} settings give autograd's value exactly; differing:")
    for label, params, kinks, ours, theirs in kink_rows:
        if not np.allclose(ours, theirs, rtol=1e-15, atol=0):
            print(f"  {label} {params}: x = {kinks}: ours {ours}, autograd {theirs}")
    print(f"tails ±1e3, ±1e4 where ours is finite but autograd differs ({len(tail_rows)} settings):")
    for label, params, xs, ours, theirs in tail_rows:
        print(f"  {label} {params}: x = {xs}: f' ours {ours}, autograd {theirs}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
