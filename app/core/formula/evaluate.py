"""Vectorised numpy evaluation of formula trees, and reports of where values overflow.

A tree is compiled once into a :class:`Program`: a straight-line list of numpy
operations over slots, with equal subtrees sharing one slot (so f and f′ evaluated
together compute sigmoid(b*x) once). Running a program is a loop over that list; nothing
is ever turned into Python source. Every branch of a where is computed (under
``np.errstate(all="ignore")``) and the result selected with ``np.where``, so a value
discarded by a condition, even an overflow or a 0·∞ in an unused branch of the
derivative, never reaches the result. Parameters may be floats or arrays that broadcast
against x. The output always has the broadcast shape of x and the parameters and is a
new array (never x itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special as sc

from .errors import FormulaError
from .printers import to_text
from .tree import (
    CONSTANTS,
    Add,
    And,
    Call,
    Cmp,
    Const,
    Div,
    Mul,
    Neg,
    Node,
    Not,
    Num,
    Or,
    Param,
    Pow,
    Sub,
    Where,
    X,
    const_value,
)

Array = np.ndarray


def _powi(u, n: int):
    """u**n for an integer n by repeated squaring (exact to a few ulps, much faster than np.power)."""
    if n < 0:
        return 1.0 / _powi(u, -n)
    if n == 0:
        return np.ones_like(u) if isinstance(u, np.ndarray) else 1.0
    result = None
    base = u
    while n:
        if n & 1:
            result = base if result is None else result * base
        n >>= 1
        if n:
            base = base * base
    return result


def _softplus(u):
    return -sc.log_expit(-u)


def _sech2(u):
    return 4.0 * sc.expit(2.0 * u) * sc.expit(-2.0 * u)


_IMPL = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "neg": np.negative,
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": sc.expit, "softplus": _softplus,
    "erf": sc.erf, "erfc": sc.erfc, "sign": np.sign, "sech2": _sech2, "log_sigmoid": sc.log_expit,
    "max": np.maximum, "min": np.minimum, "where": np.where,
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
    "!=": np.not_equal, "and": np.logical_and, "or": np.logical_or, "not": np.logical_not,
}
# rough cost of one element of each operation, in units of one np.add on float64
OP_COST = {
    "add": 1, "sub": 1, "mul": 1, "div": 1, "neg": 1, "max": 1, "min": 1, "abs": 1, "sign": 1.5,
    "<": 0.5, "<=": 0.5, ">": 0.5, ">=": 0.5, "==": 0.5, "!=": 0.5, "and": 0.5, "or": 0.5, "not": 0.5,
    "where": 2, "exp": 2, "expm1": 3, "tanh": 3, "log": 4, "log1p": 4, "sqrt": 2, "sin": 6, "cos": 6,
    "sigmoid": 8, "softplus": 14, "log_sigmoid": 12, "sech2": 18, "erf": 15, "erfc": 15, "powf": 15,
}


@dataclass(frozen=True)
class Program:
    """Slots computed in order: each is (op, argument slots, payload)."""

    ops: tuple[tuple[str, tuple[int, ...], object], ...]
    nodes: tuple[Node, ...]  # the subtree each slot computes (for messages)
    outputs: tuple[int, ...]

    @property
    def cost(self) -> float:
        """Per-element cost of one run, in np.add units (constants and x are free)."""
        total = 0.0
        for op, _, payload in self.ops:
            if op == "powi":
                n = abs(int(payload))  # type: ignore[arg-type]
                total += max(n.bit_length() - 1 + bin(n).count("1") - 1, 0) + (1 if int(payload) < 0 else 0)  # type: ignore[arg-type]
            else:
                total += OP_COST.get(op, 0)
        return total


def compile_trees(*trees: Node) -> Program:
    ops: list[tuple[str, tuple[int, ...], object]] = []
    nodes: list[Node] = []
    keys: dict[tuple, int] = {}
    consts: dict[int, object] = {}  # slot -> value, for slots free of x and parameters
    memo: dict[int, tuple[Node, int]] = {}

    def emit(op: str, args: tuple[int, ...], payload: object, node: Node) -> int:
        if op not in ("x", "param", "num", "bool") and all(a in consts for a in args):
            with np.errstate(all="ignore"):  # fold a constant subexpression once, here
                value = _apply(op, [consts[a] for a in args], payload)
            if isinstance(value, (bool, np.bool_)):
                op, args, payload = "bool", (), bool(value)
            else:
                op, args, payload = "num", (), float(value)
        key = (op, args, payload)
        if key in keys:
            return keys[key]
        slot = len(ops)
        ops.append(key)
        nodes.append(node)
        keys[key] = slot
        if op in ("num", "bool"):
            consts[slot] = payload
        return slot

    def go(n: Node) -> int:
        hit = memo.get(id(n))
        if hit is not None and hit[0] is n:
            return hit[1]
        slot = _go(n)
        memo[id(n)] = (n, slot)
        return slot

    def chain(op: str, items: tuple[Node, ...], n: Node) -> int:
        acc = go(items[0])
        for it in items[1:]:
            acc = emit(op, (acc, go(it)), None, n)
        return acc

    def _go(n: Node) -> int:
        if isinstance(n, X):
            return emit("x", (), None, n)
        if isinstance(n, Num):
            return emit("num", (), n.value, n)
        if isinstance(n, Const):
            return emit("num", (), CONSTANTS[n.name], n)
        if isinstance(n, Param):
            return emit("param", (), n.name, n)
        if isinstance(n, Neg):
            return emit("neg", (go(n.arg),), None, n)
        if isinstance(n, Add):
            return chain("add", n.terms, n)
        if isinstance(n, Mul):
            return chain("mul", n.factors, n)
        if isinstance(n, Sub):
            return emit("sub", (go(n.left), go(n.right)), None, n)
        if isinstance(n, Div):
            return emit("div", (go(n.num), go(n.den)), None, n)
        if isinstance(n, Pow):
            c = const_value(n.exp)
            assert c is not None
            if c.is_integer() and abs(c) <= 64:
                return emit("powi", (go(n.base),), int(c), n)
            return emit("powf", (go(n.base),), c, n)
        if isinstance(n, Call):
            return emit(n.fn, tuple(go(a) for a in n.args), None, n)
        if isinstance(n, Where):
            return emit("where", (go(n.cond), go(n.then), go(n.other)), None, n)
        if isinstance(n, Cmp):
            return emit(n.op, (go(n.left), go(n.right)), None, n)
        if isinstance(n, (And, Or)):
            return emit("and" if isinstance(n, And) else "or", (go(n.left), go(n.right)), None, n)
        if isinstance(n, Not):
            return emit("not", (go(n.arg),), None, n)
        raise TypeError(f"not a formula node: {n!r}")

    outputs = tuple(go(t) for t in trees)
    return Program(tuple(ops), tuple(nodes), outputs)


def _apply(op: str, args: list, payload: object):
    if op == "powi":
        return _powi(args[0], int(payload))  # type: ignore[arg-type]
    if op == "powf":
        return np.power(args[0], payload)
    return _IMPL[op](*args)


def run(prog: Program, x, params: Mapping[str, object], upto: int | None = None) -> list:
    """Every slot's value (under errstate(all='ignore'): non-finite values are kept); only
    the first ``upto`` slots when given."""
    vals: list = [None] * len(prog.ops)
    with np.errstate(all="ignore"):
        for i, (op, args, payload) in enumerate(prog.ops[:upto]):
            if op == "x":
                vals[i] = x
            elif op in ("num", "bool"):
                vals[i] = payload
            elif op == "param":
                vals[i] = params[payload]  # type: ignore[index]
            else:
                vals[i] = _apply(op, [vals[a] for a in args], payload)
    return vals


def evaluate(prog: Program, x, params: Mapping[str, object], which: tuple[int, ...] | None = None) -> list[Array]:
    """The program's outputs (or those numbered in ``which``) as float arrays of the
    broadcast shape of x and the parameters."""
    x = np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(x.shape, *(np.shape(v) for v in params.values()))
    slots = prog.outputs if which is None else tuple(prog.outputs[i] for i in which)
    vals = run(prog, x, params, upto=max(slots) + 1)
    out = []
    for slot in slots:
        v = vals[slot]
        if v is x or np.shape(v) != shape or not isinstance(v, np.ndarray):
            v = np.array(np.broadcast_to(np.asarray(v, dtype=float), shape), dtype=float)
        elif v.dtype != np.float64:
            v = v.astype(float)
        out.append(v)
    return out


# --------------------------------------------------------------------------- overflow reports


@dataclass(frozen=True)
class FiniteReport:
    """Values of f and f′ on the requested x, and where (if anywhere) they are not finite.

    ``ok`` is True when both are finite everywhere. Otherwise ``which`` is "f" or "f′"
    (f is checked first), ``first_x`` the smallest x at which it is not finite, ``side``
    "above", "below", "outside" (both tails) or "at" (isolated points) and ``threshold``
    the boundary found by bisection (the upper one for "outside"), ``culprit`` the
    subexpression that first goes non-finite just past the boundary (or at ``first_x``), ``kind`` "overflow" or
    "undefined", and ``message`` one sentence saying all that."""

    ok: bool
    f: Array
    df: Array
    message: str | None = None
    which: str | None = None
    first_x: float | None = None
    side: str | None = None
    threshold: float | None = None
    culprit: str | None = None
    kind: str | None = None

    def error(self) -> FormulaError | None:
        """The report as a FormulaError (code "overflow" or "undefined"), None if ok."""
        if self.ok:
            return None
        return FormulaError(self.kind or "overflow", self.message or "not finite")


def _culprit(prog: Program, slot: int, vals: list) -> tuple[int, str]:
    """Follow the non-finite value down to the operation that made it from finite inputs."""
    while True:
        op, args, _ = prog.ops[slot]
        if op == "where":
            c, a, b = args
            nxt = a if bool(np.asarray(vals[c]).reshape(-1)[0]) else b
            if not _finite(vals[nxt]):
                slot = nxt
                continue
            return slot, "undefined"
        bad = [a for a in args if not _finite(vals[a])]
        if not bad:
            v = np.asarray(vals[slot], dtype=float).reshape(-1)[0]
            if op == "div" and np.asarray(vals[args[1]]).reshape(-1)[0] == 0:
                return slot, "divides by zero"
            if op == "num" and math.isinf(v):  # a constant folded to ±∞ (log(0·x) → log(0)): no overflow to name
                return slot, f"is {'−' if v < 0 else '+'}∞"
            return slot, ("overflows" if math.isinf(v) else "is undefined")
        slot = bad[0]


def _finite(v) -> bool:
    if isinstance(v, (bool, np.bool_)) or (isinstance(v, np.ndarray) and v.dtype == bool):
        return True
    return bool(np.all(np.isfinite(v)))


def _fmt(v: float) -> str:
    if abs(v) < 1e-9:
        return "0"
    return f"{v:.6g}"


def finite_report(
    prog_f: Program, prog_df: Program, x, params: Mapping[str, object], f: Array, df: Array
) -> FiniteReport:
    x = np.asarray(x, dtype=float)
    for which, prog, values in (("f", prog_f, f), ("f′", prog_df, df)):
        bad = ~np.isfinite(values)
        if bad.any():
            return _describe(which, prog, values, bad, x, params, f, df)
    return FiniteReport(True, f, df)


def _describe(which: str, prog: Program, values: Array, bad: Array, x: Array, params: Mapping[str, object],
              f: Array, df: Array) -> FiniteReport:
    """The report for the first of f, f′ that is not finite somewhere."""
    xb = np.broadcast_to(x, values.shape)
    idx = np.flatnonzero(bad.reshape(-1))
    bad_x = xb.reshape(-1)[idx]
    i0 = idx[int(np.argmin(bad_x))]
    x0 = float(xb.reshape(-1)[i0])
    scalar_params = {k: float(np.broadcast_to(np.asarray(v, dtype=float), values.shape).reshape(-1)[i0])
                     for k, v in params.items()}
    out_slot = prog.outputs[0]

    def is_bad(t: float) -> bool:
        r = run(prog, np.float64(t), scalar_params)[out_slot]
        return not bool(np.all(np.isfinite(r)))

    def bisect(lo: float, hi: float) -> float:
        """The boundary between a good x (lo) and a bad x (hi); returns a bad x next to it."""
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi) or abs(hi - lo) <= 1e-9 * max(1.0, abs(mid)):
                break
            if is_bad(mid):
                hi = mid
            else:
                lo = mid
        return hi

    flat_x = xb.reshape(-1)
    good_x = flat_x[np.flatnonzero(~bad.reshape(-1))]
    side, threshold, at = "at", None, x0
    if good_x.size:
        g_lo, g_hi = float(good_x.min()), float(good_x.max())
        inside = (flat_x >= g_lo) & (flat_x <= g_hi)
        if not bad.reshape(-1)[inside].any():  # the good x form one interval
            above = bad_x[bad_x > g_hi]
            below = bad_x[bad_x < g_lo]
            t_hi = bisect(g_hi, float(above.min())) if above.size else None
            t_lo = bisect(g_lo, float(below.max())) if below.size else None
            if t_hi is not None and t_lo is not None:
                side, threshold, at = "outside", t_hi, t_hi
                where = f"for x < {_fmt(t_lo)} and for x > {_fmt(t_hi)}"
            elif t_hi is not None:
                side, threshold, at = "above", t_hi, t_hi
                where = f"for x > {_fmt(t_hi)}"
            else:
                side, threshold, at = "below", t_lo, t_lo
                where = f"for x < {_fmt(t_lo)}"  # type: ignore[arg-type]
    if side != "at" and idx.size == 1 and threshold == x0:
        side, threshold = "at", None  # one bad point at the edge of the range: just say where
    if side == "at":
        where = f"at x = {_fmt(x0)}" + (f" (and {idx.size - 1} more points)" if idx.size > 1 else "")
    kind = "undefined" if np.isnan(values.reshape(-1)[idx]).any() else "overflow"

    def kind_at(t: float) -> tuple[list, str]:
        vals = run(prog, np.float64(t), scalar_params)
        v = np.asarray(vals[out_slot], dtype=float).reshape(-1)[0]
        return vals, ("undefined" if math.isnan(v) else "overflow")

    # the subexpression to blame: just past the boundary if it fails the same way there,
    # else at the failing sample nearest the boundary that does
    vals, k = kind_at(at)
    further = ""
    # past a boundary, what happens there if the nearest bad sample agrees (x·exp(x)/(2 + exp(x)):
    # ∞ past 703, NaN past 709.8; not log(x), −∞ at the boundary 0 but NaN beyond)
    beyond = bad_x[bad_x < at].max(initial=-np.inf) if side == "below" else bad_x[bad_x > at].min(initial=np.inf)
    if side != "at" and k != kind and np.isfinite(beyond) and kind_at(float(beyond))[1] == k:
        further = f" (and {'undefined (NaN)' if kind == 'undefined' else 'infinite'} further out)"
        kind = k
    elif k != kind:
        same = idx[np.isnan(values.reshape(-1)[idx]) == (kind == "undefined")]
        cand = flat_x[same]
        ref = threshold if threshold is not None else x0
        vals, k = kind_at(float(cand[np.argmin(np.abs(cand - ref))]))
    slot, how = _culprit(prog, out_slot, vals)
    culprit = to_text(prog.nodes[slot])
    if len(culprit) > 60:
        culprit = culprit[:57] + "..."
    word = "infinite" if kind == "overflow" else "undefined (NaN)"
    msg = f"{which}(x) is {word} {where}: {culprit} {how}{further}"
    nan = np.isnan(values.reshape(-1)[idx])
    if side == "at" and nan.any() and not nan.all():  # x/0: −∞, NaN at 0, ∞ — each named where it is
        def at_(sel: Array) -> str:
            xs = bad_x[sel]
            return f"at x = {_fmt(float(xs.min()))}" + (f" (and {xs.size - 1} more points)" if xs.size > 1 else "")
        msg = f"{which}(x) is infinite {at_(~nan)} and undefined (NaN) {at_(nan)}: {culprit} {how}"
    return FiniteReport(False, f, df, msg, which, x0, side, threshold, culprit, kind)
