"""Training throughput: the project's path vs the seed-style baseline, images/s, same model.

Baseline (the seed): the whole set as float32 numpy divided by 255, float32 policy,
``model.fit(x, y, batch_size=128)`` with sparse labels. Project: ``core.pipeline`` uint8
tf.data, in-model Rescaling, one-hot labels and ``choose_precision("auto")``.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from bench.common import (
    SYNTHETIC_NOTE,
    Table,
    interleave,
    median,
    synthetic_cifar100,
)

BATCH = 128  # seed: batch 128


class _EpochClock(keras.callbacks.Callback):
    """Seconds from the start to the end of the (single) epoch of a fit call."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds = time.perf_counter() - self._start


def _epoch_seconds(
    model: keras.Model, data: object, labels: object = None, batch_size: int = BATCH
) -> float:
    clock = _EpochClock()
    if labels is None:  # a tf.data pipeline: it shuffles itself, as in core.training
        model.fit(data, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
    else:
        model.fit(data, labels, batch_size=batch_size, epochs=1, verbose=0, callbacks=[clock])
    return clock.seconds


def build_baseline(name: str, input_shape: tuple[int, int, int], num_classes: int):
    """The seed's setup: float32 policy, Adam, sparse labels, inputs already in [0, 1]."""
    from core.models import build_model

    keras.mixed_precision.set_global_policy("float32")
    model = build_model(name, input_shape, num_classes)
    model.get_layer("rescale").scale = 1.0  # the seed divides by 255 in numpy instead
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_project(name: str, input_shape: tuple[int, int, int], num_classes: int):
    """The project's setup: the auto precision and the compile call of core.training."""
    from core.config import TrainConfig
    from core.models import build_model
    from core.training import choose_precision, compile_model

    precision = choose_precision("auto")
    keras.mixed_precision.set_global_policy(precision)
    try:
        model = build_model(name, input_shape, num_classes)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    compile_model(model, TrainConfig(model=name).resolved(), steps_total=10_000)
    return model, precision


def measure(
    name: str, x: np.ndarray, y: np.ndarray, *, reps: int, batch_size: int = BATCH
) -> dict[str, object]:
    """Interleaved epochs over (x, y) of both setups; medians of images/s and their ratio."""
    from core.pipeline import make_dataset

    num_classes = 100
    x_float = x.astype("float32") / 255  # seed-style: the whole set as float32
    baseline = build_baseline(name, x.shape[1:], num_classes)
    project, precision = build_project(name, x.shape[1:], num_classes)
    warm = 2 * batch_size + len(x) % batch_size  # traces full and partial batches
    _epoch_seconds(baseline, x_float[:warm], y[:warm], batch_size)
    _epoch_seconds(
        project,
        make_dataset(x[:warm], y[:warm], num_classes=100, batch_size=batch_size, training=True),
    )
    data = make_dataset(x, y, num_classes=num_classes, batch_size=batch_size, training=True)
    base, cand = interleave(
        lambda: _epoch_seconds(baseline, x_float, y, batch_size),
        lambda: _epoch_seconds(project, data),
        reps,
    )
    base_rate, cand_rate = len(x) / median(base), len(x) / median(cand)
    return {
        "baseline": base_rate,
        "project": cand_rate,
        "ratio": cand_rate / base_rate,
        "precision": precision,
    }


def measure_fast(x: np.ndarray, y: np.ndarray, *, steps: int, reps: int) -> dict[str, float]:
    """cnn_fast vs cnn_seed, both on the project's path, each with its preset's recipe."""
    from core.pipeline import make_dataset
    from core.presets import get_preset

    models, data = {}, {}
    for name in ("cnn_seed", "cnn_fast"):
        preset = get_preset(name)
        model, _ = build_project(name, x.shape[1:], 100)
        n = steps * preset.batch_size
        kwargs = {"num_classes": 100, "batch_size": preset.batch_size, "training": True}
        _epoch_seconds(model, make_dataset(x[:n], y[:n], augment=preset.augment, **kwargs).take(2))
        models[name] = model
        data[name] = (n, make_dataset(x[:n], y[:n], augment=preset.augment, **kwargs))
    seed, fast = interleave(
        lambda: data["cnn_seed"][0] / _epoch_seconds(models["cnn_seed"], data["cnn_seed"][1]),
        lambda: data["cnn_fast"][0] / _epoch_seconds(models["cnn_fast"], data["cnn_fast"][1]),
        reps,
    )
    return {"cnn_seed": median(seed), "cnn_fast": median(fast)}


def run(quick: bool = False) -> Table:
    """mlp_seed over whole 50k epochs; cnn_seed over a fixed number of steps."""
    if quick:
        plan = {"mlp_seed": (512, 1), "cnn_seed": (64, 1)}
        batch_size, n_total = 32, 512
    else:
        plan = {"mlp_seed": (50_000, 3), "cnn_seed": (40 * BATCH, 3)}
        batch_size, n_total = BATCH, 50_000
    x, y = synthetic_cifar100(n_total)
    table = Table(
        "Training throughput (images/s), project path vs seed-style baseline",
        "python -m bench training" + (" --quick" if quick else ""),
        ["model", "images/epoch", "reps", "baseline img/s", "project img/s", "ratio", "precision"],
    )
    for name, (n, reps) in plan.items():
        result = measure(name, x[:n], y[:n], reps=reps, batch_size=batch_size)
        table.rows.append(
            [name, n, reps, result["baseline"], result["project"],
             f"{result['ratio']:.2f}x", result["precision"]]
        )  # fmt: skip
    fast = measure_fast(x, y, steps=2 if quick else 40, reps=1 if quick else 3)
    table.rows.append(
        ["cnn_fast vs cnn_seed (both project path)", "-", 1 if quick else 3, fast["cnn_seed"],
         fast["cnn_fast"], f"{fast['cnn_fast'] / fast['cnn_seed']:.2f}x", "auto"]
    )  # fmt: skip
    table.notes += [
        SYNTHETIC_NOTE,
        "Last row: cnn_seed and cnn_fast both through the project path, each with its preset's "
        "recipe (batch size, augmentation, label smoothing), 40 steps per timed epoch; the "
        "'baseline' column is cnn_seed there.",
        f"Batch {batch_size}. Medians of interleaved epochs (baseline, project, ...) after "
        "a warm-up fit; each epoch timed from on_epoch_begin to on_epoch_end.",
        "cnn_seed: an 'epoch' is a fixed slice of "
        f"{plan['cnn_seed'][0]} images ({plan['cnn_seed'][0] // batch_size} steps), "
        "not the full 50k (about 10 min per epoch here).",
        "Baseline: x.astype('float32') / 255, float32 policy, model.fit(x, y, "
        "batch_size=128), sparse labels (the model's Rescaling set to 1). Project: "
        "core.pipeline.make_dataset (uint8, shuffled), one-hot labels, "
        "choose_precision('auto').",
    ]
    return table
