"""The training routes' request and response models and the caps they state (documentation
of /api/train, /api/sweep, /api/init_stats and the stream; /api/meta serves them to the pages)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.core import activations as acts
from app.core import training as engine
from app.core.datasets import ALL_DATASETS, DEFAULT_FEATURES, FEATURES, MAX_CLASSES, MAX_OWN_POINTS, MIN_CLASSES, MIN_POINTS
from app.core.network import INITS, SIGMA_B2_RANGE, SIGMA_W2_RANGE
from app.core.training import DTYPES, OPTIMIZERS

from .activations import ActivationFields


def _budget_doc() -> str:
    """The budget in words, from the engine's own numbers (whatever they are calibrated to)."""
    return (
        "A request valid by this schema may still be refused: every run must fit the compute budget. Its cost is "
        "epochs × training points × Σ over its activations (or sweep values, or seeds) of (the network's weights + "
        f"the activation's unit cost × hidden units) + {engine.STEP_COST:,} × optimiser steps, and must not exceed "
        f"{engine.MAX_COST:.3g} (`code` budget, with `cost`, `limit`, `fit_epochs` and the fields to `reduce`); one layer "
        f"buffer holds variants × n_points × depth × width ≤ {engine.MAX_ELEMENTS:,} numbers (`code` memory), and "
        f"boundary_frames × boundary_grid² × activations ≤ {MAX_BOUNDARY_CELLS:,} (`code` boundary_cells). "
        "/api/meta says the budget too (`budget.max_cost`); each activation's unit cost is in the training engine."
    )


def _whole(v: Any) -> Any:
    """A whole number written as a float (300.0, 1e9: JSON does not tell them apart) as an int;
    anything else as it is, for the strict check (2.5 is then not_whole, "5" and true wrong_type)."""
    return int(v) if type(v) is float and v.is_integer() else v


# a count in a JSON body
Count = Annotated[int, BeforeValidator(_whole)]


# Caps on what a request controls (the compute budget in app.core.training caps their product).
MAX_POINTS = 2000
MAX_NOISE = 1.0
MAX_DEPTH = 12
MAX_WIDTH = 64
MAX_EPOCHS = 5000
MAX_FRAMES = 500
MAX_VARIANTS = 4
MAX_SWEEP_ACTIVATIONS = 3
MAX_SWEEP_VALUES = 16
MAX_BOUNDARY_FRAMES = 20
MAX_BOUNDARY_GRID = 80
# boundary_frames × boundary_grid² × variants: the probabilities one response may carry
MAX_BOUNDARY_CELLS = 200_000
MAX_INIT_SEEDS = 64
# /api/init_stats is one forward/backward pass, no training: wider and deeper networks (the
# theory's predictions hold as width grows), bounded by the compute budget for one epoch.
MAX_INIT_DEPTH = 50
MAX_INIT_WIDTH = 256
# parameters held at once by an init_stats pass (θ, its gradient, one more copy): seeds run
# in groups of at most this many parameters (≈ 100 MB in float64)
MAX_INIT_PARAMS = 4_000_000
LEARNING_RATE_RANGE = (1e-4, 10.0)
MOMENTUM_MAX = 0.99
BIAS_INIT_LIMIT = 2.0
REGULARISATION_MAX = 10.0
MAX_UNIT_GRID = 24  # the diagram's heatmaps: points per side
PROBE_LIMIT = 1000.0

ActivationName = Literal[acts.IDS]  # type: ignore[valid-type]
FeatureName = Literal[tuple(FEATURES)]  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- schemas


class ActivationChoice(ActivationFields):
    """A catalogue activation by ``name`` (relu when neither is given) or a typed ``formula``."""


class OwnPointsIn(BaseModel):
    """The user's points (drawn or uploaded): dataset "own"."""

    model_config = ConfigDict(extra="forbid", strict=True)

    x: list[list[float]] = Field(max_length=MAX_OWN_POINTS, description="Points [[x1, x2], …], 10–5000 of them, each coordinate within ±1000.")
    y: list[float] = Field(max_length=MAX_OWN_POINTS, description="One per point: a class label 0–5 (task classify; two labels = binary, more = softmax) or a real target (task regress).")
    task: Literal["classify", "regress"] = Field("classify", description="classify: labels are classes; regress: y is a real target (squared-error loss).")


