"""Printers: plain text (round-trips through the parser), LaTeX, and PyTorch source.

The text printer puts brackets exactly where the parser needs them to rebuild the same
tree, so ``parse(to_text(t)) == t`` for every tree the parser, the differentiator or the
simplifier makes. Conventions: ``^`` for powers, spaces around + - and comparisons, none
around * and /, ``piecewise(c1, v1, c2, v2, other)`` for a where whose other branch is a
where.
"""

from __future__ import annotations

import keyword
import re

from .diff import derivative
from .tree import (
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
    children,
    const_value,
    has_x,
)

# precedence: higher binds tighter
_OR, _AND, _NOT, _CMP, _SUM, _PROD, _NEG, _POW, _ATOM = range(1, 10)


def format_number(v: float) -> str:
    if v == 0.0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(float(v))


def _prec(n: Node) -> int:
    if isinstance(n, Or):
        return _OR
    if isinstance(n, And):
        return _AND
    if isinstance(n, Not):
        return _NOT
    if isinstance(n, Cmp):
        return _CMP
    if isinstance(n, (Add, Sub)):
        return _SUM
    if isinstance(n, (Mul, Div)):
        return _PROD
    if isinstance(n, Neg) or (isinstance(n, Num) and n.value < 0):
        return _NEG
    if isinstance(n, Pow):
        return _POW
    return _ATOM


# --------------------------------------------------------------------------- text


def to_text(n: Node) -> str:
    memo: dict[int, tuple[Node, str]] = {}

    def p(m: Node) -> str:
        hit = memo.get(id(m))
        if hit is not None and hit[0] is m:
            return hit[1]
        s = _text(m, p)
        memo[id(m)] = (m, s)
        return s

    return p(n)


def _paren(s: str, yes: bool) -> str:
    return f"({s})" if yes else s


def _where_chain(n: Where) -> list[Node]:
    items: list[Node] = []
    while isinstance(n, Where):
        items += [n.cond, n.then]
        n = n.other  # type: ignore[assignment]
    return items + [n]


def _text(n: Node, p) -> str:
    if isinstance(n, Num):
        return format_number(n.value)
    if isinstance(n, X):
        return "x"
    if isinstance(n, (Const, Param)):
        return n.name
    if isinstance(n, Neg):
        a = n.arg
        return "-" + _paren(p(a), _prec(a) <= _PROD or isinstance(a, Num))
    if isinstance(n, Add):
        out = []
        for i, t in enumerate(n.terms):
            s = p(t)
            if i == 0:
                out.append(_paren(s, isinstance(t, Add) or _prec(t) < _SUM))
            else:
                out.append(" + " + _paren(s, _prec(t) <= _SUM))
        return "".join(out)
    if isinstance(n, Sub):
        return _paren(p(n.left), _prec(n.left) < _SUM) + " - " + _paren(p(n.right), _prec(n.right) <= _SUM)
    if isinstance(n, Mul):
        out = []
        for i, f in enumerate(n.factors):
            s = p(f)
            if i == 0:
                out.append(_paren(s, isinstance(f, Mul) or _prec(f) < _PROD))
            else:
                out.append("*" + _paren(s, _prec(f) <= _PROD))
        return "".join(out)
    if isinstance(n, Div):
        return _paren(p(n.num), _prec(n.num) < _PROD) + "/" + _paren(p(n.den), _prec(n.den) <= _PROD)
    if isinstance(n, Pow):
        b, e = n.base, n.exp
        return _paren(p(b), _prec(b) <= _POW) + "^" + _paren(p(e), _prec(e) < _NEG)
    if isinstance(n, Call):
        return f"{n.fn}({', '.join(p(a) for a in n.args)})"
    if isinstance(n, Where):
        items = _where_chain(n)
        name = "where" if len(items) == 3 else "piecewise"
        return f"{name}({', '.join(p(a) for a in items)})"
    if isinstance(n, Cmp):
        return f"{p(n.left)} {n.op} {p(n.right)}"
    if isinstance(n, And):
        return _paren(p(n.left), _prec(n.left) < _AND) + " and " + _paren(p(n.right), _prec(n.right) <= _AND)
    if isinstance(n, Or):
        return _paren(p(n.left), _prec(n.left) < _OR) + " or " + _paren(p(n.right), _prec(n.right) <= _OR)
    if isinstance(n, Not):
        return "not " + _paren(p(n.arg), _prec(n.arg) < _NOT)
    raise TypeError(f"not a formula node: {n!r}")


