"""tf.data input pipelines: uint8 images in, batches out; flips and crops on uint8 batches.

The pipeline shuffles and batches *indices* and gathers each batch's images from the
caller's numpy array, so it never copies the set: ``from_tensor_slices`` would copy it into
a tensor and a shuffle buffer of images would hold another large slice of it (measured with
``python -m bench pipeline``; see bench/README.md).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
PAD = 4  # pixels: the shift of the CIFAR literature's "pad 4, random crop"


def flip_and_crop(images: tf.Tensor, *, flip: bool = True, pad: int = PAD) -> tf.Tensor:
    """Random horizontal flips and random shifts of up to ``pad`` pixels (zero fill), on uint8.

    The shift is a random crop of the zero-padded batch, one offset per image, done with two
    gathers: no float copy and no interpolation.
    """
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    if flip:
        mirror = tf.random.uniform([batch, 1, 1, 1]) < 0.5
        images = tf.where(mirror, tf.reverse(images, axis=[2]), images)
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    offsets = tf.random.uniform([batch, 2], 0, 2 * pad + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(height)[tf.newaxis]  # (batch, height)
    cols = offsets[:, 1:] + tf.range(width)[tf.newaxis]  # (batch, width)
    images = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(images, cols, axis=2, batch_dims=1)


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_classes: int,
    batch_size: int,
    training: bool,
    augment: bool = False,
    seed: int = 0,
    repeat: bool = False,
) -> tf.data.Dataset:
    """Batches of (uint8 images, one-hot float labels); shuffled and augmented when training.

    Images stay uint8 until the model's own Rescaling layer, so the pipeline never holds a
    float copy of the set. Flips are left out for one-channel datasets, whose digits and
    garments have a handedness. Without ``training`` the order is the arrays' order.

    ``repeat`` yields epoch after epoch (each reshuffled, each ending with its partial
    batch), for ``fit(steps_per_epoch=...)``: one iterator then serves the whole run. Given a
    finite dataset, Keras creates and drops an iterator per epoch, and dropping one now and
    then stalls the next epoch's start (the spread of epoch times in ``python -m bench
    estimate`` shows it).
    """
    images = np.asarray(x)  # any strides: a channel-major view is gathered without a copy
    labels = tf.constant(np.asarray(y, dtype=np.int32))
    batch_shape = (None, *images.shape[1:])
    flip = images.shape[-1] == 3

    def gather(indices: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(images[indices])

    def load(indices: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        indices = tf.sort(indices)  # in-order reads; order within a batch does not matter
        batch = tf.numpy_function(gather, [indices], tf.uint8, stateful=False)
        batch = tf.ensure_shape(batch, batch_shape)
        if training and augment:
            batch = flip_and_crop(batch, flip=flip)
        return batch, tf.one_hot(tf.gather(labels, indices), num_classes)

    data = tf.data.Dataset.range(len(images))
    if training:  # a full shuffle: the buffer holds 8-byte indices, not images
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if repeat:
        data = data.repeat()
    return data.map(load, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
