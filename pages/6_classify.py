"""Classify: the live Gradio classifier, embedded; students throw any picture at two models."""

import streamlit as st

from core.inference import usable_runs
from dashboard import cached, content, embed, page_file

st.title("Classify")
st.markdown(content("classify"))

if not usable_runs(cached.models_dir()):
    st.info("No trained models yet: train an MLP and a CNN first, then come back here.")
    st.page_link(
        page_file("4_train.py"), label="Go to the Train page", icon=":material/model_training:"
    )
    st.stop()

try:
    server = embed.gradio_server()
except (RuntimeError, OSError) as error:
    st.error(f"The live classifier could not start: {error}")
    st.stop()

url = embed.show_classifier(server)
st.caption(
    f"The same panel on its own: [{url}]({url}) (or `cifar-lab classify`). "
    "Its API: `gradio_client.Client(url).predict(handle_file(path), api_name='/classify')`."
)
st.page_link(
    page_file("7_feedback.py"), label="See the feedback so far", icon=":material/rate_review:"
)
