r"""Your own activation: type a formula, get its exact derivative.

Pure Python + numpy; nothing here evaluates user text as code. The pipeline:

    text --parser--> tree --simplify--> --rewrite (stable forms)--> numpy program
                      |                 \--diff--> simplify --> derivative (text, LaTeX)
                      \--printers--> canonical text, LaTeX, PyTorch source

Public API: :func:`compile_formula` returns a :class:`Formula`; every problem is a
:class:`FormulaError` with a stable ``code``. See :data:`CONVENTION` for derivatives at
kinks and :mod:`.parser` for the grammar and the caps.
"""

from .diff import CONVENTION
from .errors import CODES, FormulaError
from .evaluate import FiniteReport
from .formula import Formula, ParamSpec, compile_formula
from .parser import DEFAULT_LIMITS, RELAXED_LIMITS, Limits, parse
from .printers import to_latex, to_text
from .properties import Measurements

__all__ = [
    "CODES", "CONVENTION", "DEFAULT_LIMITS", "RELAXED_LIMITS", "FiniteReport", "Formula", "FormulaError",
    "Limits", "Measurements", "ParamSpec", "compile_formula", "parse", "to_latex", "to_text",
]
