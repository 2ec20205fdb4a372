"""dashboard.charts: each figure's traces, axis titles and class-naming hovers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core import dashboard_data as dd
from core.datasets import get_spec
from core.models import LayerRow
from dashboard import charts

SPEC = get_spec("cifar100")


def _confusion(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5, (100, 100)) + np.eye(100, dtype=int) * 20


def test_accuracy_vs_seed_draws_bars_and_seed_reference_lines() -> None:
    best = pd.DataFrame({"label": ["MLP", "CNN"], "test accuracy": [0.3, 0.55]})
    fig = charts.accuracy_vs_seed(best, {"seed MLP": 0.2702, "seed CNN": 0.4867})
    assert isinstance(fig.data[0], go.Bar)
    assert list(fig.data[0].y) == pytest.approx([30.0, 55.0])
    lines = [shape.y0 for shape in fig.layout.shapes]
    assert lines == pytest.approx([27.02, 48.67])
    assert fig.layout.yaxis.title.text == "test accuracy (%)"


def test_sample_montage_names_the_class_on_hover() -> None:
    images = np.zeros((3, 4, 4, 3), dtype=np.uint8)
    fig = charts.sample_montage(images, ["apple", "bee", "cup"], columns=2)
    trace = fig.data[0]
    assert isinstance(trace, go.Image)
    assert trace.z.shape == (2 * 6, 2 * 6, 3)
    assert trace.customdata[1, 1] == "apple" and trace.customdata[1, 7] == "bee"
    assert "%{customdata}" in trace.hovertemplate


def test_class_counts_groups_train_and_test() -> None:
    counts = dd.class_counts_frame(SPEC, np.arange(500) % 100, np.arange(100))
    fig = charts.class_counts(counts)
    assert [trace.name for trace in fig.data] == ["train", "test"]
    assert list(fig.data[0].y[:2]) == [5, 5]
    assert fig.data[0].x[3] == "bear"
    assert fig.layout.yaxis.title.text == "images (count)"


def test_hierarchy_sunburst_has_20_superclasses_and_100_classes() -> None:
    fig = charts.hierarchy_sunburst(dd.hierarchy_frame(SPEC))
    trace = fig.data[0]
    assert list(trace.parents).count("") == 20
    assert len(trace.labels) == 120
    assert "people/baby" in trace.ids


def test_pixel_histogram_has_one_line_per_channel() -> None:
    x = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    fig = charts.pixel_histogram(dd.pixel_histogram(x))
    assert [trace.name for trace in fig.data] == ["red", "green", "blue"]
    assert sum(fig.data[0].y) == pytest.approx(100.0)
    assert fig.layout.xaxis.title.text == "pixel value (0-255)"


def _layers() -> pd.DataFrame:
    rows = [
        LayerRow("flatten", "Flatten", (None, 3072), 0, 0),
        LayerRow("dense_1024", "Dense", (None, 1024), 3_146_752, 3_145_728),
        LayerRow("predictions", "Dense", (None, 100), 681_828, 100),
    ]
    return dd.layers_frame(rows)


def test_layer_stack_draws_every_layer_from_the_table() -> None:
    fig = charts.layer_stack(_layers(), "mlp")
    trace = fig.data[0]
    assert list(trace.y) == ["flatten", "dense_1024", "predictions"]
    assert list(trace.x) == [3072, 1024, 100]
    assert fig.layout.xaxis.type == "log"


def test_params_per_layer_labels_the_biggest_layers_share() -> None:
    fig = charts.params_per_layer(_layers(), "mlp")
    assert list(fig.data[0].x) == ["dense_1024", "predictions"]  # no weightless layers
    assert "dense_1024 holds 82% of the weights" in fig.layout.annotations[0].text


def test_training_curves_draw_train_solid_and_validation_dashed() -> None:
    history = pd.DataFrame({"epoch": [1, 2], "accuracy": [0.1, 0.2], "val_accuracy": [0.09, 0.15]})
    fig = charts.training_curves({"a": history, "b": history}, "accuracy")
    assert [trace.name for trace in fig.data] == ["a (train)", "a (val)", "b (train)", "b (val)"]
    assert fig.data[1].line.dash == "dash"
    assert list(fig.data[0].y) == [10.0, 20.0]
    assert fig.layout.xaxis.title.text == "epoch"


def test_per_class_bars_follow_the_given_order_and_name_the_superclass() -> None:
    per_class = dd.per_class_frame({"r1": _confusion(0), "r2": _confusion(1)}, SPEC)
    order = list(per_class["class"].iloc[::-1].drop_duplicates())
    fig = charts.per_class_bars(per_class, order)
    assert len(fig.data) == 2
    assert fig.data[0].x[0] == "worm"
    assert fig.data[0].customdata[0] == "non-insect invertebrates"


def test_superclass_bars_have_20_bars_per_run() -> None:
    frame = dd.per_superclass_frame({"r1": _confusion()}, SPEC)
    fig = charts.superclass_bars(frame)
    assert len(fig.data[0].x) == 20


def test_confusion_heatmap_names_true_and_predicted_classes() -> None:
    names = [SPEC.display_name(i) for i in range(100)]
    fig = charts.confusion_heatmap(_confusion(), names, "r1")
    trace = fig.data[0]
    assert isinstance(trace, go.Heatmap)
    assert trace.z.shape == (100, 100)
    assert "true: %{y}" in trace.hovertemplate and "predicted: %{x}" in trace.hovertemplate
    assert fig.layout.xaxis.title.text == "predicted class"


def test_shift_accuracy_draws_one_line_per_run_in_percent() -> None:
    table = pd.DataFrame(
        {
            "run": ["mlp-a"] * 3 + ["cnn-b"] * 3,
            "shift_px": [0, 2, 4] * 2,
            "accuracy": [0.25, 0.18, 0.12, 0.5, 0.49, 0.47],
        }
    )
    fig = charts.shift_accuracy(table)
    assert [trace.name for trace in fig.data] == ["mlp-a", "cnn-b"]
    assert list(fig.data[0].x) == [0, 2, 4]
    assert list(fig.data[1].y) == pytest.approx([50.0, 49.0, 47.0])
    assert fig.layout.xaxis.title.text == "pictures moved right (pixels)"
    assert fig.layout.yaxis.title.text == "test accuracy (%)"
    assert "px" in fig.data[0].hovertemplate
