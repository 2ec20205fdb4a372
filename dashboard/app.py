"""Streamlit entry point: ``streamlit run dashboard/app.py`` (``make run``) on 127.0.0.1:8501."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the repo
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import PAGES_DIR  # noqa: E402

PAGES = (
    ("1_overview.py", "Overview", ":material/home:"),
    ("2_dataset.py", "Dataset", ":material/photo_library:"),
    ("3_architectures.py", "Architectures", ":material/account_tree:"),
    ("4_train.py", "Train", ":material/model_training:"),
    ("5_results.py", "Results", ":material/leaderboard:"),
    ("6_classify.py", "Classify", ":material/image_search:"),
    ("7_feedback.py", "Feedback", ":material/rate_review:"),
)

st.set_page_config(page_title="cifar-lab", page_icon=":material/science:", layout="wide")
pages = [
    st.Page(PAGES_DIR / file, title=title, icon=icon, default=index == 0)
    for index, (file, title, icon) in enumerate(PAGES)
    if (PAGES_DIR / file).is_file()  # Classify and Feedback arrive from another branch
]
st.navigation(pages).run()
