"""TrainConfig and train(config) -> run folder, with Keras' callbacks doing the bookkeeping."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from core.atomic import clean_temp_files
from core.callbacks import (
    AtomicCheckpoint,
    EpochTimer,
    ProgressWriter,
    StopOnSignal,
    save_model_atomic,
)
from core.config import TrainConfig
from core.datasets import get_spec, load_dataset, make_splits
from core.evaluation import evaluate_model, summary_metrics, write_evaluation
from core.models import build_model, total_macs
from core.optimizers import FusedAdam
from core.pipeline import make_dataset
from core.presets import get_preset
from core.runs import (
    BACKUP_DIR,
    HISTORY_FILE,
    MODEL_FILE,
    RUN_FILE,
    create_run,
    read_history,
    read_json,
    sha256_file,
    update_run,
    utc_now,
)
from core.settings import load_settings


def cpu_supports_bfloat16() -> bool:
    """Whether this CPU has native bfloat16 matrix instructions (AVX512_BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_precision(requested: str) -> str:
    """Resolve ``auto``: mixed float16 on a GPU, bfloat16 on a CPU that has it, else float32."""
    if requested != "auto":
        return requested
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_supports_bfloat16() else "float32"


def make_strategy(name: str, devices: list[str] | None = None) -> tf.distribute.Strategy:
    """A tf.distribute strategy by name.

    ``default``: one device, or every local GPU when there are several; ``mirrored``: all
    local GPUs, or ``devices``; ``multi-worker``: the cluster described by ``TF_CONFIG``.
    """
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()  # several GPUs: use them all, no flag needed
    return tf.distribute.get_strategy()


def _optimizer(config: TrainConfig, steps_total: int) -> keras.optimizers.Optimizer:
    preset = get_preset(config.model)
    rate: float | keras.optimizers.schedules.LearningRateSchedule = config.learning_rate
    if preset.lr_schedule == "linear":
        rate = keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate, decay_steps=max(steps_total, 1), end_learning_rate=0.0
        )
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=0.9, nesterov=True)
    optimizer_class = {
        "adam": FusedAdam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
    }[config.optimizer]
    return optimizer_class(rate)


def compile_model(model: keras.Model, config: TrainConfig, steps_total: int) -> None:
    """Compile as training does: the preset's optimizer and schedule, one-hot loss, top-5.

    ``config`` must be resolved (``TrainConfig.resolved()``).
    """
    model.compile(
        optimizer=_optimizer(config, steps_total),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(k=5, name="top5"),
        ],
    )


def _versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
    }


def train(
    config: TrainConfig,
    *,
    models_dir: Path | None = None,
    run_path: Path | None = None,
    verbose: int | str = "auto",
    strategy: tf.distribute.Strategy | None = None,
) -> Path:
    """Train one model and return its run folder (status completed, cancelled or failed).

    Given an existing ``run_path`` (queued by ``core.jobs`` or interrupted), it trains into
    that folder, resuming from ``backup/`` when there is one.
    """
    config.validate()
    stopper = StopOnSignal()
    if run_path is None:
        run_path = create_run(models_dir or load_settings().models_dir, config.to_dict())
    clean_temp_files(run_path)
    previous = read_json(run_path / RUN_FILE) or {}
    update_run(
        run_path,
        status="running",
        pid=os.getpid(),
        started=previous.get("started") or utc_now(),
        resumed=bool(previous.get("started")),
        error=None,
        versions=_versions(),
    )
    try:
        completed = _train_into(run_path, config.resolved(), stopper, verbose, strategy)
    except BaseException as error:
        status = "cancelled" if stopper.received is not None else "failed"
        update_run(
            run_path, status=status, error=f"{type(error).__name__}: {error}", finished=utc_now()
        )
        raise
    if not completed:
        update_run(
            run_path,
            status="cancelled",
            finished=utc_now(),
            error="Cancelled: history and best checkpoint kept.",
        )
    return run_path


