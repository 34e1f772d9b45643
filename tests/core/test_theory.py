"""The Theory view's core (app.core.theory) against published numbers and independent checks.

* critical points: ReLU (σ_w², σ_b²) = (2, 0); tanh σ_w² = 1.76 at σ_b² = 0.05
  (Schoenholz et al. 2017, Fig. 1); SELU's (mean, variance) fixed point (0, 1)
  (Klambauer et al. 2017);
* the NNGP kernel: ReLU's arc-cosine closed form (Cho & Saul 2009), every catalogue
  activation against 10⁶-draw Monte Carlo; Hermite coefficients against Parseval and
  ReLU's closed-form coefficients;
* quadrature honesty: closed forms (ReLU, leaky ReLU), mpmath at kinks (hardtanh, ReLU6),
  a kinked formula with unknown kinks (located + adaptive);
* predicted per-layer gradient norms against random networks written here in plain numpy;
* initialisation over depth: ReLU with He keeps q_l, with LeCun halves it per layer;
* no NaN/inf anywhere in the JSON-bound outputs, bounded time, and the compute budget.
"""

from __future__ import annotations

import json
import math

import mpmath as mp
import numpy as np
import pytest

from app.core import activations as A
from app.core import theory as T

ACTS = {a.id: a for a in A.CATALOGUE}
PHI = {a.id: T.phi_from_activation(a) for a in A.CATALOGUE}


def arccos_kernel(rho: float) -> float:
    """E[relu(u) relu(v)] for unit variances and correlation ρ (Cho & Saul's n = 1 kernel / 2)."""
    return (math.sqrt(1.0 - rho * rho) + (math.pi - math.acos(rho)) * rho) / (2.0 * math.pi)


def json_clean(obj) -> str:
    """Serialises with allow_nan=False: fails on NaN or ±inf anywhere."""
    return json.dumps(obj, allow_nan=False)


# --------------------------------------------------------------------------- critical points


def test_relu_critical_point_is_2_0() -> None:
    relu = PHI["relu"]
    assert T.critical_sigma_w2(relu, 0.0) == pytest.approx(2.0, abs=1e-6)
    sp = T.signal_propagation(relu, 2.0, 0.0)
    assert sp["chi1"] == pytest.approx(1.0, abs=1e-12)
    assert sp["phase"] == "critical" and sp["c_star"] == 1.0
    assert sp["xi_c"] is None  # infinite depth scale at criticality
    # every q is a fixed point there (q_{l+1} = σ_w² q/2): its slope is 1 and ξ_q infinite too,
    # not −1/log(1 − 1.1e−16) = 2⁵³ layers
    assert sp["slope_q"] == pytest.approx(1.0, abs=1e-12) and sp["xi_q"] is None
    # With a bias, χ₁ = 1 still needs σ_w² = 2, but q then grows without bound: no q*.
    line = T.critical_line(relu, [0.0, 0.1, 0.5])
    assert line["sigma_w2"] == pytest.approx([2.0, 2.0, 2.0], abs=1e-6)
    assert line["q_star"][0] is not None and line["q_star"][1:] == [None, None]
    json_clean(line)


def test_relu_ordered_closed_forms() -> None:
    """σ_b² > 0, σ_w² < 2: q* = σ_b²/(1 − σ_w²/2), dq/dq = χ₁ = σ_w²/2, c* = 1, ξ_q = ξ_c = −1/ln(σ_w²/2)."""
    sw2, sb2 = 1.5, 0.3
    sp = T.signal_propagation(PHI["relu"], sw2, sb2)
    assert sp["q_star"] == pytest.approx(sb2 / (1 - sw2 / 2), rel=1e-12)
    assert sp["chi1"] == pytest.approx(sw2 / 2, rel=1e-12)
    assert sp["slope_q"] == pytest.approx(sw2 / 2, rel=1e-12)
    assert sp["c_star"] == 1.0 and sp["phase"] == "ordered"
    assert sp["xi_q"] == pytest.approx(-1 / math.log(sw2 / 2), rel=1e-10)
    assert sp["xi_c"] == pytest.approx(-1 / math.log(sw2 / 2), rel=1e-10)
    # above 2 q diverges; χ₁ is reported as its (here exact) large-q limit
    sp = T.signal_propagation(PHI["relu"], 2.5, 0.0)
    assert sp["q_star"] is None and sp["q_diverges"] and sp["chi1"] == pytest.approx(1.25, rel=1e-12)
    assert sp["phase"] == "chaotic" and sp["c_star"] is None


