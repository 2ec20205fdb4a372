"""Our few custom Keras callbacks: progress writer, stop on signal, atomic checkpoint, timer.

Everything else (CSV history, backup and restore, early stopping) is Keras' own.
"""

from __future__ import annotations

import math
import signal
import time
from pathlib import Path

import keras

from core.atomic import write_atomic, write_json_atomic
from core.runs import PROGRESS_FILE


class EpochTimer(keras.callbacks.Callback):
    """Adds ``epoch_time`` (seconds) and ``images_per_s`` to each epoch's logs.

    Register it before ``CSVLogger`` so both columns land in ``history.csv``.
    """

    def __init__(self, train_size: int) -> None:
        super().__init__()
        self.train_size = train_size
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            elapsed = time.perf_counter() - self._started
            logs["epoch_time"] = elapsed
            logs["images_per_s"] = self.train_size / elapsed if elapsed > 0 else 0.0


class ProgressWriter(keras.callbacks.Callback):
    """Writes ``progress.json`` every few batches: epoch, batch, loss, accuracy, speed, ETA."""

    def __init__(
        self,
        run_path: Path,
        *,
        epochs: int,
        steps_per_epoch: int,
        batch_size: int,
        every_s: float = 1.0,
    ) -> None:
        super().__init__()
        self.path = run_path / PROGRESS_FILE
        self.epochs = epochs
        self.steps = steps_per_epoch
        self.batch_size = batch_size
        self.every_s = every_s
        self._epoch = 0
        self._epoch_started = 0.0
        self._last_write = 0.0
        self._epoch_seconds: list[float] = []
        self._last_epoch_logs: dict = {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        now = time.perf_counter()
        if now - self._last_write >= self.every_s or batch + 1 == self.steps:
            self._write(batch + 1, logs or {}, now)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_seconds.append(time.perf_counter() - self._epoch_started)
        self._last_epoch_logs = {key: _number(value) for key, value in (logs or {}).items()}
        self._write(self.steps, logs or {}, time.perf_counter(), epoch_done=True)

    def _write(self, batch: int, logs: dict, now: float, epoch_done: bool = False) -> None:
        elapsed = now - self._epoch_started
        images_per_s = batch * self.batch_size / elapsed if elapsed > 0 else 0.0
        if self._epoch_seconds:
            epoch_s = sum(self._epoch_seconds[-3:]) / len(self._epoch_seconds[-3:])
        else:
            epoch_s = elapsed * self.steps / max(batch, 1)
        epochs_left = self.epochs - self._epoch - (1 if epoch_done else 0)
        in_epoch_left = 0.0 if epoch_done else max(epoch_s - elapsed, 0.0)
        eta_s = in_epoch_left + max(epochs_left - (0 if epoch_done else 1), 0) * epoch_s
        write_json_atomic(
            self.path,
            {
                "epoch": self._epoch + 1,
                "epochs": self.epochs,
                "batch": batch,
                "steps": self.steps,
                "loss": _number(logs.get("loss")),
                "accuracy": _number(logs.get("accuracy")),
                "images_per_s": images_per_s,
                "eta_s": eta_s,
                "last_epoch": self._last_epoch_logs,
                "time": time.time(),
            },
        )
        self._last_write = now


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class StopOnSignal(keras.callbacks.Callback):
    """Stops training at the end of the current batch after SIGTERM or SIGINT."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> None:
        super().__init__()
        self.received: int | None = None
        for signum in signals:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.received = signum

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.received is not None:
            self.model.stop_training = True


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the model when ``monitor`` improves: temp ``.keras`` beside it, fsync, rename.

    Keras' ``ModelCheckpoint`` writes straight to the final path, so a kill mid-save would
    leave a truncated model; here ``model.keras`` is always the previous good one or the new.
    """

    def __init__(self, path: Path, monitor: str = "val_loss") -> None:
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = _number((logs or {}).get(self.monitor))
        if value is not None and value < self.best:
            self.best, self.best_epoch = value, epoch + 1
            save_model_atomic(self.model, self.path)


def save_model_atomic(model: keras.Model, path: Path) -> None:
    """Save a Keras model so that ``path`` is never a truncated file."""
    write_atomic(path, lambda temp: model.save(temp))
