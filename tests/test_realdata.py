"""Real data: Debian's Fashion-MNIST through the Keras cache; floors a broken pipeline misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import TrainConfig
from core.runs import read_run

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_seed_mlp_reaches_80_percent_after_one_epoch(fashion_keras_home: Path):
    from core.training import train

    config = TrainConfig(model="mlp_seed", dataset="fashion_mnist", epochs=1, val_size=0)
    run = read_run(train(config, verbose=0))
    assert run.data["dataset"]["source"].startswith("Keras cache")
    assert run.data["dataset"]["train_images"] == 60_000
    assert run.test_accuracy >= 0.80, run.metrics


def test_seed_cnn_reaches_65_percent_after_two_epochs_on_6000_images(fashion_keras_home: Path):
    from core.training import train

    config = TrainConfig(model="cnn_seed", dataset="fashion_mnist", epochs=2, val_size=0,
                         subset=0.1)  # fmt: skip
    run = read_run(train(config, verbose=0))
    assert run.data["dataset"]["train_images"] == 6_000
    assert run.test_accuracy >= 0.65, run.metrics