class ProbeIn(BaseModel):
    """One point whose numbers the diagram shows (its z, φ(z), φ′(z) and ∂ℓ/∂z per unit)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    x: list[float] = Field(min_length=2, max_length=2, description="[x1, x2]")
    y: float = Field(0.0, description="Its target: a class label, or a real value for regression.")


class TrainRequest(BaseModel):
    """One network trained with 1–4 activations side by side (compare mode). Within the ranges
    below, a run must also fit the compute budget (422 with code budget, memory or
    boundary_cells otherwise; see the 422 response)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Literal[ALL_DATASETS] = Field("moons", description="Binary: moons, circles, xor, spirals, blobs; multi-class: class_blobs, class_spirals (classes); regression: plane, multi_gaussian; own: the points field.")  # type: ignore[valid-type]
    classes: Count = Field(MIN_CLASSES, ge=MIN_CLASSES, le=MAX_CLASSES, description="Classes of class_blobs and class_spirals.")
    points: OwnPointsIn | None = Field(None, description="Own data, for dataset own.")
    n_points: Count = Field(256, ge=MIN_POINTS, le=MAX_POINTS, description="Points in the dataset (training + test).")
    noise: float = Field(0.1, ge=0.0, le=MAX_NOISE, allow_inf_nan=False, description="Standard deviation of the Gaussian jitter added to every point.")
    test_fraction: float = Field(0.25, ge=0.05, le=0.9, allow_inf_nan=False, description="Share of the points held out as the test set.")
    depth: Count = Field(3, ge=1, le=MAX_DEPTH, description="Hidden layers.")
    width: Count = Field(8, ge=1, le=MAX_WIDTH, description="Units per hidden layer.")
    widths: list[Count] | None = Field(None, max_length=MAX_DEPTH, description="Units per hidden layer, one number per layer, each 1–64 (instead of depth × width; empty or null: depth × width).")
    features: list[FeatureName] = Field(list(DEFAULT_FEATURES), min_length=1, max_length=len(FEATURES), description="The network's inputs, computed from each point: x1, x2, x1_sq, x2_sq, x1x2, sin_x1, sin_x2.")  # type: ignore[valid-type]
    init: Literal[INITS] = Field("he", description="Weight initialisation: he N(0, 2/fan_in), glorot U(±√(6/(fan_in+fan_out))), lecun N(0, 1/fan_in), uniform U(±0.5), custom N(0, sigma_w2/fan_in) with biases N(bias_init, sigma_b2).")  # type: ignore[valid-type]
    bias_init: float = Field(0.0, ge=-BIAS_INIT_LIMIT, le=BIAS_INIT_LIMIT, allow_inf_nan=False, description="Initial value of every bias (with init custom: their mean).")
    sigma_w2: float = Field(2.0, ge=SIGMA_W2_RANGE[0], le=SIGMA_W2_RANGE[1], allow_inf_nan=False, description="init custom only: weights N(0, sigma_w2/fan_in) (mean-field theory's σ_w²).")
    sigma_b2: float = Field(0.0, ge=SIGMA_B2_RANGE[0], le=SIGMA_B2_RANGE[1], allow_inf_nan=False, description="init custom only: biases drawn from N(bias_init, sigma_b2) (mean-field theory's σ_b²).")
    activations: list[ActivationChoice] = Field(default_factory=lambda: [ActivationChoice()], min_length=1, max_length=MAX_VARIANTS, description="1–4 activations, each trained from the same initial weights on the same data.")
    optimizer: Literal[OPTIMIZERS] = Field("adam", description="adam (PyTorch's defaults β = (0.9, 0.999), ε = 1e-8) or sgd.")  # type: ignore[valid-type]
    learning_rate: float = Field(0.01, ge=LEARNING_RATE_RANGE[0], le=LEARNING_RATE_RANGE[1], allow_inf_nan=False)
    momentum: float = Field(0.0, ge=0.0, le=MOMENTUM_MAX, allow_inf_nan=False, description="SGD momentum (ignored by Adam).")
    l1: float = Field(0.0, ge=0.0, le=REGULARISATION_MAX, allow_inf_nan=False, description="L1 penalty rate: adds l1·Σ|w| over the weights (not biases) to the loss being minimised.")
    l2: float = Field(0.0, ge=0.0, le=REGULARISATION_MAX, allow_inf_nan=False, description="L2 penalty rate: adds ½·l2·Σw² over the weights (not biases). The reported loss is the data term.")
    batch_size: Count = Field(0, ge=0, le=MAX_POINTS, description="Mini-batch size; 0 (or at least the training set) = full batch.")
    epochs: Count = Field(300, ge=1, le=MAX_EPOCHS)
    frames: Count = Field(100, ge=2, le=MAX_FRAMES, description="Recorded epochs, evenly spaced, first (at initialisation) and last included; clamped to epochs + 1.")
    boundary_frames: Count = Field(5, ge=0, le=MAX_BOUNDARY_FRAMES, description="Recorded frames that also get a decision-boundary grid; clamped to frames.")
    boundary_grid: Count = Field(40, ge=8, le=MAX_BOUNDARY_GRID, description="Boundary grid points per side.")
    seed: Count = Field(0, ge=0, le=2**32 - 1, description="Seeds the data, the initial weights and the training noise (separate streams).")
    include_weights: bool = Field(False, description="Add every variant's initial and final weights and biases.")
    include_state: bool = Field(False, description="Add the run's state after its last epoch (opaque: send it back as state to continue).")
    state: dict[str, Any] | None = Field(None, description="A state from a previous response of the same settings: the run continues from it (epochs more).")
    unit_grid: Count = Field(0, ge=0, le=MAX_UNIT_GRID, description="> 0: each variant's diagram at the last frame — every unit's output over a unit_grid² grid, per-unit numbers, weights and gradients.")
    probe: ProbeIn | None = Field(None, description="A point whose per-unit numbers the diagram adds (needs unit_grid > 0).")
    dtype: Literal[DTYPES] = Field("float64", description="Arithmetic precision.")  # type: ignore[valid-type]


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    param: str = Field(description="learning_rate, momentum, or a float parameter of every listed activation (e.g. leak, alpha, sigma).", max_length=32)
    values: list[float] = Field(min_length=1, max_length=MAX_SWEEP_VALUES, description="1–16 values.")