# --------------------------------------------------------------------------- LaTeX

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
_LATEX_FN = {
    "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh", "sigmoid": r"\sigma",
    "log1p": r"\operatorname{log1p}", "expm1": r"\operatorname{expm1}", "softplus": r"\operatorname{softplus}",
    "erf": r"\operatorname{erf}", "erfc": r"\operatorname{erfc}", "sign": r"\operatorname{sign}",
    "sech2": r"\operatorname{sech}^{2}", "log_sigmoid": r"\log\sigma", "max": r"\max", "min": r"\min",
}
_LATEX_CMP = {"<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq", "==": "=", "!=": r"\neq"}


def latex_name(name: str) -> str:
    m = re.fullmatch(r"([A-Za-z]+)([0-9]*)", name)
    if m and m.group(1) in _GREEK:
        base = "\\" + m.group(1)
    elif m and len(m.group(1)) == 1:
        base = m.group(1)
    else:
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    return base + (f"_{{{m.group(2)}}}" if m.group(2) else "")


def latex_number(v: float) -> str:
    s = format_number(v)
    if "e" in s:
        mant, ex = s.split("e")
        return rf"{mant} \times 10^{{{int(ex)}}}"
    return s


def to_latex(n: Node) -> str:
    memo: dict[int, tuple[Node, str]] = {}

    def p(m: Node) -> str:
        hit = memo.get(id(m))
        if hit is not None and hit[0] is m:
            return hit[1]
        s = _latex(m, p)
        memo[id(m)] = (m, s)
        return s

    return p(n)


def _lparen(s: str, yes: bool) -> str:
    return rf"\left({s}\right)" if yes else s


