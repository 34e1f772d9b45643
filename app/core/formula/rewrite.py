"""Rewrites of numerically unstable forms into stable ones, applied before evaluation.

The displayed formula and derivative keep what the user typed; the evaluated tree (and
the derivative evaluated, which is taken of the rewritten tree) uses:

===============================  ======================================================
typed                            evaluated as
===============================  ======================================================
log(1 + exp(u)), log1p(exp(u))  softplus(u)            (= −log σ(−u), no overflow)
1/(1 + exp(−u)), w/(1 + exp(u))  sigmoid(u), w·sigmoid(−u)  (any w)
exp(u)/(1 + exp(u))              sigmoid(u), and w·exp(u)/(1 + exp(u)) as w·sigmoid(u)
exp(u) − 1, 1 − exp(u)           expm1(u), −expm1(u)
log(1 + u), log(1 − u)           log1p(u), log1p(−u)
log(sigmoid(u))                  log_sigmoid(u)         (scipy's log_expit)
1 − sigmoid(u)                   sigmoid(−u)            (σ′ = σ(u)σ(−u) without cancelling)
1 − tanh(u)^2                    sech2(u) = 4σ(2u)σ(−2u)
1 + tanh(u), 1 − tanh(u)         2σ(2u), 2σ(−2u)        (GELU's tanh form for u ≪ 0)
1 + erf(u), 1 − erf(u)           erfc(−u), erfc(u)      (Φ in the far tail)
(e^u − e^−u)/(e^u + e^−u)        tanh(u)                (no overflow, no cancelling in f′)
exp(u)^v, sqrt(exp(u))           exp(v·u), exp(u/2)     (f′ is not 0·∞ where exp(u) underflows)
===============================  ======================================================

Sums match in any order of their two terms (``exp(x) + 1`` too).
"""

from __future__ import annotations

from .simplify import mul, neg, num
from .tree import ONE, Add, Call, Div, Mul, Neg, Node, Num, Pow, Sub, transform


def _terms(n: Node) -> list[tuple[int, Node]] | None:
    """The signed terms of a sum or difference (None if n is not one)."""
    if not isinstance(n, (Add, Sub)):
        return None
    out: list[tuple[int, Node]] = []

    def go(m: Node, s: int) -> None:
        if isinstance(m, Add):
            for t in m.terms:
                go(t, s)
        elif isinstance(m, Sub):
            go(m.left, s)
            go(m.right, -s)
        elif isinstance(m, Neg):
            go(m.arg, -s)
        elif isinstance(m, Num) and m.value < 0:
            out.append((-s, Num(-m.value)))
        else:
            out.append((s, m))

    go(n, 1)
    return out


def _one_plus(n: Node) -> tuple[int, Node] | None:
    """n = 1 ± u: (±1, u); else None."""
    ts = _terms(n)
    if ts is None or len(ts) != 2:
        return None
    for i in (0, 1):
        s, t = ts[i]
        if s == 1 and t == ONE:
            return ts[1 - i]
    return None


def _is(n: Node, fn: str) -> bool:
    return isinstance(n, Call) and n.fn == fn


def _c(fn: str, u: Node) -> Node:
    return Call(fn, (u,))


def _tanh_by_definition(n: Div) -> Node | None:
    """(exp(u) − exp(−u))/(exp(u) + exp(−u)) → tanh(u) (terms in any order)."""
    top, bottom = _terms(n.num), _terms(n.den)
    if not (top and bottom and len(top) == 2 == len(bottom)) or any(s != 1 for s, _ in bottom):
        return None
    if not all(_is(t, "exp") for _, t in top + bottom):
        return None
    (s1, a), (s2, b) = top
    if s1 == s2 or {a, b} != {t for _, t in bottom}:
        return None
    plus, minus = (a, b) if s1 == 1 else (b, a)
    u = plus.args[0]
    return _c("tanh", u) if neg(u) == minus.args[0] else None


def _rule(n: Node) -> Node:
    if isinstance(n, Pow) and _is(n.base, "exp"):
        return _c("exp", mul(n.exp, n.base.args[0]))
    if isinstance(n, Call) and n.fn == "sqrt" and _is(n.args[0], "exp"):
        return _c("exp", mul(num(0.5), n.args[0].args[0]))
    if isinstance(n, Call) and n.fn == "log1p" and _is(n.args[0], "exp"):
        return _c("softplus", n.args[0].args[0])
    if isinstance(n, Call) and n.fn == "log":
        (u,) = n.args
        if _is(u, "sigmoid"):
            return _c("log_sigmoid", u.args[0])
        op = _one_plus(u)
        if op is not None:
            s, v = op
            if s == 1 and _is(v, "exp"):
                return _c("softplus", v.args[0])
            return _c("log1p", v if s == 1 else neg(v))
        return n
    if isinstance(n, Div):
        tanh = _tanh_by_definition(n)
        if tanh is not None:
            return tanh
        op = _one_plus(n.den)
        if op is not None and op[0] == 1 and _is(op[1], "exp"):
            v = op[1].args[0]
            if n.num == op[1]:
                return _c("sigmoid", v)
            if isinstance(n.num, Mul) and op[1] in n.num.factors:  # x·exp(x)/(1 + exp(x)): x·exp(x) overflows first
                rest = list(n.num.factors)
                rest.remove(op[1])
                return mul(*rest, _c("sigmoid", v))
            return mul(n.num, _c("sigmoid", neg(v)))
        return n
    if isinstance(n, (Add, Sub)):
        ts = _terms(n)
        if ts is None or len(ts) != 2:
            return n
        for i in (0, 1):
            (s1, a), (s2, b) = ts[i], ts[1 - i]
            if a == ONE and s1 == 1:
                if _is(b, "exp") and s2 == -1:
                    return neg(_c("expm1", b.args[0]))
                if _is(b, "sigmoid") and s2 == -1:
                    return _c("sigmoid", neg(b.args[0]))
                if isinstance(b, Pow) and b.exp == Num(2.0) and _is(b.base, "tanh") and s2 == -1:
                    return _c("sech2", b.base.args[0])
                if _is(b, "tanh"):
                    return mul(num(2.0), _c("sigmoid", mul(num(2.0 * s2), b.args[0])))
                if _is(b, "erf"):
                    u = b.args[0]
                    return _c("erfc", neg(u) if s2 == 1 else u)
            if a == ONE and s1 == -1 and _is(b, "exp") and s2 == 1:
                return _c("expm1", b.args[0])
        return n
    return n


def stabilise(tree: Node) -> Node:
    """``tree`` with the unstable forms above replaced, bottom-up."""
    return transform(tree, _rule)
