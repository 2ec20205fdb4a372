"""Results: compare runs on curves, metrics, per-class accuracy, confusions and mistakes."""

import streamlit as st

from core import dashboard_data as dd
from core.datasets import get_spec
from core.evaluation import superclass_confusion
from core.runs import ACTIVE, RunNotFound, best_runs, delete_run
from dashboard import cached, charts, content


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


def images_ui(indices, captions: list[str], data) -> None:
    """Crisp upscaled test images with captions, or why they cannot be shown."""
    if len(indices):
        st.image([dd.crisp(data.x_test[i], 3) for i in indices], caption=captions)


st.title("Results")
st.markdown(content("results"))
runs = cached.runs()
if not runs:
    st.info("No runs yet. Train a model on the Train page, then compare it here.")
    st.stop()
for run in runs:
    if not run.readable:
        st.warning(f"{run.run_id} is unreadable: {run.problem}")
    elif run.status in ACTIVE:
        st.info(f"{run.run_id} is still training: its results appear here when it finishes.")
evaluations = {r.run_id: cached.evaluation(r) for r in runs if r.status == "completed"}
for run_id in [key for key, value in evaluations.items() if value is None]:
    st.warning(f"{run_id}: eval.npz is missing or corrupt; delete the run or evaluate it again.")
done = [r for r in runs if evaluations.get(r.run_id) is not None]
if not done:
    st.info("No completed run with an evaluation yet. Finish a run on the Train page.")
    delete_ui([r.run_id for r in runs])
    st.stop()

datasets = sorted({r.dataset for r in done}, key=lambda n: n != "cifar100")
name = (
    st.selectbox("Dataset", datasets, key="results_dataset") if len(datasets) > 1 else datasets[0]
)
spec = get_spec(name)
candidates = {r.run_id: r for r in done if r.dataset == name}
default = [r.run_id for r in best_runs(list(candidates.values())).values()] or [
    next(iter(candidates))
]
chosen = st.multiselect("Runs to compare", list(candidates), default, key="results_runs")
if not chosen:
    st.info("Pick at least one run.")
    st.stop()
selected = [candidates[run_id] for run_id in chosen]
confusions = {r.run_id: evaluations[r.run_id].confusion for r in selected}
per_class = dd.per_class_frame(confusions, spec)
st.markdown(dd.summary_text(selected, per_class))

table = dd.runs_frame(selected).drop(columns=["family", "dataset", "problem"])
formats = {
    "test accuracy": "percent",
    "top-5": "percent",
    "train-test gap": "percent",
    "test loss": "%.3f",
    "wall time (s)": "%.1f",
    "params": "localized",
    "images/s": "%.0f",
}
st.dataframe(
    table,
    hide_index=True,
    key="results_table",
    column_config={
        name: st.column_config.NumberColumn(format=fmt) for name, fmt in formats.items()
    },
)

st.subheader("Learning curves")
histories = {r.run_id: cached.history(r) for r in selected}
for tab, metric in zip(
    st.tabs(["Loss", "Accuracy", "Top-5"]), ("loss", "accuracy", "top5"), strict=True
):
    tab.plotly_chart(charts.training_curves(histories, metric), key=f"results_curve_{metric}")

st.subheader("Accuracy per class")
first = selected[0].run_id
sort = st.radio("Order", ["class id", f"accuracy of {first}"], horizontal=True, key="results_sort")
ranked = per_class[per_class["run"] == first].sort_values("accuracy", ascending=False)
order = ranked["class"] if sort != "class id" else per_class["class"].drop_duplicates()
st.plotly_chart(charts.per_class_bars(per_class, list(order)), key="results_per_class")
if (per_super := dd.per_superclass_frame(confusions, spec)) is not None:
    st.plotly_chart(charts.superclass_bars(per_super), key="results_per_superclass")

st.subheader("Confusions")
run_id = st.selectbox("Run", chosen, key="results_confusion_run")
evaluation = evaluations[run_id]
coarse = spec.fine_to_coarse is not None and st.toggle(
    "Fold into the 20 superclasses", key="results_coarse"
)
if coarse:
    names = [n.replace("_", " ") for n in spec.superclass_names]
    matrix = superclass_confusion(evaluation.confusion, spec.fine_to_coarse)
else:
    names, matrix = [spec.display_name(i) for i in range(spec.num_classes)], evaluation.confusion
st.plotly_chart(
    charts.confusion_heatmap(matrix, names, f"{run_id} (drag to zoom)"), key="results_confusion"
)
pairs = dd.confused_pairs_frame(evaluation.confusion, spec)
st.dataframe(
    pairs.drop(columns=["true_id", "predicted_id"]),
    hide_index=True,
    key="results_pairs",
    column_config={"share of true class": st.column_config.NumberColumn(format="percent")},
)
data, where = cached.dataset(name)
if data is None or len(data.y_test) != len(evaluation.y_true):
    st.info(f"The example images need the test set this run was evaluated on: {where}")
else:
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

with st.expander("Delete a run"):
    delete_ui([r.run_id for r in runs])
