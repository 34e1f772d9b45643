"""What a training run records and how it makes its passes, decided before its first epoch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

Array = np.ndarray


def frame_epochs(epochs: int, frames: int) -> Array:
    """``frames`` evenly spaced epochs in [0, epochs], both ends included, no repeats."""
    frames = max(1, min(frames, epochs + 1))
    if frames == 1:
        return np.array([epochs])
    return np.unique(np.floor(np.linspace(0, epochs, frames) + 0.5).astype(int))


def boundary_schedule(frames: Array, count: int) -> Array:
    """``count`` of the recorded epochs, evenly spread, first and last included."""
    if count <= 0:
        return np.zeros(0, int)
    idx = np.unique(np.floor(np.linspace(0, len(frames) - 1, min(count, len(frames))) + 0.5).astype(int))
    return frames[idx]


@dataclass(frozen=True)
class Plan:
    """What a run does, decided before its first epoch.

    ``frames``: the epochs recorded (an evaluation pass over the training and test inputs and
    every statistic); ``boundary``: those that also record the boundary grid; ``histograms``:
    whether the first and last frames record histograms; ``train_only``: the network's
    buffers hold the training inputs only (big runs: the test set is evaluated apart) rather
    than the training then the test inputs (small, call-bound runs); ``shared_pass``: full
    batches and deterministic activations, so a recorded frame's evaluation pass is also the
    training pass whose gradient makes the update, and between frames one pass per epoch
    trains without recording. A run stopped early (cancelled, out of time, every variant
    diverged) records the epoch it stopped at as its last frame, boundary and histograms
    included."""

    frames: tuple[int, ...]
    boundary: frozenset[int]
    histograms: bool
    train_only: bool
    shared_pass: bool
    batch: int

    @classmethod
    def of(cls, config: Any, n_train: int, n_test: int, stochastic: bool, train_only_elements: int) -> Plan:
        frames = frame_epochs(config.epochs, config.frames)
        batch = n_train if config.batch_size <= 0 or config.batch_size >= n_train else config.batch_size
        return cls(
            frames=tuple(frames.tolist()),
            boundary=frozenset(boundary_schedule(frames, config.boundary_frames).tolist()),
            histograms=config.histograms,
            train_only=len(config.variants) * (n_train + n_test) * config.arch.width > train_only_elements,
            shared_pass=batch == n_train and not stochastic,
            batch=batch,
        )

    def records(self, epoch: int, last: bool) -> bool:
        return last or epoch in self._frame_set

    def records_boundary(self, epoch: int, last: bool) -> bool:
        return bool(self.boundary) and (last or epoch in self.boundary)

    def records_histograms(self, epoch: int, last: bool) -> bool:
        return self.histograms and (epoch == 0 or last)

    @cached_property
    def _frame_set(self) -> frozenset[int]:  # (made once: records() is asked every epoch)
        return frozenset(self.frames)