def test_tanh_critical_sigma_w2() -> None:
    tanh = PHI["tanh"]
    sw2 = T.critical_sigma_w2(tanh, 0.05)
    assert sw2 == pytest.approx(1.76, abs=0.01)  # Schoenholz et al. 2017
    assert T.critical_sigma_w2(tanh, 0.0) == pytest.approx(1.0, abs=1e-6)  # odd φ, φ′(0) = 1
    # either side: ordered (c* = 1) and chaotic (c* < 1, χ_c* < 1, finite ξ_c)
    ordered, chaotic = T.signal_propagation(tanh, 1.2, 0.05), T.signal_propagation(tanh, 3.0, 0.05)
    assert ordered["phase"] == "ordered" and ordered["c_star"] == 1.0
    assert chaotic["phase"] == "chaotic" and 0.0 < chaotic["c_star"] < 1.0
    assert 0.0 < chaotic["chi_c"] < 1.0 < chaotic["chi1"] and chaotic["xi_c"] > 0
    # c* really is a fixed point of the correlation map
    c = T.correlation_map(tanh, 3.0, 0.05, chaotic["c_star"], chaotic["q_star"])[0]
    assert c == pytest.approx(chaotic["c_star"], abs=1e-12)


SB2_LINE = [0.0, 0.0156, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]


@pytest.mark.parametrize("name", sorted(ACTS))
def test_the_critical_line_is_where_chi1_is_1_and_a_jump_over_1_is_not_called_critical(name: str) -> None:
    """GELU's "critical line" at σ_b² = 0 was σ_w² = 2.155, where χ₁ jumps from 0.54 (q* small)
    to 1.08 (q → ∞): the polished crossing of a jump, not χ₁ = 1 (SiLU, Mish, hard swish,
    squared ReLU, the shrinks too). A point of the line now has χ₁ = 1 there; a jump is reported
    apart, with χ₁ clearly below 1 on its left and above on its right."""
    phi = PHI[name]
    line = T.critical_line(phi, SB2_LINE)
    json_clean(line)
    for sb2, sw2, jump in zip(SB2_LINE, line["sigma_w2"], line["jump_sigma_w2"]):
        if sw2 is not None:
            assert T.fixed_point(phi, sw2, sb2)["chi1"] == pytest.approx(1.0, abs=1e-6), (sb2, sw2)
        if jump is not None:
            left, right = (T.fixed_point(phi, jump * f, sb2)["chi1"] for f in (1 - 1e-6, 1 + 1e-6))
            assert left < 1.0 - 1e-4 and right > 1.0 + 1e-4, (sb2, jump, left, right)
            assert sw2 is None or sw2 > jump


def test_gelu_silu_mish_have_jumps_at_small_bias_and_a_critical_line_above() -> None:
    """GELU: a jump at σ_b² ≤ 0.1 (2.155 at 0), χ₁ = 1 at σ_b² ≥ 0.2; SiLU's line starts higher.
    The critical point checked against mpmath's own Gaussian integrals: q* = σ_w² E[φ(√q* z)²] + σ_b²
    and σ_w² E[φ′(√q* z)²] = 1."""
    gelu = T.critical_line(PHI["gelu"], SB2_LINE)
    assert gelu["sigma_w2"][:4] == [None] * 4 and all(w is not None for w in gelu["sigma_w2"][4:])
    assert gelu["jump_sigma_w2"][0] == pytest.approx(2.155, abs=1e-3) and gelu["jump_sigma_w2"][4:] == [None] * 4
    silu = T.critical_line(PHI["silu"], SB2_LINE)
    assert silu["sigma_w2"][:7] == [None] * 7 and silu["sigma_w2"][7] is not None and None not in silu["jump_sigma_w2"][:7]
    for sb2, sw2, q in zip(SB2_LINE[4:], gelu["sigma_w2"][4:], gelu["q_star"][4:]):
        mp.mp.dps = 30
        pdf = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
        cdf = lambda x: mp.erfc(-x / mp.sqrt(2)) / 2
        f = lambda x: x * cdf(x)
        df = lambda x: cdf(x) + x * pdf(x)
        r = mp.sqrt(q)
        e2 = mp.quad(lambda z: f(r * z) ** 2 * pdf(z), [-mp.inf, 0, mp.inf])
        ed2 = mp.quad(lambda z: df(r * z) ** 2 * pdf(z), [-mp.inf, 0, mp.inf])
        assert float(sw2 * ed2) == pytest.approx(1.0, abs=1e-8), sb2
        assert float(sw2 * e2 + sb2) == pytest.approx(q, rel=1e-8), sb2


