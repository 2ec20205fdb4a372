"""Overview: what the lab is, whether the dataset is here, the best runs against the seed."""

import streamlit as st

from core.datasets import dataset_status
from dashboard import cached, content, overview_ui

st.title("cifar-lab")
st.markdown(content("overview"))

st.subheader("Dataset")
status = dataset_status("cifar100", cached.data_path("cifar100"))
if status.available:
    st.success(f"CIFAR-100 is available ({status.where}).")
else:
    st.warning(f"CIFAR-100 is not available. {status.message}")
    overview_ui.download_ui()
    if chosen := overview_ui.local_copy_ui():
        st.session_state[cached.DATA_PATH_KEY] = chosen
        st.rerun()

st.subheader("Runs so far")
runs = cached.runs()
if not runs:
    st.info("No runs yet. Train the MLP and the CNN on the Train page to fill this in.")
else:
    overview_ui.best_runs_ui(runs)

st.subheader("Next steps")
overview_ui.next_steps_ui()
