"""Feedback: what the class said about the live predictions, per model and per true class."""

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core.feedback import load_feedback, summarize_feedback
from core.images import upscale_for_display
from core.settings import load_settings
from dashboard import content, page_file

GALLERY = 40  # newest pictures shown

st.title("Feedback")
st.markdown(content("feedback"))

root = load_settings().feedback_dir
log = load_feedback(root)
if log.unreadable:
    st.warning(f"{log.unreadable} feedback file(s) could not be read and are left out.")
if not log.records:
    st.info("No feedback yet: classify a few pictures and mark the predictions right or wrong.")
    st.page_link(page_file("6_classify.py"), label="Go to Classify", icon=":material/image_search:")
    st.stop()

records = log.records
summary = summarize_feedback(records)
right = sum(record.correct for record in records)
total, middle, last = st.columns(3)
total.metric("Verdicts", len(records))
middle.metric("Predictions marked right", right)
last.metric("Classes named", len(summary["by_true_class"]))

st.subheader("How often each model was right")
by_model = pd.DataFrame(summary["by_model"]).rename(
    columns={"model_name": "model", "count": "verdicts", "correct": "right"}
)
by_model["rate"] = (by_model["rate"] * 100).round(1)
st.dataframe(
    by_model,
    hide_index=True,
    column_config={"rate": st.column_config.NumberColumn("right (%)", format="%.1f")},
    key="feedback_by_model",
)

st.subheader("Per true class")
by_class = pd.DataFrame(summary["by_true_class"]).rename(
    columns={"true_label": "true class", "count": "verdicts", "correct": "right"}
)
by_class["true class"] = by_class["true class"].str.replace("_", " ")
st.dataframe(
    by_class.sort_values("verdicts", ascending=False), hide_index=True, key="feedback_by_class"
)

st.subheader("The pictures")
columns = st.columns(8)
for index, record in enumerate(reversed(records[-GALLERY:])):
    try:
        picture = upscale_for_display(np.asarray(Image.open(root / record.image_file)), 96)
    except (OSError, ValueError):
        continue
    mark = "right" if record.correct else f"was {record.true_label}"
    caption = f"{record.model_name}: {record.predicted} ({mark})".replace("_", " ")
    columns[index % len(columns)].image(picture, caption=caption)
