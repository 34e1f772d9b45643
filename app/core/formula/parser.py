"""A hand-written recursive-descent parser for the formula language.

Grammar (EBNF; tokens are separated by optional spaces or tabs)::

    formula     = expr END ;                         (* must be a number, not a condition *)
    expr        = disjunction ;
    disjunction = conjunction { "or" conjunction } ;
    conjunction = negation { "and" negation } ;
    negation    = "not" negation | comparison ;
    comparison  = sum [ CMP sum ] ;                  (* no chains: 0 < x < 1 is an error *)
    sum         = term { ("+" | "-") term } ;
    term        = unary { ("*" | "/") unary } ;
    unary       = "-" unary | power ;
    power       = atom [ ("^" | "**") unary ] ;      (* right-associative: 2^3^2 = 2^(3^2) *)
    atom        = NUMBER | "x" | "pi" | "e" | PARAM | call | "(" expr ")" ;
    call        = FUNC "(" expr { "," expr } ")" ;
    CMP         = "<" | "<=" | ">" | ">=" | "==" | "!=" ;
    NUMBER      = ( DIGITS [ "." [DIGITS] ] | "." DIGITS ) [ ("e" | "E") ["+" | "-"] DIGITS ] ;
    FUNC        = exp | log | log1p | expm1 | sqrt | abs | sin | cos | tanh | sigmoid
                | softplus | erf | max | min | where | piecewise ;
    PARAM       = LETTER { LETTER | DIGIT | "_" } ;  (* not x, pi, e, a function, a keyword
                                                        or a Python built-in; <= 16 chars *)

Typing: comparisons and ``and``/``or``/``not`` make *conditions*; a condition is allowed
only as the first argument of ``where(cond, then, other)`` and as the odd arguments of
``piecewise(c1, v1, c2, v2, ..., otherwise)`` (which reads as nested ``where``); anywhere
else it is a ``condition_outside_where`` error. Unary minus binds tighter than ``*`` and
looser than ``^`` (``-x^2`` is ``-(x^2)``; ``-2`` is the number −2).

Exponents (``^``) must be constant: numbers, ``pi``, ``e`` and + - * / ^ of them, whose
value c satisfies |c| <= 16 (integer or not; a non-integer power of a negative base is
undefined and evaluation reports it). ``e^u`` is read as ``exp(u)``. Anything else, such
as ``x^a`` or ``2^x``, is a ``bad_exponent`` error (write ``exp(a*log(x))``).

Caps (:class:`Limits`): 500 characters, 300 nodes, nesting depth 40 (brackets, calls,
unary minus, ``not`` and exponents each add a level), numbers of magnitude at most 1e6,
at most 8 parameters with names of at most 16 characters. The text is checked for
length, then for non-ASCII and control characters, before anything else is read, and the
lexer produces tokens on demand, so the first problem in reading order is reported and
nothing after it is looked at. Nothing here evaluates user text: the only arithmetic done
while parsing is on exponents, whose operands are already capped.
"""

from __future__ import annotations

import builtins
import difflib
import keyword
import math
import re
import unicodedata
from dataclasses import dataclass

from .errors import FormulaError
from .tree import (
    CMP_OPS,
    CONDITION_TYPES,
    CONSTANTS,
    FUNCTIONS,
    INTERNAL_FUNCTIONS,
    XVAR,
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
    const_value,
    walk,
)


@dataclass(frozen=True)
class Limits:
    max_chars: int = 500
    max_nodes: int = 300
    max_depth: int = 40
    max_exponent: float = 16.0
    max_number: float = 1e6
    max_params: int = 8
    max_name: int = 16
    internal: bool = False  # accept the internal functions (sign, erfc, sech2, log_sigmoid)


DEFAULT_LIMITS = Limits()
# for reading back our own printed derivatives (which may hold big constants and sign())
RELAXED_LIMITS = Limits(
    max_chars=1_000_000, max_nodes=1_000_000, max_depth=150, max_exponent=1e6, max_number=1.7e308,
    max_params=64, max_name=64, internal=True,
)

