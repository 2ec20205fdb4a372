"""Classify: placeholder until the live Gradio classifier panel lands."""

import streamlit as st

st.title("Classify")
st.info("The live classifier panel is not available yet.")
