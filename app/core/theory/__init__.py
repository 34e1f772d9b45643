"""Mean-field theory of deep networks at initialisation: the core of the Theory view.

Pure numpy/scipy. The activation comes in as generic callables, :class:`Phi`
(f, df, kinks, smooth) — ``kinks=None`` means unknown (a typed formula) — or from the
catalogue with :func:`phi_from_activation`. Every result meant for JSON is a dict of
finite floats, lists, strings and None (never NaN or inf).

Setting (Poole et al. 2016; Schoenholz et al. 2017). A fully connected network of width N,
h_l = W_l φ(h_{l−1}) + b_l with W_l ~ N(0, σ_w²/N), b_l ~ N(0, σ_b²), and h_1 = W_1 x + b_1
for an input x of second moment q_in = ‖x‖²/N. Below z, z₁, z₂ ~ N(0, 1) independent.

Variance map and its fixed point
    q_1 = σ_w² q_in + σ_b²,   q_l = V(q_{l−1}) = σ_w² E[φ(√q_{l−1} z)²] + σ_b²
    q* = V(q*): iterate from q₁; if not converged to rounding after FP_ITER steps, bracket
    the root of V(q) − q on a log grid [1e−30, Q_MAX = 1e6] in the direction the iteration
    moves and polish with the Illinois method (every pair at once, batched). No root
    upwards: q diverges (q_star None, q_diverges True); none downwards: q* = 0 (σ_b² = 0), whose quantities are the q → 0⁺ limits (at q = 1e−30).

Correlation map and its fixed point, with u₁ = √q z₁, u₂ = √q (c z₁ + √(1 − c²) z₂)
    C(c) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / (σ_w² E[φ(u₁)²] + σ_b²)   at q = q*
    (the denominator is q* at the fixed point). C(1) = 1 always; c* = 1 is stable when
    χ₁ ≤ 1, else c* ∈ [0, 1) is the root of C(c) − c (scanned towards 1, then Brent).

Gradient and correlation gains, depth scales
    χ₁ = σ_w² E[φ′(√q* z)²]                       (= C′(1); the phase: < 1 ordered, > 1 chaotic)
    χ_c* = σ_w² E[φ′(u₁)φ′(u₂)] at c*             (= C′(c*); χ₁ when c* = 1)
    dq_l/dq_{l−1} = σ_w² d/dq E[φ(√q z)²] = σ_w² E[φ(√q z)φ′(√q z) z]/√q
                  = χ₁ + σ_w² E[φ″(√q z)φ(√q z)]  (Schoenholz et al.; the middle form needs
                  only φ′, so ReLU-like φ, whose φ″ is a delta, are exact too)
    ξ_q = −1/log|dq_l/dq_{l−1}|_{q*},   ξ_c = −1/log χ_c*      (None where infinite: critical)
    When q diverges, χ₁ is its large-q limit (evaluated at Q_MAX) and the rest is None.

Critical line: σ_w²(σ_b²) with χ₁ = 1 (scan σ_w² geometrically, Illinois on the first
ordered→chaotic crossing, every σ_b² at once; None if none in range). ReLU: χ₁ = σ_w²/2, so σ_w² = 2 for every
σ_b², but q* exists there only for σ_b² = 0: the critical point is (2, 0).

Correlation along depth: c₁ = (σ_w² c_in q_in + σ_b²)/q₁, c_{l+1} = C(c_l) at q_l.

Gradients: backprop multiplies ‖∂L/∂h‖² by σ_w² E[φ′(√q_l z)²] = χ(q_l) from layer l+1 to l,
    log₁₀‖∂L/∂h_l‖ − log₁₀‖∂L/∂h_L‖ = ½ Σ_{m=l}^{L−1} log₁₀ χ(q_m)   along the actual q_l.

Initialisation over depth: σ_w² = 1 (LeCun), 1 (Glorot, 2·fan_in/(fan_in + fan_out) for
square layers), 2 (He), biases 0, or custom; mean-field q_l against the median and 10–90 %
band of a Monte Carlo over random networks (ReLU: He keeps q_l, LeCun halves it per layer).

Self-normalisation (Klambauer et al. 2017): inputs of mean μ and variance ν, weights with
Σw = ω and Σw² = τ give z ~ N(μω, ντ) and the map
    g(μ, ν) = (E[φ(z)], E[φ(z)²] − E[φ(z)]²);   SELU with ω = 0, τ = 1: fixed point (0, 1).

NNGP kernel and Hermite expansion
    k(ρ) = E[φ(u)φ(v)], (u, v) ~ N(0, q[[1, ρ], [ρ, 1]]);  ReLU, q = 1:
    k(ρ) = (√(1 − ρ²) + (π − arccos ρ) ρ)/(2π)   (arc-cosine kernel, Cho & Saul 2009)
    φ(z) = Σ a_k He_k(z)/√(k!),  a_k = E[φ(z) He_k(z)]/√(k!),  Σ a_k² = E[φ(z)²],
    k(ρ) = Σ a_k² ρ^k  (Mehler), a₁ = E[φ(z) z] = E[φ′(z)].

Quadrature (:mod:`.quadrature`): Gauss–Legendre panels cut at the kinks (in z units,
k/√q) and at scale points, or adaptive ``quad_vec`` for unknown kinks; 2-D expectations by
the 1-D reduction with a kink-aware inner rule per outer node. :func:`compute_budget`
gives the approximate work of every public function for given sizes.
"""

from __future__ import annotations

from .budget import MAX_EVALS, compute_budget, nodes_1d, nodes_2d
from .depth import INITS, init_over_depth, init_sigmas
from .kernels import arccos_kernel, hermite_coefficients, mean_var_fixed_point, mean_var_flow, mean_var_map, nngp_kernel
from .meanfield import (
    FixedPoint,
    c_trajectory,
    correlation_map,
    critical_line,
    critical_sigma_w2,
    critical_sigma_w2s,
    fixed_point,
    gradient_prediction,
    gradient_prediction_inputs,
    illinois,
    layer_terms,
    phase_diagram,
    phase_of,
    q_trajectory,
    signal_propagation,
    solve_fixed_points,
    variance_map,
    variance_terms,
)
from .quadrature import Q_MAX, Q_TINY, X_MAX, Phi, bivariate_expect, gauss_expect, locate_kinks, phi_from_activation

__all__ = [
    "INITS", "MAX_EVALS", "Q_MAX", "Q_TINY", "X_MAX", "FixedPoint", "Phi", "arccos_kernel", "bivariate_expect", "c_trajectory", "compute_budget", "correlation_map",
    "critical_line", "critical_sigma_w2", "critical_sigma_w2s", "illinois", "fixed_point", "gauss_expect", "gradient_prediction", "gradient_prediction_inputs", "hermite_coefficients",
    "init_over_depth", "init_sigmas", "layer_terms", "locate_kinks", "mean_var_fixed_point", "mean_var_flow",
    "mean_var_map", "nngp_kernel", "nodes_1d", "nodes_2d", "phase_diagram", "phase_of", "phi_from_activation",
    "q_trajectory", "signal_propagation", "solve_fixed_points", "variance_map", "variance_terms",
]
