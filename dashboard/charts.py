"""Plotly figures for the dashboard: DataFrames or arrays in, ``go.Figure`` out, no ``st.*``.

Every chart names its axes with units and has a hover that names the class (or run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
METRIC_TITLES = {
    "loss": "loss (cross-entropy)",
    "accuracy": "accuracy (%)",
    "top5": "top-5 accuracy (%)",
}


def _layout(fig: go.Figure, x: str, y: str, **extra: object) -> go.Figure:
    fig.update_layout(
        xaxis_title=x,
        yaxis_title=y,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    return fig


def accuracy_vs_seed(best: pd.DataFrame, references: Mapping[str, float]) -> go.Figure:
    """Bars of test accuracy (columns ``label``, ``test accuracy``) with the seed's as lines."""
    fig = go.Figure(
        go.Bar(
            x=best["label"],
            y=100 * best["test accuracy"],
            marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(best))],
            text=[f"{100 * value:.1f}%" for value in best["test accuracy"]],
            textposition="outside",
            hovertemplate="%{x}<br>test accuracy %{y:.1f}%<extra></extra>",
            name="this lab",
        )
    )
    for index, (name, value) in enumerate(references.items()):
        fig.add_hline(
            y=100 * value,
            line_dash="dash",
            line_color=PALETTE[index % len(PALETTE)],
            annotation_text=f"{name}: {100 * value:.1f}%",
            annotation_position="top left",
        )
    top = max([100 * v for v in references.values()] + list(100 * best["test accuracy"]) + [10])
    return _layout(fig, "model", "test accuracy (%)", yaxis_range=[0, top * 1.2], height=360)


