"""core.estimate: time per epoch from a few real train steps, cached, policy left alone."""

from __future__ import annotations

from dataclasses import replace

import keras
import pytest

from core import estimate
from core.config import TrainConfig
from core.models import build_model
from core.training import choose_precision

# MNIST's 28x28x1 input keeps the seed MLP small; batches of 16 keep the steps short.
TINY = TrainConfig(model="mlp_seed", dataset="mnist", batch_size=16, precision="float32")


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "_cache", {})


def test_steps_per_epoch_counts_the_partial_last_batch() -> None:
    assert estimate.steps_per_epoch(45_000, 128) == 352
    assert estimate.steps_per_epoch(50_000, 128) == 391  # seed: 391 steps per epoch
    assert estimate.steps_per_epoch(10, 128) == 1


def test_estimate_scales_train_and_validation_steps_to_an_epoch() -> None:
    guess = estimate.estimate_epoch(TINY, train_images=160, val_images=40, steps=2)
    assert (guess.steps_per_epoch, guess.val_steps) == (10, 3)
    assert guess.step_s > 0 and guess.times.val_step_s > 0
    per_epoch = guess.times.epoch_overhead_s
    assert guess.epoch_s == pytest.approx(
        per_epoch + 10 * guess.step_s + 3 * guess.times.val_step_s
    )
    assert guess.images_per_s == pytest.approx(16 / guess.step_s)
    assert guess.first_epoch_s >= guess.epoch_s
    assert guess.total_s(3) == pytest.approx(guess.first_epoch_s + 2 * guess.epoch_s)
    assert guess.precision == "float32"


def test_estimate_without_validation_counts_training_steps_only() -> None:
    guess = estimate.estimate_epoch(TINY, train_images=32, val_images=0, steps=1)
    assert guess.val_steps == 0
    assert guess.epoch_s == pytest.approx(guess.times.epoch_overhead_s + 2 * guess.step_s)


@pytest.mark.parametrize("precision", ["auto", "mixed_bfloat16"])
def test_estimate_times_the_model_under_the_precision_training_would_use(
    precision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_under = []

    def build(*args, **kwargs):
        built_under.append(keras.mixed_precision.global_policy().name)
        return build_model(*args, **kwargs)

    monkeypatch.setattr(estimate, "build_model", build)
    config = TrainConfig(model="mlp_seed", dataset="mnist", batch_size=8, precision=precision)
    guess = estimate.estimate_epoch(config, 80, steps=3)
    assert built_under == [choose_precision(precision)] == [guess.precision]


def test_estimate_is_cached_per_setting_and_rescaled_per_size() -> None:
    first = estimate.estimate_epoch(TINY, 160, steps=3)
    again = estimate.estimate_epoch(TINY, 320, 16, steps=3)
    assert again.times == first.times  # same setting: no second calibration
    assert (again.steps_per_epoch, again.val_steps) == (20, 1)
    assert len(estimate._cache) == 1
    estimate.estimate_epoch(replace(TINY, batch_size=32), 160, steps=3)
    assert len(estimate._cache) == 2  # another batch size: calibrated anew


def test_a_bad_config_is_refused_before_any_timing() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        estimate.estimate_epoch(TrainConfig(model="mlp_seed", batch_size=0), 100)
    assert estimate._cache == {}


def test_estimate_leaves_the_global_precision_policy_alone() -> None:
    keras.mixed_precision.set_global_policy("float32")
    config = TrainConfig(model="mlp_seed", dataset="mnist", batch_size=8,
                         precision="mixed_bfloat16")  # fmt: skip
    estimate.estimate_epoch(config, 80, steps=1)
    assert keras.mixed_precision.global_policy().name == "float32"
