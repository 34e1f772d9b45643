"""Where a formula is not smooth: candidate kinks found from its structure, then checked.

Candidates are the x where
* the argument of abs (or sign) is 0,
* the two arguments of max/min are equal,
* the two sides of a comparison in a where/piecewise condition are equal.

(Where sqrt(u) or u^c with non-integer c meets u = 0 the formula stops being defined, and
1/u has a pole; those are not kinks: evaluation reports them, see ``check_finite``.)

Each of those is an equation g(x) = 0. We solve it when g is piecewise linear in x, which
is decided from its structure: x, constants, sums and differences of piecewise-linear
terms, products where one factor holds x and the others are constant, quotients by
constants, and abs/max/min/where of piecewise-linear arguments whose own conditions are
piecewise linear. Its breakpoints are then the solutions of the inner equations
(recursively); on each piece g is a line whose slope is measured across the whole piece
(or across 1e6 on the unbounded ones, to keep the rounding error of the difference small)
and its root read off. This covers ``x > c``, ``x + 3 > 0``, ``a*x > 0``, ``b*x > t``,
``max(x, a*x)``, ``min(max(x, lo), hi)``, ``s + g*abs(x) > 0`` and the like. If any g is not
of that form (``x^2 > 1``, ``sin(x) > 0``), ``kinks_known`` is False and the kinks found are
only the solvable ones.

A candidate is kept only if f or f′ really jumps there: the one-sided limits of f and f′
(extrapolated linearly from x0 ± h and x0 ± 2h, h = 1e-7·max(1, |x0|)) and f(x0) are
compared, with relative tolerances 1e-12 for f and 1e-10 for f′. So where(x > 0, x, a*x)
has a kink at 0 unless a = 1, ELU's where(...) has none at α = 1, and x*abs(x) (which is
C¹) has none; PyTorch's softplus threshold at its default 20 (jumps of about 2e-9) is found,
but not at thresholds above about 23, where the jump e^-threshold is below what doubles
resolve next to x = threshold/β (f and f′ are the same floating-point numbers on both
sides, so for every numerical purpose there is no kink).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .evaluate import Program, compile_trees, evaluate
from .tree import (
    Add,
    Call,
    Const,
    Div,
    Mul,
    Neg,
    Node,
    Num,
    Param,
    Sub,
    Where,
    X,
    comparisons,
    has_x,
    walk,
)

MAX_SOURCES = 64  # kink equations examined per formula (each is a small program)


def _sources(tree: Node) -> list[Node]:
    """The g(x) whose zeros are candidate kinks of ``tree`` (deduplicated, in order)."""
    out: dict[Node, None] = {}
    for n in walk(tree):
        if isinstance(n, Call) and n.fn in ("abs", "sign") and has_x(n.args[0]):
            out.setdefault(n.args[0])
        elif isinstance(n, Call) and n.fn in ("max", "min") and (has_x(n.args[0]) or has_x(n.args[1])):
            out.setdefault(Sub(n.args[0], n.args[1]))
        elif isinstance(n, Where):
            for c in comparisons(n.cond):
                if has_x(c.left) or has_x(c.right):
                    out.setdefault(Sub(c.left, c.right))
    return list(out)


def piecewise_linear(n: Node) -> bool:
    """Is n piecewise linear in x by its structure (see the module docstring)?"""
    memo: dict[int, bool] = {}

    def go(m: Node) -> bool:
        k = id(m)
        if k in memo:
            return memo[k]
        if isinstance(m, (X, Num, Const, Param)) or not has_x(m):
            r = True
        elif isinstance(m, (Add, Sub, Neg)):
            r = all(go(c) for c in (m.terms if isinstance(m, Add) else (m.left, m.right) if isinstance(m, Sub)
                                      else (m.arg,)))
        elif isinstance(m, Mul):
            with_x = [f for f in m.factors if has_x(f)]
            r = len(with_x) == 1 and go(with_x[0])
        elif isinstance(m, Div):
            r = not has_x(m.den) and go(m.num)
        elif isinstance(m, Call) and m.fn in ("abs", "max", "min"):
            r = all(go(a) for a in m.args)
        elif isinstance(m, Where):
            r = go(m.then) and go(m.other) and all(go(c.left) and go(c.right) for c in comparisons(m.cond))
        else:
            r = False
        memo[k] = r
        return r

    return go(n)


@dataclass(frozen=True)
class _Linear:
    """g (output ``out`` of ``prog``) is linear between the zeros of ``inner``."""

    prog: Program
    out: int
    inner: tuple[_Linear, ...]

    def roots(self, params: Mapping[str, float], memo: dict[int, list[float]] | None = None) -> list[float]:
        memo = {} if memo is None else memo
        if id(self) not in memo:
            memo[id(self)] = self._roots(params, memo)
        return memo[id(self)]

    def _roots(self, params: Mapping[str, float], memo: dict[int, list[float]]) -> list[float]:
        breaks = sorted({b for lin in self.inner for b in lin.roots(params, memo) if math.isfinite(b)})
        edges = [-math.inf] + breaks + [math.inf]
        pairs = []  # two points spanning each piece
        for lo, hi in zip(edges[:-1], edges[1:]):
            if math.isinf(lo) and math.isinf(hi):
                pairs.append((0.0, 1e6))
            elif math.isinf(lo):
                pairs.append((hi - 1e6, hi))
            elif math.isinf(hi):
                pairs.append((lo, lo + 1e6))
            else:
                pairs.append((lo, hi))
        pts = np.array([p for pair in pairs for p in pair] + breaks)
        values = evaluate(self.prog, pts, params, (self.out,))[0]
        found = [b for b, v in zip(breaks, values[2 * len(pairs):]) if v == 0.0]
        for i, ((lo, hi), (p1, p2)) in enumerate(zip(zip(edges[:-1], edges[1:]), pairs)):
            g1, g2 = values[2 * i], values[2 * i + 1]
            if not (math.isfinite(g1) and math.isfinite(g2)) or g1 == g2:
                continue
            slope = (g2 - g1) / (p2 - p1)
            r = p1 - g1 / slope if abs(g1) <= abs(g2) else p2 - g2 / slope
            tol = 1e-12 * max(1.0, abs(r))
            if math.isfinite(r) and lo - tol <= r <= hi + tol:
                found.append(float(r))
        return sorted(set(found))


class KinkFinder:
    """The kink equations of a tree, compiled together into one program."""

    def __init__(self, tree: Node):
        sources = _sources(tree)
        self.known = len(sources) <= MAX_SOURCES
        plan: dict[Node, list[Node] | None] = {}  # g -> its inner equations, None if not solvable

        def solvable(g: Node) -> bool:
            if g in plan:
                return plan[g] is not None
            plan[g] = None  # (a cycle cannot happen: inner equations are proper subtrees)
            if len(plan) > MAX_SOURCES or not piecewise_linear(g):
                return False
            inner = _sources(g)
            if all(solvable(h) for h in inner):
                plan[g] = inner
                return True
            return False

        top = []
        for g in sources[:MAX_SOURCES]:
            if solvable(g):
                top.append(g)
            else:
                self.known = False
        order = [g for g, inner in plan.items() if inner is not None]
        prog = compile_trees(*order) if order else None
        built: dict[Node, _Linear] = {}

        def build(g: Node) -> _Linear:
            if g not in built:
                built[g] = _Linear(prog, order.index(g), tuple(build(h) for h in plan[g]))  # type: ignore[arg-type, union-attr]
            return built[g]

        self.lines = [build(g) for g in top]

    def candidates(self, params: Mapping[str, float]) -> list[float]:
        out: set[float] = set()
        memo: dict[int, list[float]] = {}
        for lin in self.lines:
            out.update(lin.roots(params, memo))
        return sorted(r + 0.0 for r in out if math.isfinite(r))


def real_kinks(both: Program, xs: list[float], params: Mapping[str, float]) -> list[float]:
    """The x0 in ``xs`` where f or f′ jumps (or f′ is not finite next to it), all checked
    in one evaluation of the program for f and f′."""
    if not xs:
        return []
    x0 = np.array(xs, dtype=float)
    h = 1e-7 * np.maximum(1.0, np.abs(x0))
    pts = x0[:, None] + h[:, None] * np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    f, d = evaluate(both, pts, params)
    finite = np.all(np.isfinite(f), axis=1) & np.all(np.isfinite(d), axis=1)
    with np.errstate(all="ignore"):
        fl, fr = 2 * f[:, 1] - f[:, 0], 2 * f[:, 3] - f[:, 4]
        dl, dr = 2 * d[:, 1] - d[:, 0], 2 * d[:, 3] - d[:, 4]
        tol_f = 1e-12 * (1.0 + np.abs(fl) + np.abs(fr)) + 1e-12 * h * (np.abs(dl) + np.abs(dr))
        tol_d = 1e-10 * (1.0 + np.abs(dl) + np.abs(dr))
        jump = (np.abs(fl - fr) > tol_f) | (np.abs(dl - dr) > tol_d) | (np.abs(f[:, 2] - 0.5 * (fl + fr)) > tol_f)
    keep = ~finite | jump
    return [float(v) for v, k in zip(x0, keep) if k]