@pytest.mark.parametrize("name", ["tanh", "gelu", "relu", "selu"])
def test_the_brackets_grid_is_each_qs_own_second_moment(name: str) -> None:
    """The fixed-point brackets read E[φ(√q z)²] on the log-q grid from one batched quadrature
    per φ: each value is that q's own (one row alone) to rounding, and a fresh φ computes it."""
    from app.core.theory import meanfield as M

    phi = T.phi_from_activation(A.get(name), {})
    grid = M.grid_second_moments(phi)
    assert M.grid_second_moments(phi) is grid and len(grid) == len(M.LOG_Q_GRID)
    for i in range(0, len(M.LOG_Q_GRID), 12):
        alone = T.variance_terms(phi, M.LOG_Q_GRID[i : i + 1], derivative=False)[0][0]
        assert grid[i] == pytest.approx(alone, rel=1e-14, abs=1e-300)
    assert M.grid_second_moments(T.phi_from_activation(A.get(name), {})) is not grid


def test_variance_slope_is_schoenholz_formula_and_the_map_derivative() -> None:
    """dq_l/dq_{l−1} at q* = χ₁ + σ_w² E[φ″φ] for smooth tanh (Schoenholz et al.'s ξ_q), and the
    map's own derivative (central difference) for kinked hardtanh, where φ″ has deltas."""
    tanh = PHI["tanh"]
    sw2, sb2 = 1.5, 0.05
    fp = T.fixed_point(tanh, sw2, sb2)
    s = math.sqrt(fp["q_star"])

    def second(x):
        t = np.tanh(x)
        return -2.0 * t * (1.0 - t * t)

    e_f2pp = T.gauss_expect(tanh, lambda x, z: [second(x) * np.tanh(x)], 0.0, s)[0][0]
    assert fp["slope_q"] == pytest.approx(fp["chi1"] + sw2 * e_f2pp, rel=1e-12)
    sp = T.signal_propagation(tanh, sw2, sb2)
    assert sp["xi_q"] == pytest.approx(-1.0 / math.log(fp["slope_q"]), rel=1e-12)
    ht = PHI["hardtanh"]
    fp = T.fixed_point(ht, 2.0, 0.1)
    q, h = fp["q_star"], 1e-5 * fp["q_star"]
    fd = (T.variance_map(ht, 2.0, 0.1, q + h)[0] - T.variance_map(ht, 2.0, 0.1, q - h)[0]) / (2 * h)
    assert fp["slope_q"] == pytest.approx(fd, rel=1e-8)


def test_selu_mean_variance_fixed_point() -> None:
    selu = PHI["selu"]
    fp = T.mean_var_fixed_point(selu, omega=0.0, tau=1.0, start=(1.0, 2.0))
    assert fp["converged"]
    assert fp["mu"] == pytest.approx(0.0, abs=1e-3) and fp["nu"] == pytest.approx(1.0, abs=1e-3)
    assert fp["spectral_radius"] < 1.0  # attracting
    flow = T.mean_var_flow(selu, (1.0, 2.0), steps=60)
    assert abs(flow["mu"][-1]) < 1e-3 and abs(flow["nu"][-1] - 1.0) < 1e-3
    assert T.mean_var_map(selu, 0.0, 1.0) == pytest.approx((0.0, 1.0), abs=1e-12)
    json_clean(fp)
    json_clean(flow)


# --------------------------------------------------------------------------- kernel and Hermite