KEYWORDS = frozenset({"and", "or", "not"})
RESERVED = (
    frozenset(n for n in dir(builtins) if not n.startswith("_"))
    | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
    | {"inf", "nan", "infinity", "self", "torch", "math", "np", "nn", "x", "X"}
) - set(FUNCTIONS) - KEYWORDS
ALLOWED_LIST = ", ".join(sorted(FUNCTIONS))
# Names a student may reach for that are not functions here, with what to write instead (before
# "did you mean": sign is not sin)
WRITE_OUT = {
    "relu": "max(x, 0)", "leaky_relu": "max(x, 0.01*x)", "leakyrelu": "max(x, 0.01*x)", "relu6": "min(max(x, 0), 6)",
    "elu": "where(x > 0, x, exp(x) - 1)", "selu": "1.0507*where(x > 0, x, 1.67326*(exp(x) - 1))",
    "gelu": "x*(1 + erf(x/sqrt(2)))/2", "silu": "x*sigmoid(x)", "swish": "x*sigmoid(x)", "mish": "x*tanh(softplus(x))",
    "softsign": "x/(1 + abs(x))", "hardtanh": "min(max(x, -1), 1)", "logsigmoid": "-softplus(-x)",
    "sign": "where(x > 0, 1, where(x < 0, -1, 0))", "sgn": "where(x > 0, 1, where(x < 0, -1, 0))",
    "step": "where(x > 0, 1, 0)", "heaviside": "where(x > 0, 1, 0)", "ln": "log(x)", "pow": "x^2 (a constant exponent)",
    "square": "x^2", "tan": "sin(x)/cos(x)", "sinh": "(exp(x) - exp(-x))/2", "cosh": "(exp(x) + exp(-x))/2",
    "logistic": "sigmoid(x)", "expit": "sigmoid(x)", "exp2": "exp(x*log(2))", "log2": "log(x)/log(2)", "log10": "log(x)/log(10)",
}

# The settings a formula's parameters sit beside in the app's query strings (GET /api/curve's grid,
# the theory routes' options; tests/api/test_formula_api.py checks the routes against this list):
# a parameter named so would be read as both ("n*x&n=3": 3 points, and n = 3).
QUERY_NAMES = frozenset({
    "name", "formula", "xmin", "xmax", "n", "band", "samples", "seed", "sigma_w2", "sigma_b2", "sigma_w2_min", "sigma_w2_max",
    "sigma_b2_max", "n_w", "n_b", "n_rho", "q", "q_in", "c_in", "depth", "width", "draws", "init", "order", "steps", "omega", "tau",
})

