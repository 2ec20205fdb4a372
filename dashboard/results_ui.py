"""The Results page's widgets: picking runs, metrics, curves, per-class bars, confusions, shifts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core import dashboard_data as dd
from core.datasets import Dataset, DatasetSpec
from core.evaluation import Evaluation, superclass_confusion
from core.model_files import ModelCorrupt
from core.robustness import LIMIT, SHIFTS, shift_summary
from core.runs import ACTIVE, RunInfo, RunNotFound, best_runs, delete_run
from dashboard import cached, charts, content

# Column formats of the metrics table (Streamlit NumberColumn formats).
FORMATS = {
    "test accuracy": "percent",
    "top-5": "percent",
    "train-test gap": "percent",
    "test loss": "%.3f",
    "wall time (s)": "%.1f",
    "params": "localized",
    "images/s": "%.0f",
}


def evaluations_ui(runs: Sequence[RunInfo]) -> dict[str, Evaluation]:
    """Evaluations of the completed runs; notes on unreadable, running and unevaluated runs."""
    for run in runs:
        if not run.readable:
            st.warning(f"{run.run_id} is unreadable: {run.problem}")
        elif run.status in ACTIVE:
            st.info(f"{run.run_id} is still training: its results appear here when it finishes.")
    evaluations = {r.run_id: cached.evaluation(r) for r in runs if r.status == "completed"}
    for run_id in [key for key, value in evaluations.items() if value is None]:
        st.warning(
            f"{run_id}: eval.npz is missing or corrupt; delete the run or evaluate it again."
        )
    return {key: value for key, value in evaluations.items() if value is not None}


def dataset_ui(runs: Sequence[RunInfo]) -> str:
    """The dataset to compare on (CIFAR-100 first); a picker only when the runs use several."""
    datasets = sorted({r.dataset for r in runs}, key=lambda n: n != "cifar100")
    if len(datasets) > 1:
        return st.selectbox("Dataset", datasets, key="results_dataset")
    return datasets[0]


def runs_ui(runs: Sequence[RunInfo]) -> list[RunInfo]:
    """The runs to compare, the best of each family preselected; may be empty."""
    candidates = {r.run_id: r for r in runs}
    default = [r.run_id for r in best_runs(list(candidates.values())).values()] or [
        next(iter(candidates))
    ]
    chosen = st.multiselect("Runs to compare", list(candidates), default, key="results_runs")
    return [candidates[run_id] for run_id in chosen]


def metrics_table_ui(runs: Sequence[RunInfo]) -> None:
    """One row of headline metrics per run."""
    table = dd.runs_frame(runs).drop(columns=["family", "dataset", "problem"])
    st.dataframe(
        table,
        hide_index=True,
        key="results_table",
        column_config={
            name: st.column_config.NumberColumn(format=fmt) for name, fmt in FORMATS.items()
        },
    )


def curves_ui(runs: Sequence[RunInfo]) -> None:
    """Loss, accuracy and top-5 per epoch of every run, one tab each."""
    histories = {r.run_id: cached.history(r) for r in runs}
    for tab, metric in zip(
        st.tabs(["Loss", "Accuracy", "Top-5"]), ("loss", "accuracy", "top5"), strict=True
    ):
        tab.plotly_chart(charts.training_curves(histories, metric), key=f"results_curve_{metric}")


def per_class_ui(per_class: pd.DataFrame, per_super: pd.DataFrame | None, first: str) -> None:
    """Accuracy per class, ordered by class id or by run ``first``; then per superclass."""
    sort = st.radio(
        "Order", ["class id", f"accuracy of {first}"], horizontal=True, key="results_sort"
    )
    ranked = per_class[per_class["run"] == first].sort_values("accuracy", ascending=False)
    order = ranked["class"] if sort != "class id" else per_class["class"].drop_duplicates()
    st.plotly_chart(charts.per_class_bars(per_class, list(order)), key="results_per_class")
    if per_super is not None:
        st.plotly_chart(charts.superclass_bars(per_super), key="results_per_superclass")


def confusion_ui(
    run_ids: Sequence[str], evaluations: Mapping[str, Evaluation], spec: DatasetSpec
) -> tuple[Evaluation, pd.DataFrame]:
    """A run's confusion matrix and its most confused pairs; returns its evaluation and pairs."""
    run_id = st.selectbox("Run", run_ids, key="results_confusion_run")
    evaluation = evaluations[run_id]
    coarse = spec.fine_to_coarse is not None and st.toggle(
        "Fold into the 20 superclasses", key="results_coarse"
    )
    if coarse:
        names = [n.replace("_", " ") for n in spec.superclass_names]
        matrix = superclass_confusion(evaluation.confusion, spec.fine_to_coarse)
    else:
        names = [spec.display_name(i) for i in range(spec.num_classes)]
        matrix = evaluation.confusion
    st.plotly_chart(
        charts.confusion_heatmap(matrix, names, f"{run_id} (drag to zoom)"),
        key="results_confusion",
    )
    pairs = dd.confused_pairs_frame(evaluation.confusion, spec)
    st.dataframe(
        pairs.drop(columns=["true_id", "predicted_id"]),
        hide_index=True,
        key="results_pairs",
        column_config={"share of true class": st.column_config.NumberColumn(format="percent")},
    )
    return evaluation, pairs