def sample_montage(images: np.ndarray, labels: Sequence[str], columns: int = 8) -> go.Figure:
    """A grid of images (N, H, W, 3) in one figure; hovering a tile names its class."""
    n = len(images)
    rows = max(1, -(-n // columns))
    height, width = images.shape[1:3]
    canvas = np.full((rows * (height + 2), columns * (width + 2), 3), 255, dtype=np.uint8)
    names = np.full(canvas.shape[:2], "", dtype=object)
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        r, c = divmod(index, columns)
        top, left = r * (height + 2) + 1, c * (width + 2) + 1
        canvas[top : top + height, left : left + width] = image
        names[top : top + height, left : left + width] = label
    fig = go.Figure(
        go.Image(z=canvas, customdata=names, hovertemplate="%{customdata}<extra></extra>")
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return _layout(fig, "", "", height=max(200, 110 * rows))


def class_counts(counts: pd.DataFrame, by: str = "class") -> go.Figure:
    """Grouped bars of images per class (or superclass) and split; hover names the class."""
    fig = go.Figure()
    for index, (split, part) in enumerate(counts.groupby("split", sort=False)):
        fig.add_bar(
            x=part[by],
            y=part["images"],
            name=split,
            marker_color=PALETTE[index],
            hovertemplate=f"%{{x}}<br>{split}: %{{y:,}} images<extra></extra>",
        )
    return _layout(fig, by, "images (count)", barmode="group", height=380)


def hierarchy_sunburst(hierarchy: pd.DataFrame) -> go.Figure:
    """Superclasses (inner ring) and their classes (outer ring)."""
    supers = sorted(hierarchy["superclass"].unique())
    pairs = zip(hierarchy["superclass"], hierarchy["class"], strict=True)
    ids = list(supers) + [f"{s}/{c}" for s, c in pairs]
    labels = list(supers) + list(hierarchy["class"])
    parents = [""] * len(supers) + list(hierarchy["superclass"])
    fig = go.Figure(
        go.Sunburst(
            ids=ids,
            labels=labels,
            parents=parents,
            hovertemplate="%{label}<br>in %{parent}<extra></extra>",
            insidetextorientation="radial",
        )
    )
    return fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=560)


def pixel_histogram(histogram: pd.DataFrame) -> go.Figure:
    """Share of pixels at each intensity, one line per channel."""
    colours = {"red": "#d62728", "green": "#2ca02c", "blue": "#1f77b4", "grey": "#555555"}
    fig = go.Figure()
    for channel, part in histogram.groupby("channel", sort=False):
        fig.add_scatter(
            x=part["value"],
            y=100 * part["share"],
            name=channel,
            mode="lines",
            line_color=colours.get(str(channel), "#555555"),
            hovertemplate=f"{channel} = %{{x}}<br>%{{y:.2f}}% of pixels<extra></extra>",
        )
    return _layout(fig, "pixel value (0-255)", "share of pixels (%)", height=320)


def layer_stack(layers: pd.DataFrame, title: str) -> go.Figure:
    """The model's layers top to bottom, bar length = values in the layer's output (log)."""
    sizes = [
        int(
            np.prod([int(d) for d in shape.strip("()").split(",") if d.strip() not in ("", "None")])
        )
        for shape in layers["output shape"]
    ]
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(layers["type"].unique())}
    fig = go.Figure(
        go.Bar(
            y=layers["layer"],
            x=sizes,
            orientation="h",
            marker_color=[colours[t] for t in layers["type"]],
            text=[
                f"{t} → {s}" for t, s in zip(layers["type"], layers["output shape"], strict=True)
            ],
            textposition="auto",
            customdata=np.stack([layers["type"], layers["output shape"], layers["params"]], axis=1),
            hovertemplate="%{y} (%{customdata[0]})<br>output %{customdata[1]} = %{x:,} values"
            "<br>%{customdata[2]:,} parameters<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        "values per image in the layer's output (log scale)",
        "layer (input at the top)",
        xaxis_type="log",
        title=title,
        height=60 + 28 * len(layers),
    )


def params_per_layer(layers: pd.DataFrame, title: str) -> go.Figure:
    """Parameters per layer, with the largest layer's share of all weights labelled."""
    with_weights = layers[layers["params"] > 0]
    fig = go.Figure(
        go.Bar(
            x=with_weights["layer"],
            y=with_weights["params"],
            text=[f"{100 * s:.0f}%" for s in with_weights["share of params"]],
            textposition="outside",
            customdata=100 * with_weights["share of params"],
            hovertemplate="%{x}<br>%{y:,} parameters (%{customdata:.1f}% of the model)"
            "<extra></extra>",
        )
    )
    if len(with_weights):
        big = with_weights.loc[with_weights["params"].idxmax()]
        fig.add_annotation(
            x=big["layer"],
            y=big["params"],
            text=f"{big['layer']} holds {100 * big['share of params']:.0f}% of the weights",
            showarrow=True,
            ax=70,
            ay=-30,
        )
    return _layout(fig, "layer", "parameters (count)", title=title, height=380)


def training_curves(histories: Mapping[str, pd.DataFrame], metric: str) -> go.Figure:
    """One metric per epoch for several runs: training solid, validation dashed."""
    scale = 1 if metric == "loss" else 100
    fig = go.Figure()
    for index, (label, history) in enumerate(histories.items()):
        colour = PALETTE[index % len(PALETTE)]
        for column, dash, split in ((metric, "solid", "train"), (f"val_{metric}", "dash", "val")):
            if history.empty or column not in history:
                continue
            fig.add_scatter(
                x=history["epoch"],
                y=scale * history[column],
                name=f"{label} ({split})",
                mode="lines+markers",
                line={"color": colour, "dash": dash},
                hovertemplate=f"{label} {split}<br>epoch %{{x}}: %{{y:.3f}}<extra></extra>",
            )
    return _layout(fig, "epoch", METRIC_TITLES.get(metric, metric), height=360)


def per_class_bars(per_class: pd.DataFrame, order: Sequence[str]) -> go.Figure:
    """Accuracy of each class per run, classes in ``order``; hover names class and superclass."""
    fig = go.Figure()
    for index, (run, part) in enumerate(per_class.groupby("run", sort=False)):
        part = part.set_index("class").loc[list(order)].reset_index()
        fig.add_bar(
            x=part["class"],
            y=100 * part["accuracy"],
            name=run,
            marker_color=PALETTE[index % len(PALETTE)],
            customdata=part["superclass"],
            hovertemplate="%{x} (%{customdata})<br>accuracy %{y:.1f}%<extra>" + run + "</extra>",
        )
    return _layout(fig, "class", "test accuracy (%)", barmode="group", height=420)


def superclass_bars(per_superclass: pd.DataFrame) -> go.Figure:
    """Superclass accuracy per run (a prediction counts when its superclass is right)."""
    fig = go.Figure()
    for index, (run, part) in enumerate(per_superclass.groupby("run", sort=False)):
        fig.add_bar(
            x=part["superclass"],
            y=100 * part["accuracy"],
            name=run,
            marker_color=PALETTE[index % len(PALETTE)],
            hovertemplate="%{x}<br>superclass accuracy %{y:.1f}%<extra>" + run + "</extra>",
        )
    return _layout(fig, "superclass", "superclass accuracy (%)", barmode="group", height=400)


def confusion_heatmap(confusion: np.ndarray, names: Sequence[str], title: str) -> go.Figure:
    """Rows true class, columns predicted; hover names both classes and the count."""
    names = list(names)
    fig = go.Figure(
        go.Heatmap(
            z=confusion,
            x=names,
            y=names,
            colorscale="Blues",
            colorbar={"title": "images"},
            hovertemplate="true: %{y}<br>predicted: %{x}<br>%{z} images<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    size = 420 if len(names) <= 20 else 720
    return _layout(fig, "predicted class", "true class", title=title, height=size)


def live_curves(history: pd.DataFrame, metric: str) -> go.Figure:
    """One running job's curve (training and validation) per finished epoch."""
    return training_curves({"this run": history}, metric)


def shift_accuracy(table: pd.DataFrame) -> go.Figure:
    """Test accuracy against how far the pictures moved (columns run, shift_px, accuracy)."""
    fig = px.line(
        table.assign(accuracy=100 * table["accuracy"]),
        x="shift_px",
        y="accuracy",
        color="run",
        markers=True,
        color_discrete_sequence=PALETTE,
    )
    fig.update_traces(hovertemplate="%{fullData.name}<br>moved %{x} px: %{y:.1f}%<extra></extra>")
    return _layout(
        fig,
        "pictures moved right (pixels)",
        "test accuracy (%)",
        legend_title_text="",
        yaxis_rangemode="tozero",
        height=360,
    )
