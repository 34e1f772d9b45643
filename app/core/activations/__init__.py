"""The activation catalogue: every activation is declared exactly once.

``declare`` says what a declaration holds (parameters with ranges and defaults, properties,
the derivative's convention at kinks, and the facts the engine uses: kernel, cost, whether
f′ ≥ 0); ``functions`` holds the numpy value and derivative functions; ``catalogue`` declares
every activation. The API, the explorer's sliders, the cards, the training engine and the
tests are all driven by :data:`CATALOGUE`.
"""

from .catalogue import BY_ID, CATALOGUE, IDS, get
from .declare import DECIMAL, Activation, Order, Param, ParamError, Params, Properties, Stochastic, resolve_params
from .functions import *  # noqa: F403 — the value and derivative functions, e.g. activations.relu_grad
from .functions import Array, ParamValue

__all__ = [
    "BY_ID", "CATALOGUE", "IDS", "get", "DECIMAL", "Activation", "Order", "Param", "ParamError", "Params", "Properties",
    "Stochastic", "resolve_params", "Array", "ParamValue",
]
