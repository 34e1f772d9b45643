"""Runs of one network shape trained in one combined pass (app/core/stacking.py): each run's
trace, split back, agrees with the run trained alone to 1e-12 on every number — losses,
accuracies, every layer statistic, learned slopes, histograms, boundaries, weights, the
diagram — and which variants diverged, and when, is the same."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core import stacking
from app.core.datasets import DatasetSpec
from app.core.network import Architecture, Variant
from app.core.training import TrainConfig, train

TOL = 1e-12
SKIP = {"elapsed_ms", "data", "state"}


def _close(a, b, where: str = "trace") -> None:
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            if f.name not in SKIP:
                _close(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _close(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, (where, a.shape, b.shape)
        if a.dtype.kind in "fc":
            # |a − b| ≤ 1e-12 · max(1, |a|): relative for big numbers, absolute near zero
            assert np.array_equal(np.isfinite(a), np.isfinite(b)), where
            ok = np.isfinite(a)
            err = np.abs(a[ok] - b[ok]) / np.maximum(1.0, np.abs(a[ok]))
            assert err.size == 0 or err.max() <= TOL, (where, float(err.max()))
        else:
            assert np.array_equal(a, b), where
    elif isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= TOL * max(1.0, abs(a)), (where, a, b)
    else:
        assert a == b, (where, a, b)


def _base(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 80, "frames": 9, "boundary_frames": 2, "boundary_grid": 12, "seed": 5, **kw})


CASES = {
    "binary, several activations and learning rates, a learned slope": [
        _base(variants=(Variant("relu"), Variant("tanh"))),
        _base(variants=(Variant("elu", {"alpha": 0.5}),), learning_rate=0.03),
        _base(variants=(Variant("prelu", {"a": 0.2}), Variant("relu")), learning_rate=0.005),
    ],
    "weights, the diagram with a probe, a learned slope in one run only": [
        _base(variants=(Variant("gelu"),), include_weights=True, unit_grid=5, probe=(0.3, -0.2, 1.0), data=DatasetSpec("xor", 120)),
        _base(variants=(Variant("prelu", {"a": 0.1}), Variant("selu")), include_weights=True, unit_grid=5, probe=(0.3, -0.2, 1.0), data=DatasetSpec("xor", 120), learning_rate=0.02),
    ],
    "multi-class, SGD with momenta": [
        _base(variants=(Variant("leaky_relu", {"leak": 0.1}),), optimizer="sgd", learning_rate=0.1, momentum=0.9, data=DatasetSpec("class_blobs", 150, classes=3)),
        _base(variants=(Variant("leaky_relu", {"leak": 0.3}), Variant("silu")), optimizer="sgd", learning_rate=0.05, momentum=0.0, data=DatasetSpec("class_blobs", 150, classes=3)),
    ],
    "regression, mini-batches, L1 and L2, widths": [
        _base(variants=(Variant("softplus"),), batch_size=16, l1=1e-4, l2=1e-3, data=DatasetSpec("plane", 100), arch=Architecture(widths=(6, 4))),
        _base(variants=(Variant("tanh"), Variant("mish")), batch_size=16, l1=1e-4, l2=1e-3, learning_rate=0.003, data=DatasetSpec("plane", 100), arch=Architecture(widths=(6, 4))),
    ],
    "one run diverges, the other does not": [
        _base(variants=(Variant("relu"), Variant("tanh")), optimizer="sgd", learning_rate=0.5, data=DatasetSpec("blobs"), arch=Architecture(depth=6)),
        _base(variants=(Variant("leaky_relu"), Variant("tanh")), optimizer="sgd", learning_rate=10.0, data=DatasetSpec("blobs"), arch=Architecture(depth=6)),
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_run_trained_with_others_agrees_with_it_trained_alone(name: str) -> None:
    configs = CASES[name]
    assert len({stacking.shape_key(c) for c in configs}) == 1 and all(stacking.combinable(c) for c in configs)
    combined, where = stacking.combine(configs)
    assert stacking.fits(combined, 16) and sorted(k for w in where for k in w) == list(range(len(combined.variants)))
    together = train(combined, first_frame=False)
    for config, w in zip(configs, where):
        alone = train(config, first_frame=False)
        if stacking.all_diverged(together, w):  # the caller trains such a run alone (it stops early)
            assert all(d is not None for d in alone.diverged_at)
            continue
        _close(alone, stacking.split(together, combined, config, w))


def test_what_may_not_be_combined() -> None:
    assert not stacking.combinable(_base(variants=(Variant("noisy_relu"),)))  # noise drawn for all variants at once
    assert not stacking.combinable(_base(dtype="float32"))
    assert not stacking.combinable(_base(include_state=True))
    # everything but the variants, learning rate and momentum is in the shape
    key = stacking.shape_key(_base())
    assert stacking.shape_key(_base(learning_rate=0.5, momentum=0.3, variants=(Variant("tanh"),))) == key
    for other in (_base(seed=6), _base(epochs=81), _base(l2=1e-3), _base(include_weights=True), _base(data=DatasetSpec("xor"))):
        assert stacking.shape_key(other) != key