_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TWO = ("**", "<=", ">=", "==", "!=")
_ONE = "+-*/^(),<>"
_HINTS = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u00f7": "/",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u03c0": "pi", "\u00b2": "^2", "\u00b3": "^3",
}
_BAD_CHARS = {
    ".": "attribute access ('.') is not allowed; '.' may only appear inside a number",
    "[": "subscripts ('[') are not allowed",
    "]": "subscripts (']') are not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "#": "comments ('#') are not allowed",
    ";": "only one expression is allowed (no ';')",
    ":": "':' is not allowed (no assignments, slices or lambdas)",
    "=": "'=' is not allowed; compare with '==' inside where(...)",
    "!": "'!' is not allowed; write '!=' or 'not'",
    "&": "'&' is not allowed; write 'and'",
    "|": "'|' is not allowed; write 'or' (or abs(...) for |x|)",
    "~": "'~' is not allowed; write 'not'",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    start: int
    end: int
    value: float = 0.0


def check_text(text: object, limits: Limits = DEFAULT_LIMITS) -> str:
    """The checks made before reading: type, length, ASCII, control characters, emptiness."""
    if not isinstance(text, str):
        raise FormulaError("syntax", f"a formula must be text, not {type(text).__name__}")
    if len(text) > limits.max_chars:
        raise FormulaError("too_long", f"the formula is {len(text)} characters long; the maximum is {limits.max_chars}",
                           limits.max_chars, len(text))
    for i, ch in enumerate(text):
        o = ord(ch)
        if o > 127:
            try:
                uname = unicodedata.name(ch)
            except ValueError:
                uname = "unnamed"
            hint = f"; write {_HINTS[ch]!r} instead" if ch in _HINTS else "; formulas are plain ASCII"
            shown = repr(ch) if ch.isprintable() else f"U+{o:04X}"
            raise FormulaError("non_ascii", f"non-ASCII character {shown} (U+{o:04X} {uname}){hint}", i)
        if (o < 32 and ch != "\t") or o == 127:
            what = "line breaks are" if ch in "\r\n" else f"control characters (U+{o:04X}) are"
            raise FormulaError("not_allowed", f"{what} not allowed; a formula is one line", i)
    if not text.strip():
        raise FormulaError("empty", "the formula is empty", 0, max(len(text), 1))
    return text


class _Lexer:
    def __init__(self, text: str, limits: Limits):
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.limits = limits

    def _skip(self) -> None:
        while self.pos < self.n and self.text[self.pos] in " \t":
            self.pos += 1

    def peek_char(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < self.n else ""

    def next(self) -> Token:
        self._skip()
        t, i = self.text, self.pos
        if i >= self.n:
            return Token("end", "", i, i)
        ch = t[i]
        if ch.isdigit() or (ch == "." and i + 1 < self.n and t[i + 1].isdigit()):
            m = _NUMBER.match(t, i)
            assert m
            j = m.end()
            if j < self.n and (t[j].isalnum() or t[j] in "_."):
                if t[j] == "_":
                    raise FormulaError("syntax", "'_' is not allowed in numbers: write 1000, not 1_000", j)
                if m.group() == "0" and t[j] in "xXbBoO":
                    raise FormulaError("syntax", "only decimal numbers are supported", i, j + 1)
                nxt = _NAME.match(t, j)
                if nxt and t[j] != ".":
                    raise FormulaError("syntax", f"a number cannot be followed directly by a name: "
                                       f"write {m.group()}*{nxt.group()} for a product", j, nxt.end())
                raise FormulaError("syntax", f"malformed number {t[i:j + 1]!r}", i, j + 1)
            value = float(m.group())  # the regex admits only plain ASCII decimals
            if not (abs(value) <= self.limits.max_number):
                raise FormulaError("number_too_large", f"the number {m.group()} is too large; "
                                   f"numbers must be at most {self.limits.max_number:g} in magnitude", i, j)
            if value == 0.0 and any(c in "123456789" for c in m.group().lower().split("e")[0]):
                raise FormulaError("number_too_small", f"the number {m.group()} is too small to represent", i, j)
            self.pos = j
            return Token("num", m.group(), i, j, value)
        if ch.isalpha() or ch == "_":
            m = _NAME.match(t, i)
            assert m
            name, j = m.group(), m.end()
            if name.startswith("_"):
                raise FormulaError("not_allowed", f"names starting with '_' are not allowed ({name!r})", i, j)
            if keyword.iskeyword(name) and name not in KEYWORDS:
                raise FormulaError("not_allowed", f"{name!r} is a Python keyword, not part of the formula language",
                                   i, j)
            if len(name) > self.limits.max_name:
                raise FormulaError("name_too_long", f"the name {name[:20]!r}... is {len(name)} characters long; "
                                   f"names have at most {self.limits.max_name}", i, j)
            self.pos = j
            return Token("name", name, i, j)
        two = t[i:i + 2]
        if two in _TWO:
            self.pos = i + 2
            return Token("op", "^" if two == "**" else two, i, i + 2)
        if two == ":=":
            raise FormulaError("not_allowed", "assignment (':=') is not allowed", i, i + 2)
        if ch in _ONE:
            self.pos = i + 1
            return Token("op", ch, i, i + 1)
        raise FormulaError("not_allowed", _BAD_CHARS.get(ch, f"the character {ch!r} is not allowed"), i)


@dataclass(slots=True)
class _P:
    """A parsed piece: its node, whether it is a condition, and where it is."""

    node: Node
    cond: bool
    start: int
    end: int
    op: int  # where the operator that made it a condition is (for messages)


class _Parser:
    def __init__(self, text: str, limits: Limits):
        self.text = text
        self.limits = limits
        self.lex = _Lexer(text, limits)
        self.tok = self.lex.next()
        self.nodes = 0
        self.depth = 0
        self.params: list[str] = []

    # ---------------------------------------------------------------- helpers
    def advance(self) -> Token:
        t = self.tok
        self.tok = self.lex.next()
        return t

    def make(self, node: Node, at: int) -> Node:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise FormulaError("too_many_nodes", f"the formula has more than {self.limits.max_nodes} "
                               "numbers, names and operations", at)
        return node

    def enter(self, at: int) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise FormulaError("too_deep", f"nesting deeper than {self.limits.max_depth} levels", at)

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def is_name(self, name: str) -> bool:
        return self.tok.kind == "name" and self.tok.text == name

    def expect(self, op: str, what: str) -> Token:
        if not self.is_op(op):
            raise self.unexpected(what)
        return self.advance()

    def unexpected(self, wanted: str) -> FormulaError:
        t = self.tok
        if t.kind == "end":
            return FormulaError("syntax", f"the formula ends too early: expected {wanted}", t.start)
        return FormulaError("syntax", f"expected {wanted}, found {t.text!r}", t.start, t.end)

    def number(self, p: _P, where: str) -> Node:
        if p.cond:
            raise FormulaError("condition_outside_where", f"a comparison cannot be {where}; conditions belong "
                               "only in where(cond, then, else) or piecewise(...)", p.op, p.op + 1)
        return p.node

    def condition(self, p: _P, where: str) -> Node:
        if not p.cond:
            raise FormulaError("condition_expected", f"{where} must be a comparison such as x > 0", p.start, p.end)
        return p.node

    # ---------------------------------------------------------------- grammar
    def formula(self) -> Node:
        p = self.disjunction()
        if self.tok.kind != "end":
            t = self.tok
            if self.is_op(*CMP_OPS):
                raise FormulaError("syntax", "chained comparisons are not supported: write 0 < x and x < 1",
                                   t.start, t.end)
            if self.is_op(")"):
                raise FormulaError("syntax", "unbalanced ')'", t.start, t.end)
            if self.is_op(","):
                raise FormulaError("syntax", "',' outside a function call", t.start, t.end)
            raise FormulaError("syntax", f"expected an operator, found {t.text!r}", t.start, t.end)
        return self.number(p, "the whole formula")

    def disjunction(self) -> _P:
        left = self.conjunction()
        while self.is_name("or"):
            op = self.advance().start
            right = self.conjunction()
            node = self.make(Or(self.condition(left, "the left side of 'or'"),
                                self.condition(right, "the right side of 'or'")), op)
            left = _P(node, True, left.start, right.end, op)
        return left

    def conjunction(self) -> _P:
        left = self.negation()
        while self.is_name("and"):
            op = self.advance().start
            right = self.negation()
            node = self.make(And(self.condition(left, "the left side of 'and'"),
                                 self.condition(right, "the right side of 'and'")), op)
            left = _P(node, True, left.start, right.end, op)
        return left

    def negation(self) -> _P:
        if self.is_name("not"):
            op = self.advance().start
            self.enter(op)
            inner = self.negation()
            self.depth -= 1
            node = self.make(Not(self.condition(inner, "the operand of 'not'")), op)
            return _P(node, True, op, inner.end, op)
        return self.comparison()

    def comparison(self) -> _P:
        left = self.sum()
        if self.is_op(*CMP_OPS):
            t = self.advance()
            right = self.sum()
            node = self.make(Cmp(t.text, self.number(left, "compared"), self.number(right, "compared")), t.start)
            if self.is_op(*CMP_OPS):
                raise FormulaError("syntax", "chained comparisons are not supported: write 0 < x and x < 1",
                                   self.tok.start, self.tok.end)
            return _P(node, True, left.start, right.end, t.start)
        return left

    def sum(self) -> _P:
        first = self.term()
        if not self.is_op("+", "-"):
            return first
        acc = self.number(first, "added or subtracted")
        flat: list[Node] | None = None  # the terms of the Add being built, if any
        end = first.end
        while self.is_op("+", "-"):
            t = self.advance()
            rhs = self.term()
            r = self.number(rhs, "added or subtracted")
            end = rhs.end
            if t.text == "+":
                if flat is None:
                    flat = [acc]
                flat.append(r)
                acc = None
            else:
                if flat is not None:
                    acc = self.make(Add(tuple(flat)), t.start)
                    flat = None
                acc = self.make(Sub(acc, r), t.start)
        if flat is not None:
            acc = self.make(Add(tuple(flat)), first.start)
        return _P(acc, False, first.start, end, first.start)

    def term(self) -> _P:
        first = self.unary()
        if not self.is_op("*", "/"):
            return first
        acc = self.number(first, "multiplied or divided")
        flat: list[Node] | None = None
        end = first.end
        while self.is_op("*", "/"):
            t = self.advance()
            rhs = self.unary()
            r = self.number(rhs, "multiplied or divided")
            end = rhs.end
            if t.text == "*":
                if flat is None:
                    flat = [acc]
                flat.append(r)
            else:
                if flat is not None:
                    acc = self.make(Mul(tuple(flat)), t.start)
                    flat = None
                acc = self.make(Div(acc, r), t.start)
        if flat is not None:
            acc = self.make(Mul(tuple(flat)), first.start)
        return _P(acc, False, first.start, end, first.start)

    def unary(self) -> _P:
        if self.is_op("-"):
            op = self.advance().start
            self.enter(op)
            inner = self.unary()
            self.depth -= 1
            arg = self.number(inner, "negated")
            node = Num(-arg.value) if isinstance(arg, Num) else self.make(Neg(arg), op)
            return _P(node, False, op, inner.end, op)
        if self.is_op("+"):
            raise FormulaError("syntax", "unary '+' is not supported: leave it out", self.tok.start)
        return self.power()

    def power(self) -> _P:
        base = self.atom()
        if not self.is_op("^"):
            return base
        op = self.advance()
        self.enter(op.start)
        ex = self.unary()
        self.depth -= 1
        b = self.number(base, "raised to a power")
        e = self.number(ex, "an exponent")
        if any(isinstance(m, (Param, Call, Where)) or m is XVAR for m in walk(e)):
            if b == Const("e"):
                return _P(self.make(Call("exp", (e,)), op.start), False, base.start, ex.end, base.start)
            raise FormulaError("bad_exponent", "exponents must be constant numbers such as 2, -1 or 1/2 "
                               "(write exp(u) for e^u and exp(a*log(x)) for x^a)", ex.start, ex.end)
        v = const_value(e)
        if v is None or abs(v) > self.limits.max_exponent:
            shown = "too large to compute" if v is None else f"{v:.6g}"
            raise FormulaError("exponent_too_large", f"the exponent is {shown}; exponents must be at most "
                               f"{self.limits.max_exponent:g} in magnitude", ex.start, ex.end)
        return _P(self.make(Pow(b, e), op.start), False, base.start, ex.end, base.start)

    def atom(self) -> _P:
        t = self.tok
        if t.kind == "num":
            self.advance()
            return _P(self.make(Num(t.value), t.start), False, t.start, t.end, t.start)
        if self.is_op("("):
            self.advance()
            self.enter(t.start)
            if self.is_op(")"):
                raise FormulaError("syntax", "empty brackets: expected an expression inside", t.start, t.start + 2)
            inner = self.disjunction()
            close = self.expect(")", "')' to close the bracket opened at character " + str(t.start + 1))
            self.depth -= 1
            return _P(inner.node, inner.cond, t.start, close.end, inner.op)
        if t.kind == "name":
            return self.name()
        raise self.unexpected("a number, x, a parameter, a function call or '('")

    def name(self) -> _P:
        t = self.advance()
        name = t.text
        functions = {**FUNCTIONS, **INTERNAL_FUNCTIONS} if self.limits.internal else FUNCTIONS
        if self.is_op("("):
            if name in functions:
                return self.call(t, functions[name])
            if name == "x" or name in CONSTANTS:
                what = "the variable x" if name == "x" else f"the constant {name}"
                raise FormulaError("not_callable", f"{what} cannot be called: write {name}*(...) for a product",
                                   t.start, t.end)
            if name in self.params:
                raise FormulaError("not_callable", f"the parameter {name!r} cannot be called: "
                                   f"write {name}*(...) for a product", t.start, t.end)
            if name.lower() in WRITE_OUT:  # an activation's or a common function's name: its formula
                raise FormulaError("unknown_name", f"unknown function {name!r}: write it out, as {WRITE_OUT[name.lower()]} "
                                   f"(allowed: {ALLOWED_LIST})", t.start, t.end)
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.75)  # a typo: sigmod
            if close:
                raise FormulaError("unknown_name", f"unknown function {name!r}: did you mean {close[0]}? (allowed: {ALLOWED_LIST})",
                                   t.start, t.end)
            hint = "" if (name in RESERVED or name in INTERNAL_FUNCTIONS) else f" (for a product write {name}*(...))"
            raise FormulaError("unknown_name", f"unknown function {name!r}; allowed: {ALLOWED_LIST}{hint}",
                               t.start, t.end)
        if name == "x":
            return _P(self.make(XVAR, t.start), False, t.start, t.end, t.start)
        if name in CONSTANTS:
            return _P(self.make(Const(name), t.start), False, t.start, t.end, t.start)
        if name in functions:
            raise FormulaError("syntax", f"{name!r} is a function: write {name}(...)", t.start, t.end)
        if name in KEYWORDS:
            raise FormulaError("syntax", f"expected an expression, found {name!r}", t.start, t.end)
        if name in RESERVED or name in INTERNAL_FUNCTIONS:
            raise FormulaError("reserved_name", f"{name!r} is reserved and cannot name a parameter", t.start, t.end)
        if name in QUERY_NAMES and not self.limits.internal:
            raise FormulaError("reserved_name", f"{name!r} is a setting of the app's queries ({name}=…) and cannot name a "
                               f"parameter: choose another name, such as {name}1", t.start, t.end)
        if name not in self.params:
            if len(self.params) >= self.limits.max_params:
                raise FormulaError("too_many_params", f"more than {self.limits.max_params} parameters "
                                   f"({', '.join(self.params)}, {name}, ...)", t.start, t.end)
            self.params.append(name)
        return _P(self.make(Param(name), t.start), False, t.start, t.end, t.start)

    def call(self, t: Token, arity: int | None) -> _P:
        name = t.text
        open_ = self.advance()
        self.enter(open_.start)
        args: list[_P] = []
        if not self.is_op(")"):
            args.append(self.disjunction())
            while self.is_op(","):
                self.advance()
                args.append(self.disjunction())
        close = self.expect(")", f"',' or ')' in the call of {name} opened at character {open_.start + 1}")
        self.depth -= 1
        n = len(args)
        if name == "piecewise":
            if n < 3 or n % 2 == 0:
                raise FormulaError("arity", f"piecewise takes cond1, value1, cond2, value2, ..., otherwise: an odd "
                                   f"number of arguments, at least 3 (got {n})", t.start, close.end)
        elif n != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise FormulaError("arity", f"{name} takes {arity} {plural} (got {n})", t.start, close.end)
        if name in ("where", "piecewise"):
            node = self.number(args[-1], "the 'otherwise' value")
            for i in range(n - 3, -1, -2):
                cond = self.condition(args[i], f"argument {i + 1} of {name}")
                then = self.number(args[i + 1], f"argument {i + 2} of {name}")
                node = self.make(Where(cond, then, node), t.start)
            return _P(node, False, t.start, close.end, t.start)
        vals = tuple(self.number(a, f"an argument of {name}") for a in args)
        return _P(self.make(Call(name, vals), t.start), False, t.start, close.end, t.start)


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """The tree of ``text``, or a :class:`FormulaError` saying what is wrong and where."""
    check_text(text, limits)
    try:
        tree = _Parser(text, limits).formula()
    except RecursionError:  # only reachable with raised limits
        raise FormulaError("too_deep", "the formula is nested too deeply") from None
    assert not isinstance(tree, CONDITION_TYPES)
    return tree


def is_number_literal(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None and math.isfinite(float(text))
