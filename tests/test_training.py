"""Training writes a complete run folder; early stopping, resume and distribution work."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from core.config import TrainConfig
from core.evaluation import read_evaluation
from core.runs import list_runs, read_history, read_run, sha256_file


def test_one_epoch_writes_a_complete_run_folder(tiny_run: Path):
    names = {path.name for path in tiny_run.iterdir()}
    assert {"run.json", "progress.json", "history.csv", "model.keras", "eval.npz"} <= names
    assert not [name for name in names if name.startswith(".tmp-")]
    data = json.loads((tiny_run / "run.json").read_text())
    assert data["status"] == "completed"
    assert data["model"]["params"] == 3_828_580
    assert data["model_sha256"] == sha256_file(tiny_run / "model.keras")
    assert data["dataset"]["train_images"] == 900 and data["dataset"]["val_images"] == 100
    assert data["precision"] == "float32" and data["versions"]["keras"].startswith("3.")
    metrics = data["metrics"]
    for key in ("test_accuracy", "test_top5", "test_loss", "train_accuracy", "val_accuracy",
                "wall_time_s", "images_per_s", "test_superclass_accuracy"):  # fmt: skip
        assert key in metrics, key
    assert 0.0 <= metrics["test_accuracy"] <= metrics["test_top5"] <= 1.0


def test_completed_run_lists_with_its_metrics(tiny_run: Path):
    [run] = list_runs(tiny_run.parent)
    assert run.status == "completed" and run.readable
    assert run.family == "mlp" and run.dataset == "cifar100"
    assert run.test_accuracy == pytest.approx(run.metrics["test_accuracy"])


def test_history_has_train_and_validation_metrics_per_epoch(tiny_run: Path):
    history = read_history(tiny_run)
    assert history["epoch"].tolist() == [1]
    for column in ("loss", "accuracy", "top5", "val_loss", "val_accuracy", "val_top5",
                   "epoch_time", "images_per_s"):  # fmt: skip
        assert column in history


def test_evaluation_matches_the_recorded_metrics(tiny_run: Path):
    evaluation = read_evaluation(tiny_run)
    assert evaluation is not None
    assert evaluation.confusion.shape == (100, 100) and evaluation.confusion.sum() == 200
    metrics = read_run(tiny_run).metrics
    assert evaluation.metrics()["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    np.testing.assert_allclose(evaluation.probs.sum(axis=1), 1.0, atol=1e-2)


def test_model_file_is_a_complete_keras_archive(tiny_run: Path):
    assert zipfile.is_zipfile(tiny_run / "model.keras")


def test_training_learns_the_synthetic_classes(cifar100_data: Path):
    from core.training import train

    config = TrainConfig(model="mlp_seed", dataset="cifar100", epochs=6, val_size=100,
                         precision="float32", learning_rate=1e-3)  # fmt: skip
    run = read_run(train(config, verbose=0))
    assert run.test_accuracy > 0.05  # chance is 0.01; a label/pixel mix-up stays near it


def test_seed_early_stopping_watches_the_training_loss(cifar100_data: Path):
    from core.training import train

    config = TrainConfig(model="mlp_seed", epochs=2, val_size=0, early_stopping="seed",
                         precision="float32")  # fmt: skip
    run = read_run(train(config, verbose=0))
    assert run.status == "completed"
    assert run.data["resolved_config"]["patience"] == 5  # seed: patience 5 for the MLP
    assert "val_loss" not in read_history(run.path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": -1}, "`epochs` must be an integer >= 1. Received: epochs=-1."),
        ({"batch_size": 0}, "`batch_size` must be an integer >= 1. Received: batch_size=0."),
        ({"optimizer": "adagrad"}, '`optimizer` must be one of "adam"'),
        ({"model": "vgg16"}, "`model` must be one of"),
        ({"subset": 0.0}, "`subset` must be a fraction in (0, 1]"),
    ],
)
def test_bad_config_values_are_named(changes: dict, message: str):
    with pytest.raises(ValueError) as error:
        TrainConfig(**changes).validate()
    assert message in str(error.value)


def test_config_round_trips_through_run_json():
    config = TrainConfig(model="cnn_fast", epochs=3, subset=0.5, augment=False)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    resolved = TrainConfig(model="cnn_seed", early_stopping="seed").resolved()
    assert resolved.batch_size == 128 and resolved.patience == 3  # seed: batch 128, patience 3


def _pretend_gpus(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    real = tf.config.list_physical_devices

    def listed(kind: str | None = None) -> list:
        if kind == "GPU":
            return [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU")
                    for i in range(count)]  # fmt: skip
        return real(kind)

    monkeypatch.setattr(tf.config, "list_physical_devices", listed)


def test_auto_precision_is_float16_on_a_gpu_and_a_setting_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
):
    from core.training import choose_precision, cpu_supports_bfloat16

    assert choose_precision("auto") == ("mixed_bfloat16" if cpu_supports_bfloat16() else "float32")
    _pretend_gpus(monkeypatch, 1)
    assert choose_precision("auto") == "mixed_float16"
    assert choose_precision("float32") == "float32"  # the switch: --precision float32


def test_default_strategy_mirrors_over_several_gpus_without_a_flag(
    monkeypatch: pytest.MonkeyPatch,
):
    from core import training

    built = []
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda *a: built.append(a) or "mirror")
    _pretend_gpus(monkeypatch, 1)
    assert training.make_strategy("default") is tf.distribute.get_strategy()
    _pretend_gpus(monkeypatch, 2)
    assert training.make_strategy("default") == "mirror" and built == [()]


@pytest.mark.slow
def test_mirrored_strategy_trains_over_two_logical_cpus(cifar100_tarball: Path, tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from pathlib import Path
        from core.config import TrainConfig
        from core.runs import read_run
        from core.training import train
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        config = TrainConfig(model="mlp_seed", epochs=1, val_size=100, precision="float32",
                             strategy="mirrored", data_path={str(cifar100_tarball)!r})
        run = read_run(train(config, models_dir=Path({str(tmp_path)!r}), verbose=0,
                             strategy=strategy))
        print(run.status, run.data["strategy"])
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, cwd=Path(__file__).parents[1])  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "completed mirrored (2 replica(s))" in result.stdout
