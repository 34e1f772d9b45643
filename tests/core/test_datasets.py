"""The toy datasets: shapes, labels, ranges, splits, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.datasets import DATASETS, MIN_POINTS, DatasetSpec, make_dataset, split_sizes


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_labels_and_range(name: str) -> None:
    d = make_dataset(DatasetSpec(name, 301, 0.1, 0.25, 3))
    assert d.x_train.shape == (226, 2) and d.x_test.shape == (75, 2)
    assert d.y_train.shape == (226,) and d.y_test.shape == (75,)
    y = np.concatenate([d.y_train, d.y_test])
    assert set(np.unique(y)) == {0, 1}
    assert 0.3 < y.mean() < 0.7  # roughly balanced
    assert np.all(np.isfinite(d.x_all)) and np.abs(d.x_all).max() < 4.0


@pytest.mark.parametrize("name", DATASETS)
def test_deterministic_per_seed(name: str) -> None:
    a = make_dataset(DatasetSpec(name, 100, 0.2, 0.3, 7))
    b = make_dataset(DatasetSpec(name, 100, 0.2, 0.3, 7))
    c = make_dataset(DatasetSpec(name, 100, 0.2, 0.3, 8))
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


def test_clean_shapes_without_noise() -> None:
    d = make_dataset(DatasetSpec("circles", 200, 0.0, 0.25, 0))
    r = np.hypot(*d.x_all.T)
    y = np.concatenate([d.y_train, d.y_test])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.5)
    xor = make_dataset(DatasetSpec("xor", 200, 0.0, 0.25, 0))
    assert np.array_equal((xor.x_train[:, 0] * xor.x_train[:, 1] > 0).astype(np.int8), xor.y_train)


def test_split_sizes_keep_both_sets() -> None:
    assert split_sizes(256, 0.25) == (192, 64)
    assert split_sizes(MIN_POINTS, 0.9) == (2, 18)
    assert split_sizes(MIN_POINTS, 0.05) == (19, 1)


def test_float32() -> None:
    d = make_dataset(DatasetSpec("moons", 50), np.float32)
    assert d.x_train.dtype == np.float32


def test_rejects_bad_specs() -> None:
    with pytest.raises(ValueError):
        make_dataset(DatasetSpec("mnist"))
    with pytest.raises(ValueError):
        make_dataset(DatasetSpec("moons", MIN_POINTS - 1))
