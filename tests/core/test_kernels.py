"""Every catalogue activation that declares an in-place kernel: the kernel writes exactly
f(z) and f′(z) (bit for bit) into strided views of wider buffers, as the training engine
calls it — K = 3 variants with stacked (3, 1, 1) parameters or fixed ones — touches nothing
outside its outputs, gives the same h with df=None, and raises no floating-point warning.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.core import activations as A

KERNELS = [a for a in A.CATALOGUE if a.kernel is not None]
K = 3
WIDTH = 5

_tails = np.array([1e4, 745.3, 710.0, 700.0, 37.5, 37.4, 20.0, 1e-10, 1e-30, 1e-150])
X = np.unique(np.concatenate([np.linspace(-40.0, 40.0, 4001), np.linspace(-3.0, 3.0, 601) + 1e-3, _tails, -_tails, [0.0]]))
X = np.concatenate([X, np.zeros((-X.size) % WIDTH)])  # whole rows of WIDTH


def _variants(act: A.Activation) -> list[tuple[str, list[dict]]]:
    """Per choice of the choice parameters, K valid float-parameter sets spread over the
    declared ranges (defaults, lower ends, upper ends where the cross-checks allow)."""
    out = []
    floats = [p for p in act.params if p.kind == "float"]
    choices = [p for p in act.params if p.kind == "choice"]
    for combo in itertools.product(*[[(p.id, c) for c in p.choices] for p in choices]):
        sets = [
            {**dict(combo), **{p.id: getattr(p, end) for p in floats}}
            for end in ("default", "min", "max")
        ]
        valid = [s for s in sets if act.check(**s) is None] or [{**dict(combo), **{p.id: p.default for p in floats}}]
        sets = (valid * K)[:K]
        out.append(("-".join(f"{k}={v}" for k, v in combo) or "-", sets))
    return out


CASES = [(act, label, sets) for act in KERNELS for label, sets in _variants(act)]


def _strided(values: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """values as (K, WIDTH, n), the first n columns of a NaN-filled wider buffer, and that buffer."""
    n = values.size // WIDTH
    buf = np.full((K, WIDTH + 1, n + 7), np.nan, dtype)
    view = buf[:, :WIDTH, :n]
    view[...] = values.reshape(WIDTH, n)
    assert not view.flags.c_contiguous
    return view, buf


def _params(sets: list[dict], stacked: bool, dtype: np.dtype) -> list[dict]:
    """The engine's parameters: float ones that differ as (K, 1, 1) arrays (stacked), or
    each variant's values as fixed floats for all K (one dict per variant)."""
    if not stacked:
        return [dict(s) for s in sets]
    out = {}
    for k, v in sets[0].items():
        vals = [s[k] for s in sets]
        out[k] = v if isinstance(v, str) or all(w == v for w in vals) else np.asarray(vals, dtype).reshape(K, 1, 1)
    return [out]


def _check(act: A.Activation, params: dict, dtype: np.dtype) -> None:
    z, zbuf = _strided(X.astype(dtype), dtype)
    z_before = zbuf.copy()
    # what the engine's f/df path would store in buffers of this dtype
    want_h = np.asarray(act.f(z, **params)).astype(dtype, copy=False)
    want_d = np.asarray(act.df(z, **params)).astype(dtype, copy=False)
    h, hbuf = _strided(np.full(X.size, np.nan), dtype)
    d, dbuf = _strided(np.full(X.size, np.nan), dtype)
    act.kernel(z, h, d, np.empty(z.shape, bool), **params)
    if dtype == np.float64:
        assert act.f(z, **params).dtype == act.df(z, **params).dtype == dtype
        assert np.all(np.isfinite(want_h)) and np.all(np.isfinite(want_d))
    bad_h = np.flatnonzero(~((h == want_h) | (np.isnan(h) & np.isnan(want_h))))
    bad_d = np.flatnonzero(~((d == want_d) | (np.isnan(d) & np.isnan(want_d))))
    zs = z.ravel()
    assert bad_h.size == 0, f"h differs from f at x = {zs[bad_h[:5]]}: {h.ravel()[bad_h[:5]]} vs {want_h.ravel()[bad_h[:5]]}"
    assert bad_d.size == 0, f"df differs from f′ at x = {zs[bad_d[:5]]}: {d.ravel()[bad_d[:5]]} vs {want_d.ravel()[bad_d[:5]]}"
    assert np.array_equal(zbuf, z_before, equal_nan=True), "the kernel wrote into z"
    # nothing outside the views
    for buf in (hbuf, dbuf):
        assert np.all(np.isnan(buf[:, WIDTH:, :])) and np.all(np.isnan(buf[:, :WIDTH, z.shape[2]:]))
    h2, _ = _strided(np.full(X.size, np.nan), dtype)
    act.kernel(z, h2, None, np.empty(z.shape, bool), **params)
    assert np.array_equal(h2, h), "df=None changes h"


@pytest.mark.parametrize("stacked", [True, False], ids=["stacked", "fixed"])
@pytest.mark.parametrize("act,label,sets", CASES, ids=[f"{a.id}-{lab}" for a, lab, _ in CASES])
def test_kernel_equals_f_and_df_exactly(act, label, sets, stacked):
    with np.errstate(all="raise"):
        for params in _params(sets, stacked, np.dtype(np.float64)):
            _check(act, params, np.dtype(np.float64))


@pytest.mark.parametrize("act,label,sets", CASES, ids=[f"{a.id}-{lab}" for a, lab, _ in CASES])
def test_kernel_equals_f_and_df_in_float32(act, label, sets):
    """The engine's float32 runs: the same equality (float32 may underflow, silently)."""
    with np.errstate(all="ignore"):
        for params in _params(sets, True, np.dtype(np.float32)):
            _check(act, params, np.dtype(np.float32))


def test_the_smooth_built_ins_have_kernels():
    assert {a.id for a in KERNELS} >= {
        "relu", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "sigmoid", "tanh", "softplus", "mish",
    }
