"""Two-dimensional toy problems, deterministic per seed, and the input features.

Three tasks: *binary* (labels 0/1: moons, circles, XOR, spirals, blobs), *multiclass*
(labels 0 … C−1 for C = ``classes`` in 3–6: blobs on a circle, spirals with C arms) and
*regression* (a real target: TensorFlow Playground's plane and multi-Gaussian). Every
built-in dataset is a clean shape plus isotropic Gaussian jitter of standard deviation
``noise`` (in input units) on the inputs, with the classes the same size, shuffled and
split into a training and a test set. Inputs lie roughly within [-1.5, 1.5] (spirals:
[-2.5, 2.5]), the range where He/Glorot-initialised units start in their interesting region.
``own`` is the user's points (drawn or uploaded), used as given: shuffled and split only.

The network sees the inputs through ``features`` (Playground's x₁, x₂, x₁², x₂², x₁x₂,
sin x₁, sin x₂), always in the order of :data:`FEATURES`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import CoreError

Array = np.ndarray

DATASETS: tuple[str, ...] = ("moons", "circles", "xor", "spirals", "blobs")  # binary
MULTICLASS_DATASETS: tuple[str, ...] = ("class_blobs", "class_spirals")
REGRESSION_DATASETS: tuple[str, ...] = ("plane", "multi_gaussian")
OWN = "own"
ALL_DATASETS: tuple[str, ...] = (*DATASETS, *MULTICLASS_DATASETS, *REGRESSION_DATASETS, OWN)
DATASET_LABELS: dict[str, str] = {
    "moons": "Two moons", "circles": "Concentric circles", "xor": "XOR", "spirals": "Two spirals", "blobs": "Gaussian blobs",
    "class_blobs": "Blobs, 3–6 classes", "class_spirals": "Spirals, 3–6 arms",
    "plane": "Plane (regression)", "multi_gaussian": "Multi-Gaussian (regression)",
    "own": "Your own points",
}
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
# Classes of the multi-class datasets and of own data.
MIN_CLASSES, MAX_CLASSES = 3, 6
# Own data: rows allowed (a CSV upload or drawn points).
MIN_OWN_POINTS, MAX_OWN_POINTS = 10, 5000
# |coordinate| and |target| allowed in own data.
OWN_LIMIT = 1000.0
# Own points are drawn on [−OWN_PLANE, OWN_PLANE]² (the built-in datasets' scale) plus a 10 %
# margin; a run's boundary grid covers at least that, so points can still be added anywhere on it.
OWN_PLANE = 1.5

# Input features: name → (label, function of x₁, x₂). The network's inputs are these columns.
FEATURES: dict[str, tuple[str, object]] = {
    "x1": ("x₁", lambda a, b: a),
    "x2": ("x₂", lambda a, b: b),
    "x1_sq": ("x₁²", lambda a, b: a * a),
    "x2_sq": ("x₂²", lambda a, b: b * b),
    "x1x2": ("x₁x₂", lambda a, b: a * b),
    "sin_x1": ("sin x₁", lambda a, b: np.sin(a)),
    "sin_x2": ("sin x₂", lambda a, b: np.sin(b)),
}
FEATURE_LABELS: dict[str, str] = {k: v[0] for k, v in FEATURES.items()}
DEFAULT_FEATURES: tuple[str, ...] = ("x1", "x2")

# Smallest problem that leaves both a training and a test set for any allowed split.
MIN_POINTS = 20
# XOR points keep this distance from the axes (before jitter), as TensorFlow Playground does.
XOR_PADDING = 0.05
# Spread of each Gaussian blob before the jitter.
BLOB_STD = 0.4
SPIRAL_RADIUS = 2.5
SPIRAL_TURNS = 1.75


@dataclass(frozen=True)
class OwnPoints:
    """The user's points: x as ((x₁, x₂), …), y as labels 0 … 5 (task "classify") or real
    targets (task "regress")."""

    x: tuple[tuple[float, float], ...]
    y: tuple[float, ...]
    task: str = "classify"

    @property
    def classes(self) -> int:
        return int(max(self.y)) + 1 if self.task == "classify" else 0


@dataclass(frozen=True)
class DatasetSpec:
    name: str = "moons"
    n_points: int = 256
    noise: float = 0.1
    test_fraction: float = 0.25
    seed: int = 0
    classes: int = MIN_CLASSES  # the multi-class datasets only
    points: OwnPoints | None = None  # "own" only

    @property
    def task(self) -> str:
        if self.name == OWN:
            if self.points is None or self.points.task == "regress":
                return "regression"
            return "binary" if self.points.classes <= 2 else "multiclass"
        return "regression" if self.name in REGRESSION_DATASETS else "multiclass" if self.name in MULTICLASS_DATASETS else "binary"

    @property
    def n_classes(self) -> int:
        """Outputs of the network's last layer: 1 (binary logit, regression) or C (softmax)."""
        if self.task != "multiclass":
            return 1
        return self.points.classes if self.name == OWN and self.points is not None else self.classes

    @property
    def size(self) -> int:
        return len(self.points.x) if self.name == OWN and self.points is not None else self.n_points

    @property
    def plane(self) -> float:
        """The half-width of the plane its points are drawn on (own data), which a run's
        boundary grid covers; 0 for a built-in dataset (the grid is its points' box)."""
        return OWN_PLANE if self.name == OWN else 0.0


