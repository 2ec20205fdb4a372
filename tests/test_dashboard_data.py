"""core.dashboard_data: the tables and the summary text behind the pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import dashboard_data as dd
from core.datasets import get_spec
from core.runs import list_runs
from tests.run_factory import write_run

SPEC = get_spec("cifar100")


def test_format_duration_and_percent() -> None:
    assert dd.format_duration(5.04) == "5.0 s"
    assert dd.format_duration(75) == "1 min 15 s"
    assert dd.format_duration(3 * 3600 + 60) == "3 h 01 min"
    assert dd.format_duration(None) == "?"
    assert dd.percent(0.2702) == "27.0%"
    assert dd.percent(None) == "—"


def test_plural_says_one_epoch_and_two_epochs() -> None:
    assert dd.plural(1, "epoch") == "1 epoch"
    assert dd.plural(2, "epoch") == "2 epochs"
    assert dd.plural(0, "run") == "0 runs"


def test_train_images_after_split_and_subset() -> None:
    assert dd.train_images(50_000, 5_000, 1.0) == 45_000
    assert dd.train_images(50_000, 5_000, 0.1) == 4_500


def test_runs_frame_has_the_gap_and_the_headline_metrics(isolated_env: Path) -> None:
    write_run(isolated_env / "models", "r1", test_accuracy=0.4, precision="mixed_bfloat16")
    frame = dd.runs_frame(list_runs(isolated_env / "models"))
    row = frame.iloc[0]
    assert row["run"] == "r1" and row["family"] == "mlp"
    assert row["train-test gap"] == pytest.approx(
        row["test accuracy"] * 0 + 0.4 + 0.1 - row["test accuracy"]
    )
    assert row["images/s"] == 500.0 and row["precision"] == "mixed_bfloat16"


def test_per_class_and_superclass_accuracy() -> None:
    confusion = np.eye(100, dtype=int) * 2
    confusion[0, 1] = 2  # apple mistaken for aquarium fish half the time
    per_class = dd.per_class_frame({"r": confusion}, SPEC)
    assert per_class.loc[0, "accuracy"] == 0.5 and per_class.loc[1, "accuracy"] == 1.0
    assert per_class.loc[0, "superclass"] == "fruit and vegetables"
    supers = dd.per_superclass_frame({"r": confusion}, SPEC)
    assert len(supers) == 20
    fruit = supers.loc[supers["superclass"] == "fruit and vegetables", "accuracy"].item()
    assert fruit == pytest.approx(10 / 12)  # apple's two mistakes leave the superclass
    assert dd.per_superclass_frame({"r": np.eye(10)}, get_spec("cifar10")) is None


def test_confused_pairs_are_ranked_by_count() -> None:
    confusion = np.eye(100, dtype=int) * 10
    confusion[3, 42] = 7  # bear as leopard
    confusion[35, 98] = 3  # girl as woman
    pairs = dd.confused_pairs_frame(confusion, SPEC, k=5)
    assert list(pairs["true class"]) == ["bear", "girl"]
    assert list(pairs["predicted as"]) == ["leopard", "woman"]
    assert pairs.loc[0, "share of true class"] == pytest.approx(7 / 17)


def test_summary_names_the_winner_and_the_margin(isolated_env: Path) -> None:
    models = isolated_env / "models"
    write_run(models, "mlp-run", model="mlp_seed", test_accuracy=0.25)
    write_run(models, "cnn-run", model="cnn_seed", test_accuracy=0.6, seed=1)
    runs = list_runs(models)
    confusions = {}
    from core.evaluation import read_evaluation

    for run in runs:
        confusions[run.run_id] = read_evaluation(run.path).confusion
    text = dd.summary_text(runs, dd.per_class_frame(confusions, SPEC))
    assert text.startswith("**cnn-run** wins on test accuracy")
    assert "points" in text and "classes" in text and "overfits most" in text
    assert "only" not in dd.summary_text(runs[:1], dd.per_class_frame({}, SPEC))
    assert "No evaluated run" in dd.summary_text([], dd.per_class_frame({}, SPEC))


def test_image_statistics() -> None:
    x = np.zeros((4, 2, 2, 3), dtype=np.uint8)
    x[2:] = 200
    y = np.array([0, 0, 1, 1])
    means = dd.mean_images(x, y, 3)
    assert means[0].max() == 0 and means[1].min() == 200 and means[2].max() == 0
    stats = dd.channel_stats(x, chunk=1)
    assert stats["mean"].tolist() == [100.0] * 3
    assert stats["std"].tolist() == pytest.approx([100.0] * 3)
    histogram = dd.pixel_histogram(x)
    assert (
        histogram.loc[(histogram["channel"] == "red") & (histogram["value"] == 200), "share"].item()
        == 0.5
    )


def test_index_helpers() -> None:
    y_true = np.array([0, 1, 2, 3, 1])
    y_pred = np.array([0, 2, 2, 1, 2])
    assert dd.misclassified_indices(y_true, y_pred, 10).tolist() == [1, 3, 4]
    assert dd.pair_indices(y_true, y_pred, 1, 2).tolist() == [1, 4]
    picked = dd.sample_indices(y_true, [1], 5)
    assert sorted(picked.tolist()) == [1, 4]
    assert dd.crisp(np.zeros((2, 2, 1), np.uint8), 3).shape == (6, 6, 3)


def test_layers_frame_share_of_params() -> None:
    from core.models import build_model, layer_table

    frame = dd.layers_frame(layer_table(build_model("mlp_seed", (32, 32, 3), 100)))
    assert frame["params"].sum() == dd.SEED_PARAMS["mlp_seed"]
    first = frame.loc[frame["layer"] == "dense_1024", "share of params"].item()
    assert first == pytest.approx(0.822, abs=0.001)  # seed: 3,146,752 of 3,828,580
