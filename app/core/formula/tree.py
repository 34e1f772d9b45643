"""The formula tree: small immutable, hashable, picklable nodes.

Arithmetic nodes: :class:`Num`, :class:`X` (the variable), :class:`Const` (``pi``, ``e``),
:class:`Param`, :class:`Neg`, :class:`Add` (n-ary), :class:`Sub`, :class:`Mul` (n-ary),
:class:`Div`, :class:`Pow` (constant exponent), :class:`Call` (a named function),
:class:`Where` (``where(cond, then, other)``; ``piecewise`` is nested ``Where``).
Condition nodes, allowed only as the first field of a ``Where``: :class:`Cmp`,
:class:`And`, :class:`Or`, :class:`Not`.

Trees are values: two trees are equal when they have the same structure and numbers.
Subtrees may be shared (the differentiator reuses them), so walks that can meet a
large derivative memoise on ``id``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields

# name -> number of arguments the user may call it with (None: piecewise's odd count >= 3)
FUNCTIONS: dict[str, int | None] = {
    "exp": 1, "log": 1, "log1p": 1, "expm1": 1, "sqrt": 1, "abs": 1, "sin": 1, "cos": 1,
    "tanh": 1, "sigmoid": 1, "softplus": 1, "erf": 1, "max": 2, "min": 2, "where": 3, "piecewise": None,
}
# functions that only our own rewrites and derivatives produce; the parser accepts them
# only with ``Limits(internal=True)`` (to read derivative text back)
INTERNAL_FUNCTIONS: dict[str, int] = {"sign": 1, "erfc": 1, "sech2": 1, "log_sigmoid": 1}
UNARY = frozenset(n for n, a in {**FUNCTIONS, **INTERNAL_FUNCTIONS}.items() if a == 1)
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class Node:
    """Base of all nodes. Each node caches its hash (trees are hashed a lot while
    simplifying) and whether it holds x; the caches are not pickled (string hashes differ
    between processes)."""

    __slots__ = ()

    def _values(self) -> tuple:  # the fields, in order (set per class below)
        return ()

    def __reduce__(self):
        return (type(self), self._values())


def _cached_hash(self) -> int:
    h = self._h
    if h is None:
        h = hash((type(self).__name__,) + self._values())
        object.__setattr__(self, "_h", h)
    return h


def _values_of(names: tuple[str, ...]):
    get = operator.attrgetter(*names) if names else None

    def values(self) -> tuple:
        if get is None:
            return ()
        v = get(self)
        return v if len(names) > 1 else (v,)

    return values


@dataclass(frozen=True, slots=True)
class Num(Node):
    value: float
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class X(Node):
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Const(Node):
    name: str
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Param(Node):
    name: str
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Neg(Node):
    arg: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Add(Node):
    terms: tuple[Node, ...]
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Sub(Node):
    left: Node
    right: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Mul(Node):
    factors: tuple[Node, ...]
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Div(Node):
    num: Node
    den: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Pow(Node):
    base: Node
    exp: Node  # always free of x and parameters
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Where(Node):
    cond: Node
    then: Node
    other: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Cmp(Node):
    op: str
    left: Node
    right: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Node
    right: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Node
    right: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Not(Node):
    arg: Node
    _h: int | None = field(default=None, init=False, repr=False, compare=False)
    _hx: bool | None = field(default=None, init=False, repr=False, compare=False)


NODE_TYPES = (Num, X, Const, Param, Neg, Add, Sub, Mul, Div, Pow, Call, Where, Cmp, And, Or, Not)
for _cls in NODE_TYPES:
    _cls._values = _values_of(tuple(f.name for f in fields(_cls) if f.name not in ("_h", "_hx")))  # type: ignore[method-assign]
    _cls.__hash__ = _cached_hash  # type: ignore[method-assign]

XVAR = X()
ZERO = Num(0.0)
ONE = Num(1.0)
TWO = Num(2.0)
CONDITION_TYPES = (Cmp, And, Or, Not)


def children(n: Node) -> tuple[Node, ...]:
    if isinstance(n, (Num, X, Const, Param)):
        return ()
    if isinstance(n, (Neg, Not)):
        return (n.arg,)
    if isinstance(n, Add):
        return n.terms
    if isinstance(n, Mul):
        return n.factors
    if isinstance(n, Call):
        return n.args
    if isinstance(n, (Sub, Cmp, And, Or)):
        return (n.left, n.right)
    if isinstance(n, Div):
        return (n.num, n.den)
    if isinstance(n, Pow):
        return (n.base, n.exp)
    if isinstance(n, Where):
        return (n.cond, n.then, n.other)
    raise TypeError(f"not a formula node: {n!r}")


def walk(n: Node) -> Iterator[Node]:
    """Every node, parents before children, left to right (shared subtrees once each)."""
    seen: set[int] = set()
    stack = [n]
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        yield m
        stack.extend(reversed(children(m)))


def size(n: Node) -> int:
    """Number of nodes of the tree written out (shared subtrees counted at each use)."""
    memo: dict[int, int] = {}

    def go(m: Node) -> int:
        k = id(m)
        if k not in memo:
            memo[k] = 1 + sum(go(c) for c in children(m))
        return memo[k]

    return go(n)


def depth(n: Node) -> int:
    memo: dict[int, int] = {}

    def go(m: Node) -> int:
        k = id(m)
        if k not in memo:
            memo[k] = 1 + max((go(c) for c in children(m)), default=0)
        return memo[k]

    return go(n)


def has_x(n: Node) -> bool:
    """Does x occur in n? (cached on each node)"""
    v = n._hx  # type: ignore[attr-defined]
    if v is None:
        v = isinstance(n, X) or any(has_x(c) for c in children(n))
        object.__setattr__(n, "_hx", v)
    return v


def depends_on(n: Node, wrt: str | None) -> bool:
    """Does ``n`` depend on x (``wrt=None``) or on parameter ``wrt``?"""
    return any(wrt is None and isinstance(m, X) or wrt is not None and isinstance(m, Param) and m.name == wrt for m in walk(n))


def params_in(n: Node) -> tuple[str, ...]:
    """Parameter names in order of first appearance (reading left to right)."""
    out: dict[str, None] = {}
    for m in walk(n):
        if isinstance(m, Param):
            out.setdefault(m.name)
    return tuple(out)


def x_outside_conditions(n: Node) -> bool:
    """Does x occur anywhere except inside a where-condition or a sign() (both piecewise
    constant in x)?"""
    memo: dict[int, bool] = {}

    def go(m: Node) -> bool:
        k = id(m)
        if k not in memo:
            if isinstance(m, X):
                memo[k] = True
            elif isinstance(m, Where):
                memo[k] = go(m.then) or go(m.other)
            elif isinstance(m, Call) and m.fn == "sign":
                memo[k] = False
            else:
                memo[k] = any(go(c) for c in children(m))
        return memo[k]

    return go(n)


def comparisons(cond: Node) -> Iterator[Cmp]:
    if isinstance(cond, Cmp):
        yield cond
    elif isinstance(cond, (And, Or)):
        yield from comparisons(cond.left)
        yield from comparisons(cond.right)
    elif isinstance(cond, Not):
        yield from comparisons(cond.arg)


def const_value(n: Node) -> float | None:
    """The value of a tree of numbers, pi, e and + - * / ^ (no x, parameters or calls),
    in float arithmetic; None if it has anything else or is not finite."""
    try:
        v = _const(n)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError, _NotConst):
        return None
    return v if math.isfinite(v) else None


class _NotConst(Exception):
    pass


def _const(n: Node) -> float:
    if isinstance(n, Num):
        return n.value
    if isinstance(n, Const):
        return CONSTANTS[n.name]
    if isinstance(n, Neg):
        return -_const(n.arg)
    if isinstance(n, Add):
        return math.fsum(_const(t) for t in n.terms)
    if isinstance(n, Sub):
        return _const(n.left) - _const(n.right)
    if isinstance(n, Mul):
        out = 1.0
        for f in n.factors:
            out *= _const(f)
            if not math.isfinite(out):
                raise OverflowError
        return out
    if isinstance(n, Div):
        return _const(n.num) / _const(n.den)
    if isinstance(n, Pow):
        b, e = _const(n.base), _const(n.exp)
        r = b**e  # bounded: parse-time exponents are |e| <= 16; OverflowError is caught
        if isinstance(r, complex):
            raise ValueError
        return r
    raise _NotConst


def map_children(n: Node, fn: Callable[[Node], Node]) -> Node:
    """``n`` with ``fn`` applied to each child (``n`` itself if nothing changed)."""
    if isinstance(n, (Num, X, Const, Param)):
        return n
    if isinstance(n, Neg):
        a = fn(n.arg)
        return n if a is n.arg else Neg(a)
    if isinstance(n, Not):
        a = fn(n.arg)
        return n if a is n.arg else Not(a)
    if isinstance(n, (Add, Mul, Call)):
        items = n.terms if isinstance(n, Add) else n.factors if isinstance(n, Mul) else n.args
        new = tuple(fn(c) for c in items)
        if all(a is b for a, b in zip(new, items)):
            return n
        return Add(new) if isinstance(n, Add) else Mul(new) if isinstance(n, Mul) else Call(n.fn, new)
    if isinstance(n, Cmp):
        lt, rt = fn(n.left), fn(n.right)
        return n if (lt is n.left and rt is n.right) else Cmp(n.op, lt, rt)
    if isinstance(n, (Sub, And, Or)):
        lt, rt = fn(n.left), fn(n.right)
        return n if (lt is n.left and rt is n.right) else type(n)(lt, rt)
    if isinstance(n, Div):
        a, b = fn(n.num), fn(n.den)
        return n if (a is n.num and b is n.den) else Div(a, b)
    if isinstance(n, Pow):
        a, b = fn(n.base), fn(n.exp)
        return n if (a is n.base and b is n.exp) else Pow(a, b)
    if isinstance(n, Where):
        c, t, o = fn(n.cond), fn(n.then), fn(n.other)
        return n if (c is n.cond and t is n.then and o is n.other) else Where(c, t, o)
    raise TypeError(f"not a formula node: {n!r}")


def transform(n: Node, fn: Callable[[Node], Node]) -> Node:
    """Bottom-up rewrite: ``fn`` sees each node after its children were rewritten."""
    memo: dict[int, tuple[Node, Node]] = {}

    def go(m: Node) -> Node:
        hit = memo.get(id(m))
        if hit is not None and hit[0] is m:
            return hit[1]
        out = fn(map_children(m, go))
        memo[id(m)] = (m, out)
        return out

    return go(n)
