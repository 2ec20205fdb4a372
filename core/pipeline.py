"""tf.data input pipelines: uint8 images in, batches out; augmentation with Keras layers."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def augmentation(input_shape: tuple[int, int, int], seed: int = 0) -> keras.Sequential:
    """Random horizontal flip and a shift of up to 4 pixels (the crop of the CIFAR literature).

    Flips are left out for one-channel datasets, whose digits and garments have a handedness.
    """
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


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_classes: int,
    batch_size: int,
    training: bool,
    augment: bool = False,
    seed: int = 0,
) -> tf.data.Dataset:
    """Batches of (uint8 images, one-hot float labels); shuffled and augmented when training.

    Images stay uint8 until the model's own Rescaling layer, so the pipeline never holds a
    float copy of the set.
    """
    data = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    if training:
        data = data.shuffle(min(len(x), 20_000), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if training and augment:
        augment_layer = augmentation(tuple(x.shape[1:]), seed)
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
