"""The one exception every formula problem raises, with a stable machine code."""

from __future__ import annotations

# code -> what it means (stable: the API and the UI key on these)
CODES: dict[str, str] = {
    "syntax": "the text is not a formula of the grammar (a missing operand, bracket or operator)",
    "empty": "there is no formula",
    "non_ascii": "a character outside plain ASCII (look-alike letters, full-width digits, a Unicode minus)",
    "not_allowed": "a character or construct the language excludes: '.', '[', quotes, ';', '#', ':', "
    "'=', control characters, line breaks, Python keywords, names starting with '_'",
    "too_long": "more than the maximum number of characters",
    "too_deep": "brackets, calls, unary minus or powers nested deeper than the maximum",
    "too_many_nodes": "the formula has more than the maximum number of operations and operands",
    "name_too_long": "a name longer than the maximum",
    "too_many_params": "more distinct parameters than the maximum",
    "number_too_large": "a number of magnitude above the maximum (or infinite)",
    "number_too_small": "a non-zero number too small to represent",
    "exponent_too_large": "a constant exponent of magnitude above the maximum",
    "bad_exponent": "an exponent that is not a constant number",
    "unknown_name": "a call of a function that is not on the list",
    "not_callable": "a call of x, a parameter or a constant",
    "reserved_name": "a Python built-in, keyword or reserved word used as a parameter name",
    "arity": "a function called with the wrong number of arguments",
    "condition_outside_where": "a comparison used where a number is needed",
    "condition_expected": "a number used where where/piecewise/and/or/not need a comparison",
    "derivative_too_large": "the simplified derivative would exceed the maximum size",
    "param_spec": "a parameter declaration is invalid (unknown name, min > max, default outside the range)",
    "param_value": "a parameter value is not a finite number within its range",
    "unknown_param": "a value was given for a parameter the formula does not have",
    "overflow": "evaluation produced an infinite value",
    "undefined": "evaluation produced an undefined (NaN) value",
}


class FormulaError(ValueError):
    """A formula or parameter problem: ``code`` (a key of :data:`CODES`), ``message``
    (a sentence that says where), ``position``/``end`` (0-based character offsets into the
    formula text, ``end`` exclusive) where the problem has a place, and ``param`` where it
    concerns one parameter."""

    def __init__(
        self,
        code: str,
        message: str,
        position: int | None = None,
        end: int | None = None,
        param: str | None = None,
    ):
        assert code in CODES, code
        self.code = code
        self.detail = message
        self.position = position
        self.end = end if end is not None else (None if position is None else position + 1)
        self.param = param
        self.message = f"at character {position + 1}: {message}" if position is not None else message  # (counted from 1; position from 0)
        super().__init__(self.message)

    def __reduce__(self):
        return (FormulaError, (self.code, self.detail, self.position, self.end, self.param))

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "position": self.position,
            "end": self.end,
            "param": self.param,
        }
