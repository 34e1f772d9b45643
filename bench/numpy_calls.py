"""numpy/scipy calls per recorded epoch of bench part 2's default case (every epoch recorded).

Counts by wrapping the functions the engine looks up at call time (``np.X``, ``np.X.reduce``,
``sc.X``) and by tracing the lines of app/core that apply an in-place operator (``a *= b``),
over a run of E epochs minus a run of 0 epochs, divided by E.

    python3 bench/numpy_calls.py [epochs, default 100]
"""

from __future__ import annotations

import collections
import dataclasses
import linecache
import re
import sys
import types
from pathlib import Path

import numpy as np
import scipy.special as sc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import engine_config  # noqa: E402

from app.core import network, optim, passes, recording  # noqa: E402
from app.core.training import train  # noqa: E402

calls: collections.Counter = collections.Counter()
inplace: collections.Counter = collections.Counter()
active = [True]  # not inside a wrapped call (numpy's own nested calls are not counted)
INPLACE = re.compile(r"^\s*[\w\.\[\]:, ]+\s(\*|\+|-|/)=\s")


class _Ufunc:
    def __init__(self, f: np.ufunc, name: str):
        self.f, self.name = f, name

    def __call__(self, *a, **k):
        if active[0]:
            calls[self.name] += 1
        return self.f(*a, **k)

    def __getattr__(self, attr: str):
        g = getattr(self.f, attr)
        if not callable(g):
            return g

        def method(*a, **k):
            if active[0]:
                calls[f"{self.name}.{attr}"] += 1
            return g(*a, **k)

        return method


def _function(f, name: str):
    def wrapped(*a, **k):
        if not active[0]:
            return f(*a, **k)
        calls[name] += 1
        active[0] = False
        try:
            return f(*a, **k)
        finally:
            active[0] = True

    return wrapped


def wrap(module, prefix: str) -> None:
    for name in dir(module):
        if name.startswith("_"):
            continue
        f = getattr(module, name)
        if isinstance(f, np.ufunc):
            setattr(module, name, _Ufunc(f, prefix + name))
        elif isinstance(f, types.FunctionType) or type(f).__name__ in ("_ArrayFunctionDispatcher", "builtin_function_or_method"):
            try:
                setattr(module, name, _function(f, prefix + name))
            except (AttributeError, TypeError):
                pass


def tracer(frame, event, arg):
    if event == "call":
        return tracer if "app/core" in frame.f_code.co_filename else None
    if event == "line":
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        if INPLACE.match(line) and "self.step" not in line and "self.fi" not in line:
            inplace[line.strip()] += 1
    return tracer


def count(cfg) -> tuple[int, int, dict, dict]:
    calls.clear()
    inplace.clear()
    sys.settrace(tracer)
    try:
        train(cfg)
    finally:
        sys.settrace(None)
    return sum(calls.values()), sum(inplace.values()), dict(calls), dict(inplace)


def main() -> int:
    E = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    cfg = dataclasses.replace(engine_config(3, 8), epochs=E, frames=E + 1, boundary_frames=0, histograms=False)
    wrap(np, "np.")
    wrap(sc, "sc.")
    # np.dot and np.copyto as the engine calls them, without their dispatch (see app/core/passes.py)
    for mod in (passes, network, recording, optim):
        for name in ("dot", "copyto"):
            if hasattr(mod, name):
                setattr(mod, name, _function(getattr(mod, name), "np." + name))
    c0, i0, _, _ = count(dataclasses.replace(cfg, epochs=0, frames=1))
    c1, i1, per_call, per_line = count(cfg)
    per, per_in = (c1 - c0) / E, (i1 - i0) / E
    print(f"per recorded epoch (default 2-8-8-8-1, Adam): {per:.1f} numpy/scipy calls + {per_in:.1f} in-place operators = {per + per_in:.1f}")
    for k, v in sorted(per_call.items(), key=lambda kv: -kv[1]):
        if v >= E:
            print(f"  {v / E:5.2f}  {k}")
    for k, v in sorted(per_line.items(), key=lambda kv: -kv[1]):
        if v >= E:
            print(f"  {v / E:5.2f}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
