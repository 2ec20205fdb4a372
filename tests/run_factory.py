"""``write_run``: run folders built without training, so page tests take milliseconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import write_json_atomic, write_text_atomic
from core.evaluation import Evaluation, confusion_matrix, write_evaluation
from core.presets import get_preset


def write_run(
    models_dir: Path,
    run_id: str,
    *,
    model: str = "mlp_seed",
    dataset: str = "cifar100",
    status: str = "completed",
    test_accuracy: float = 0.3,
    epochs: int = 3,
    num_classes: int = 100,
    test_images: int = 200,
    seed: int = 0,
    **extra: Any,
) -> Path:
    """A run folder with run.json, history.csv and eval.npz whose accuracy is about as asked."""
    rng = np.random.default_rng(seed)
    path = models_dir / run_id
    path.mkdir(parents=True)
    y_true = np.arange(test_images) % num_classes
    correct = rng.random(test_images) < test_accuracy
    y_pred = np.where(
        correct, y_true, (y_true + rng.integers(1, num_classes, test_images)) % num_classes
    )
    probs = rng.random((test_images, num_classes)).astype(np.float32) * 0.5
    probs[np.arange(test_images), y_pred] += 1.0
    probs /= probs.sum(axis=1, keepdims=True)
    evaluation = Evaluation(y_true, probs, confusion_matrix(y_true, y_pred, num_classes))
    history = ["epoch,accuracy,epoch_time,images_per_s,loss,top5,val_accuracy,val_loss,val_top5"]
    for epoch in range(epochs):
        acc = test_accuracy * (epoch + 1) / epochs
        history.append(
            f"{epoch},{acc + 0.1:.4f},2.0,500.0,{3 - acc:.4f},{acc + 0.3:.4f},"
            f"{acc:.4f},{3.2 - acc:.4f},{acc + 0.25:.4f}"
        )
    write_text_atomic(path / "history.csv", "\n".join(history) + "\n")
    metrics = {
        **evaluation.metrics(),
        "epochs": epochs,
        "wall_time_s": 2.0 * epochs,
        "images_per_s": 500.0,
        "train_accuracy": test_accuracy + 0.1,
        "train_loss": 2.0,
    }
    data: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "created": f"2026-01-01T00:00:{len(list(models_dir.iterdir())):02d}+00:00",
        "config": {"model": model, "dataset": dataset, "epochs": epochs, "batch_size": 128},
        "model": {"name": model, "family": get_preset(model).family, "params": 1000},
        "metrics": metrics if status == "completed" else {},
        **extra,
    }
    if status == "completed":
        write_evaluation(path, evaluation)
    write_json_atomic(path / "run.json", data)
    return path
