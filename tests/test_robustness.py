"""core.robustness: shifting pictures, accuracy under shifts, and the sentence about it."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from core import robustness
from core.datasets import load_dataset
from core.model_files import ModelCorrupt
from core.robustness import accuracy_under_shift, shift_images, shift_report, shift_summary

SIZE = 16
ROW = COL = 7  # the blob's top-right pixel: well away from the border


def _blobs(n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Black images with a 2x2 blob lit in one channel; the class is the channel."""
    y = np.arange(n) % 3
    x = np.zeros((n, SIZE, SIZE, 3), dtype=np.uint8)
    for image, label in zip(x, y, strict=True):
        image[ROW : ROW + 2, COL - 1 : COL + 1, label] = 255
    return x, y


def _max_pool_model() -> keras.Model:
    """Exactly translation-invariant: the brightest pixel of each channel, wherever it is."""
    inputs = keras.Input((SIZE, SIZE, 3))
    return keras.Model(inputs, keras.layers.GlobalMaxPooling2D()(inputs))


def _one_pixel_model() -> keras.Model:
    """Position-dependent: class c's score is channel c of the pixel at (ROW, COL) only."""
    inputs = keras.Input((SIZE, SIZE, 3))
    dense = keras.layers.Dense(3, use_bias=False)
    outputs = dense(keras.layers.Flatten()(inputs))
    kernel = np.zeros((SIZE * SIZE * 3, 3), dtype=np.float32)
    for channel in range(3):
        kernel[(ROW * SIZE + COL) * 3 + channel, channel] = 1.0
    dense.set_weights([kernel])
    return keras.Model(inputs, outputs)


# --- shift_images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "dy", "row", "col"),
    [(2, 0, 3, 5), (-2, 0, 3, 1), (0, 2, 5, 3), (0, -2, 1, 3), (1, -3, 0, 4)],
)
def test_shift_images_moves_pixels_and_fills_with_black(
    dx: int, dy: int, row: int, col: int
) -> None:
    x = np.zeros((2, 6, 6, 3), dtype=np.uint8)
    x[:, 3, 3] = [10, 20, 30]
    x[1, 0, 0], x[1, 5, 5] = 99, 77  # corner pixels that moves push off the image
    moved = shift_images(x, dx, dy)
    assert moved.shape == x.shape and moved.dtype == np.uint8
    assert list(moved[0, row, col]) == [10, 20, 30]
    assert int(moved[0].astype(int).sum()) == 60  # nothing else lit
    # pushed off the image, not wrapped round to the other side
    assert (99 in moved[1]) == (dx >= 0 and dy >= 0)
    assert (77 in moved[1]) == (dx <= 0 and dy <= 0)


def test_shift_images_by_zero_returns_an_equal_copy() -> None:
    x = np.random.default_rng(0).integers(0, 256, (3, 5, 5, 3), dtype=np.uint8)
    moved = shift_images(x, 0, 0)
    assert np.array_equal(moved, x)
    assert moved is not x


@pytest.mark.parametrize(("dx", "dy"), [(5, 0), (-7, 0), (0, 5), (0, -40)])
def test_shift_as_wide_as_the_image_leaves_it_black(dx: int, dy: int) -> None:
    x = np.full((2, 5, 5, 1), 200, dtype=np.uint8)
    moved = shift_images(x, dx, dy)
    assert moved.shape == x.shape and not moved.any()


def test_shift_images_rejects_a_single_image() -> None:
    with pytest.raises(ValueError, match="Received: shape=\\(5, 5, 3\\)"):
        shift_images(np.zeros((5, 5, 3), dtype=np.uint8), 1, 0)


# --- accuracy_under_shift ----------------------------------------------------------------


def test_a_translation_invariant_model_keeps_its_accuracy_under_shifts() -> None:
    x, y = _blobs()
    table = accuracy_under_shift(_max_pool_model(), x, y, (0, 2, 4, 6, SIZE), batch_size=8)
    assert list(table["shift_px"]) == [0, 2, 4, 6, SIZE]
    assert list(table["accuracy"][:4]) == [1.0, 1.0, 1.0, 1.0]
    # moved off the image entirely: all scores tie at 0 and argmax says class 0
    assert table["accuracy"].iloc[4] == pytest.approx(1 / 3)
    assert set(table["images"]) == {30}


