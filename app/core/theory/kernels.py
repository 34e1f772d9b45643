"""The NNGP kernel k(ρ), the Hermite coefficients of φ, and the (mean, variance) map of
self-normalising networks (equations in the package docstring, :mod:`app.core.theory`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._json import num, nums
from .meanfield import variance_terms
from .quadrature import GL_1D, Q_MAX, Q_TINY, X_MAX, Z_HERMITE, Phi, _panels, _window, bivariate_expect, gauss_expect

Array = np.ndarray

HERMITE_MAX_ORDER = 4096
MV_MAX_STEPS = 500


def nngp_kernel(phi: Phi, rho: Sequence[float] | Array, q: float = 1.0) -> dict:
    """k(ρ) = E[φ(u)φ(v)], (u, v) ~ N(0, q·[[1, ρ], [ρ, 1]]), for each ρ in [−1, 1]."""
    q = max(float(q), Q_TINY)
    kinks = phi.known_kinks()
    rho = np.clip(np.atleast_1d(np.asarray(rho, dtype=float)), -1.0, 1.0)
    k = [bivariate_expect(phi, phi.f, phi.f, float(r), q, kinks) for r in rho]
    return {"q": q, "rho": nums(rho), "k": nums(k)}


def arccos_kernel(rho: Sequence[float] | Array, q: float = 1.0) -> list:
    """ReLU's k(ρ) in closed form (Cho & Saul 2009's arc-cosine kernel of degree 1, halved):
    q·(√(1 − ρ²) + (π − arccos ρ)·ρ)/(2π), the independent check of :func:`nngp_kernel`."""
    r = np.clip(np.atleast_1d(np.asarray(rho, dtype=float)), -1.0, 1.0)
    return nums(q * (np.sqrt(1.0 - r * r) + (math.pi - np.arccos(r)) * r) / (2.0 * math.pi))


def hermite_coefficients(phi: Phi, order: int = 200, q: float = 1.0) -> dict:
    """a_k = E[φ(√q z)·He_k(z)]/√(k!), k = 0..order (normalised probabilists' Hermite, so
    φ(√q z) = Σ a_k He_k(z)/√(k!) and Σ a_k² = E[φ(√q z)²]).

    Computed as ∫ [φ(√q z)·√pdf(z)]·ψ_k(z) dz with the Hermite functions
    ψ_k = He_k/√(k!)·√pdf, built by the stable recurrence
    ψ_{k+1} = (z ψ_k − √k ψ_{k−1})/√(k+1), ψ₀ = (2π)^{-1/4} e^{−z²/4}, on Gauss–Legendre
    panels no wider than the shortest wavelength of ψ_order (2π/√(2·order + 1)) and cut at
    the kinks. ``second_moment`` is E[φ²] from the independent 1-D rule, so
    ``remainder`` = E[φ²] − Σ a_k² is the truncation error Σ_{k>order} a_k² (≥ 0) plus any
    quadrature error; kinked φ have a_k² ~ k^{-5/2}, so it shrinks only like order^{-3/2}."""
    order = int(order)
    if not 0 <= order <= HERMITE_MAX_ORDER:
        raise ValueError(f"order must be in [0, {HERMITE_MAX_ORDER}]")
    q = max(float(q), Q_TINY)
    sq = math.sqrt(q)
    width = min(0.25, 2.0 * math.pi / math.sqrt(2.0 * order + 1.0))
    n_panels = math.ceil(2.0 * Z_HERMITE / width)
    kinks = np.asarray(phi.known_kinks(), dtype=float) / sq
    lo, hi = _window(np.zeros(1), np.full(1, sq), Z_HERMITE)
    edges = np.concatenate((np.linspace(-Z_HERMITE, Z_HERMITE, n_panels + 1), kinks, [0.0]))[None, :]
    z, w = _panels(edges, lo, hi, GL_1D)
    z, w = z[0], w[0]
    psi_prev = np.zeros_like(z)
    psi = (2.0 * math.pi) ** -0.25 * np.exp(-0.25 * z * z)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        g = np.where(w > 0, np.asarray(phi.f(sq * z), dtype=float) * psi * w, 0.0)  # φ·√pdf·weight
    a = np.empty(order + 1)
    for k in range(order + 1):
        a[k] = float(np.dot(g, psi))
        psi, psi_prev = (z * psi - math.sqrt(k) * psi_prev) / math.sqrt(k + 1.0), psi
    second = float(variance_terms(phi, q, derivative=False)[0][0])
    sum_sq = float(np.sum(a * a))
    return {
        "q": q,
        "order": order,
        "a": nums(a),
        "sum_squares": num(sum_sq),
        "second_moment": num(second),
        "remainder": num(second - sum_sq),
    }


# --------------------------------------------------------------------------- self-normalisation


def mean_var_map(phi: Phi, mu: float, nu: float, omega: float = 0.0, tau: float = 1.0) -> tuple[float, float]:
    """Klambauer et al.'s g: (μ, ν) ↦ (E[φ(z)], Var[φ(z)]) for z ~ N(μω, ντ), the mean and
    variance of a unit's output when its inputs have mean μ and variance ν and its weights
    sum to ω with squares summing to τ."""
    std = math.sqrt(max(nu * tau, Q_TINY))
    e = gauss_expect(phi, lambda x, z: [phi.f(x), phi.f(x) ** 2], mu * omega, std)[:, 0]
    return float(e[0]), float(max(e[1] - e[0] * e[0], 0.0))


def _escaped(mu: float, nu: float) -> bool:
    return not (math.isfinite(mu) and math.isfinite(nu)) or abs(mu) > X_MAX or nu > Q_MAX


def mean_var_flow(phi: Phi, start: tuple[float, float] = (1.0, 2.0), steps: int = 20, omega: float = 0.0, tau: float = 1.0) -> dict:
    """The trajectory (μ_l, ν_l), l = 0..steps, of the map from ``start``; None once it
    leaves |μ| ≤ 10⁴, ν ≤ Q_MAX."""
    mu, nu = map(float, start)
    out_mu, out_nu = [num(mu)], [num(nu)]
    for _ in range(int(steps)):
        if mu is None or _escaped(mu, nu):
            mu = nu = None  # type: ignore[assignment]
        else:
            mu, nu = mean_var_map(phi, mu, nu, omega, tau)
        out_mu.append(num(mu))
        out_nu.append(num(nu))
    return {"omega": omega, "tau": tau, "mu": out_mu, "nu": out_nu}


def mean_var_fixed_point(phi: Phi, omega: float = 0.0, tau: float = 1.0, start: tuple[float, float] = (1.0, 2.0)) -> dict:
    """The fixed point of g reached from ``start`` (iteration to rounding, ≤ MV_MAX_STEPS),
    with the Jacobian there (central differences) and its spectral radius: < 1 is attracting."""
    mu, nu = map(float, start)
    converged = False
    steps = 0
    for steps in range(1, MV_MAX_STEPS + 1):  # noqa: B007 — the count is reported after the loop
        if _escaped(mu, nu):
            break
        m2, n2 = mean_var_map(phi, mu, nu, omega, tau)
        done = abs(m2 - mu) <= 1e-14 * (1.0 + abs(mu)) and abs(n2 - nu) <= 1e-14 * (1.0 + nu)
        mu, nu = m2, n2
        if done:
            converged = True
            break
    if not converged:
        return {"mu": None, "nu": None, "converged": False, "steps": steps, "jacobian": None, "spectral_radius": None}
    jac = np.empty((2, 2))
    for j, (dm, dn) in enumerate(((1.0, 0.0), (0.0, 1.0))):
        h = 1e-5 * (1.0 + (abs(mu) if j == 0 else nu))
        plus = mean_var_map(phi, mu + h * dm, nu + h * dn, omega, tau)
        minus = mean_var_map(phi, mu - h * dm, nu - h * dn, omega, tau)
        jac[:, j] = (np.array(plus) - np.array(minus)) / (2.0 * h)
    radius = float(np.max(np.abs(np.linalg.eigvals(jac))))
    return {"mu": num(mu), "nu": num(nu), "converged": True, "steps": steps, "jacobian": nums(jac), "spectral_radius": num(radius)}