def test_relu_kernel_is_the_arc_cosine_kernel() -> None:
    rhos = [-1.0, -0.5, 0.0, 0.5, 0.9, 0.99, 1.0]
    k = T.nngp_kernel(PHI["relu"], rhos)["k"]
    for r, v in zip(rhos, k):
        assert v == pytest.approx(arccos_kernel(r), abs=1e-10), r
    assert k[2:5] == pytest.approx([0.1592, 0.3045, 0.4548], abs=5e-5)  # the published values
    # input variance q scales a positively homogeneous φ's kernel by q
    assert T.nngp_kernel(PHI["relu"], [0.5], q=3.0)["k"][0] == pytest.approx(3.0 * arccos_kernel(0.5), abs=1e-10)


MC_RHOS = (-0.6, 0.3, 0.9)


@pytest.fixture(scope="module")
def mc_normals() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20170301)
    return rng.standard_normal(1_000_000), rng.standard_normal(1_000_000)


def test_every_kernel_matches_monte_carlo(mc_normals) -> None:
    """k(ρ) at default parameters within 3 standard errors of 10⁶ draws (fixed seed)."""
    z1, z2 = mc_normals
    worst = 0.0
    for aid, phi in PHI.items():
        k = T.nngp_kernel(phi, MC_RHOS)["k"]
        fu = phi.f(z1)
        for r, kr in zip(MC_RHOS, k):
            prod = fu * phi.f(r * z1 + math.sqrt(1 - r * r) * z2)
            se = prod.std() / math.sqrt(prod.size)
            score = abs(kr - prod.mean()) / se
            worst = max(worst, score)
            assert score < 3.0, (aid, r, kr, prod.mean(), se)
    print(f"largest |k − MC|/SE over {len(PHI)} activations × {len(MC_RHOS)} ρ: {worst:.2f}")


HERMITE_ORDER = 2000  # enough for Σ a_k² to reach E[φ²] within 1e-6 for every catalogue entry


def test_hermite_parseval_for_every_activation() -> None:
    """Σ_{k≤2000} a_k² = E[φ²] within 1e-6 (E[φ²] from the separate 1-D rule). The remainder
    is the truncated tail, never negative beyond rounding; for the smooth entries it is at
    rounding level already at order 200, for kinked ones a_k² ~ k^{-5/2} leaves ~K^{-3/2}."""
    for aid, phi in PHI.items():
        h = T.hermite_coefficients(phi, HERMITE_ORDER)
        json_clean(h)
        if aid in DISCONTINUOUS:  # a jump in φ: a_k² ~ k^{-3/2}, the tail ~ K^{-1/2} (see the next test)
            assert 0 < h["remainder"] < 0.01, (aid, h["remainder"])
            continue
        assert abs(h["sum_squares"] - h["second_moment"]) <= 1e-6, (aid, h["remainder"])
        assert h["remainder"] >= -1e-13, aid  # Bessel: a partial sum cannot exceed E[φ²]
        # analytic: fast decay (ELU, CELU, softsign and squared ReLU have a kink in a higher derivative)
        if not phi.kinks and aid not in ("elu", "celu", "softsign", "squared_relu"):
            assert abs(T.hermite_coefficients(phi, 200)["remainder"]) < 1e-12, aid


DISCONTINUOUS = ("hardshrink",)


def test_hermite_tail_of_a_jump_decays_like_its_theory() -> None:
    """Hardshrink jumps at ±λ: its coefficients fall only like k^{-3/4}, so the truncation
    remainder falls as K^{-1/2} — doubling K divides it by √2 (Parseval still holds in the limit)."""
    r1 = T.hermite_coefficients(PHI["hardshrink"], 1000)["remainder"]
    r2 = T.hermite_coefficients(PHI["hardshrink"], 2000)["remainder"]
    assert r2 / r1 == pytest.approx(2 ** -0.5, rel=0.05)


def test_hermite_tail_decays_like_kinked_theory() -> None:
    """For ReLU-like kinks the truncation remainder falls as K^{-3/2}: doubling K divides it by 2^{3/2}."""
    for aid in ("relu", "hardtanh", "selu"):
        r1 = T.hermite_coefficients(PHI[aid], 1000)["remainder"]
        r2 = T.hermite_coefficients(PHI[aid], 2000)["remainder"]
        assert r2 / r1 == pytest.approx(2 ** -1.5, rel=0.05), aid


