"""Test-set metrics: loss, accuracy, top-5, per-class and per-superclass accuracy, confusion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from core.atomic import write_atomic
from core.datasets import DatasetSpec
from core.pipeline import make_dataset
from core.runs import EVAL_FILE


@dataclass(frozen=True)
class Evaluation:
    """Test labels, predicted probabilities and the confusion matrix of one model."""

    y_true: np.ndarray  # (N,) int
    probs: np.ndarray  # (N, num_classes) float
    confusion: np.ndarray  # (num_classes, num_classes) int, rows true, columns predicted

    @property
    def y_pred(self) -> np.ndarray:
        """The top-1 predicted class of each test image."""
        return self.probs.argmax(axis=1)

    def metrics(self) -> dict[str, float]:
        """Test loss, accuracy and top-5 accuracy."""
        n = len(self.y_true)
        true_probs = self.probs[np.arange(n), self.y_true].astype(np.float64)
        top5 = np.argsort(self.probs, axis=1)[:, -5:]
        return {
            "test_loss": float(-np.log(np.clip(true_probs, 1e-7, 1.0)).mean()),
            "test_accuracy": float((self.y_pred == self.y_true).mean()),
            "test_top5": float((top5 == self.y_true[:, None]).any(axis=1).mean()),
            "test_images": n,
        }


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs; rows are true classes."""
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each class (NaN for a class with no test images)."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)


def superclass_confusion(confusion: np.ndarray, fine_to_coarse: tuple[int, ...]) -> np.ndarray:
    """Fold a fine confusion matrix into superclasses (rows true, columns predicted)."""
    mapping = np.asarray(fine_to_coarse)
    num_coarse = int(mapping.max()) + 1
    folded = np.zeros((num_coarse, num_coarse), dtype=confusion.dtype)
    np.add.at(folded, (mapping[:, None], mapping[None, :]), confusion)
    return folded


def most_confused_pairs(confusion: np.ndarray, k: int = 10) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as (true class, predicted class, count)."""
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    order = np.argsort(off_diagonal, axis=None)[::-1][:k]
    pairs = [divmod(int(index), confusion.shape[1]) for index in order]
    return [
        (true, pred, int(off_diagonal[true, pred]))
        for true, pred in pairs
        if off_diagonal[true, pred] > 0
    ]


def evaluate_model(
    model: keras.Model,
    x_test: np.ndarray,
    y_test: np.ndarray,
    spec: DatasetSpec,
    batch_size: int = 256,
) -> Evaluation:
    """Predict the whole test set in batches and tabulate the results."""
    data = make_dataset(
        x_test, y_test, num_classes=spec.num_classes, batch_size=batch_size, training=False
    ).map(lambda images, labels: images)
    probs = model.predict(data, verbose=0).astype(np.float32)
    y_true = y_test.astype(np.int64)
    return Evaluation(y_true, probs, confusion_matrix(y_true, probs.argmax(1), spec.num_classes))


def summary_metrics(evaluation: Evaluation, spec: DatasetSpec) -> dict[str, Any]:
    """Metrics for ``run.json``: test metrics plus per-superclass accuracy when there is one."""
    metrics: dict[str, Any] = evaluation.metrics()
    if spec.fine_to_coarse is not None and spec.superclass_names is not None:
        coarse = superclass_confusion(evaluation.confusion, spec.fine_to_coarse)
        metrics["test_superclass_accuracy"] = float(np.trace(coarse) / coarse.sum())
    return metrics


def write_evaluation(run_path: Path, evaluation: Evaluation) -> None:
    """Save ``eval.npz`` atomically (probabilities as float16 to keep it small)."""

    def save(temp: Path) -> None:
        with open(temp, "wb") as handle:
            np.savez_compressed(
                handle,
                y_true=evaluation.y_true.astype(np.int16),
                probs=evaluation.probs.astype(np.float16),
                confusion=evaluation.confusion.astype(np.int32),
            )

    write_atomic(run_path / EVAL_FILE, save)


def read_evaluation(run_path: Path) -> Evaluation | None:
    """Load ``eval.npz``; None when it is missing or unreadable."""
    try:
        with np.load(run_path / EVAL_FILE, allow_pickle=False) as data:
            return Evaluation(
                data["y_true"].astype(np.int64),
                data["probs"].astype(np.float32),
                data["confusion"].astype(np.int64),
            )
    except (OSError, ValueError, KeyError, EOFError):
        return None