class SweepRequest(TrainRequest):
    """The base fields of /api/train, each of 1–3 activations trained at every value of one parameter."""

    activations: list[ActivationChoice] = Field(default_factory=lambda: [ActivationChoice()], min_length=1, max_length=MAX_SWEEP_ACTIVATIONS)
    sweep: SweepSpec


class InitStatsRequest(TrainRequest):
    """Per-layer statistics at initialisation (no training) for ``seeds`` weight seeds."""

    depth: Count = Field(3, ge=1, le=MAX_INIT_DEPTH, description="Hidden layers.")
    width: Count = Field(8, ge=1, le=MAX_INIT_WIDTH, description="Units per hidden layer.")
    seeds: Count = Field(32, ge=1, le=MAX_INIT_SEEDS, description="Weight seeds seed, seed+1, …; the data use seed.")


class ActivationOut(BaseModel):
    """As requested: {name, params}, or {formula (canonical), params, ranges (every parameter's)}."""

    name: str | None = None
    formula: str | None = None
    params: dict[str, float | str]
    ranges: dict[str, dict[str, float]] | None = None


class VariantOut(BaseModel):
    """One trained variant (documentation; responses are serialised straight from numpy)."""

    activation: ActivationOut
    diverged_at_epoch: int | None
    loss: dict[str, list[float | None]]
    accuracy: dict[str, list[float | None]] | None  # classification
    r2: dict[str, list[float | None]] | None  # regression
    layers: dict[str, list[list[float | None]] | None]
    histograms: dict[str, list[dict[str, list[float]]] | None]
    boundary: dict[str, Any] | None
    weights: dict[str, Any] | None
    diagram: dict[str, Any] | None


class TrainResponse(BaseModel):
    config: dict[str, Any]
    task: str
    classes: int
    epochs: int
    epoch_start: int
    frames: list[int]
    cut_short: bool
    elapsed_ms: float
    data: dict[str, Any]
    variants: list[VariantOut]
    state: dict[str, Any] | None


class InitStatsSeries(BaseModel):
    activation: ActivationOut
    layers: dict[str, list[list[float | None]]]  # statistic → [seed][layer]
    mean_over_seeds: dict[str, list[float | None]]
    loss: list[float | None]
    accuracy: list[float | None]


class InitStatsResponse(BaseModel):
    config: dict[str, Any]
    seeds: list[int] = Field(description="The seeds measured (all those asked for, unless cut_short).")
    cut_short: bool = Field(False, description="The server's time limit left some seeds out.")
    series: list[InitStatsSeries]


class SweepSeries(BaseModel):
    activation: ActivationOut
    final_loss: list[float | None]
    final_test_loss: list[float | None]
    final_train_accuracy: list[float | None]
    final_test_accuracy: list[float | None]
    dead_fraction: list[float | None]
    active_fraction: list[float | None]
    diverged_at_epoch: list[int | None]
    loss: list[list[float | None]]
    dead_fraction_curve: list[list[float | None]]


class SweepResponse(BaseModel):
    config: dict[str, Any]
    task: str
    param: str
    values: list[float]
    frames: list[int]
    epochs: int
    cut_short: bool
    elapsed_ms: float
    series: list[SweepSeries]


