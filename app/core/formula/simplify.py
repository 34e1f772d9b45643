"""Algebraic simplification: smart constructors and a bottom-up pass built from them.

What it does (each on already-simplified children):

* sums: flattens + / − / unary minus, folds numbers, combines like terms
  (``x + x`` → ``2*x``, ``abs(x) - abs(x)`` → 0), keeps the order terms first appear in;
* products: flattens * and /, folds numeric coefficients (first) and numeric
  denominators (kept as ``/n`` when the quotient is not short), merges equal factors into
  powers with integer exponents (``x*x`` → ``x^2``), ``u*sign(u)`` → ``abs(u)``,
  orders factors constants, parameters, x, powers of x, then the rest (stably), 0 and 1
  identities;
* powers: ``u^0`` → 1, ``u^1`` → u, numbers folded, ``(u^a)^b`` → ``u^(a*b)`` for integers;
* calls: exact values only (``exp(0)`` → 1, ``log(1)`` → 0, ``max(2, 3)`` → 3, ...),
  ``log(exp(u))`` → u, ``max(u, u)`` → u, max/min of a where with numeric branches and a
  number pushed into the branches;
* where: constant conditions decided, equal branches merged, the nested tie-breaking
  wheres that max′/min′ produce collapsed (``where(u > v, A, where(u < v, B, A))`` →
  ``where(u < v, B, A)``), comparisons turned to put x on the left.

It treats subexpressions as finite numbers (``0*u`` → 0, ``u/u`` is not simplified but
``u^2/u`` is ``u``); only exact numeric folds are done (``1/3`` stays a fraction) and a
fold that would overflow is not done. Never evaluates user text: it only looks at trees.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .tree import (
    FLIP,
    ONE,
    ZERO,
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
    has_x,
    transform,
)

# --------------------------------------------------------------------------- numbers


def num(v: float) -> Num:
    return Num(float(v) + 0.0)  # + 0.0 turns −0 into 0


def rational(n: Node) -> Fraction | None:
    """The exact value of a tree of numbers and + - * / (integer powers), reading each
    decimal as the short fraction it was written as (0.7 as 7/10); None otherwise."""
    if isinstance(n, Num):
        fr = Fraction(n.value).limit_denominator(10**6)
        return fr if float(fr) == n.value else Fraction(n.value)
    if isinstance(n, Neg):
        a = rational(n.arg)
        return None if a is None else -a
    if isinstance(n, (Add, Mul)):
        parts = [rational(c) for c in (n.terms if isinstance(n, Add) else n.factors)]
        if any(p is None for p in parts):
            return None
        out = Fraction(0 if isinstance(n, Add) else 1)
        for p in parts:
            out = out + p if isinstance(n, Add) else out * p
        return out
    if isinstance(n, (Sub, Div)):
        a, b = (rational(n.left), rational(n.right)) if isinstance(n, Sub) else (rational(n.num), rational(n.den))
        if a is None or b is None or (isinstance(n, Div) and b == 0):
            return None
        return a - b if isinstance(n, Sub) else a / b
    if isinstance(n, Pow):
        a, e = rational(n.base), rational(n.exp)
        if a is None or e is None or e.denominator != 1 or abs(e) > 64 or (a == 0 and e < 0):
            return None
        return a ** int(e)
    return None


def exponent_node(v: float | Fraction) -> Node:
    """A readable node for a constant exponent: an integer, a decimal, or a fraction p/q."""
    fr = v if isinstance(v, Fraction) else Fraction(v).limit_denominator(10**6)
    if not isinstance(v, Fraction) and float(fr) != v:
        return num(v)
    if fr.denominator == 1:
        return num(fr.numerator)
    q = fr.denominator
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q == 1 and len(repr(float(fr))) <= 8:  # a short decimal: 0.3, not 3/10
        return num(float(fr))
    if fr.denominator <= 10**6:
        return Div(num(fr.numerator), num(fr.denominator))
    return num(float(fr))


def _short(v: float) -> bool:
    return float(v).is_integer() and abs(v) < 1e15 or len(repr(v)) <= 6


def _safe(op, *args) -> float | None:
    try:
        v = op(*args)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None
    return v if isinstance(v, float) and math.isfinite(v) else None


# --------------------------------------------------------------------------- negation


def neg(u: Node) -> Node:
    if isinstance(u, Num):
        return num(-u.value)
    if isinstance(u, Neg):
        return u.arg
    if isinstance(u, Mul):
        first = u.factors[0]
        if isinstance(first, Num):
            if first.value == -1.0:
                rest = u.factors[1:]
                return rest[0] if len(rest) == 1 else Mul(rest)
            return Mul((num(-first.value),) + u.factors[1:])
        return Mul((neg(first),) + u.factors[1:])
    if isinstance(u, Div):
        return Div(neg(u.num), u.den)
    if isinstance(u, Sub):
        return Sub(u.right, u.left)
    return Neg(u)


# --------------------------------------------------------------------------- sums


def _collect_terms(n: Node, sign: float, out: list[tuple[float, Node]]) -> None:
    if isinstance(n, Add):
        for t in n.terms:
            _collect_terms(t, sign, out)
    elif isinstance(n, Sub):
        _collect_terms(n.left, sign, out)
        _collect_terms(n.right, -sign, out)
    elif isinstance(n, Neg):
        _collect_terms(n.arg, -sign, out)
    else:
        out.append((sign, n))


def split_coeff(n: Node) -> tuple[float, Node | None]:
    """n = c·rest with c a number (rest None when n is a number)."""
    if isinstance(n, Num):
        return n.value, None
    if isinstance(n, Neg):
        c, rest = split_coeff(n.arg)
        return -c, rest
    if isinstance(n, Mul):
        first, rest = n.factors[0], n.factors[1:]
        if isinstance(first, Num):
            return first.value, rest[0] if len(rest) == 1 else Mul(rest)
        if isinstance(first, Neg):
            c, inner = split_coeff(first.arg)
            head = () if inner is None else (inner.factors if isinstance(inner, Mul) else (inner,))
            factors = head + rest
            return -c, factors[0] if len(factors) == 1 else Mul(factors)
    if isinstance(n, Div):
        c, rest = split_coeff(n.num)
        if c != 1.0:
            return c, Div(ONE if rest is None else rest, n.den)
    return 1.0, n


def scale(c: float, rest: Node | None) -> Node:
    if rest is None:
        return num(c)
    if c == 1.0:
        return rest
    if c == -1.0:
        return neg(rest)
    if isinstance(rest, Div):
        return Div(scale(c, rest.num), rest.den)
    if isinstance(rest, Mul):
        return Mul((num(c),) + rest.factors)
    return Mul((num(c), rest))


def add(*terms: Node) -> Node:
    return make_sum([(1.0, t) for t in terms])


def sub(a: Node, b: Node) -> Node:
    return make_sum([(1.0, a), (-1.0, b)])


def make_sum(signed: list[tuple[float, Node]]) -> Node:
    flat: list[tuple[float, Node]] = []
    for s, t in signed:
        _collect_terms(t, s, flat)
    order: list[Node | None] = []
    coeffs: dict[Node | None, list[float]] = {}
    for s, t in flat:
        c, rest = split_coeff(t)
        if rest not in coeffs:
            coeffs[rest] = []
            order.append(rest)
        coeffs[rest].append(s * c)
    items = []
    for rest in order:
        c = math.fsum(coeffs[rest])
        if not math.isfinite(c):  # cannot happen with capped numbers; keep the terms apart
            items.extend((v, rest) for v in coeffs[rest])
        elif c != 0.0:
            items.append((c, rest))
    if not items:
        return ZERO
    acc = scale(*items[0])
    flat_terms: list[Node] | None = None
    for c, rest in items[1:]:
        if c > 0:
            if flat_terms is None:
                flat_terms = [acc]
            flat_terms.append(scale(c, rest))
        else:
            if flat_terms is not None:
                acc = Add(tuple(flat_terms))
                flat_terms = None
            acc = Sub(acc, scale(-c, rest))
    return Add(tuple(flat_terms)) if flat_terms is not None else acc


# --------------------------------------------------------------------------- products


def _rank(n: Node) -> int:
    if isinstance(n, Const):
        return 0
    if isinstance(n, Param):
        return 1
    if isinstance(n, X):
        return 2
    if isinstance(n, Pow) and isinstance(n.base, X):
        return 3
    return 4


def mul(*factors: Node) -> Node:
    return make_product(list(factors), [])


def div(a: Node, b: Node) -> Node:
    return make_product([a], [b])


def make_product(nums: list[Node], dens: list[Node]) -> Node:
    coeff = [1.0, 1.0]  # numerator and denominator numbers
    bases: dict[Node, list[float]] = {}  # base -> [exponent in numerator, exponent in denominator]
    order: list[Node] = []
    other: list[list[Node]] = [[], []]  # factors with non-integer exponents, kept as they are

    def absorb(f: Node, side: int) -> None:
        if isinstance(f, Num):
            coeff[side] *= f.value
        elif isinstance(f, Neg):
            coeff[0] *= -1.0
            absorb(f.arg, side)
        elif isinstance(f, Mul):
            for g in f.factors:
                absorb(g, side)
        elif isinstance(f, Div):
            absorb(f.num, side)
            absorb(f.den, 1 - side)
        else:
            base, e = f, 1.0
            if isinstance(f, Pow):
                ev = const_value(f.exp)
                if ev is not None and ev.is_integer():
                    base, e = f.base, ev
                else:
                    other[side].append(f)
                    return
            if base not in bases:
                bases[base] = [0.0, 0.0]
                order.append(base)
            bases[base][side] += e

    for f in nums:
        absorb(f, 0)
    for f in dens:
        absorb(f, 1)
    cn, cd = coeff
    if cd == 0.0 or not (math.isfinite(cn) and math.isfinite(cd)):  # a literal x/0: leave it alone
        top_raw = nums[0] if len(nums) == 1 else Mul(tuple(nums))
        return Div(top_raw, dens[0] if len(dens) == 1 else Mul(tuple(dens))) if dens else top_raw
    if cn == 0.0:
        return ZERO
    if cd < 0:
        cn, cd = -cn, -cd
    if cd != 1.0:
        if cn.is_integer() and cd.is_integer() and abs(cn) < 2**53 and abs(cd) < 2**53:
            g = math.gcd(int(cn), int(cd))  # keep x/2 as x/2, 2*x/4 -> x/2, 6/3 -> 2
            cn, cd = cn / g, cd / g
        else:
            q = _safe(lambda a, b: a / b, cn, cd)
            if q is not None and q * cd == cn and _short(q):
                cn, cd = q, 1.0
    # u * sign(u) -> abs(u)
    for b in list(order):
        if isinstance(b, Call) and b.fn == "sign" and b.args[0] in bases and bases[b] == [1.0, 0.0]:
            u = b.args[0]
            if bases[u] == [1.0, 0.0]:
                bases[u] = [0.0, 0.0]
                bases[b] = [0.0, 0.0]
                a = Call("abs", (u,))
                bases.setdefault(a, [0.0, 0.0])[0] += 1.0
                if a not in order:
                    order.append(a)
    top: list[Node] = []
    bottom: list[Node] = []
    for b in order:
        e = bases[b][0] - bases[b][1]
        if e > 0:
            top.append(make_pow(b, num(e)))
        elif e < 0:
            bottom.append(make_pow(b, num(-e)))
    top = sorted(top + other[0], key=_rank)
    bottom = sorted(bottom + other[1], key=_rank)
    if cn == -1.0 and top:
        top[0] = neg(top[0])
    elif cn != 1.0 or not top:
        top.insert(0, num(cn))
    if cd != 1.0:
        bottom.insert(0, num(cd))
    numerator = top[0] if len(top) == 1 else Mul(tuple(top))
    if not bottom:
        return numerator
    return Div(numerator, bottom[0] if len(bottom) == 1 else Mul(tuple(bottom)))


# --------------------------------------------------------------------------- powers


def make_pow(b: Node, e: Node) -> Node:
    ev = const_value(e)
    if ev is None:
        return Pow(b, e)
    if ev == 0.0:
        return ONE
    if ev == 1.0:
        return b
    if isinstance(b, Num) and ev.is_integer():
        v = _safe(math.pow, b.value, ev)
        if v is not None and v != 0.0:
            return num(v)
    if isinstance(b, Pow) and ev.is_integer():
        inner = const_value(b.exp)
        if inner is not None and inner.is_integer():
            return make_pow(b.base, num(inner * ev))
    if isinstance(e, Num) or ev.is_integer():
        return Pow(b, num(ev))
    return Pow(b, e)


# --------------------------------------------------------------------------- calls

_AT_ZERO = {"exp": 1.0, "sin": 0.0, "cos": 1.0, "tanh": 0.0, "sigmoid": 0.5, "erf": 0.0, "log1p": 0.0,
            "expm1": 0.0, "sqrt": 0.0, "abs": 0.0, "sign": 0.0, "erfc": 1.0, "sech2": 1.0}


def call(fn: str, *args: Node) -> Node:
    if len(args) == 1:
        (u,) = args
        if isinstance(u, Num):
            v = u.value
            if v == 0.0 and fn in _AT_ZERO:
                return num(_AT_ZERO[fn])
            if fn == "abs":
                return num(abs(v))
            if fn == "sign":
                return num((v > 0) - (v < 0))
            if v == 1.0 and fn in ("log", "sqrt"):
                return num(0.0 if fn == "log" else 1.0)
        if fn in ("abs", "cos") and isinstance(u, Neg):
            return call(fn, u.arg)
        if fn == "abs" and isinstance(u, Call) and u.fn in ("abs", "exp", "sqrt", "sigmoid", "softplus"):
            return u
        if fn == "log" and isinstance(u, Call) and u.fn == "exp":
            return u.args[0]
        return Call(fn, (u,))
    if fn in ("max", "min"):
        a, b = args
        pick = max if fn == "max" else min
        if a == b:
            return a
        if isinstance(a, Num) and isinstance(b, Num):
            return num(pick(a.value, b.value))
        for w, k in ((a, b), (b, a)):
            if isinstance(w, Where) and isinstance(k, Num) and isinstance(w.then, Num) and isinstance(w.other, Num):
                return where(w.cond, num(pick(w.then.value, k.value)), num(pick(w.other.value, k.value)))
    return Call(fn, args)


# --------------------------------------------------------------------------- conditions

_CMP = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def truth(c: Node) -> bool | None:
    """The value of a condition that does not depend on anything, else None."""
    if isinstance(c, Cmp):
        if isinstance(c.left, Num) and isinstance(c.right, Num):
            return _CMP[c.op](c.left.value, c.right.value)
        return None
    if isinstance(c, Not):
        t = truth(c.arg)
        return None if t is None else not t
    if isinstance(c, (And, Or)):
        a, b = truth(c.left), truth(c.right)
        if isinstance(c, And):
            return False if (a is False or b is False) else (True if (a and b) else None)
        return True if (a is True or b is True) else (False if (a is False and b is False) else None)
    return None


def cmp(op: str, a: Node, b: Node) -> Node:
    if not has_x(a) and has_x(b):
        return Cmp(FLIP[op], b, a)
    return Cmp(op, a, b)


def _exclusive(c1: Node, c2: Node) -> bool:
    """c1 and c2 can never both hold (strict comparisons of the same two sides)."""
    if not (isinstance(c1, Cmp) and isinstance(c2, Cmp)):
        return False
    ops = {c1.op, c2.op}
    if c1.left == c2.left and c1.right == c2.right:
        return ops in ({">", "<"}, {">", "<="}, {"<", ">="}, {"==", "!="}, {">", "=="}, {"<", "=="})
    return False


def where(c: Node, a: Node, b: Node) -> Node:
    t = truth(c)
    if t is not None:
        return a if t else b
    if a == b:
        return a
    if isinstance(b, Where):
        if b.cond == c:
            return where(c, a, b.other)
        if b.other == a and _exclusive(c, b.cond):
            return where(b.cond, b.then, a)
    if isinstance(a, Where):
        if a.cond == c:
            return where(c, a.then, b)
        if a.other == b:
            return Where(_and(c, a.cond), a.then, b)
    return Where(c, a, b)


def _and(a: Node, b: Node) -> Node:
    ta, tb = truth(a), truth(b)
    if ta is True:
        return b
    if tb is True:
        return a
    return And(a, b)


# --------------------------------------------------------------------------- the pass


def _local(n: Node) -> Node:
    if isinstance(n, (Num, X, Const, Param)):
        return n
    if isinstance(n, Neg):
        return neg(n.arg)
    if isinstance(n, (Add, Sub)):
        return make_sum([(1.0, n)])
    if isinstance(n, (Mul, Div)):
        return make_product([n.num], [n.den]) if isinstance(n, Div) else make_product(list(n.factors), [])
    if isinstance(n, Pow):
        return make_pow(n.base, n.exp)
    if isinstance(n, Call):
        return call(n.fn, *n.args)
    if isinstance(n, Where):
        return where(n.cond, n.then, n.other)
    if isinstance(n, Cmp):
        return cmp(n.op, n.left, n.right)
    if isinstance(n, And):
        return _and(n.left, n.right)
    return n


def simplify(n: Node, passes: int = 1) -> Node:
    """The simplified tree. One bottom-up pass reaches a fixed point for the trees we
    make (the tests check ``simplify(t) == t`` on every derivative of the corpora); more
    ``passes`` repeat it until nothing changes."""
    out = transform(n, _local)
    for _ in range(passes - 1):
        again = transform(out, _local)
        if again == out:
            break
        out = again
    return out


__all__ = [
    "add", "sub", "mul", "div", "neg", "make_pow", "call", "where", "cmp", "simplify", "num",
    "exponent_node", "rational", "truth", "split_coeff", "scale",
]
