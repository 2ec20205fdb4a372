"""core.pipeline: uint8 batches, one-hot labels, full shuffles, flips and crops on uint8."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from core.pipeline import flip_and_crop, make_dataset


def _arrays(n: int = 50, shape: tuple[int, int, int] = (8, 8, 3)) -> tuple[np.ndarray, ...]:
    x = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones(shape, dtype=np.uint8)
    return x, np.arange(n, dtype=np.int64) % 10


def _collect(data: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    images, labels = zip(*[(a.numpy(), b.numpy()) for a, b in data], strict=True)
    return np.concatenate(images), np.concatenate(labels)


def test_evaluation_batches_keep_the_arrays_order_as_uint8_and_one_hot():
    x, y = _arrays()
    images, labels = _collect(make_dataset(x, y, num_classes=10, batch_size=16, training=False))
    assert images.dtype == np.uint8 and images.shape == x.shape
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels.argmax(1), y)
    assert labels.dtype == np.float32


def test_training_shuffles_every_image_once_with_its_own_label():
    x, y = _arrays()
    images, labels = _collect(make_dataset(x, y, num_classes=10, batch_size=16, training=True))
    ids = images[:, 0, 0, 0]
    assert sorted(ids.tolist()) == list(range(50)) and ids.tolist() != list(range(50))
    np.testing.assert_array_equal(labels.argmax(1), ids % 10)


def test_repeated_training_data_gives_whole_reshuffled_epochs_of_the_same_batches():
    x, y = _arrays()
    data = make_dataset(x, y, num_classes=10, batch_size=16, training=True, repeat=True)
    batches = [images.numpy()[:, 0, 0, 0] for images, _ in data.take(8)]
    assert [len(batch) for batch in batches] == [16, 16, 16, 2] * 2  # 50 = 3 x 16 + 2
    first, second = np.concatenate(batches[:4]), np.concatenate(batches[4:])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(50))
    assert first.tolist() != second.tolist()  # each epoch its own order


def test_a_channel_major_view_reads_as_the_same_images():
    planes = np.random.default_rng(0).integers(0, 256, (20, 3, 8, 8), dtype=np.uint8)
    view = planes.transpose(0, 2, 3, 1)  # how the CIFAR reader returns images
    images, _ = _collect(
        make_dataset(view, np.zeros(20, int), num_classes=2, batch_size=8, training=False)
    )
    np.testing.assert_array_equal(images, view)


def test_flip_and_crop_shifts_by_at_most_four_pixels_and_keeps_uint8():
    image = np.zeros((1, 16, 16, 3), dtype=np.uint8)
    image[0, 6:10, 6:10] = 255  # a centred square
    batch = np.repeat(image, 64, axis=0)
    out = flip_and_crop(tf.constant(batch)).numpy()
    assert out.dtype == np.uint8 and out.shape == batch.shape
    for one in out:
        rows, cols = np.nonzero(one[..., 0])
        assert one[..., 0].sum() == 16 * 255  # the square is never cut at a 4-pixel shift
        assert abs(rows.min() - 6) <= 4 and abs(cols.min() - 6) <= 4
    assert len({(int(np.nonzero(o[..., 0])[0].min()), int(np.nonzero(o[..., 0])[1].min()))
                for o in out}) > 5  # fmt: skip


def test_augmentation_leaves_one_channel_images_unflipped():
    image = np.zeros((1, 12, 12, 1), dtype=np.uint8)
    image[0, :, :3] = 200  # a stripe on the left edge
    out = flip_and_crop(tf.constant(np.repeat(image, 32, axis=0)), flip=False).numpy()
    assert (out[:, :, 8:] == 0).all()  # never mirrored to the right edge
