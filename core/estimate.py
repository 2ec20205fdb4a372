"""Time per epoch before training: time a few real train steps of the chosen model here.

The calibration builds the model under the precision policy training would use
(``core.training.choose_precision``), runs a handful of steps on random uint8 batches of the
dataset's input shape and multiplies the median step time by the steps per epoch. Results
are cached per (model, input shape, classes, batch size, precision) for the process.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import keras
import numpy as np

from core.models import build_model
from core.training import choose_precision

_cache: dict[tuple, float] = {}
_lock = threading.Lock()  # the Keras dtype policy is global: one calibration at a time


@dataclass(frozen=True)
class EpochEstimate:
    """Median time of one train step and what it means for an epoch."""

    model: str
    input_shape: tuple[int, int, int]
    batch_size: int
    precision: str
    step_s: float
    steps_per_epoch: int

    @property
    def epoch_s(self) -> float:
        """Estimated seconds per epoch (training steps only, no validation)."""
        return self.step_s * self.steps_per_epoch

    @property
    def images_per_s(self) -> float:
        """Training throughput the estimate implies."""
        return self.batch_size / self.step_s if self.step_s > 0 else 0.0


def steps_per_epoch(train_images: int, batch_size: int) -> int:
    """Batches in one pass over ``train_images`` (the last batch may be partial)."""
    return max(1, math.ceil(train_images / batch_size))


def _key(model: str, input_shape, num_classes: int, batch_size: int, precision: str) -> tuple:
    return (model, tuple(input_shape), num_classes, batch_size, precision)


def cached_estimate(
    model: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    batch_size: int,
    train_images: int,
    precision: str = "auto",
) -> EpochEstimate | None:
    """The estimate if this process has already calibrated that setting, else None."""
    resolved = choose_precision(precision)
    step_s = _cache.get(_key(model, input_shape, num_classes, batch_size, resolved))
    if step_s is None:
        return None
    steps = steps_per_epoch(train_images, batch_size)
    return EpochEstimate(model, tuple(input_shape), batch_size, resolved, step_s, steps)


def estimate_epoch(
    model: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    batch_size: int,
    train_images: int,
    precision: str = "auto",
    *,
    steps: int = 3,
    seed: int = 0,
) -> EpochEstimate:
    """Time ``steps`` train steps (after one warm-up step that traces the graph)."""
    resolved = choose_precision(precision)
    key = _key(model, input_shape, num_classes, batch_size, resolved)
    with _lock:
        if key not in _cache:
            _cache[key] = _median_step_s(
                model, input_shape, num_classes, batch_size, resolved, steps, seed
            )
    return cached_estimate(model, input_shape, num_classes, batch_size, train_images, resolved)


def _median_step_s(
    model_name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    batch_size: int,
    precision: str,
    steps: int,
    seed: int,
) -> float:
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy(precision)
        model = build_model(model_name, tuple(input_shape), num_classes)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    finally:
        # Layers keep the policy they were built with; the caller's global policy comes back.
        keras.mixed_precision.set_global_policy(previous)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(batch_size, *input_shape), dtype=np.uint8)
    y = np.eye(num_classes, dtype=np.float32)[rng.integers(0, num_classes, batch_size)]
    model.train_on_batch(x, y)  # warm-up: traces and compiles the step
    times = []
    for _ in range(max(1, steps)):
        started = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - started)
    return float(np.median(times))
