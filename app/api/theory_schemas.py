"""The Theory API's answers, for /docs and the schema tests (the bodies themselves are
serialised straight from app.core.theory by app.api.theory)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .training_schemas import ActivationOut

Num = float | None


class LayersOut(BaseModel):
    layer: list[int]
    q: list[Num]
    c: list[Num]
    chi: list[Num]
    log10_grad_norm: list[Num] = Field(description="Predicted log₁₀‖∂L/∂h_l‖ − log₁₀‖∂L/∂h_L‖ (0 at the last layer).")


class PropagationResponse(BaseModel):
    activation: ActivationOut
    sigma_w2: float
    sigma_b2: float
    q_star: Num = Field(description="null when q grows without bound")
    q_diverges: bool
    chi1: Num
    chi1_at: str = Field(description="q_star, or large_q where q diverges")
    phase: str = Field(description="ordered, critical, chaotic (or undefined)")
    slope_q: Num
    xi_q: Num = Field(description="null where infinite")
    c_star: Num
    chi_c: Num
    xi_c: Num = Field(description="null where infinite (the critical line)")
    q_in: float
    c_in: float
    depth: int
    layers: LayersOut
    extrapolated_from: int | None


class CriticalLineOut(BaseModel):
    sigma_b2: list[Num]
    sigma_w2: list[Num]
    q_star: list[Num]
    jump_sigma_w2: list[Num] = Field(description="Where the phase turns from ordered to chaotic by a jump of χ₁ over 1 (the q* reached from q_in changes; GELU, SiLU, Mish at small σ_b²), where sigma_w2 is null: a phase boundary, not a critical point.")


class CriticalResponse(BaseModel):
    activation: ActivationOut
    q_in: float
    search: list[float]
    sigma_b2: float | None = None
    sigma_w2: Num = None
    q_star: Num = None
    jump_sigma_w2: Num = Field(None, description="With sigma_b2: where χ₁ jumps over 1 instead (see line.jump_sigma_w2).")
    line: CriticalLineOut | None = Field(None, description="Without sigma_b2: the whole line.")


class PhaseResponse(BaseModel):
    activation: ActivationOut
    q_in: float
    sigma_w2: list[Num]
    sigma_b2: list[Num]
    chi1: list[list[Num]]
    log_chi1: list[list[Num]]
    q_star: list[list[Num]]
    q_diverges: list[list[bool]]
    phase: list[list[str]]


class ClosedFormOut(BaseModel):
    name: str
    k: list[Num]


class HermiteOut(BaseModel):
    q: float
    order: int
    a: list[Num]
    sum_squares: Num
    second_moment: Num
    remainder: Num


class KernelResponse(BaseModel):
    activation: ActivationOut
    q: float
    rho: list[Num]
    k: list[Num]
    closed_form: ClosedFormOut | None
    hermite: HermiteOut


class InitResponse(BaseModel):
    activation: ActivationOut
    q_in: float
    width: int
    draws: int
    seed: int
    init: str
    sigma_w2: float
    sigma_b2: float
    method: str
    layer: list[int]
    predicted: list[Num]
    median: list[Num]
    low: list[Num]
    high: list[Num]
    median_ratio_to_first: list[Num]
    band: list[float]


class FlowOut(BaseModel):
    start: list[float]
    omega: float
    tau: float
    mu: list[Num]
    nu: list[Num]


class MeanVarFixedPointOut(BaseModel):
    mu: Num
    nu: Num
    converged: bool
    steps: int
    jacobian: list[list[Num]] | None
    spectral_radius: Num


class MeanVarResponse(BaseModel):
    activation: ActivationOut
    omega: float
    tau: float
    steps: int
    flows: list[FlowOut]
    fixed_point: MeanVarFixedPointOut
    max_steps: int


class PredictedOut(BaseModel):
    log10_grad_norm: list[Num]
    valid: bool
    reason: str | None = Field(description="bias_init: no prediction with a non-zero mean bias")


class MeasuredOut(BaseModel):
    median: list[Num]
    low: list[Num]
    high: list[Num]
    norm_median: list[Num] = Field(description="median of ‖∂L/∂(layer input)‖ itself")
    draws: int


class NetworkSeries(BaseModel):
    activation: ActivationOut
    sigma_w2: float = Field(description="σ_w² of the hidden (square) layers: fan_in·Var(W)")
    first_layer_sigma_w2: float
    sigma_b2: float
    q_in: dict[str, Any]
    predicted: PredictedOut
    measured: MeasuredOut


class NetworkResponse(BaseModel):
    config: dict[str, Any]
    seeds: list[int]
    cut_short: bool
    quantity: str
    band: list[float]
    series: list[NetworkSeries]
