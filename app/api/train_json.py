"""The training routes' responses, shaped from the engine's traces (numpy straight to orjson).

Numbers that do not exist — every value of a variant from the epoch it diverged, a
statistic that overflowed — are JSON ``null``; NaN and Infinity never appear.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core import activations as acts
from app.core import state as states
from app.core.diagram import Diagram, UnitNumbers
from app.core.network import Layout, Variant
from app.core.training import Trace, TrainConfig

from .activations import activation_json


def _activation(v: Variant) -> dict[str, Any]:
    """A built-in by name, or a typed formula with its ranges (as the request gave it)."""
    return activation_json(acts.get(v.activation), dict(v.params))


def _hist_json(h: list | None) -> list[dict[str, Any]] | None:
    return None if h is None else [{"edges": edges, "counts": counts} for edges, counts in h]


def _numbers(u: UnitNumbers, k: int) -> dict[str, Any]:
    """Per hidden layer, per unit: z, φ(z), φ′(z) and the back-propagated gradient."""
    return {"z": [a[k] for a in u.z], "h": [a[k] for a in u.h], "df": [a[k] for a in u.df], "grad": [a[k] for a in u.grad]}


def diagram_json(d: Diagram, layout: Layout, k: int, diverged: int | None = None) -> dict[str, Any]:
    """Variant k's diagram: heatmaps, per-unit numbers, weights and their gradients. A network
    that diverged marks no unit dead (its numbers are not finite: a unit with φ′(±∞) = 0 is not
    one that stopped learning) and says when it diverged."""
    out: dict[str, Any] = {
        "grid": {"x": d.grid_x, "y": d.grid_y},
        "inputs": d.inputs,
        "units": [u[k] for u in d.units],
        "output": d.output[k],
        "mean": _numbers(d.mean, k),
        "dead": [a[k] & (diverged is None) for a in d.dead],
        "diverged_at_epoch": diverged,
        "weights": layout.unpack(d.theta[k]),
        "gradients": layout.unpack(d.grad_theta[k]),
        "probe": None,
    }
    if d.probe is not None:
        p = d.probe
        out["probe"] = {"x": p["x"], "target": p["target"], "output": p["output"][k], "loss": p["loss"][k], **_numbers(p["numbers"], k)}
    return out


def train_json(config: TrainConfig, trace: Trace, cfg_echo: dict[str, Any]) -> dict[str, Any]:
    layout = Layout(config.network, ())
    d = trace.data
    regression = trace.task == "regression"
    variants = []
    for k, v in enumerate(config.variants):
        learns_slope = "a" in trace.learned and "a" in acts.get(v.activation).param_grads
        layers: dict[str, Any] = {name: arr[k] for name, arr in trace.layers.items()}
        layers["prelu_slope"] = trace.learned["a"][k] if learns_slope else None
        diverged = trace.diverged_at[k]
        metric = {"train": trace.acc_train[k], "test": trace.acc_test[k]}
        out: dict[str, Any] = {
            "activation": _activation(v),
            "diverged_at_epoch": diverged,
            "loss": {"train": trace.loss_train[k], "test": trace.loss_test[k]},
            "accuracy": None if regression else metric,
            "r2": metric if regression else None,
            "layers": layers,
            "histograms": {
                "init": _hist_json(trace.hist_init[k]) if trace.hist_init else None,
                "final": _hist_json(trace.hist_final[k]) if trace.hist_final else None,
            },
            "boundary": None,
            "weights": None,
            "diagram": None,
        }
        if len(trace.boundary_frames):
            out["boundary"] = {"frames": trace.boundary_frames, "x": trace.boundary_x, "y": trace.boundary_y, "p": trace.boundary_p[k]}
        if trace.theta_initial is not None and trace.theta_final is not None:
            out["weights"] = {
                "initial": layout.unpack(trace.theta_initial[k]),
                "final": None if diverged is not None else layout.unpack(trace.theta_final[k]),
            }
        if trace.diagram is not None:
            out["diagram"] = diagram_json(trace.diagram, layout, k, diverged)
        variants.append(out)
    return {
        "config": cfg_echo,
        "task": trace.task,
        "classes": d.classes,
        "epochs": trace.epochs_run,
        "epoch_start": trace.epoch_start,
        "frames": trace.frames,
        "cut_short": trace.cut_short,
        "elapsed_ms": round(trace.elapsed_ms, 3),
        "data": {
            "train": {"x": d.x_train, "y": d.y_train},
            "test": {"x": d.x_test, "y": d.y_test},
        },
        "variants": variants,
        "state": states.encode(trace.state) if trace.state is not None else None,
    }


def sweep_json(config: TrainConfig, trace: Trace, cfg_echo: dict[str, Any], param: str, values: list[float]) -> dict[str, Any]:
    V = len(values)
    units = np.asarray(config.network.widths, dtype=float)
    # over all hidden units: layers weighted by their widths
    dead = (trace.layers["dead_fraction"] * units).sum(axis=2) / units.sum()  # (K, F)
    active = (trace.layers["active_fraction"] * units).sum(axis=2) / units.sum()
    series = []
    for i in range(len(config.variants) // V):
        ks = slice(i * V, (i + 1) * V)
        v0 = config.variants[i * V]
        params = {k: val for k, val in v0.params.items() if k != param}
        series.append(
            {
                "activation": activation_json(acts.get(v0.activation), params),
                "final_loss": np.ascontiguousarray(trace.loss_train[ks, -1]),
                "final_test_loss": np.ascontiguousarray(trace.loss_test[ks, -1]),
                "final_train_accuracy": np.ascontiguousarray(trace.acc_train[ks, -1]),
                "final_test_accuracy": np.ascontiguousarray(trace.acc_test[ks, -1]),
                "dead_fraction": np.ascontiguousarray(dead[ks, -1]),
                "active_fraction": np.ascontiguousarray(active[ks, -1]),
                "diverged_at_epoch": trace.diverged_at[ks],
                "loss": trace.loss_train[ks],
                "dead_fraction_curve": dead[ks],
            }
        )
    return {
        "config": cfg_echo,
        "task": trace.task,
        "param": param,
        "values": values,
        "frames": trace.frames,
        "epochs": trace.epochs_run,
        "cut_short": trace.cut_short,
        "elapsed_ms": round(trace.elapsed_ms, 3),
        "series": series,
    }
