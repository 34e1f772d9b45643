"""A training run's state after its last epoch, held by the client and posted back to continue.

The server keeps nothing between requests: a run that asks for its state gets everything
the next epoch needs — the parameters θ (K, P), the optimiser's moments and step count, the
position of the training-noise / batch-order random stream and which variants diverged —
and a request that sends it back continues from there. Continuing from the state after N
epochs for M more gives the numbers of one run of N + M epochs, bit for bit (the tests
check), provided the run was not cut short.

On the wire (:func:`encode` / :func:`decode`) the arrays are base64 of their bytes
(little-endian, the run's dtype) and the random stream's 128-bit numbers decimal strings.
The state is opaque to the user but checked on the way in: version, the config it was made
for (the fields that shape the network and its data — ``fingerprint``), array sizes, finite
numbers, the random stream's form. Any problem is a :class:`CoreError` naming the field
(``state``, ``state.theta``, …) with a code; nothing in a state can make the engine fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import activations as acts
from .errors import CoreError

Array = np.ndarray

VERSION = 1
U128 = 2**128
U64 = 2**64
# A state is cut at this many epochs in total (a bound on the numbers a client may send).
MAX_TOTAL_EPOCHS = 10**9
# The request fields a continuation may change (not in its fingerprint): Play goes on with them.
CONTINUABLE = ("epochs", "learning_rate", "momentum", "l1", "l2", "batch_size")


@dataclass
class RunState:
    """Where a run stands after ``epoch`` epochs (in total, over every continuation)."""

    epoch: int
    step: int  # optimiser steps taken
    theta: Array  # (K, P)
    m: Array  # (K, P): SGD's momentum buffer, or Adam's first moment (as the engine keeps it)
    v: Array | None  # (K, P): Adam's second moment
    rng: dict[str, Any]  # numpy PCG64 state of the training-noise / batch-order stream
    diverged_at: tuple[int | None, ...]
    fingerprint: dict[str, Any]


def fingerprint(config: Any) -> dict[str, Any]:
    """What a state must have been made for: the fields that shape the network, its data and
    its initial weights (learning rate, momentum, regularisation, batch size and the recording
    may change between continuations)."""
    d = config.data
    points = None
    if d.points is not None:
        h = hashlib.sha256(repr((d.points.x, d.points.y, d.points.task)).encode()).hexdigest()
        points = h[:32]
    return {
        "dataset": d.name,
        "n_points": d.size,
        "noise": d.noise,
        "test_fraction": d.test_fraction,
        "classes": d.n_classes,
        "points": points,
        "seed": config.seed,
        "features": list(config.features),
        "widths": list(config.arch.widths),
        # a built-in by id; a typed formula by its id, which names its canonical text and ranges
        "activations": [[acts.get(v.activation).id, sorted((k, val) for k, val in v.params.items())] for v in config.variants],
        "optimizer": config.optimizer,
        "init": config.init,
        "bias_init": config.bias_init,
        "dtype": config.dtype,
    }


def _b64(a: Array) -> str:
    return base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes()).decode("ascii")


def encode(state: RunState) -> dict[str, Any]:
    """The state as JSON-ready values."""
    inner = state.rng["state"]
    return {
        "version": VERSION,
        "config": state.fingerprint,
        "epoch": state.epoch,
        "step": state.step,
        "rng": {"state": str(inner["state"]), "inc": str(inner["inc"]), "has_uint32": int(state.rng["has_uint32"]), "uinteger": int(state.rng["uinteger"])},
        "diverged_at": list(state.diverged_at),
        "theta": _b64(state.theta),
        "m": _b64(state.m),
        "v": None if state.v is None else _b64(state.v),
    }


def _bad(field: str, message: str, code: str = "bad_state", **info: Any) -> CoreError:
    return CoreError(field, f"{field}: {message}", code, **info)


def _array(raw: Any, field: str, shape: tuple[int, int], dtype: np.dtype) -> Array:
    if not isinstance(raw, str):
        raise _bad(field, "expected a base64 string", "not_a_string")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(field, "not valid base64", "not_base64") from None
    size = shape[0] * shape[1] * dtype.itemsize
    if len(data) != size:
        raise _bad(field, f"holds {len(data)} bytes; this network's needs {size} ({shape[0]} × {shape[1]} {dtype.name})", "wrong_size", expected=size, got=len(data))
    a = np.frombuffer(data, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    if not np.all(np.isfinite(a)):
        raise _bad(field, "holds a number that is not finite", "not_finite")
    return a


def _int(raw: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
        raise _bad(field, f"expected a whole number in [{lo}, {hi}]", "out_of_range", min=lo, max=hi)
    return raw


def _big(raw: Any, field: str, hi: int) -> int:
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 40:
        raise _bad(field, "expected a whole number written as decimal text", "not_a_number")
    value = int(raw)
    if value >= hi:
        raise _bad(field, "out of range", "out_of_range")
    return value


def decode(obj: Mapping[str, Any], config: Any, K: int, P: int) -> RunState:
    """A validated :class:`RunState` for ``config`` (K variants of P parameters each)."""
    if not isinstance(obj, Mapping):
        raise _bad("state", "expected an object (the state a previous response returned)")
    if obj.get("version") != VERSION:
        raise _bad("state.version", f"this server reads state version {VERSION} (got {obj.get('version')!r}): start again without a state", "state_version", expected=VERSION)
    want = fingerprint(config)
    made = obj.get("config")
    if not isinstance(made, Mapping):
        raise _bad("state.config", "missing: the state says which run it belongs to", "bad_state")
    for key, value in want.items():
        if _canonical(made.get(key)) != _canonical(value):
            raise CoreError(
                "state",
                f"state: it was made for another {key.replace('_', ' ')} than this request's; send the same settings, or start again without a state (Reset)",
                "state_mismatch", key=key,
            )
    epoch = _int(obj.get("epoch"), "state.epoch", 0, MAX_TOTAL_EPOCHS)
    step = _int(obj.get("step"), "state.step", 0, MAX_TOTAL_EPOCHS * 10_000)
    dtype = np.dtype(config.dtype)
    theta = _array(obj.get("theta"), "state.theta", (K, P), dtype)
    m = _array(obj.get("m"), "state.m", (K, P), dtype)
    adam = config.optimizer == "adam"
    if adam:
        v = _array(obj.get("v"), "state.v", (K, P), dtype)
        if np.any(v < 0):
            raise _bad("state.v", "a second moment is negative", "out_of_range")
    elif obj.get("v") is not None:
        raise _bad("state.v", "SGD keeps no second moment: send null", "bad_state")
    else:
        v = None
    rng = obj.get("rng")
    if not isinstance(rng, Mapping) or set(rng) != {"state", "inc", "has_uint32", "uinteger"}:
        raise _bad("state.rng", "expected {state, inc, has_uint32, uinteger}")
    inc = _big(rng["inc"], "state.rng.inc", U128)
    if inc % 2 == 0:
        raise _bad("state.rng.inc", "must be odd", "out_of_range")
    rng_state = {
        "bit_generator": "PCG64",
        "state": {"state": _big(rng["state"], "state.rng.state", U128), "inc": inc},
        "has_uint32": _int(rng["has_uint32"], "state.rng.has_uint32", 0, 1),
        "uinteger": _int(rng["uinteger"], "state.rng.uinteger", 0, 2**32 - 1),
    }
    div = obj.get("diverged_at")
    if not isinstance(div, list) or len(div) != K:
        raise _bad("state.diverged_at", f"expected a list of {K} entries (null or an epoch)", "wrong_size", expected=K)
    diverged = tuple(None if d is None else _int(d, f"state.diverged_at.{k}", 0, epoch) for k, d in enumerate(div))
    for k, d in enumerate(diverged):
        if d is not None:
            theta[k] = 0.0  # a diverged variant stays frozen at zero
    return RunState(epoch, step, theta, m, v, rng_state, diverged, want)


def _canonical(value: Any) -> Any:
    """JSON-shaped values compared alike (tuples as lists, whole floats as numbers)."""
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return value
    return value
