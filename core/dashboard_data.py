"""UI-free tables and text behind the dashboard pages: plain arrays in, DataFrames out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.datasets import DatasetSpec
from core.evaluation import most_confused_pairs, per_class_accuracy, superclass_confusion
from core.runs import RunInfo

# seed: test accuracy 0.2702 (MLP) and 0.4867 (CNN), the student project's reported results.
SEED_ACCURACY = {"mlp": 0.2702, "cnn": 0.4867}
# seed: 3,828,580 and 6,962,660 parameters on CIFAR-100 (SEED.md's layer tables).
SEED_PARAMS = {"mlp_seed": 3_828_580, "cnn_seed": 6_962_660}


def format_duration(seconds: float | None) -> str:
    """``75`` -> ``1 min 15 s``; ``None`` -> ``?``."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(value: float | None, digits: int = 1) -> str:
    """``0.2702`` -> ``27.0%``; ``None`` -> an em dash."""
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.{digits}f}%"


def plural(n: int, word: str) -> str:
    """``1, "epoch"`` -> ``1 epoch``; ``30, "epoch"`` -> ``30 epochs`` (regular plurals only)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def train_images(total: int, val_size: int, subset: float) -> int:
    """Training images left after the validation split and the subset fraction."""
    remaining = max(total - val_size, 1)
    return max(1, round(remaining * subset)) if subset < 1 else remaining


def train_test_gap(metrics: Mapping[str, Any]) -> float | None:
    """Training accuracy minus test accuracy (the overfitting gap), when both are known."""
    train, test = metrics.get("train_accuracy"), metrics.get("test_accuracy")
    return None if train is None or test is None else float(train) - float(test)


def runs_frame(runs: Iterable[RunInfo]) -> pd.DataFrame:
    """One row per run: status and the headline metrics, in fractions and seconds."""
    rows = []
    for run in runs:
        metrics = run.metrics
        rows.append(
            {
                "run": run.run_id,
                "model": run.model_name,
                "family": run.family,
                "dataset": run.dataset,
                "status": run.status,
                "test accuracy": metrics.get("test_accuracy"),
                "top-5": metrics.get("test_top5"),
                "test loss": metrics.get("test_loss"),
                "train-test gap": train_test_gap(metrics),
                "epochs": metrics.get("epochs"),
                "wall time (s)": metrics.get("wall_time_s"),
                "params": run.data.get("model", {}).get("params"),
                "images/s": metrics.get("images_per_s"),
                "precision": run.data.get("precision"),
                "problem": run.problem or run.data.get("error"),
            }
        )
    columns = ["run", "model", "family", "dataset", "status", "test accuracy", "top-5"]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def _class_rows(spec: DatasetSpec) -> pd.DataFrame:
    superclass = (
        [spec.superclass_names[c].replace("_", " ") for c in spec.fine_to_coarse]
        if spec.fine_to_coarse is not None and spec.superclass_names is not None
        else [""] * spec.num_classes
    )
    return pd.DataFrame(
        {
            "class_id": np.arange(spec.num_classes),
            "class": [spec.display_name(i) for i in range(spec.num_classes)],
            "superclass": superclass,
        }
    )


def per_class_frame(confusions: Mapping[str, np.ndarray], spec: DatasetSpec) -> pd.DataFrame:
    """Long table: run, class_id, class, superclass, accuracy, test images."""
    frames = []
    for label, confusion in confusions.items():
        frame = _class_rows(spec)
        frame.insert(0, "run", label)
        frame["accuracy"] = per_class_accuracy(confusion)
        frame["test images"] = confusion.sum(axis=1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def per_superclass_frame(
    confusions: Mapping[str, np.ndarray], spec: DatasetSpec
) -> pd.DataFrame | None:
    """Long table: run, superclass, accuracy (a prediction counts if its superclass is right)."""
    if spec.fine_to_coarse is None or spec.superclass_names is None:
        return None
    rows = []
    for label, confusion in confusions.items():
        coarse = superclass_confusion(confusion, spec.fine_to_coarse)
        accuracy = per_class_accuracy(coarse)
        for index, name in enumerate(spec.superclass_names):
            rows.append(
                {"run": label, "superclass": name.replace("_", " "), "accuracy": accuracy[index]}
            )
    return pd.DataFrame(rows)


def confused_pairs_frame(confusion: np.ndarray, spec: DatasetSpec, k: int = 10) -> pd.DataFrame:
    """The ``k`` most frequent (true, predicted) mistakes, with the share of the true class."""
    totals = confusion.sum(axis=1)
    return pd.DataFrame(
        [
            {
                "true_id": true_id,
                "predicted_id": pred_id,
                "true class": spec.display_name(true_id),
                "predicted as": spec.display_name(pred_id),
                "count": count,
                "share of true class": count / totals[true_id] if totals[true_id] else 0.0,
            }
            for true_id, pred_id, count in most_confused_pairs(confusion, k)
        ]
    )


def summary_text(runs: Sequence[RunInfo], per_class: pd.DataFrame) -> str:
    """A few sentences on which run wins where, and by how much (Markdown)."""
    scored = [run for run in runs if run.test_accuracy is not None]
    if not scored:
        return "No evaluated run selected: pick completed runs to compare."
    ranked = sorted(scored, key=lambda run: run.test_accuracy or 0.0, reverse=True)
    best = ranked[0]
    if len(ranked) == 1:
        return (
            f"**{best.run_id}** reaches {percent(best.test_accuracy)} test accuracy. "
            "Select a second run to compare."
        )
    second = ranked[1]
    lead = 100 * ((best.test_accuracy or 0) - (second.test_accuracy or 0))
    lines = [
        f"**{best.run_id}** wins on test accuracy: {percent(best.test_accuracy)} against "
        f"{percent(second.test_accuracy)} for **{second.run_id}** ({lead:+.1f} points)."
    ]
    top5 = best.metrics.get("test_top5"), second.metrics.get("test_top5")
    if None not in top5:
        lines.append(
            f"Top-5 accuracy: {percent(top5[0])} against {percent(top5[1])} "
            f"({100 * (top5[0] - top5[1]):+.1f} points)."
        )
    if not per_class.empty and {best.run_id, second.run_id} <= set(per_class["run"]):
        wide = per_class.pivot_table(index="class", columns="run", values="accuracy")
        diff = (wide[best.run_id] - wide[second.run_id]).dropna()
        wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
        sentence = f"It is better on {wins} of {len(diff)} classes and worse on {losses}"
        if wins:
            sentence += (
                f"; its biggest lead is on *{diff.idxmax()}* ({100 * diff.max():+.0f} points)"
            )
        if losses:
            sentence += (
                f"; **{second.run_id}** does best against it on *{diff.idxmin()}* "
                f"({100 * -diff.min():+.0f} points)"
            )
        lines.append(sentence + ".")
    gaps = {run.run_id: train_test_gap(run.metrics) for run in ranked[:2]}
    gaps = {key: value for key, value in gaps.items() if value is not None}
    if gaps:
        worst = max(gaps, key=lambda key: gaps[key])
        lines.append(
            f"**{worst}** overfits most: its training accuracy is "
            f"{100 * gaps[worst]:.1f} points above its test accuracy."
        )
    speeds = [run.metrics.get("images_per_s") for run in ranked[:2]]
    if None not in speeds and min(speeds) > 0:
        fast = 0 if speeds[0] >= speeds[1] else 1
        lines.append(
            f"**{ranked[fast].run_id}** trains {speeds[fast] / speeds[1 - fast]:.1f}x faster "
            f"({speeds[fast]:,.0f} against {speeds[1 - fast]:,.0f} images/s)."
        )
    return " ".join(lines)


# --- dataset tables ----------------------------------------------------------------------


def hierarchy_frame(spec: DatasetSpec) -> pd.DataFrame | None:
    """Superclass and class of every class (None for a dataset without superclasses)."""
    if spec.fine_to_coarse is None:
        return None
    return _class_rows(spec)[["superclass", "class", "class_id"]]


def class_counts_frame(spec: DatasetSpec, y_train: np.ndarray, y_test: np.ndarray) -> pd.DataFrame:
    """Images per class and split (long: class_id, class, superclass, split, images)."""
    frames = []
    for split, labels in (("train", y_train), ("test", y_test)):
        frame = _class_rows(spec)
        frame["split"] = split
        frame["images"] = np.bincount(labels, minlength=spec.num_classes)[: spec.num_classes]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def superclass_counts_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """Images per superclass and split, from ``class_counts_frame``."""
    return counts.groupby(["superclass", "split"], as_index=False)["images"].sum()


def mean_images(x: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """The average image of each class, uint8 (classes without images stay black)."""
    means = np.zeros((num_classes, *x.shape[1:]), dtype=np.uint8)
    for class_id in range(num_classes):
        members = x[y == class_id]
        if len(members):
            means[class_id] = np.round(members.mean(axis=0, dtype=np.float64)).astype(np.uint8)
    return means


def channel_stats(x: np.ndarray, chunk: int = 4096) -> pd.DataFrame:
    """Mean and standard deviation per channel on the 0-255 scale, in chunks (no float copy)."""
    channels = x.shape[-1]
    total = np.zeros(channels)
    squares = np.zeros(channels)
    count = 0
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk].reshape(-1, channels).astype(np.float64)
        total += block.sum(axis=0)
        squares += (block**2).sum(axis=0)
        count += len(block)
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(squares / max(count, 1) - mean**2, 0.0))
    names = ["red", "green", "blue"] if channels == 3 else ["grey"]
    return pd.DataFrame({"channel": names, "mean": mean, "std": std})


def pixel_histogram(x: np.ndarray) -> pd.DataFrame:
    """Share of pixels at each value 0-255, per channel (long: channel, value, share)."""
    names = ["red", "green", "blue"] if x.shape[-1] == 3 else ["grey"]
    frames = []
    for index, name in enumerate(names):
        counts = np.bincount(x[..., index].ravel(), minlength=256)
        frames.append(
            pd.DataFrame({"channel": name, "value": np.arange(256), "share": counts / counts.sum()})
        )
    return pd.concat(frames, ignore_index=True)


def sample_indices(y: np.ndarray, class_ids: Sequence[int], n: int, seed: int = 0) -> np.ndarray:
    """Up to ``n`` random indices of images whose label is in ``class_ids``."""
    pool = np.flatnonzero(np.isin(y, list(class_ids)))
    if len(pool) == 0:
        return pool
    return np.random.default_rng(seed).choice(pool, size=min(n, len(pool)), replace=False)


def misclassified_indices(
    y_true: np.ndarray, y_pred: np.ndarray, n: int, seed: int = 0
) -> np.ndarray:
    """Up to ``n`` random test indices the model got wrong, in index order."""
    wrong = np.flatnonzero(y_true != y_pred)
    if len(wrong) > n:
        wrong = np.sort(np.random.default_rng(seed).choice(wrong, size=n, replace=False))
    return wrong


def pair_indices(
    y_true: np.ndarray, y_pred: np.ndarray, true_id: int, pred_id: int, n: int = 6
) -> np.ndarray:
    """Test indices of class ``true_id`` predicted as ``pred_id`` (the first ``n``)."""
    return np.flatnonzero((y_true == true_id) & (y_pred == pred_id))[:n]


def crisp(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale by a whole factor, grey made RGB: every pixel a sharp square."""
    image = image.repeat(factor, axis=0).repeat(factor, axis=1)
    return np.repeat(image, 3, axis=2) if image.shape[-1] == 1 else image


def layers_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """A model's layer table (``core.models.LayerRow``s) with each layer's share of weights."""
    frame = pd.DataFrame(
        {
            "layer": [row.name for row in rows],
            "type": [row.type for row in rows],
            "output shape": [str(tuple(row.output_shape)) for row in rows],
            "output values": [math.prod(d for d in row.output_shape if d) for row in rows],
            "params": [int(row.params) for row in rows],
            "multiply-adds": [int(row.macs) for row in rows],
        }
    )
    total = frame["params"].sum()
    frame["share of params"] = frame["params"] / total if total else 0.0
    return frame