def test_relu_hermite_coefficients_closed_form() -> None:
    """a₀ = 1/√(2π), a₁ = 1/2, a_n = pdf(0)·He_{n−2}(0)/√(n!) (n ≥ 2), from φ″ = δ."""
    order = 400
    a = np.array(T.hermite_coefficients(PHI["relu"], order)["a"])
    ref = np.zeros(order + 1)
    ref[0], ref[1] = 1 / math.sqrt(2 * math.pi), 0.5
    for n in range(2, order + 1, 2):
        m = (n - 2) // 2  # He_{2m}(0) = (−1)^m (2m − 1)!!
        log_dfact = math.lgamma(2 * m + 1) - m * math.log(2) - math.lgamma(m + 1)
        ref[n] = (-1) ** m * math.exp(log_dfact - 0.5 * math.lgamma(n + 1)) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(a, ref, rtol=0, atol=1e-14)


def test_gelu_and_relu_share_a1() -> None:
    """a₁ = E[φ(z)z] = E[φ′(z)]: ½ for ReLU, and E[Φ(z) + zφ(z)] = ½ + 0 for GELU."""
    for aid in ("relu", "gelu"):
        assert T.hermite_coefficients(PHI[aid], 4)["a"][1] == pytest.approx(0.5, abs=1e-13), aid
    # while a₀ differs (E[relu] = 1/√(2π), E[gelu] = 1/(2√π))
    assert T.hermite_coefficients(PHI["gelu"], 4)["a"][0] == pytest.approx(1 / (2 * math.sqrt(math.pi)), abs=1e-13)


def test_mehler_series_matches_the_2d_quadrature() -> None:
    """k(ρ) = Σ a_k² ρ^k: the 2-D rule and the Hermite coefficients agree at |ρ| ≤ 0.5."""
    for aid in ("tanh", "hardtanh", "selu", "hardswish"):
        a = np.array(T.hermite_coefficients(PHI[aid], 200)["a"])
        k = T.nngp_kernel(PHI[aid], [-0.5, 0.25, 0.5])["k"]
        for r, kr in zip((-0.5, 0.25, 0.5), k):
            assert kr == pytest.approx(float(np.sum(a * a * r ** np.arange(a.size))), abs=1e-12), (aid, r)


# --------------------------------------------------------------------------- quadrature honesty


@pytest.mark.parametrize("q", [1e-8, 0.01, 1.0, 7.3, 1e4, 1e6])
def test_relu_and_leaky_closed_forms(q: float) -> None:
    for aid, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        e2, ed2, de2 = (float(v[0]) for v in T.variance_terms(PHI[aid], q))
        assert e2 == pytest.approx((1 + slope**2) * q / 2, rel=1e-12), aid
        assert ed2 == pytest.approx((1 + slope**2) / 2, rel=1e-12), aid
        assert de2 == pytest.approx((1 + slope**2) / 2, rel=1e-12), aid
        chi1 = T.fixed_point(PHI[aid], 1.7, 0.2)["chi1"]
        assert chi1 == pytest.approx(1.7 * (1 + slope**2) / 2, rel=1e-12), aid


def _mp_expect(g, kinks: list[float], q: float):
    """E[g(√q z)] by mpmath, the line split at the kinks (40 digits)."""
    with mp.workdps(40):
        s = mp.sqrt(mp.mpf(q))
        pts = [-mp.inf] + sorted(mp.mpf(k) / s for k in kinks) + [mp.inf]
        return mp.quad(lambda z: g(s * z) * mp.npdf(z), pts)


