"""Two-dimensional toy problems with binary labels, deterministic per seed.

Every dataset is a clean shape plus isotropic Gaussian jitter of standard deviation
``noise`` (in input units), with the two classes the same size (±1), shuffled and split
into a training and a test set. Inputs lie roughly within [-1.5, 1.5] (spirals: [-2.5, 2.5]),
the range where He/Glorot-initialised units start in their interesting region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

DATASETS: tuple[str, ...] = ("moons", "circles", "xor", "spirals", "blobs")
DATASET_LABELS: dict[str, str] = {"moons": "Two moons", "circles": "Concentric circles", "xor": "XOR", "spirals": "Two spirals", "blobs": "Gaussian blobs"}

# Smallest problem that leaves both a training and a test set for any allowed split.
MIN_POINTS = 20
# XOR points keep this distance from the axes (before jitter), as TensorFlow Playground does.
XOR_PADDING = 0.05
# Spread of each Gaussian blob before the jitter.
BLOB_STD = 0.4
SPIRAL_RADIUS = 2.5
SPIRAL_TURNS = 1.75


@dataclass(frozen=True)
class DatasetSpec:
    name: str = "moons"
    n_points: int = 256
    noise: float = 0.1
    test_fraction: float = 0.25
    seed: int = 0


@dataclass(frozen=True)
class Dataset:
    """x: (n, 2) inputs; y: (n,) labels in {0, 1}, as int8."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array

    @property
    def x_all(self) -> Array:
        return np.concatenate([self.x_train, self.x_test])


def split_sizes(n_points: int, test_fraction: float) -> tuple[int, int]:
    """(n_train, n_test): round(n·test_fraction) test points, at least 1 of each and 2 for training."""
    n_test = min(max(1, round(n_points * test_fraction)), n_points - 2)
    return n_points - n_test, n_test


def _moons(u: Array, label: Array) -> Array:
    """Two interleaved half circles (as scikit-learn's make_moons), centred on the origin:
    outer (cos πu, sin πu), inner (1 − cos πu, ½ − sin πu), shifted by (−½, −¼)."""
    t = math.pi * u
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)
    inner = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return np.where(label[:, None] == 0, outer, inner) - np.array([0.5, 0.25])


def _circles(u: Array, label: Array) -> Array:
    """Class 0 on the circle of radius 1, class 1 on the circle of radius ½."""
    t = 2.0 * math.pi * u
    r = np.where(label == 0, 1.0, 0.5)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def _spirals(u: Array, label: Array) -> Array:
    """Two interleaved spirals (TensorFlow Playground's): r = 2.5u, angle 1.75 turns·u, the
    second spiral turned by π."""
    r = SPIRAL_RADIUS * u
    t = SPIRAL_TURNS * 2.0 * math.pi * u + math.pi * label
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)


def make_dataset(spec: DatasetSpec, dtype: np.dtype | type = np.float64) -> Dataset:
    """The dataset ``spec`` describes: the same arrays for the same spec, on every machine."""
    if spec.name not in DATASETS:
        raise ValueError(f"unknown dataset {spec.name!r}; known: {', '.join(DATASETS)}")
    if spec.n_points < MIN_POINTS:
        raise ValueError(f"n_points must be at least {MIN_POINTS}")
    rng = np.random.default_rng(spec.seed)
    n = spec.n_points
    label = (np.arange(n) >= n // 2).astype(np.int8)  # n//2 of class 0, the rest class 1
    u = rng.random(n)
    if spec.name == "moons":
        x = _moons(u, label)
    elif spec.name == "circles":
        x = _circles(u, label)
    elif spec.name == "spirals":
        x = _spirals(u, label)
    elif spec.name == "xor":
        # uniform in [-1, 1]², kept XOR_PADDING off the axes; class 1 where x0·x1 > 0
        x = rng.uniform(XOR_PADDING, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
        label = (x[:, 0] * x[:, 1] > 0).astype(np.int8)
    else:  # blobs centred at (−1, −1) and (1, 1)
        centre = np.where(label[:, None] == 0, -1.0, 1.0)
        x = centre + BLOB_STD * rng.standard_normal((n, 2))
    x = x + spec.noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    x, label = x[order].astype(dtype), label[order]
    n_train, _ = split_sizes(n, spec.test_fraction)
    return Dataset(x[:n_train], label[:n_train], x[n_train:], label[n_train:])