@dataclass(frozen=True)
class Dataset:
    """x: (n, 2) inputs; y: (n,) labels 0 … C−1 as int8 (binary, multiclass) or float targets
    (regression)."""

    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    task: str = "binary"
    classes: int = 2  # labels (2 for binary; 0 for regression)

    @property
    def x_all(self) -> Array:
        return np.concatenate([self.x_train, self.x_test])


def featurize(x: Array, features: Sequence[str]) -> Array:
    """The network's inputs (n, len(features)) for points x (n, 2)."""
    a, b = x[:, 0], x[:, 1]
    return np.stack([FEATURES[f][1](a, b) for f in features], axis=1).astype(x.dtype, copy=False)


def canonical_features(features: Sequence[str]) -> tuple[str, ...]:
    """``features`` in the order of FEATURES; CoreError (field "features") for unknown, repeated or none."""
    for i, f in enumerate(features):
        if f not in FEATURES:
            raise CoreError(f"features.{i}", f"features.{i}: unknown feature {f!r}; known: {', '.join(FEATURES)}", "not_a_choice", choices=list(FEATURES))
    if len(set(features)) != len(features):
        raise CoreError("features", "features: each feature at most once", "duplicate")
    if not features:
        raise CoreError("features", "features: choose at least one input feature", "too_short", min=1)
    return tuple(f for f in FEATURES if f in features)


def own_points(x: Sequence[Sequence[float]], y: Sequence[float], task: str = "classify") -> OwnPoints:
    """Validated own data; CoreError naming points.x.i.j / points.y.i with a code and numbers."""
    if task not in ("classify", "regress"):
        raise CoreError("points.task", "points.task must be classify or regress", "not_a_choice", choices=["classify", "regress"])
    n = len(x)
    if len(y) != n:
        raise CoreError("points.y", f"points.y has {len(y)} values for {n} points: give one per point", "length_mismatch", expected=n, got=len(y))
    if not MIN_OWN_POINTS <= n <= MAX_OWN_POINTS:
        raise CoreError("points.x", f"points.x: between {MIN_OWN_POINTS} and {MAX_OWN_POINTS:,} points (got {n})", "out_of_range", min=MIN_OWN_POINTS, max=MAX_OWN_POINTS, got=n)
    xs = []
    for i, row in enumerate(x):
        if len(row) != 2:
            raise CoreError(f"points.x.{i}", f"points.x.{i}: a point is [x1, x2] (got {len(row)} numbers)", "not_a_point", row=i)
        for j, v in enumerate(row):
            if not (math.isfinite(v) and abs(v) <= OWN_LIMIT):
                raise CoreError(f"points.x.{i}.{j}", f"points.x.{i}.{j}: coordinates must be finite, within ±{OWN_LIMIT:g}", "out_of_range", row=i, column=j, min=-OWN_LIMIT, max=OWN_LIMIT)
        xs.append((float(row[0]), float(row[1])))
    ys = []
    for i, v in enumerate(y):
        if task == "classify":
            if not (float(v).is_integer() and 0 <= v < MAX_CLASSES):
                raise CoreError(f"points.y.{i}", f"points.y.{i}: a class label is a whole number 0–{MAX_CLASSES - 1} (got {v:g})", "not_a_label", row=i, min=0, max=MAX_CLASSES - 1)
        elif not (math.isfinite(v) and abs(v) <= OWN_LIMIT):
            raise CoreError(f"points.y.{i}", f"points.y.{i}: a target must be finite, within ±{OWN_LIMIT:g}", "out_of_range", row=i, min=-OWN_LIMIT, max=OWN_LIMIT)
        ys.append(float(v))
    if task == "classify" and len(set(ys)) < 2:
        raise CoreError("points.y", "points.y: give points of at least two classes", "one_class", classes=len(set(ys)))
    if task == "regress" and len(set(ys)) < 2:
        raise CoreError("points.y", f"points.y: the targets must vary (all {n} are {ys[0]:g}): a fit is judged by how much of their spread it explains", "constant_targets", value=ys[0])
    return OwnPoints(tuple(xs), tuple(ys), task)


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