@pytest.mark.parametrize("aid,lo,hi", [("hardtanh", -1, 1), ("relu6", 0, 6)])
@pytest.mark.parametrize("q", [0.04, 1.0, 9.0, 400.0])
def test_kinked_activations_against_mpmath(aid: str, lo: float, hi: float, q: float) -> None:
    def clip(x):
        return min(max(x, mp.mpf(lo)), mp.mpf(hi))

    def inside(x):
        return mp.mpf(1) if lo < x < hi else mp.mpf(0)

    e2, ed2, de2 = (float(v[0]) for v in T.variance_terms(PHI[aid], q))
    assert e2 == pytest.approx(float(_mp_expect(lambda x: clip(x) ** 2, [lo, hi], q)), abs=1e-10)
    assert ed2 == pytest.approx(float(_mp_expect(inside, [lo, hi], q)), abs=1e-10)
    # d/dq E[φ²] = E[φ φ′ z]/√q
    with mp.workdps(40):
        ref = _mp_expect(lambda x: clip(x) * inside(x) * x, [lo, hi], q) / q
    assert de2 == pytest.approx(float(ref), abs=1e-10)


def _kinked(x):
    return np.abs(x - 0.7) - 0.5 * np.maximum(x + 1.3, 0.0)


def _kinked_grad(x):
    return np.sign(x - 0.7) - 0.5 * (x > -1.3)


def test_unknown_kinks_are_handled() -> None:
    """A kinked formula given with kinks=None: located, integrated adaptively (1-D) and by
    the kink-aware 2-D rule, it matches mpmath and the same formula with declared kinks."""
    unknown = T.Phi(_kinked, _kinked_grad, None, False)
    declared = T.Phi(_kinked, _kinked_grad, [0.7, -1.3], False)
    assert unknown.adaptive and not declared.adaptive
    assert T.locate_kinks(unknown) == pytest.approx((-1.3, 0.7), abs=1e-12)

    def ref(x):
        return abs(x - mp.mpf("0.7")) - mp.mpf("0.5") * max(x + mp.mpf("1.3"), 0)

    for q in (0.3, 3.0, 50.0):
        e2 = float(T.variance_terms(unknown, q)[0][0])
        assert e2 == pytest.approx(float(_mp_expect(lambda x: ref(x) ** 2, [0.7, -1.3], q)), abs=1e-10)
        np.testing.assert_allclose(np.ravel(T.variance_terms(unknown, q)), np.ravel(T.variance_terms(declared, q)), rtol=1e-11)
    k_unknown = T.nngp_kernel(unknown, [-0.4, 0.5, 0.95], q=2.0)["k"]
    k_declared = T.nngp_kernel(declared, [-0.4, 0.5, 0.95], q=2.0)["k"]
    np.testing.assert_allclose(k_unknown, k_declared, rtol=1e-12)
    a, b = T.signal_propagation(unknown, 1.5, 0.1), T.signal_propagation(declared, 1.5, 0.1)
    for key in ("q_star", "chi1", "c_star", "chi_c", "xi_q", "xi_c"):
        assert a[key] == pytest.approx(b[key], rel=1e-9), key


def test_catalogue_kinks_unknown_give_the_same_numbers() -> None:
    """Every catalogue entry with its kinks hidden (adaptive path) agrees with the declared one."""
    qs = np.array([1e-4, 0.5, 2.0, 30.0, 1e5])
    for aid, phi in PHI.items():
        hidden = T.Phi(phi.f, phi.df, None, False)
        for got, want in zip(T.variance_terms(hidden, qs), T.variance_terms(phi, qs)):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300, err_msg=aid)


# --------------------------------------------------------------------------- predicted vs measured gradients

WIDTH, DEPTH, DRAWS, INPUTS = 256, 20, 20, 8
GRAD_CASES = [
    ("tanh", 1.76, 0.05), ("tanh", 1.0, 0.05), ("tanh", 3.0, 0.05),  # near critical, ordered, chaotic
    ("relu", 2.0, 0.0), ("relu", 1.8, 0.05), ("relu", 2.2, 0.0),
    ("selu", 0.9, 0.05), ("selu", 0.6, 0.05), ("selu", 1.3, 0.05),  # SELU's critical σ_w² at σ_b² = 0.05 is 0.90
]
# "within 10 %": |pred − meas| ≤ 0.1·|meas| + 0.05 decades at every layer. The absolute part
# (a factor 1.12 in the norm) covers values near 0 and the O(1/N) finite-width effects the
# mean field ignores: at N = 256 they shift 19 layers by ≈ 0.02–0.04 decades.
REL_TOL, ABS_TOL = 0.10, 0.05


