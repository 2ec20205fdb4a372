"""core.estimate: time per epoch from a few real train steps, cached, policy left alone."""

from __future__ import annotations

import keras
import pytest

from core import estimate
from core.training import choose_precision


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "_cache", {})


def test_steps_per_epoch_counts_the_partial_last_batch() -> None:
    assert estimate.steps_per_epoch(45_000, 128) == 352
    assert estimate.steps_per_epoch(50_000, 128) == 391  # seed: 391 steps per epoch
    assert estimate.steps_per_epoch(10, 128) == 1


def test_estimate_times_steps_and_scales_to_an_epoch() -> None:
    guess = estimate.estimate_epoch("mlp_seed", (8, 8, 3), 10, 16, train_images=160, steps=2)
    assert guess.steps_per_epoch == 10
    assert guess.step_s > 0
    assert guess.epoch_s == pytest.approx(10 * guess.step_s)
    assert guess.images_per_s == pytest.approx(16 / guess.step_s)
    assert guess.precision == choose_precision("auto")


def test_estimate_is_cached_per_model_shape_batch_and_precision() -> None:
    assert estimate.cached_estimate("mlp_seed", (8, 8, 3), 10, 16, 160, "float32") is None
    first = estimate.estimate_epoch("mlp_seed", (8, 8, 3), 10, 16, 160, "float32", steps=1)
    again = estimate.estimate_epoch("mlp_seed", (8, 8, 3), 10, 16, 320, "float32", steps=1)
    assert again.step_s == first.step_s  # same setting: no second calibration
    assert again.steps_per_epoch == 20
    assert estimate.cached_estimate("mlp_seed", (8, 8, 3), 10, 32, 160, "float32") is None
    assert len(estimate._cache) == 1


def test_estimate_leaves_the_global_precision_policy_alone() -> None:
    keras.mixed_precision.set_global_policy("float32")
    estimate.estimate_epoch("mlp_seed", (8, 8, 3), 10, 8, 80, "mixed_bfloat16", steps=1)
    assert keras.mixed_precision.global_policy().name == "float32"
