"""Train: configure a run, estimate its time, start it in the background and watch it live."""

import streamlit as st

from core import jobs
from core.datasets import DATASETS
from dashboard import cached, content, train_ui

st.title("Train")
st.markdown(content("train"))
running = jobs.running_job(cached.models_dir())
if running is not None:
    st.subheader(f"Training now: {running.run_id}")
    train_ui.live_ui(running.run_id)
elif runs := cached.runs():
    st.subheader("Latest run")
    train_ui.last_run_ui(runs[0])

st.subheader("New run")
name = st.session_state.get("train_dataset", "cifar100")
data, where = cached.dataset(name)
if data is None:
    st.warning(f"{where}\n\nGet the dataset on the Overview page before training.")
total = len(data.y_train) if data is not None else DATASETS[name].train_size
config = train_ui.config_ui(total)
train_ui.estimate_ui(config, total)
if st.button(
    "Start training", key="train_start", type="primary", disabled=data is None
) and train_ui.start_ui(config):
    st.rerun()
