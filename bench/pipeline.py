"""Input pipeline alone: images/s of iterating one epoch, the current pipeline vs the first one.

The first version (kept below as ``make_dataset_before``) copied the set with
``from_tensor_slices``, shuffled images in a 20,000-image buffer and augmented with Keras'
RandomFlip/RandomTranslation on float32 copies of each batch. The current one shuffles
indices, gathers uint8 batches from the caller's array and flips/crops on uint8.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from bench.common import SYNTHETIC_NOTE, Table, median, synthetic_cifar100

AUTOTUNE = tf.data.AUTOTUNE


def _augmentation_before(input_shape: tuple[int, int, int], seed: int = 0) -> keras.Sequential:
    height, width, channels = input_shape
    steps: list[keras.layers.Layer] = []
    if channels == 3:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed))
    steps.append(
        keras.layers.RandomTranslation(
            4 / height, 4 / width, fill_mode="constant", interpolation="nearest", seed=seed
        )
    )
    return keras.Sequential(steps, name="augmentation")


def make_dataset_before(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_classes: int,
    batch_size: int,
    training: bool,
    augment: bool = False,
    seed: int = 0,
) -> tf.data.Dataset:
    """The first core.pipeline.make_dataset (commit fee1441), for comparison."""
    data = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    if training:
        data = data.shuffle(min(len(x), 20_000), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if training and augment:
        augment_layer = _augmentation_before(tuple(x.shape[1:]), seed)
        data = data.map(
            lambda images, labels: (
                tf.cast(augment_layer(tf.cast(images, tf.float32), training=True), tf.uint8),
                labels,
            ),
            num_parallel_calls=AUTOTUNE,
        )
    data = data.map(
        lambda images, labels: (images, tf.one_hot(labels, num_classes)),
        num_parallel_calls=AUTOTUNE,
    )
    return data.prefetch(AUTOTUNE)


def _epoch_seconds(data: tf.data.Dataset) -> float:
    start = time.perf_counter()
    for _ in data:
        pass
    return time.perf_counter() - start


def run(quick: bool = False) -> Table:
    """Interleaved epochs of both pipelines, without and with augmentation."""
    from core.pipeline import make_dataset

    n, reps, batch_size = (1_024, 1, 128) if quick else (50_000, 5, 128)
    x, y = synthetic_cifar100(n)
    table = Table(
        "Input pipeline alone: images/s per epoch (no model)",
        "python -m bench pipeline" + (" --quick" if quick else ""),
        ["augment", "first pipeline img/s", "current img/s", "ratio"],
    )
    for augment in (False, True):
        kwargs = {"num_classes": 100, "batch_size": batch_size, "training": True}
        before = make_dataset_before(x, y, augment=augment, **kwargs)
        after = make_dataset(x, y, augment=augment, **kwargs)
        _epoch_seconds(before.take(3))
        _epoch_seconds(after.take(3))
        samples: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(reps):
            samples["before"].append(_epoch_seconds(before))
            samples["after"].append(_epoch_seconds(after))
        rate_before, rate_after = n / median(samples["before"]), n / median(samples["after"])
        table.rows.append(
            ["flip + 4px shift" if augment else "none", rate_before, rate_after,
             f"{rate_after / rate_before:.2f}x"]
        )  # fmt: skip
    table.notes += [
        SYNTHETIC_NOTE,
        f"{n} images, batch {batch_size}, {reps} interleaved epoch(s) each, medians. "
        "For scale: cnn_seed trains at about 100-150 images/s here, cnn_fast at about "
        "1,000-1,500, mlp_seed at 5,000-10,000.",
    ]
    return table