def _train_into(
    run_path: Path,
    config: TrainConfig,
    stopper: StopOnSignal,
    verbose: int | str,
    strategy: tf.distribute.Strategy | None,
) -> bool:
    spec = get_spec(config.dataset)
    dataset = load_dataset(config.dataset, Path(config.data_path) if config.data_path else None)
    splits = make_splits(dataset, val_size=config.val_size, subset=config.subset, seed=config.seed)
    if stopper.received is not None:
        return False

    precision = choose_precision(config.precision)
    keras.mixed_precision.set_global_policy(precision)
    keras.utils.set_random_seed(config.seed)
    strategy = strategy or make_strategy(config.strategy)
    steps = int(np.ceil(len(splits.y_train) / config.batch_size))
    with strategy.scope():
        model = build_model(config.model, spec.input_shape, spec.num_classes, config.dropout)
        compile_model(model, config, steps * config.epochs)
    update_run(
        run_path,
        resolved_config=config.to_dict(),
        precision=precision,
        strategy=f"{config.strategy} ({strategy.num_replicas_in_sync} replica(s))",
        dataset={
            "name": spec.name,
            "title": spec.title,
            "source": dataset.source,
            "fingerprint": dataset.fingerprint(),
            "train_images": len(splits.y_train),
            "val_images": len(splits.y_val),
            "test_images": len(splits.y_test),
        },
        model={
            "name": config.model,
            "family": get_preset(config.model).family,
            "params": model.count_params(),
            "macs": total_macs(model),
        },
    )

    has_val = len(splits.y_val) > 0
    monitor = "val_loss" if has_val else "loss"
    # Order matters: the timer adds its columns before CSVLogger writes the row, and the
    # history row is written before the backup, so a kill in between repeats an epoch
    # (read_history keeps the last) rather than losing its row.
    callbacks: list[keras.callbacks.Callback] = [
        EpochTimer(len(splits.y_train)),
        keras.callbacks.CSVLogger(str(run_path / HISTORY_FILE), append=True),
        keras.callbacks.BackupAndRestore(str(run_path / BACKUP_DIR), double_checkpoint=True),
        AtomicCheckpoint(run_path / MODEL_FILE, monitor=monitor),
        ProgressWriter(
            run_path, epochs=config.epochs, steps_per_epoch=steps, batch_size=config.batch_size
        ),
        stopper,
    ]
    if config.early_stopping != "off":
        # seed: EarlyStopping(monitor='loss', patience=5 or 3, restore_best_weights=True)
        watch = "loss" if config.early_stopping == "seed" else monitor
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=watch, patience=config.patience, restore_best_weights=True
            )
        )

    def pipeline(x: np.ndarray, y: np.ndarray, training: bool):
        return make_dataset(
            x,
            y,
            num_classes=spec.num_classes,
            batch_size=config.batch_size,
            training=training,
            augment=bool(config.augment) and training,
            seed=config.seed,
            repeat=training,
        )

    started = time.perf_counter()
    model.fit(
        pipeline(splits.x_train, splits.y_train, True),
        validation_data=pipeline(splits.x_val, splits.y_val, False) if has_val else None,
        epochs=config.epochs,
        steps_per_epoch=steps,
        shuffle=False,  # the pipeline shuffles
        callbacks=callbacks,
        verbose=verbose,
    )
    if stopper.received is not None:
        return False
    fit_seconds = time.perf_counter() - started

    save_model_atomic(model, run_path / MODEL_FILE)
    evaluation = evaluate_model(model, splits.x_test, splits.y_test, spec)
    write_evaluation(run_path, evaluation)
    update_run(
        run_path,
        status="completed",
        finished=utc_now(),
        model_sha256=sha256_file(run_path / MODEL_FILE),
        metrics={**summary_metrics(evaluation, spec), **_history_metrics(run_path, fit_seconds)},
    )
    return True


def _history_metrics(run_path: Path, fit_seconds: float) -> dict[str, Any]:
    """Train/val figures of the last epoch, epochs run, wall time and images/s."""
    history = read_history(run_path)
    if history.empty:
        return {"wall_time_s": fit_seconds}
    last = history.iloc[-1]
    metrics: dict[str, Any] = {
        "epochs": int(history["epoch"].max()),
        "wall_time_s": float(history["epoch_time"].sum())
        if "epoch_time" in history
        else fit_seconds,
    }
    for column in ("loss", "accuracy", "top5", "val_loss", "val_accuracy", "val_top5"):
        if column in history:
            key = column if column.startswith("val_") else f"train_{column}"
            metrics[key] = float(last[column])
    if "images_per_s" in history:
        warm = history["images_per_s"].iloc[1:] if len(history) > 1 else history["images_per_s"]
        metrics["images_per_s"] = float(warm.median())
    if "val_loss" in history and history["val_loss"].notna().any():
        metrics["best_epoch"] = int(history.loc[history["val_loss"].idxmin(), "epoch"])
    return metrics
