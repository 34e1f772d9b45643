"""Several training runs of one network shape as one stacked pass, and the trace split back.

Runs that differ only in their variants (activations and their parameters) and in the
learning rate and momentum can be trained together: the engine trains K variants at once
(:class:`app.core.network.StackedMLP`), each with its own learning rate and momentum, on
the same data from the same initial weights. :func:`combine` stacks the runs' variants
(those with the same activation next to each other, so that the pass makes fewer calls) and
:func:`split` cuts the combined :class:`~app.core.training.Trace` back into each run's own.

A run's numbers from a combined pass agree with the same run trained alone to rounding: the
variants never mix, but the stacked pass's layout depends on K (e.g. the first layer is one
product for all variants when K > 1, and big passes evaluate the test set apart), so sums
are taken in another order; in the tests' cases (80 epochs) the largest difference is 3e-16
relative, and they hold it to 1e-12 (``tests/core/test_stacking.py``). What must not differ
cannot: runs whose control flow depends on the other variants are not combined — stochastic
activations (their noise is drawn for all variants at once), float32 (rounding differences
are ~1e-7), and a run that carries a state or asks for one (a continuation must be bit for
bit). A run whose variants all diverge stops early when alone, so :func:`all_diverged` tells
the caller to train it again by itself. A combined pass may learn more parameters than a run
(another run's PReLU slope): :func:`split` takes the run's own out of the weight vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import activations as acts
from .budget import MAX_COST, MAX_ELEMENTS, cost, elements
from .diagram import Diagram, UnitNumbers
from .network import Layout
from .training import Trace, TrainConfig

Array = np.ndarray


def combinable(config: TrainConfig) -> bool:
    """Whether ``config`` may be trained in a combined pass (see the module docstring;
    the caller also leaves out runs with a state)."""
    return (
        config.dtype == "float64"
        and not config.include_state
        and config.epochs > 0
        and not any(acts.get(v.activation).stochastic is not None for v in config.variants)
    )


def shape_key(config: TrainConfig) -> str:
    """What runs trained together must share: everything but the variants, the learning
    rate and the momentum (the data, own points included, the network, the recording…)."""
    return repr(replace(config, variants=(), learning_rate=0.0, momentum=0.0))


def combine(configs: Sequence[TrainConfig]) -> tuple[TrainConfig, list[list[int]]]:
    """One configuration training every run's variants (each with its run's learning rate
    and momentum), and where each run's variants are in it. The configs must share their
    :func:`shape_key`."""
    entries = []  # (activation id, run, variant)
    for r, c in enumerate(configs):
        for v in c.variants:
            entries.append((acts.get(v.activation).id, r, replace(v, learning_rate=c.learning_rate, momentum=c.momentum)))
    first: dict[str, int] = {}
    for a, _, _ in entries:
        first.setdefault(a, len(first))
    order = sorted(range(len(entries)), key=lambda i: first[entries[i][0]])  # stable: each run's variants keep their order
    position = {i: pos for pos, i in enumerate(order)}
    where: list[list[int]] = [[] for _ in configs]
    for i, (_, r, _) in enumerate(entries):
        where[r].append(position[i])
    return replace(configs[0], variants=tuple(entries[i][2] for i in order)), where


def fits(config: TrainConfig, max_variants: int) -> bool:
    """Whether a combined run is within the compute budget, the memory cap and ``max_variants``."""
    return len(config.variants) <= max_variants and cost(config) <= MAX_COST and elements(config) <= MAX_ELEMENTS


def all_diverged(trace: Trace, where: Sequence[int]) -> bool:
    return all(trace.diverged_at[k] is not None for k in where)


def layout(config: TrainConfig) -> Layout:
    """Where a variant's parameters sit in the flat vector (as the engine lays them out)."""
    learned: list[str] = []
    for v in config.variants:
        learned += [n for n in acts.get(v.activation).param_grads if n not in learned]
    return Layout(config.network, tuple(learned))


def _columns(own: Layout, combined: Layout) -> Array:
    """The combined vector's entries that make up the run's own: the weights and biases (laid
    out alike), then its learned parameters (the combined pass may learn more, e.g. a PReLU
    slope of another run)."""
    slots = [combined.learned_slot(n, layer) for n in own.learned for layer in range(own.arch.depth)]
    return np.concatenate([np.arange(own.learned_offset), np.asarray(slots, dtype=np.intp)]).astype(np.intp)


def _numbers(u: UnitNumbers, ix: Array) -> UnitNumbers:
    return UnitNumbers([a[ix] for a in u.z], [a[ix] for a in u.h], [a[ix] for a in u.df], [a[ix] for a in u.grad])


def _diagram(d: Diagram, ix: Array, cols: Array) -> Diagram:
    probe = d.probe
    if probe is not None:
        probe = {**probe, "numbers": _numbers(probe["numbers"], ix), "output": probe["output"][ix], "loss": probe["loss"][ix]}
    return replace(
        d, units=[u[ix] for u in d.units], output=d.output[ix], mean=_numbers(d.mean, ix), dead=[a[ix] for a in d.dead],
        theta=d.theta[ix][:, cols], grad_theta=d.grad_theta[ix][:, cols], probe=probe,
    )


def split(trace: Trace, combined: TrainConfig, config: TrainConfig, where: Sequence[int]) -> Trace:
    """The trace of the run ``config`` (one of those combined into ``combined``) from the
    combined ``trace``; ``where``: its variants' positions there."""
    ix = np.asarray(where, dtype=np.intp)
    cols = _columns(layout(config), layout(combined))
    weights = lambda a: None if a is None else np.ascontiguousarray(a[ix][:, cols])
    pick = lambda a: None if a is None else np.ascontiguousarray(a[ix])
    pick_list = lambda seq: [seq[k] for k in where] if seq else seq
    learned = {n for v in config.variants for n in acts.get(v.activation).param_grads}
    return replace(
        trace,
        loss_train=pick(trace.loss_train), loss_test=pick(trace.loss_test),
        acc_train=pick(trace.acc_train), acc_test=pick(trace.acc_test),
        layers={k: pick(v) for k, v in trace.layers.items()},
        learned={k: pick(v) for k, v in trace.learned.items() if k in learned},
        diverged_at=[trace.diverged_at[k] for k in where],
        hist_init=pick_list(trace.hist_init), hist_final=pick_list(trace.hist_final),
        boundary_p=pick(trace.boundary_p),
        theta_initial=weights(trace.theta_initial), theta_final=weights(trace.theta_final),
        state=None,
        diagram=None if trace.diagram is None else _diagram(trace.diagram, ix, cols),
    )
