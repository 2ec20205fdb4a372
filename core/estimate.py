"""Time per epoch before training: run a few real training steps of the chosen run here.

The calibration builds the model and compiles it exactly as training would
(``core.training.compile_model``: the preset's optimizer, loss and metrics, under the
precision ``choose_precision`` picks) and fits it for three short epochs of random uint8
batches through the training pipeline (``core.pipeline.make_dataset``, with the run's
augmentation) with validation. The first epoch traces the graphs; the others give the time
per training step and per validation step (between step ends, so queue filling is left
out) and what is left of their wall time: a fixed start-up per epoch. An epoch of the run is
then ``start-up + train steps x train step + validation steps x validation step``, which is
what ``history.csv``'s ``epoch_time`` measures (``python -m bench estimate`` compares the
two). Results are cached per setting for the process.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import keras
import numpy as np

from core.config import TrainConfig
from core.datasets import get_spec
from core.models import build_model
from core.pipeline import make_dataset
from core.training import choose_precision, compile_model


@dataclass(frozen=True)
class StepTimes:
    """Measured seconds per training and validation step, per epoch, and for tracing."""

    train_step_s: float
    val_step_s: float
    epoch_overhead_s: float  # starting the epoch's iterators and filling the pipeline
    first_epoch_extra_s: float


@dataclass(frozen=True)
class EpochEstimate:
    """The calibration's step times scaled to one epoch of this run."""

    model: str
    batch_size: int
    precision: str
    times: StepTimes
    steps_per_epoch: int
    val_steps: int

    @property
    def step_s(self) -> float:
        """Seconds per training step."""
        return self.times.train_step_s

    @property
    def train_s(self) -> float:
        """Seconds of training steps in one epoch."""
        return self.times.train_step_s * self.steps_per_epoch

    @property
    def val_s(self) -> float:
        """Seconds of validation at the end of one epoch."""
        return self.times.val_step_s * self.val_steps

    @property
    def epoch_s(self) -> float:
        """Estimated seconds per epoch after the first: training, validation, start-up."""
        return self.train_s + self.val_s + self.times.epoch_overhead_s

    @property
    def first_epoch_s(self) -> float:
        """The first epoch also traces the graph."""
        return self.epoch_s + self.times.first_epoch_extra_s

    @property
    def images_per_s(self) -> float:
        """Training throughput the estimate implies."""
        return self.batch_size / self.step_s if self.step_s > 0 else 0.0

    def total_s(self, epochs: int) -> float:
        """Estimated seconds for ``epochs`` epochs, the first one included."""
        return self.first_epoch_s + self.epoch_s * max(epochs - 1, 0)


TIMED_EPOCHS = 2  # after the tracing epoch
_cache: dict[tuple, StepTimes] = {}
_lock = threading.Lock()  # the Keras dtype policy is global: one calibration at a time


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Batches in one pass over ``images`` (the last batch may be partial)."""
    return max(1, math.ceil(images / batch_size))


def _key(config: TrainConfig, precision: str) -> tuple:
    return (
        config.model,
        config.dataset,
        config.batch_size,
        config.optimizer,
        bool(config.augment),
        precision,
    )


def _estimate(config: TrainConfig, precision: str, times: StepTimes, train: int, val: int):
    return EpochEstimate(
        model=config.model,
        batch_size=int(config.batch_size),
        precision=precision,
        times=times,
        steps_per_epoch=steps_per_epoch(train, int(config.batch_size)),
        val_steps=math.ceil(val / int(config.batch_size)) if val > 0 else 0,
    )


def estimate_epoch(
    config: TrainConfig,
    train_images: int,
    val_images: int = 0,
    *,
    steps: int = 8,
    seed: int = 0,
) -> EpochEstimate:
    """Time ``steps`` (at least 3) training and validation steps of ``config`` here; scale up."""
    config = config.resolved()
    config.validate()
    precision = choose_precision(config.precision)
    key = _key(config, precision)
    with _lock:
        if key not in _cache:
            _cache[key] = _calibrate(config, precision, max(3, steps), seed)
    return _estimate(config, precision, _cache[key], train_images, val_images)


class _StepClock(keras.callbacks.Callback):
    """When each epoch began and ended, and when each of its train and validation steps ended."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[dict[str, list[float]]] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append({"begin": [time.perf_counter()], "train": [], "val": [], "end": []})

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.epochs[-1]["train"].append(time.perf_counter())

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.epochs:
            self.epochs[-1]["val"].append(time.perf_counter())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs[-1]["end"].append(time.perf_counter())


def _per_step(ends: list[float]) -> float:
    """Seconds per step from the steps' end times, leaving out the first (it fills queues)."""
    return (ends[-1] - ends[0]) / (len(ends) - 1)


def _calibrate(config: TrainConfig, precision: str, steps: int, seed: int) -> StepTimes:
    spec = get_spec(config.dataset)
    batch = int(config.batch_size)
    previous = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy(precision)
        model = build_model(config.model, spec.input_shape, spec.num_classes, config.dropout)
        compile_model(model, config, steps_total=(1 + TIMED_EPOCHS) * steps)
    finally:
        # Layers keep the policy they were built with; the caller's global policy comes back.
        keras.mixed_precision.set_global_policy(previous)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(batch * steps, *spec.input_shape), dtype=np.uint8)
    y = rng.integers(0, spec.num_classes, size=batch * steps)

    def batches(training: bool):
        return make_dataset(
            x,
            y,
            num_classes=spec.num_classes,
            batch_size=batch,
            training=training,
            augment=bool(config.augment) and training,
            seed=seed,
            repeat=training,
        )

    clock = _StepClock()
    model.fit(
        batches(True),
        validation_data=batches(False),
        epochs=1 + TIMED_EPOCHS,  # the first traces the train and validation steps
        steps_per_epoch=steps,
        shuffle=False,
        callbacks=[clock],
        verbose=0,
    )
    first, timed = clock.epochs[0], clock.epochs[1:]
    train_step_s = float(np.median([_per_step(epoch["train"]) for epoch in timed]))
    val_step_s = float(np.median([_per_step(epoch["val"]) for epoch in timed]))
    epoch_s = [epoch["end"][0] - epoch["begin"][0] for epoch in timed]
    # The mean over the timed epochs counts any stall at an epoch's start.
    overhead_s = float(np.mean(epoch_s)) - steps * (train_step_s + val_step_s)
    return StepTimes(
        train_step_s=train_step_s,
        val_step_s=val_step_s,
        epoch_overhead_s=max(overhead_s, 0.0),
        first_epoch_extra_s=max(first["end"][0] - first["begin"][0] - float(np.mean(epoch_s)), 0.0),
    )
