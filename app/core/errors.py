"""Errors the core raises about what a caller asked for, each with a machine ``code``.

The API maps every :class:`CoreError` to a 4xx in the app's one error shape: ``detail``
(the message), ``field`` (where), ``code`` and the numbers in ``info`` (e.g. a budget error's
``limit``, ``cost`` and ``fit_epochs``) — so no caller needs to read the English message.
"""

from __future__ import annotations

from typing import Any


class CoreError(ValueError):
    """A request the core cannot honour: ``field`` names what to change."""

    status = 422

    def __init__(self, field: str | None, message: str, code: str, **info: Any):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        self.info = info

    def within(self, prefix: str, message_prefix: str = "") -> CoreError:
        """The same error with its field inside ``prefix`` (e.g. "activations.0.params.")."""
        err = type(self).__new__(type(self))
        CoreError.__init__(err, prefix + (self.field or ""), message_prefix + self.message, self.code, **self.info)
        return err


def apart(cost: float, limit: float) -> tuple[str, str]:
    """A cost and its limit written with as many significant digits (3 or more) as tell them
    apart: 1.6015e+10 over 1.6e+10, not 1.6e+10 over 1.6e+10."""
    for digits in range(3, 17):
        a, b = f"{cost:.{digits}g}", f"{limit:.{digits}g}"
        if a != b:
            return a, b
    return a, b


class BudgetError(CoreError):
    """A run (or measurement) larger than the compute or memory budget.

    code "budget": info has ``cost``, ``limit`` (compute units), ``fit_epochs`` (how many
    epochs would fit with the rest unchanged, 0 if none) and ``reduce`` (the fields to
    reduce); code "memory": ``elements`` and ``limit``; code "boundary_cells": ``cells``
    and ``limit``."""