def examples_ui(
    evaluation: Evaluation, pairs: pd.DataFrame, spec: DatasetSpec, data: Dataset
) -> None:
    """Test images of the most confused pair, then a sample of misclassified ones."""
    if not pairs.empty:
        top = pairs.iloc[0]
        st.caption(f"{top['true class']} predicted as {top['predicted as']}:")
        hits = dd.pair_indices(
            evaluation.y_true, evaluation.y_pred, top["true_id"], top["predicted_id"]
        )
        images_ui(hits, [top["true class"]] * len(hits), data)
    st.subheader("Misclassified test images")
    wrong = dd.misclassified_indices(evaluation.y_true, evaluation.y_pred, 16)
    labels = [
        f"{spec.display_name(evaluation.y_true[i])} → {spec.display_name(evaluation.y_pred[i])}"
        for i in wrong
    ]
    images_ui(wrong, labels, data)


def images_ui(indices: np.ndarray, captions: list[str], data: Dataset) -> None:
    """Crisp upscaled test images with captions (nothing when there are none)."""
    if len(indices):
        st.image([dd.crisp(data.x_test[i], 3) for i in indices], caption=captions)


def shift_ui(runs: Sequence[RunInfo], data: Dataset | None, where: str) -> None:
    """The shifted-pictures experiment: computed on click, then kept while the runs stay."""
    st.markdown(content("results_shift"))
    if data is None:
        st.info(f"The shift experiment needs the test set: {where}")
        return
    run_ids = [run.run_id for run in runs]
    if st.button("Shift the test pictures", key="results_shift", icon=":material/swap_horiz:"):
        st.session_state["results_shift_done"] = run_ids
    if st.session_state.get("results_shift_done") != run_ids:
        return
    tables = []
    images = min(LIMIT, len(data.y_test))
    with st.spinner(
        f"Moving {images:,} test pictures by {', '.join(map(str, SHIFTS))} pixels through "
        "each model (seconds per model; up to half a minute for a float32 CNN) ..."
    ):
        for run in runs:
            try:
                tables.append(cached.shift_accuracy(run, data).assign(run=run.run_id))
            except ModelCorrupt as error:
                st.warning(f"{run.run_id} is left out of the shift experiment: {error}")
    if not tables:
        return
    table = pd.concat(tables, ignore_index=True)
    st.plotly_chart(charts.shift_accuracy(table), key="results_shift_chart")
    st.markdown(shift_summary(table))
    st.caption(f"{images:,} test images per run, the same ones for every run and shift.")


def delete_ui(run_ids: list[str]) -> None:
    """Delete a run after a second, explicit confirmation."""
    target = st.selectbox("Run to delete", run_ids, key="results_delete_run")
    if st.button("Delete ...", key="results_delete", icon=":material/delete:"):
        st.session_state["results_confirm"] = target
    if st.session_state.get("results_confirm") != target:
        return
    st.warning(f"Delete {target} and all its files (model, history, evaluation)? No undo.")
    yes, no = st.columns(2)
    if yes.button("Yes, delete it", key="results_delete_yes", type="primary"):
        try:
            delete_run(cached.models_dir(), target)
        except (RunNotFound, RuntimeError, OSError) as error:
            st.error(str(error))
            return
        st.session_state.pop("results_confirm")
        st.rerun()
    if no.button("Keep it", key="results_delete_no"):
        st.session_state.pop("results_confirm")
        st.rerun()