def _class_blobs(u: Array, label: Array, classes: int, rng: np.random.Generator) -> Array:
    """C Gaussian blobs (spread BLOB_STD) centred on the unit circle, class c at angle 2πc/C + π/2."""
    t = 2.0 * math.pi * label / classes + math.pi / 2
    return np.stack([np.cos(t), np.sin(t)], axis=1) + BLOB_STD * rng.standard_normal((len(u), 2))


def _class_spirals(u: Array, label: Array, classes: int) -> Array:
    """C interleaved spirals (arm c turned by 2πc/C), radius 2.5u over 1.75 turns·u/… as the two spirals."""
    r = SPIRAL_RADIUS * u
    t = SPIRAL_TURNS * 2.0 * math.pi * u / (classes / 2) + 2.0 * math.pi * label / classes
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)


# Playground's multi-Gaussian regression, scaled to [-1.5, 1.5]²: (centre x, centre y, sign);
# the target is the signed bump 1 − d/GAUSS_RADIUS (≥ 0) of largest magnitude.
GAUSS_BUMPS = ((-1.0, 0.625, 1.0), (0.0, 0.625, -1.0), (1.0, 0.625, 1.0), (-1.0, -0.625, -1.0), (0.0, -0.625, 1.0), (1.0, -0.625, -1.0))
GAUSS_RADIUS = 0.5
REGRESSION_HALF_WIDTH = 1.5


def _regression_target(name: str, x: Array) -> Array:
    if name == "plane":  # Playground's plane: the target rises along x₁ + x₂, within ±1.5
        return (x[:, 0] + x[:, 1]) / 2.0
    best = np.zeros(len(x))
    for cx, cy, sign in GAUSS_BUMPS:
        bump = sign * np.maximum(0.0, 1.0 - np.hypot(x[:, 0] - cx, x[:, 1] - cy) / GAUSS_RADIUS)
        best = np.where(np.abs(bump) > np.abs(best), bump, best)
    return best


