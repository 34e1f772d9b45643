"""Exact symbolic differentiation on the formula tree, with respect to x or a parameter."""

from __future__ import annotations

from .errors import FormulaError
from .simplify import add, call, cmp, div, exponent_node, make_pow, mul, neg, num, rational, simplify, sub, where
from .tree import (
    ONE,
    TWO,
    ZERO,
    Add,
    Call,
    Const,
    Div,
    Mul,
    Neg,
    Node,
    Num,
    Param,
    Pow,
    Sub,
    Where,
    X,
    children,
    const_value,
    size,
)

CONVENTION = """\
Derivative conventions at points where the formula is not differentiable (kinks):

* where(c, u, v) and piecewise(...) are differentiated branch by branch: the derivative
  at a boundary is the derivative of the branch the condition selects there. So
  where(x > 0, x, a*x) has f'(0) = a (the x <= 0 branch), like PyTorch's LeakyReLU and
  ELU; where(x >= 0, x, a*x) has f'(0) = 1. A Heaviside step with H(0) = 1/2 is never used.
  A condition's own dependence on x or a parameter contributes nothing (∂/∂a of
  where(x > a, x, 0) is 0).
* max(u, v) and min(u, v): where the arguments differ, the derivative of the one selected;
  at a tie (u = v), the SMALLER of the two derivatives u', v'. This reproduces PyTorch's
  autograd for ReLU = max(x, 0) or max(0, x) (f'(0) = 0), ReLU6 = min(max(x, 0), 6)
  (f' = 0 at 0 and 6), Hardtanh = min(max(x, -1), 1) (0 at ±1), Hardsigmoid
  min(max(x + 3, 0), 6)/6 (0 at ±3), Hardswish x*min(max(x + 3, 0), 6)/6 (f'(-3) = 0,
  f'(3) = 1, PyTorch >= 2.7) and leaky ReLU written max(x, 0.01*x) (f'(0) = 0.01).
  The rule is local: a smooth function written as a sum of kinked pieces, like CELU as
  max(0, x) + min(0, a*(exp(x/a) - 1)), gets 0 at the tie, not its true slope 1; write
  such functions with where(...).
* abs'(u) = sign(u), with sign(0) = 0 (PyTorch's convention), so abs'(0) = 0.
* sqrt'(0) and the derivative of a power x^c with 0 < c < 1 at 0 are infinite;
  evaluation reports such points rather than returning them.
"""

# the derivative of each one-argument function at u, given the call node n = f(u)
_RULES = {
    "exp": lambda u, n: n,
    "expm1": lambda u, n: call("exp", u),
    "log": lambda u, n: div(ONE, u),
    "log1p": lambda u, n: div(ONE, add(ONE, u)),
    "sqrt": lambda u, n: div(ONE, mul(TWO, n)),
    "abs": lambda u, n: call("sign", u),
    "sign": lambda u, n: ZERO,
    "sin": lambda u, n: call("cos", u),
    "cos": lambda u, n: neg(call("sin", u)),
    "tanh": lambda u, n: sub(ONE, make_pow(n, TWO)),
    "sigmoid": lambda u, n: mul(n, sub(ONE, n)),
    "softplus": lambda u, n: call("sigmoid", u),
    "erf": lambda u, n: mul(div(TWO, call("sqrt", Const("pi"))), call("exp", neg(make_pow(u, TWO)))),
    "erfc": lambda u, n: neg(mul(div(TWO, call("sqrt", Const("pi"))), call("exp", neg(make_pow(u, TWO))))),
    "sech2": lambda u, n: mul(num(-2.0), call("tanh", u), n),
    "log_sigmoid": lambda u, n: call("sigmoid", neg(u)),
}

# a derivative from the (simplifying) constructors more than this many times the maximum
# size is rejected without a final simplification pass, which rarely shrinks it by more
# than a few percent and would take long
RAW_FACTOR = 1.5


def derivative(tree: Node, wrt: str | None = None, max_nodes: int = 5000) -> Node:
    """The simplified derivative of ``tree`` with respect to x (``wrt=None``) or the
    parameter ``wrt``; a ``derivative_too_large`` error if it has more than ``max_nodes``."""
    raw = differentiate(tree, wrt)
    what = "x" if wrt is None else wrt
    n = size(raw)
    if n > RAW_FACTOR * max_nodes:  # the constructors have simplified it already: no hope
        raise FormulaError("derivative_too_large", f"the derivative with respect to {what} has about {n} nodes; "
                           f"the maximum is {max_nodes}")
    out = simplify(raw)
    n = size(out)
    if n > max_nodes:
        raise FormulaError("derivative_too_large", f"the derivative with respect to {what} has {n} nodes; "
                           f"the maximum is {max_nodes}")
    return out


def differentiate(tree: Node, wrt: str | None = None) -> Node:
    """d tree / d wrt, built with the simplifying constructors (memoised on shared subtrees)."""
    memo: dict[int, tuple[Node, Node]] = {}
    dep: dict[int, bool] = {}

    def depends(n: Node) -> bool:
        k = id(n)
        if k not in dep:
            if isinstance(n, X):
                dep[k] = wrt is None
            elif isinstance(n, Param):
                dep[k] = n.name == wrt
            elif isinstance(n, (Num, Const)):
                dep[k] = False
            elif isinstance(n, Where):
                dep[k] = depends(n.then) or depends(n.other)
            elif isinstance(n, Pow):
                dep[k] = depends(n.base)
            else:
                dep[k] = any(depends(c) for c in children(n))
        return dep[k]

    def d(n: Node) -> Node:
        hit = memo.get(id(n))
        if hit is not None and hit[0] is n:
            return hit[1]
        out = ZERO if not depends(n) else _d(n)
        memo[id(n)] = (n, out)
        return out

    def _d(n: Node) -> Node:
        if isinstance(n, (X, Param)):
            return ONE
        if isinstance(n, Neg):
            return neg(d(n.arg))
        if isinstance(n, Add):
            return add(*(d(t) for t in n.terms))
        if isinstance(n, Sub):
            return sub(d(n.left), d(n.right))
        if isinstance(n, Mul):
            fs = n.factors
            terms = [mul(*fs[:i], d(f), *fs[i + 1:]) for i, f in enumerate(fs) if depends(f)]
            return add(*terms)
        if isinstance(n, Div):
            a, b = n.num, n.den
            if not depends(b):
                return div(d(a), b)
            if not depends(a):
                return neg(div(mul(a, d(b)), make_pow(b, TWO)))
            return div(sub(mul(d(a), b), mul(a, d(b))), make_pow(b, TWO))
        if isinstance(n, Pow):
            c = rational(n.exp)
            if c is None:  # an exponent with pi or e in it
                v = const_value(n.exp)
                assert v is not None, "exponents are constant by construction"
                return mul(n.exp, make_pow(n.base, sub(n.exp, ONE)), d(n.base))
            return mul(exponent_node(c), make_pow(n.base, exponent_node(c - 1)), d(n.base))
        if isinstance(n, Call):
            if n.fn in ("max", "min"):
                u, v = n.args
                du, dv = d(u), d(v)
                if du == dv:
                    return du
                first, second = (">", "<") if n.fn == "max" else ("<", ">")
                tie = call("min", du, dv)
                return where(cmp(first, u, v), du, where(cmp(second, u, v), dv, tie))
            (u,) = n.args
            return mul(d(u), _RULES[n.fn](u, n))
        if isinstance(n, Where):
            return where(n.cond, d(n.then), d(n.other))
        raise TypeError(f"cannot differentiate {n!r}")

    return d(tree)

