"""Approximate work of each public function, in evaluations of φ or φ′ (the dominant cost),
so that the API layer can bound a request before running it. Upper-end estimates: the
fixed-point solver is counted with its bracket scan and a typical Brent polish."""

from __future__ import annotations

from . import depth as _depth
from . import kernels as _kernels
from . import meanfield as _mf
from . import quadrature as _quad

# The most φ-evaluations (as estimated here) one request may cost. Measured on the 2-core
# machine under load (5–8 runnable processes): 0.2–1.6 s per 10⁸ estimated evaluations
# (phase diagrams dearest), so at most ≈ 5 s loaded and ≈ 2 s idle — within the time the
# training budget allows one run (app.core.training.MAX_COST).
MAX_EVALS = 3.5e8
BRENT_EVALS = 60  # root polishing on a bracket (Brent, Illinois), typical worst case at these tolerances


def nodes_1d(n_kinks: int = 2, adaptive: bool = False) -> int:
    """Nodes of one 1-D expectation (one row); adaptive: a typical bound (30 nodes an interval)."""
    if adaptive:  # the starting panels, refined: at most ADAPTIVE_ROUNDS rounds of ≤ 2 intervals per kink
        start = len(_quad.ADAPTIVE_POINTS) + len(_quad.SCALE_1D) + n_kinks + 1
        return (start + 2 * max(n_kinks, 1) * _quad.ADAPTIVE_ROUNDS) * 30
    panels = len(_quad.BASE_1D) - 1 + n_kinks + len(_quad.SCALE_1D)
    return panels * len(_quad.GL_1D[0])


def nodes_2d(n_kinks: int = 2) -> int:
    """Nodes of one 2-D expectation: outer nodes × (1 + inner nodes)."""
    n = len(_quad.GL_2D[0])
    base, scale = len(_quad.BASE_2D) - 1, len(_quad.SCALE_2D)
    outer = (base + scale + n_kinks * (2 + len(_quad.SOFT_KINK_STEPS))) * n
    inner = (base + scale + n_kinks) * n
    return outer * (1 + inner)


def compute_budget(
    *, n_kinks: int = 2, adaptive: bool = False, n_rho: int = 41, order: int = 200, depth: int = 50, width: int = 256,
    draws: int = 32, n_sigma_w2: int = 10, n_sigma_b2: int = 10, mv_steps: int = 20, n_inputs: int = 1,
) -> dict[str, int]:
    """Approximate φ/φ′ evaluations of each public function for these sizes.

    ``n_kinks`` is the number of kinks. For unknown kinks (``adaptive=True``) the 1-D
    figure is typical (each kink refined about ADAPTIVE_ROUNDS times; the hard bound per
    row is ADAPTIVE_ROUNDS × ADAPTIVE_MAX_INTERVALS × 30) and locating the kinks, once per
    Phi, is added where 2-D work or Hermite panels need them."""
    n1 = nodes_1d(n_kinks, adaptive)
    # locating unknown kinks, once per Phi: f and f′ on the grid, then 64 bisection steps
    locate = 2 * (len(_quad._locate_grid()) + 64 * 3 * _quad.MAX_LOCATED_KINKS) if adaptive else 0
    n2 = nodes_2d(n_kinks)
    fixed = (_mf.FP_ITER + len(_mf.LOG_Q_GRID) + BRENT_EVALS + 1) * n1 * 2  # φ and φ′
    c_star = (len(_mf.C_SCAN) + BRENT_EVALS + 1) * n2 + 2 * n1 + locate
    critical = (_mf.SW2_SCAN + BRENT_EVALS) * fixed
    hermite_nodes = len(_quad.GL_1D[0]) * (int(2 * _quad.Z_HERMITE / min(0.25, 6.2832 / (2 * order + 1) ** 0.5)) + n_kinks + 2)
    mv = n1 * 2
    return {
        "variance_map": n1,
        "fixed_point": fixed,
        "signal_propagation": fixed + c_star,
        "correlation_map": n_rho * n2 + n1 + locate,
        "critical_sigma_w2": critical,
        "critical_line": n_sigma_b2 * (critical + fixed),
        "phase_diagram": n_sigma_w2 * n_sigma_b2 * fixed,
        "q_trajectory": depth * n1 * 2,
        "gradient_prediction": depth * n1 * 2,
        "c_trajectory": depth * (n1 * 3 + n2) + locate,
        "gradient_prediction_inputs": depth * n_inputs * n1 * 2,
        "nngp_kernel": n_rho * n2 + locate,
        # the recurrence costs order × nodes multiply-adds, comparable to φ evaluations
        "hermite_coefficients": hermite_nodes * (order + 2) + n1 + locate,
        "mean_var_map": mv,
        "mean_var_flow": mv_steps * mv,
        "mean_var_fixed_point": (_kernels.MV_MAX_STEPS + 4) * mv,
        "init_over_depth": depth * n1 * 2 + draws * depth * width,
        # Gaussian weights drawn by the Monte Carlo (draws·depth·width² up to MATMUL_WEIGHTS)
        "init_over_depth_normals": (draws * depth * width * width if draws * depth * width * width <= _depth.MATMUL_WEIGHTS else draws * depth * width * 2),
    }
