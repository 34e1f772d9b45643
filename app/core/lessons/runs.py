"""The engine, as lessons use it: passes at initialisation and after training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .. import activations as acts
from ..datasets import DatasetSpec, make_dataset
from ..network import Architecture, StackedMLP, Variant, augment
from ..spec import format_value
from ..training import TrainConfig, _initial_theta, cost, init_statistics

Array = np.ndarray

DATA = DatasetSpec()  # the explorer's default problem: two moons, 256 points


def _init_pass(arch: Architecture, init: str, bias_init: float, activation: str, seeds: Sequence[int], data: DatasetSpec = DATA, chunk: int = 8) -> tuple[Array, Array, Array]:
    """Pre-activations z and outputs h of every hidden unit at initialisation, for each seed
    of the weights (the engine's own network and initial weights, no training).

    Returns z and h as (seeds, depth, width·n_train) arrays and the share of non-zero
    outputs per seed and layer, (seeds, depth)."""
    x = make_dataset(data).x_train
    n = len(x)
    xT = augment(x)
    zs, hs = [], []
    for lo in range(0, len(seeds), chunk):
        part = list(seeds[lo : lo + chunk])
        cfg = TrainConfig(data=data, arch=arch, init=init, bias_init=bias_init, variants=tuple(Variant(activation) for _ in part))
        net = StackedMLP(arch, cfg.variants, n)
        net.theta[:] = _initial_theta(net, cfg, part)
        with np.errstate(all="ignore"):
            net.forward(xT)
        # (D, K, W, n) → (K, D, W·n)
        zs.append(np.ascontiguousarray(net.Z.transpose(1, 0, 2, 3)).reshape(len(part), arch.depth, -1))
        hs.append(np.ascontiguousarray(net.H.transpose(1, 0, 2, 3)).reshape(len(part), arch.depth, -1))
    z, h = np.concatenate(zs), np.concatenate(hs)
    return z, h, (h != 0).mean(axis=2)


def _pass_after(config: TrainConfig, theta: Array, x: Array) -> Array:
    """Pre-activations (K, depth, width·n) of the trained variants on inputs ``x``."""
    net = StackedMLP(config.arch, config.variants, len(x), np.dtype(config.dtype))
    net.theta[:] = theta
    with np.errstate(all="ignore"):
        net.forward(augment(x, net.dtype))
    return np.ascontiguousarray(net.Z.transpose(1, 0, 2, 3)).reshape(net.K, config.arch.depth, -1)


def _nanmean(a: Array) -> Array:
    """Mean over the first axis ignoring NaN (NaN where every entry is NaN), without warnings."""
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    total = np.where(ok, a, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _label(name: str, params: Mapping[str, float | str] | None = None) -> str:
    act = acts.get(name)
    shown = {k: v for k, v in (params or {}).items() if act.defaults().get(k) != v}
    if not shown:
        return act.name
    return f"{act.name} ({', '.join(f'{k}={format_value(v)}' for k, v in shown.items())})"



def _init_statistics(config: TrainConfig, seeds: Sequence[int], chunk: int = 4) -> dict[str, Array]:
    """The engine's init_statistics for many seeds, ``chunk`` at a time (wide, deep networks:
    bounded memory); statistic → (seeds, depth) or (seeds,)."""
    parts = [init_statistics(config, list(seeds[lo : lo + chunk])) for lo in range(0, len(seeds), chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _init_cost(config: TrainConfig, seeds: int) -> float:
    """The compute of one pass at initialisation per seed (≈ one full-batch epoch each)."""
    return cost(replace(config, epochs=1)) * seeds