def test_a_position_dependent_model_loses_accuracy_when_pictures_move() -> None:
    x, y = _blobs()
    table = accuracy_under_shift(_one_pixel_model(), x, y, (0, 1, 2, 4), batch_size=7)
    assert table["accuracy"].iloc[0] == 1.0
    # 1 pixel to the right keeps (ROW, COL) lit (a move left or down would not); 2 or more
    # leave it dark, all scores tie at 0 and argmax says class 0
    assert table["accuracy"].iloc[1] == 1.0
    assert list(table["accuracy"][2:]) == pytest.approx([1 / 3, 1 / 3])


# --- shift_report and precision ----------------------------------------------------------


def test_shift_report_measures_a_trained_run_on_a_fixed_sample(
    tiny_run: Path, cifar100_data: Path
) -> None:
    data = load_dataset("cifar100", cifar100_data, download_missing=False)
    first = shift_report(tiny_run, data.x_test, data.y_test, shifts=(0, 3), limit=50)
    again = shift_report(tiny_run, data.x_test, data.y_test, shifts=(0, 3), limit=50)
    assert list(first["shift_px"]) == [0, 3]
    assert set(first["images"]) == {50}
    assert first["accuracy"].between(0, 1).all()
    pd.testing.assert_frame_equal(first, again)
    whole = shift_report(tiny_run, data.x_test, data.y_test, shifts=(0,), limit=10_000)
    assert whole["images"].iloc[0] == len(data.y_test)


def test_shift_report_names_a_run_without_a_model(tmp_path: Path) -> None:
    run = tmp_path / "mlp_seed-cifar100-gone"
    run.mkdir()
    with pytest.raises(ModelCorrupt, match="mlp_seed-cifar100-gone has no model file"):
        shift_report(run, np.zeros((4, 32, 32, 3), np.uint8), np.zeros(4, int))


def test_shift_report_refuses_images_of_another_shape(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    _max_pool_model().save(run / "model.keras")
    with pytest.raises(ModelCorrupt, match="does not match the test images"):
        shift_report(run, np.zeros((4, 28, 28, 1), np.uint8), np.zeros(4, int))


def _mixed_model() -> keras.Model:
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        inputs = keras.Input((4,))
        return keras.Model(inputs, keras.layers.Dense(2)(inputs))
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def test_a_mixed_model_keeps_its_precision_where_this_machine_computes_in_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(robustness, "choose_precision", lambda requested: "mixed_bfloat16")
    model = _mixed_model()
    assert robustness.native_precision(model) is model


def test_a_mixed_model_runs_in_float32_where_its_precision_is_not_native(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(robustness, "choose_precision", lambda requested: "float32")
    model = robustness.native_precision(_mixed_model())
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}


# --- shift_summary -----------------------------------------------------------------------


def _table(rows: dict[str, list[float]], shifts: tuple[int, ...] = (0, 2, 4, 8)) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"run": run, "shift_px": shift, "accuracy": accuracy}
            for run, accuracies in rows.items()
            for shift, accuracy in zip(shifts, accuracies, strict=True)
        ]
    )


def test_summary_says_what_four_pixels_cost_each_run() -> None:
    table = _table({"mlp-a": [0.25, 0.20, 0.12, 0.05], "cnn-b": [0.50, 0.49, 0.47, 0.40]})
    text = shift_summary(table)
    assert text.startswith(
        "Moving the pictures 4 pixels to the right costs **mlp-a** 13.0 points "
        "(25.0% → 12.0%) and **cnn-b** 3.0 points (50.0% → 47.0%)."
    )
    assert "**cnn-b** holds up best: it keeps 94% of its accuracy." in text


def test_summary_uses_the_largest_shift_when_four_was_not_measured() -> None:
    table = _table({"cnn-b": [0.5, 0.5]}, shifts=(0, 1))
    assert shift_summary(table) == (
        "Moving the pictures 1 pixel to the right changes nothing for **cnn-b** (50.0% → 50.0%)."
    )


def test_summary_says_when_a_shift_helps() -> None:
    table = _table({"mlp-a": [0.25, 0.20, 0.12, 0.05], "cnn-b": [0.40, 0.41, 0.42, 0.30]})
    assert "costs **mlp-a** 13.0 points (25.0% → 12.0%) and gains **cnn-b** 2.0 points " in (
        shift_summary(table)
    )


def test_summary_without_results_says_so() -> None:
    assert "No run" in shift_summary(pd.DataFrame(columns=["run", "shift_px", "accuracy"]))
    assert "at least two shifts" in shift_summary(_table({"a": [0.5]}, shifts=(0,)))