def make_dataset(spec: DatasetSpec, dtype: np.dtype | type = np.float64) -> Dataset:
    """The dataset ``spec`` describes: the same arrays for the same spec, on every machine."""
    if spec.name not in ALL_DATASETS:
        raise ValueError(f"unknown dataset {spec.name!r}; known: {', '.join(ALL_DATASETS)}")
    rng = np.random.default_rng(spec.seed)
    if spec.name == OWN:
        if spec.points is None:
            raise ValueError("dataset own needs points")
        n = len(spec.points.x)
        x = np.array(spec.points.x, dtype=np.float64)
        label = np.array(spec.points.y, dtype=np.float64 if spec.points.task == "regress" else np.int8)
        order = rng.permutation(n)
        x, label = x[order].astype(dtype), label[order]
        n_train, _ = split_sizes(n, spec.test_fraction)
        task = spec.task
        return Dataset(x[:n_train], label[:n_train], x[n_train:], label[n_train:], task, 0 if task == "regression" else max(2, spec.n_classes))
    if spec.n_points < MIN_POINTS:
        raise ValueError(f"n_points must be at least {MIN_POINTS}")
    n = spec.n_points
    if spec.name in REGRESSION_DATASETS:
        clean = rng.uniform(-REGRESSION_HALF_WIDTH, REGRESSION_HALF_WIDTH, (n, 2))
        target = _regression_target(spec.name, clean)
        x = clean + spec.noise * rng.standard_normal((n, 2))
        order = rng.permutation(n)
        x, target = x[order].astype(dtype), target[order]
        n_train, _ = split_sizes(n, spec.test_fraction)
        return Dataset(x[:n_train], target[:n_train], x[n_train:], target[n_train:], "regression", 0)
    if spec.name in MULTICLASS_DATASETS:
        C = spec.classes
        if not MIN_CLASSES <= C <= MAX_CLASSES:
            raise ValueError(f"classes must be in [{MIN_CLASSES}, {MAX_CLASSES}]")
        label = (np.arange(n) * C // n).astype(np.int8)  # equal shares
        u = rng.random(n)
        x = _class_blobs(u, label, C, rng) if spec.name == "class_blobs" else _class_spirals(u, label, C)
        x = x + spec.noise * rng.standard_normal((n, 2))
        order = rng.permutation(n)
        x, label = x[order].astype(dtype), label[order]
        n_train, _ = split_sizes(n, spec.test_fraction)
        return Dataset(x[:n_train], label[:n_train], x[n_train:], label[n_train:], "multiclass", C)
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


def parse_csv(text: str, task: str = "classify") -> OwnPoints:
    """Own points from CSV text: rows x1,x2,label (or target), comma-, semicolon- or
    tab-separated (cells may be quoted; a decimal comma in a cell reads as a point), an
    optional header line; CoreError naming the line and column."""
    rows = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if rows and not _float(_cells(rows[0][1])[0]):
        rows = rows[1:]  # a header (a first cell such as 1e400 is a number too large, not a name)
    if not rows:
        raise CoreError("csv", f"csv: the file has no rows of numbers (at least {MIN_OWN_POINTS}: x1, x2, {'label' if task == 'classify' else 'target'})",
                        "empty", min=MIN_OWN_POINTS)
    if len(rows) > MAX_OWN_POINTS:
        raise CoreError("csv", f"csv: at most {MAX_OWN_POINTS:,} rows (this file has {len(rows):,})", "too_many", max=MAX_OWN_POINTS, got=len(rows))
    x, y = [], []
    for line, text_row in rows:
        cells = _cells(text_row)
        if len(cells) != 3:
            # 0,5 for 0.5 in a comma-separated file splits every number in two
            hint = "; decimal commas? write 0.5, or separate the columns with ';'" if len(cells) > 3 and "," in text_row and ";" not in text_row else ""
            sep = {";": "semicolons", "\t": "tabs", ",": "commas", None: "spaces"}[_separator(text_row)]
            raise CoreError("csv", f"csv: line {line} has {len(cells)} column{'s' if len(cells) != 1 else ''} (separated by {sep}); "
                            f"each row is x1, x2, {'label' if task == 'classify' else 'target'}{hint}", "columns", line=line, columns=len(cells))
        values = []
        for col, cell in enumerate(cells, start=1):
            if _THOUSANDS.fullmatch(cell) and _separator(text_row) != ";":
                raise CoreError("csv", f"csv: line {line}, column {col}: {cell!r} could be {cell.replace(',', '')} (a thousands "
                                f"separator) or {cell.replace(',', '.')} (a decimal comma): write it without the comma, or with a point",
                                "ambiguous_comma", line=line, column=col)
            cell = _decimal_point(cell)
            if not _numeric(cell):
                what, code = ("is not a finite number", "not_finite") if _float(cell) else ("is not a number", "not_a_number")
                raise CoreError("csv", f"csv: line {line}, column {col}: {cell[:20]!r} {what}", code, line=line, column=col)
            values.append(float(cell))
        x.append(values[:2])
        y.append(values[2])
    try:
        return own_points(x, y, task)
    except CoreError as e:  # points.x.i.j / points.y.i → the file's line and column
        parts = (e.field or "").split(".")
        if len(parts) >= 3 and parts[2].isdigit():
            line = rows[int(parts[2])][0]
            col = int(parts[3]) + 1 if parts[1] == "x" and len(parts) > 3 else 3
            raise CoreError("csv", f"csv: line {line}, column {col}: " + e.message.split(": ", 1)[-1], e.code, line=line, column=col) from None
        raise CoreError("csv", "csv: " + e.message.split(": ", 1)[-1], e.code, **e.info) from None


# 1,000 in a file separated by commas or tabs: one thousand or 1.0? (In a ';' file, 1.0: the
# separator says its numbers use decimal commas.)
_THOUSANDS = re.compile(r"[+-]?\d{1,3},\d{3}")


def _separator(row: str) -> str | None:
    """The row's separator: the first of ; tab , it has (None: spaces)."""
    return next((sep for sep in (";", "\t", ",") if sep in row), None)


def _cells(row: str) -> list[str]:
    """A row's cells: split at its separator (a file separated by ';' or tabs may write 0,5),
    quotes as CSV has them."""
    sep = _separator(row)
    if sep is None:
        return row.split()
    return [c.strip() for c in next(csv.reader([row], delimiter=sep, skipinitialspace=True))]


def _decimal_point(cell: str) -> str:
    """A number written with a decimal comma (0,5: a quoted cell, or a file separated by ';'), with a point."""
    if cell.count(",") == 1 and not _float(cell) and _float(cell.replace(",", ".")):
        return cell.replace(",", ".")
    return cell


def _float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _numeric(cell: str) -> bool:
    return _float(cell) and math.isfinite(float(cell))
