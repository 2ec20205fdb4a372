"""Shifted pictures: how much accuracy a model loses when every test image moves sideways.

A CNN slides the same filters over every position and pools their answers, so a picture
moved a few pixels gives it almost the same input; an MLP has one weight per pixel, so the
same move hands it a different input altogether and its accuracy drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from core.dashboard_data import percent
from core.inference import float32_copy
from core.model_files import ModelCorrupt, load_run_model
from core.training import choose_precision

SHIFTS = (0, 1, 2, 4, 6, 8)  # pixels; CIFAR's own augmentation shifts by up to 4
LIMIT = 1000  # test images per run: enough for a steady percentage, quick on a laptop


def shift_images(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move (N, H, W, C) images right by ``dx`` and down by ``dy`` pixels, filling with black.

    Negative values move left and up. Nothing wraps around; a shift as wide as the image
    leaves it all black. Always returns a new array of the same shape and dtype.
    """
    if x.ndim != 4:
        raise ValueError(f"`x` must be a batch of images (N, H, W, C). Received: shape={x.shape}.")
    shifted = np.zeros_like(x)
    height, width = x.shape[1:3]
    if abs(dx) >= width or abs(dy) >= height:
        return shifted
    rows_to, rows_from = _span(dy, height)
    cols_to, cols_from = _span(dx, width)
    shifted[:, rows_to, cols_to] = x[:, rows_from, cols_from]
    return shifted


def _span(offset: int, size: int) -> tuple[slice, slice]:
    """Destination and source slices along one axis for a move by ``offset`` pixels."""
    if offset >= 0:
        return slice(offset, size), slice(0, size - offset)
    return slice(0, size + offset), slice(-offset, size)


def accuracy_under_shift(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    shifts: Sequence[int] = SHIFTS,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Top-1 accuracy on ``x`` moved right by each shift: columns shift_px, accuracy, images."""
    labels = np.asarray(y, dtype=np.int64).reshape(-1)
    # One traced graph for every batch and shift: `model.predict` would build a new input
    # pipeline per call, which costs more than the tiny models' forward pass.
    forward = tf.function(
        lambda batch: model(batch, training=False),
        input_signature=[tf.TensorSpec((None, *x.shape[1:]), tf.float32)],
    )
    rows = []
    for shift in shifts:
        moved = shift_images(x, int(shift), 0)
        correct = 0
        for start in range(0, len(moved), batch_size):
            batch = tf.constant(moved[start : start + batch_size], dtype=tf.float32)
            predicted = np.argmax(forward(batch).numpy(), axis=1)
            correct += int((predicted == labels[start : start + batch_size]).sum())
        accuracy = correct / len(labels) if len(labels) else float("nan")
        rows.append({"shift_px": int(shift), "accuracy": accuracy, "images": len(labels)})
    return pd.DataFrame(rows, columns=["shift_px", "accuracy", "images"])


def shift_report(
    run_path: Path,
    x: np.ndarray,
    y: np.ndarray,
    shifts: Sequence[int] = SHIFTS,
    limit: int = LIMIT,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy per shift of a run's model on a fixed random sample of at most ``limit`` images.

    Raises ModelCorrupt when the model is missing, damaged, or built for other images.
    """
    model = native_precision(load_run_model(run_path))
    if tuple(model.input_shape[1:]) != tuple(x.shape[1:]):
        raise ModelCorrupt(
            f"{run_path.name}: model input shape {model.input_shape} does not match the test "
            f"images {(None, *x.shape[1:])}: retrain or delete the run."
        )
    sample = np.random.default_rng(seed).permutation(len(y))[:limit]
    sample.sort()  # in-order reads
    return accuracy_under_shift(model, x[sample], np.asarray(y)[sample], shifts)


def native_precision(model: keras.Model) -> keras.Model:
    """The model in its trained precision when this machine computes in it natively, else float32.

    Batches are where mixed precision pays: on this lab's 2-core CPU with bfloat16 matrix
    instructions the seed CNN predicts 1,000 images in 0.9 s in bfloat16 and 4.8 s in float32.
    A model trained in float16 on a GPU and opened on a CPU gets a float32 copy instead. The
    trained precision also makes the 0-pixel accuracy the one the run was evaluated with.
    """
    policies = {layer.dtype_policy.name for layer in model.layers} - {"float32"}
    if policies and policies != {choose_precision("auto")}:
        return float32_copy(model)
    return model


def shift_summary(table: pd.DataFrame, shift_px: int = 4) -> str:
    """One Markdown sentence on what a shift of ``shift_px`` pixels costs each run.

    ``table`` has columns run, shift_px, accuracy; each run is compared with its own
    smallest shift (0 in the dashboard). When ``shift_px`` was not measured, the largest
    measured shift is used.
    """
    if table.empty:
        return "No run could be measured on shifted pictures."
    measured = sorted(set(table["shift_px"]))
    shift = shift_px if shift_px in measured[1:] else measured[-1]
    clauses: list[str] = []
    kept: dict[str, float] = {}
    verb = ""
    for run, part in table.groupby("run", sort=False):
        part = part.sort_values("shift_px")
        before = float(part["accuracy"].iloc[0])
        after = part.loc[part["shift_px"] == shift, "accuracy"]
        if after.empty or part["shift_px"].iloc[0] == shift:
            continue
        after_value = float(after.iloc[0])
        points = round(100 * (before - after_value), 1)
        numbers = f"({percent(before)} → {percent(after_value)})"
        if points:
            # "costs A 13.0 points and B 3.0 points": the verb only when it changes
            new_verb = "costs" if points > 0 else "gains"
            said = f"**{run}** {abs(points):.1f} points {numbers}"
            clauses.append(said if new_verb == verb else f"{new_verb} {said}")
        else:
            new_verb = "changes nothing for"
            clauses.append(f"{new_verb} **{run}** {numbers}")
        verb = new_verb
        if before > 0:
            kept[str(run)] = after_value / before
    if not clauses:
        return "Measure at least two shifts to see what moving the pictures costs."
    pixels = "1 pixel" if shift == 1 else f"{shift} pixels"
    joined = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
    sentence = f"Moving the pictures {pixels} to the right {joined}."
    if len(kept) > 1:
        steady = max(kept, key=lambda run: kept[run])
        share = percent(kept[steady], 0)
        sentence += f" **{steady}** holds up best: it keeps {share} of its accuracy."
    return sentence