@pytest.fixture(scope="module")
def gaussian_weights() -> np.ndarray:
    """Standard normal matrices (layer, draw, N, N), shared by the cases (float32 to halve memory)."""
    return np.random.default_rng(2017).standard_normal((DEPTH, DRAWS, WIDTH, WIDTH), dtype=np.float32)


def measured_log10_grad_norms(f, df, sw2: float, sb2: float, weights: np.ndarray, seed: int) -> np.ndarray:
    """Median over weight draws of log₁₀‖∂L/∂h_l‖ − log₁₀‖∂L/∂h_L‖, l = 1..L.

    Plain numpy, independent of app.core.theory: h_l = W_l φ(h_{l−1}) + b_l (h_1 = W_1 x + b_1),
    W ~ N(0, σ_w²/N), b ~ N(0, σ_b²), INPUTS Gaussian inputs x ~ N(0, I) per draw, a random
    linear readout L = vᵀφ(h_L), backprop δ_l = φ′(h_l) ⊙ W_{l+1}ᵀ δ_{l+1}. Per draw,
    ‖δ_l‖² is averaged over the inputs (the mean field predicts that expectation)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((DRAWS, WIDTH, INPUTS))
    hs, ws = [], []
    for layer in range(DEPTH):
        w = weights[layer].astype(np.float64) * math.sqrt(sw2 / WIDTH)
        h = w @ a + math.sqrt(sb2) * rng.standard_normal((DRAWS, WIDTH, 1))
        hs.append(h)
        ws.append(w)
        a = f(h)
    v = rng.standard_normal((DRAWS, WIDTH, 1)) / math.sqrt(WIDTH)
    delta = v * df(hs[-1])
    sq = np.empty((DRAWS, DEPTH))
    sq[:, -1] = np.mean(np.sum(delta**2, axis=1), axis=1)
    for layer in range(DEPTH - 2, -1, -1):
        delta = df(hs[layer]) * (ws[layer + 1].transpose(0, 2, 1) @ delta)
        sq[:, layer] = np.mean(np.sum(delta**2, axis=1), axis=1)
    return np.median(0.5 * (np.log10(sq) - np.log10(sq[:, -1:])), axis=0)


@pytest.mark.parametrize("aid,sw2,sb2", GRAD_CASES)
def test_predicted_gradients_match_random_networks(aid: str, sw2: float, sb2: float, gaussian_weights) -> None:
    phi = PHI[aid]
    pred = np.array(T.gradient_prediction(phi, sw2, sb2, DEPTH, q_in=1.0)["log10_grad_norm"], dtype=float)
    meas = measured_log10_grad_norms(phi.f, phi.df, sw2, sb2, gaussian_weights, seed=7)
    err = np.abs(pred - meas)
    print(f"{aid} ({sw2}, {sb2}): layer 1 predicted {pred[0]:+.3f}, measured {meas[0]:+.3f}; "
          f"max |error| {err.max():.3f} decades, max excess over 10 % {np.max(err - REL_TOL * np.abs(meas)):.3f}")
    assert np.all(err <= REL_TOL * np.abs(meas) + ABS_TOL), (pred, meas)


def test_relu_gradient_prediction_closed_form() -> None:
    g = T.gradient_prediction(PHI["relu"], 1.8, 0.05, 10)
    expected = [0.5 * (10 - layer) * math.log10(0.9) for layer in range(1, 11)]
    assert g["log10_grad_norm"] == pytest.approx(expected, abs=1e-12)
    json_clean(g)


# --------------------------------------------------------------------------- initialisation over depth


def test_init_over_depth_relu_he_and_lecun() -> None:
    relu = PHI["relu"]
    he = T.init_over_depth(relu, "he", depth=50, width=256, draws=64, seed=3)
    lecun = T.init_over_depth(relu, "lecun", depth=50, width=256, draws=64, seed=3)
    json_clean(he)
    json_clean(lecun)
    assert he["predicted"][-1] / he["predicted"][0] == pytest.approx(1.0, rel=1e-12)
    assert lecun["predicted"][-1] / lecun["predicted"][0] == pytest.approx(2.0**-49, rel=1e-12)
    assert 0.2 <= he["median_ratio_to_first"][-1] <= 5.0
    assert 2.0**-49 / 10 <= lecun["median_ratio_to_first"][-1] <= 2.0**-49 * 10
    assert all(lo <= m <= hi for lo, m, hi in zip(he["low"], he["median"], he["high"]))
    glorot = T.init_over_depth(relu, "glorot", depth=5, width=16, draws=4)
    assert glorot["sigma_w2"] == 1.0  # square layers: 2·fan_in/(fan_in + fan_out) = 1


def test_init_monte_carlo_methods_agree() -> None:
    """Explicit batched weight matrices and the exact one-input shortcut sample the same law:
    per layer the medians over 64 draws agree within 15 % (their standard error is ≈ 4 % each
    at width 64), and on average over layers within 3 %; both sit near the mean-field q_l."""
    tanh = PHI["tanh"]
    kw = {"depth": 12, "width": 64, "draws": 64, "sigma_w2": 1.5, "sigma_b2": 0.1}
    mm = T.init_over_depth(tanh, "custom", method="matmul", seed=1, **kw)
    pr = T.init_over_depth(tanh, "custom", method="projection", seed=2, **kw)
    assert mm["method"] == "matmul" and pr["method"] == "projection"
    log_ratio = np.log(np.array(mm["median"]) / np.array(pr["median"]))
    assert np.all(np.abs(log_ratio) < 0.15) and abs(log_ratio.mean()) < 0.03, log_ratio
    for run in (mm, pr):
        np.testing.assert_allclose(run["median"][3:], run["predicted"][3:], rtol=0.15)


# --------------------------------------------------------------------------- finiteness, time, budget


def test_phase_diagram_finite_for_every_activation() -> None:
    sw2 = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]
    sb2 = [0.0, 0.25, 0.5]
    for aid, phi in PHI.items():
        pd = T.phase_diagram(phi, sw2, sb2)
        sp = T.signal_propagation(phi, 2.0, 0.1)
        json_clean(pd)
        json_clean(sp)
        assert all(v is not None for row in pd["chi1"] for v in row), aid
        assert {p for row in pd["phase"] for p in row} <= {"ordered", "critical", "chaotic"}, aid


def test_extremes_stay_finite_and_json_safe() -> None:
    """Huge variances, vanishing ones, an exploding user formula: None, never NaN/inf."""
    for aid in ("relu", "identity", "softplus", "selu"):
        g = T.gradient_prediction(PHI[aid], 4.0, 0.5, 50)
        json_clean(g)
        assert g["extrapolated_from"] is not None and g["log10_grad_norm"][0] is not None, aid
        json_clean(T.q_trajectory(PHI[aid], 4.0, 0.5, 50))
    json_clean(T.signal_propagation(PHI["tanh"], 1e-3, 0.0))
    exp_phi = T.Phi(np.exp, np.exp, [], True, "exp")
    out = T.signal_propagation(exp_phi, 2.0, 0.5)
    json_clean(out)
    assert out["q_diverges"] and out["q_star"] is None
    json_clean(T.init_over_depth(exp_phi, "he", depth=10, width=8, draws=4))
    json_clean(T.nngp_kernel(PHI["hardtanh"], [-1.0, 0.0, 1.0], q=1e6))


def test_compute_budget_covers_the_public_functions() -> None:
    b = T.compute_budget()
    for name in ("fixed_point", "signal_propagation", "critical_sigma_w2", "critical_line", "phase_diagram",
                 "gradient_prediction", "q_trajectory", "nngp_kernel", "hermite_coefficients", "mean_var_fixed_point",
                 "mean_var_flow", "init_over_depth", "correlation_map", "variance_map"):
        assert isinstance(b[name], int) and b[name] > 0, name
    bigger = T.compute_budget(n_rho=82, n_sigma_w2=20, order=400, depth=50)
    assert bigger["nngp_kernel"] > b["nngp_kernel"] and bigger["phase_diagram"] == 2 * b["phase_diagram"]
    assert bigger["hermite_coefficients"] > b["hermite_coefficients"]
    assert T.compute_budget(adaptive=True)["fixed_point"] > b["fixed_point"]
