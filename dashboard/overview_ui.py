"""The Overview page's widgets: getting CIFAR-100, the best runs against the seed, next steps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from core.dashboard_data import SEED_ACCURACY, percent
from core.datasets import DatasetUnavailable, dataset_status, load_dataset
from core.runs import RunInfo, best_runs
from dashboard import charts, page_file

# The links under "Next steps": page script, label, icon.
NEXT_STEPS = (
    ("2_dataset.py", "Look at the data", ":material/photo_library:"),
    ("3_architectures.py", "Compare the architectures", ":material/account_tree:"),
    ("4_train.py", "Train a model", ":material/model_training:"),
    ("5_results.py", "Compare results", ":material/leaderboard:"),
)


def download_ui() -> None:
    """Download CIFAR-100 into the Keras cache with a progress bar."""
    if not st.button("Download CIFAR-100 (169 MB)", key="overview_download", type="primary"):
        return
    bar = st.progress(0.0, text="Starting the download ...")

    def report(done: int, total: int) -> None:
        bar.progress(
            min(done / max(total, 1), 1.0), text=f"{done / 1e6:.0f} / {total / 1e6:.0f} MB"
        )

    try:
        load_dataset("cifar100", download_missing=True, progress=report)
    except (DatasetUnavailable, OSError, ValueError) as error:
        st.error(f"The download failed: {error}")
    else:
        st.rerun()


def local_copy_ui() -> str | None:
    """A field to point at a local copy; returns the path once it exists."""
    value = st.text_input(
        "Or point at a local copy (cifar-100-python.tar.gz or its folder)",
        key="overview_local_path",
        placeholder="/data/cifar-100-python.tar.gz",
    )
    if st.button("Use this copy", key="overview_use_path") and value:
        if dataset_status("cifar100", Path(value).expanduser()).available:
            return str(Path(value).expanduser())
        st.error(f"Nothing at {value}: give the path of the archive or of its folder.")
    return None


def best_runs_ui(runs: Sequence[RunInfo]) -> None:
    """How many runs, the best MLP and CNN on CIFAR-100 and a chart of both against the seed."""
    best = best_runs(list(runs), dataset="cifar100")
    done = sum(run.status == "completed" for run in runs)
    st.caption(f"{len(runs)} run(s), {done} completed. Seed reference: MLP 27.0%, CNN 48.7%.")
    columns = st.columns(2)
    for column, family in zip(columns, ("mlp", "cnn"), strict=True):
        run = best.get(family)
        seed = SEED_ACCURACY[family]
        if run is None:
            column.metric(
                f"Best {family.upper()}", "—", help="No completed run of this family yet."
            )
        else:
            delta = f"{100 * ((run.test_accuracy or 0) - seed):+.1f} pts vs seed"
            column.metric(
                f"Best {family.upper()}", percent(run.test_accuracy), delta, help=run.run_id
            )
    if best:
        frame = pd.DataFrame(
            [
                {"label": f"{f.upper()}: {r.run_id}", "test accuracy": r.test_accuracy}
                for f, r in best.items()
            ]
        )
        references = {"seed MLP": SEED_ACCURACY["mlp"], "seed CNN": SEED_ACCURACY["cnn"]}
        st.plotly_chart(charts.accuracy_vs_seed(frame, references), key="overview_best_chart")


def next_steps_ui() -> None:
    """A row of links to the other pages."""
    for column, (page, label, icon) in zip(st.columns(len(NEXT_STEPS)), NEXT_STEPS, strict=True):
        column.page_link(page_file(page), label=label, icon=icon)