def _latex(n: Node, p) -> str:
    if isinstance(n, Num):
        return latex_number(n.value)
    if isinstance(n, X):
        return "x"
    if isinstance(n, Const):
        return r"\pi" if n.name == "pi" else "e"
    if isinstance(n, Param):
        return latex_name(n.name)
    if isinstance(n, Neg):
        return "-" + _lparen(p(n.arg), _prec(n.arg) <= _PROD and not isinstance(n.arg, Div))
    if isinstance(n, Add):
        out = [_lparen(p(t), (i > 0 and _prec(t) == _NEG) or _prec(t) < _SUM) for i, t in enumerate(n.terms)]
        return " + ".join(out)
    if isinstance(n, Sub):
        return p(n.left) + " - " + _lparen(p(n.right), _prec(n.right) <= _SUM or _prec(n.right) == _NEG)
    if isinstance(n, Mul):
        out = ""
        for i, f in enumerate(n.factors):
            s = _lparen(p(f), _prec(f) < _PROD or (i > 0 and _prec(f) == _NEG))
            if i == 0:
                out = s
            else:
                if s[:1].isdigit() or s.startswith("-"):
                    out += r" \cdot " + s  # number times number
                else:
                    out += (" " if out[-1:].isdigit() else r"\,") + s
        return out
    if isinstance(n, Div):
        if isinstance(n.num, Num) and n.num.value < 0:
            return rf"-\frac{{{latex_number(-n.num.value)}}}{{{p(n.den)}}}"
        return rf"\frac{{{p(n.num)}}}{{{p(n.den)}}}"
    if isinstance(n, Pow):
        b = n.base
        inner = p(b)
        if isinstance(b, Call) and b.fn in ("sin", "cos", "tanh", "log") and isinstance(n.exp, Num):
            # tanh(u)^2 reads \tanh^{2}(u)
            return rf"{_LATEX_FN[b.fn]}^{{{p(n.exp)}}}\left({p(b.args[0])}\right)"
        wrap = _prec(b) <= _POW or isinstance(b, Div) or (isinstance(b, Call) and b.fn == "exp")
        return _lparen(inner, wrap) + f"^{{{p(n.exp)}}}"
    if isinstance(n, Call):
        args = ", ".join(p(a) for a in n.args)
        if n.fn == "exp":
            return f"e^{{{args}}}" if not isinstance(n.args[0], Where) else rf"\exp\left({args}\right)"
        if n.fn == "sqrt":
            return rf"\sqrt{{{args}}}"
        if n.fn == "abs":
            return rf"\left|{args}\right|"
        return rf"{_LATEX_FN[n.fn]}\left({args}\right)"
    if isinstance(n, Where):
        items = _where_chain(n)
        rows = [rf"{p(items[i + 1])} & \text{{if }} {p(items[i])}" for i in range(0, len(items) - 1, 2)]
        rows.append(rf"{p(items[-1])} & \text{{otherwise}}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"
    if isinstance(n, Cmp):
        return f"{p(n.left)} {_LATEX_CMP[n.op]} {p(n.right)}"
    if isinstance(n, And):
        return _lparen(p(n.left), _prec(n.left) < _AND) + r" \land " + _lparen(p(n.right), _prec(n.right) <= _AND)
    if isinstance(n, Or):
        return _lparen(p(n.left), _prec(n.left) < _OR) + r" \lor " + _lparen(p(n.right), _prec(n.right) <= _OR)
    if isinstance(n, Not):
        return r"\lnot " + _lparen(p(n.arg), _prec(n.arg) < _NOT)
    raise TypeError(f"not a formula node: {n!r}")


# --------------------------------------------------------------------------- PyTorch

_TORCH_FN = {
    "exp": "torch.exp", "log": "torch.log", "log1p": "torch.log1p", "expm1": "torch.expm1",
    "sqrt": "torch.sqrt", "abs": "torch.abs", "sin": "torch.sin", "cos": "torch.cos", "tanh": "torch.tanh",
    "sigmoid": "torch.sigmoid", "erf": "torch.erf", "erfc": "torch.erfc", "sign": "torch.sign",
    "log_sigmoid": "torch.nn.functional.logsigmoid",
}
_TORCH_OP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
CLASS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|\(?-?[0-9][0-9.e+-]*\)?")


class _TorchWriter:
    """Writes a tree as torch code: one expression, with subexpressions that are used more
    than once (or that the torch code needs twice, like both sides of max) bound to locals
    ``_t0, _t1, ...`` first, so the source grows linearly with the tree."""

    def __init__(self, tree: Node):
        self.lines: list[str] = []
        self.bound: dict[Node, str] = {}
        self.uses: dict[Node, int] = {}
        stack = [tree]
        while stack:
            n = stack.pop()
            self.uses[n] = self.uses.get(n, 0) + 1
            if self.uses[n] == 1:
                stack.extend(children(n))

    def _bind(self, n: Node, s: str) -> str:
        name = f"_t{len(self.bound)}"  # parameters cannot start with "_": no clash
        self.lines.append(f"{name} = {s}")
        self.bound[n] = name
        return name

    def expr(self, n: Node) -> str:
        if n in self.bound:
            return self.bound[n]
        s = _torch(n, self)
        if self.uses.get(n, 0) > 1 and not _SIMPLE.fullmatch(s):
            return self._bind(n, s)
        return s

    def ref(self, n: Node) -> str:
        """An expression for n that may be written more than once."""
        s = self.expr(n)
        return s if (_SIMPLE.fullmatch(s) or n in self.bound) else self._bind(n, s)

    def tensor(self, n: Node, ref: bool = False) -> str:
        """An argument torch functions take: as is if it depends on x, else a 0-d tensor."""
        s = self.ref(n) if ref else self.expr(n)
        return s if has_x(n) else f"torch.as_tensor({s}, dtype=x.dtype)"


def to_torch(n: Node) -> tuple[list[str], str]:
    """Statements binding locals, and the final expression, over tensors (``x``) and float
    locals (the parameters)."""
    w = _TorchWriter(n)
    out = w.expr(n)
    return w.lines, out


def _torch(n: Node, w: _TorchWriter) -> str:
    t = w.expr
    if isinstance(n, Num):
        return repr(float(n.value)) if n.value >= 0 else f"({float(n.value)!r})"
    if isinstance(n, X):
        return "x"
    if isinstance(n, Const):
        return "math.pi" if n.name == "pi" else "math.e"
    if isinstance(n, Param):
        return n.name
    if isinstance(n, Neg):
        return f"(-{t(n.arg)})"
    if isinstance(n, Add):
        return "(" + " + ".join(t(a) for a in n.terms) + ")"
    if isinstance(n, Sub):
        return f"({t(n.left)} - {t(n.right)})"
    if isinstance(n, Mul):
        return "(" + " * ".join(t(a) for a in n.factors) + ")"
    if isinstance(n, Div):
        return f"({t(n.num)} / {t(n.den)})"
    if isinstance(n, Pow):
        c = const_value(n.exp)
        e = str(int(c)) if c is not None and c.is_integer() else repr(c)
        return f"({t(n.base)} ** {e})"
    if isinstance(n, Call):
        if n.fn in ("max", "min"):
            u, v = n.args
            if not has_x(u) and has_x(v):
                u, v = v, u  # the constant second: its derivative 0 takes the tie (see the docstring)
            op = ">" if n.fn == "max" else "<"
            a, b = w.ref(u), w.ref(v)
            if not has_x(v):
                return f"torch.where({a} {op} {b}, {a}, torch.as_tensor({b}, dtype=x.dtype))"
            # both depend on x: at a tie, the argument of the smaller slope (diff.py's rule; autograd
            # would take the second's): max(0.1*x, x) has f′(0) = 0.1 here as in the app
            du, dv = w.tensor(derivative(u)), w.tensor(derivative(v))
            return f"torch.where(({a} {op} {b}) | (({a} == {b}) & ({du} <= {dv})), {a}, {b})"
        (u,) = n.args
        if n.fn == "softplus":
            a = w.tensor(u, ref=True)
            return f"torch.logaddexp({a}, torch.zeros_like({a}))"
        if n.fn == "sech2":
            a = w.tensor(u, ref=True)
            return f"(4.0 * torch.sigmoid(2.0 * {a}) * torch.sigmoid(-2.0 * {a}))"
        return f"{_TORCH_FN[n.fn]}({w.tensor(u)})"
    if isinstance(n, Where):
        return f"torch.where({_cond(n.cond, w)}, {w.tensor(n.then)}, {w.tensor(n.other)})"
    raise TypeError(f"not an arithmetic node: {n!r}")


def _cond(c: Node, w: _TorchWriter) -> str:
    t = w.expr
    if isinstance(c, Cmp):
        s = f"({t(c.left)} {_TORCH_OP[c.op]} {t(c.right)})"
        return s if (has_x(c.left) or has_x(c.right)) else f"torch.as_tensor({s})"
    if isinstance(c, And):
        return f"({_cond(c.left, w)} & {_cond(c.right, w)})"
    if isinstance(c, Or):
        return f"({_cond(c.left, w)} | {_cond(c.right, w)})"
    if isinstance(c, Not):
        return f"(~{_cond(c.arg, w)})"
    raise TypeError(f"not a condition: {c!r}")


def torch_module_source(
    expr: Node, text: str, params: list[tuple[str, float]], class_name: str = "MyActivation"
) -> str:
    """The source of a ``torch.nn.Module`` computing ``expr``; ``params`` are (name, default)."""
    if not CLASS_NAME.fullmatch(class_name) or keyword.iskeyword(class_name):
        raise ValueError(f"class_name must be a Python identifier of letters, digits and '_' (got {class_name!r})")
    sig = "".join(f", {name}: float = {float(v)!r}" for name, v in params)
    lines = [
        "import math",
        "",
        "import torch",
        "",
        "",
        f"class {class_name}(torch.nn.Module):",
        f'    """f(x) = {text}',
        "",
        "    Generated by Activation Lab from the formula above. Parameters are plain floats;",
        "    wrap them in torch.nn.Parameter to learn them. At exact ties of max/min, autograd",
        "    takes the derivative of the argument with the smaller slope (of the constant one,",
        "    when there is one), as Activation Lab does; where() branches that overflow can give",
        '    NaN gradients far out in the tails."""',
        "",
        f"    def __init__(self{sig}):",
        "        super().__init__()",
    ]
    lines += [f"        self.{name} = float({name})" for name, _ in params]
    lines += [
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
    ]
    lines += [f"        {name} = self.{name}" for name, _ in params]
    statements, body = to_torch(expr)
    lines += [f"        {st}" for st in statements]
    if not has_x(expr):
        body = f"torch.zeros_like(x) + {body}"
    lines.append(f"        return {body}")
    return "\n".join(lines) + "\n"
