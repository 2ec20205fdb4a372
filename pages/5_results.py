"""Results: compare runs on curves, metrics, per-class accuracy, confusions, mistakes, shifts."""

import streamlit as st

from core import dashboard_data as dd
from core.datasets import get_spec
from dashboard import cached, content, results_ui

st.title("Results")
st.markdown(content("results"))
runs = cached.runs()
if not runs:
    st.info("No runs yet. Train a model on the Train page, then compare it here.")
    st.stop()
evaluations = results_ui.evaluations_ui(runs)
done = [r for r in runs if r.run_id in evaluations]
if not done:
    st.info("No completed run with an evaluation yet. Finish a run on the Train page.")
    results_ui.delete_ui([r.run_id for r in runs])
    st.stop()

name = results_ui.dataset_ui(done)
spec = get_spec(name)
selected = results_ui.runs_ui([r for r in done if r.dataset == name])
if not selected:
    st.info("Pick at least one run.")
    st.stop()
confusions = {r.run_id: evaluations[r.run_id].confusion for r in selected}
per_class = dd.per_class_frame(confusions, spec)
st.markdown(dd.summary_text(selected, per_class))
results_ui.metrics_table_ui(selected)

st.subheader("Learning curves")
results_ui.curves_ui(selected)

st.subheader("Accuracy per class")
per_super = dd.per_superclass_frame(confusions, spec)
results_ui.per_class_ui(per_class, per_super, selected[0].run_id)

st.subheader("Confusions")
run_ids = [r.run_id for r in selected]
evaluation, pairs = results_ui.confusion_ui(run_ids, evaluations, spec)
data, where = cached.dataset(name)
if data is None or len(data.y_test) != len(evaluation.y_true):
    st.info(f"The example images need the test set this run was evaluated on: {where}")
else:
    results_ui.examples_ui(evaluation, pairs, spec, data)

st.subheader("Shifted pictures")
results_ui.shift_ui(selected, data, where)

with st.expander("Delete a run"):
    results_ui.delete_ui([r.run_id for r in runs])
