"""The Train page's widgets: settings, time estimate, start or resume, the live job, last run."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import jobs
from core.config import OPTIMIZERS, TrainConfig
from core.dashboard_data import format_duration, percent, plural, train_images
from core.datasets import DATASETS
from core.presets import PRESETS
from core.runs import ACTIVE, RunInfo, read_log_tail, read_progress, read_run
from dashboard import cached, charts, page_file

STOPPING = {
    "val_loss": "validation loss (recommended)",
    "seed": "training loss (the seed's)",
    "off": "off",
}


def config_ui(total: int) -> TrainConfig:
    """The training settings; returns them as a TrainConfig."""
    left, middle, right = st.columns(3)
    name = left.selectbox(
        "Dataset", list(DATASETS), format_func=lambda n: DATASETS[n].title, key="train_dataset"
    )
    model = left.selectbox(
        "Model preset", list(PRESETS), format_func=lambda k: PRESETS[k].title, key="train_model"
    )
    preset = PRESETS[model]
    epochs = left.number_input("Epochs (at most)", 1, 500, 30, key="train_epochs")
    batch = middle.select_slider(
        "Batch size", [32, 64, 128, 256, 512], preset.batch_size, key=f"train_batch_{model}"
    )
    rate = middle.number_input(
        "Learning rate", 1e-5, 1.0, preset.learning_rate, format="%.5f", key=f"train_lr_{model}"
    )
    optimizer = middle.selectbox(
        "Optimizer", OPTIMIZERS, OPTIMIZERS.index(preset.optimizer), key=f"train_optimizer_{model}"
    )
    dropout = middle.slider("Dropout", 0.0, 0.8, preset.dropout, 0.05, key=f"train_dropout_{model}")
    augment = right.toggle(
        "Augmentation (flips, shifts)", preset.augment, key=f"train_augment_{model}"
    )
    val = right.number_input(
        "Validation images", 0, max(total - 1, 0), min(5000, total // 10), key="train_val"
    )
    subset = right.slider("Share of training images used", 0.05, 1.0, 1.0, 0.05, key="train_subset")
    stopping = right.radio(
        "Early stopping on", list(STOPPING), format_func=STOPPING.get, key="train_early"
    )
    path = cached.data_path(name)
    return TrainConfig(
        model=model,
        dataset=name,
        epochs=int(epochs),
        batch_size=int(batch),
        learning_rate=float(rate),
        optimizer=optimizer,
        dropout=float(dropout),
        augment=augment,
        val_size=int(val),
        subset=float(subset),
        early_stopping=stopping,
        data_path=str(path) if path else None,
    )


def estimate_ui(config: TrainConfig, total: int) -> None:
    """Time a few train steps of this run here, then show the time per epoch and in all."""
    n_train = train_images(total, config.val_size, config.subset)
    key = (replace(config, epochs=1), n_train)  # the epoch count only scales the total
    if st.button("Estimate time per epoch", key="train_estimate"):
        from core.estimate import estimate_epoch  # imports TensorFlow: only when asked

        with st.spinner("Timing a few training steps on this machine ..."):
            guess = estimate_epoch(config, n_train, config.val_size)
        st.session_state["train_estimate_result"] = (key, guess)
    saved = st.session_state.get("train_estimate_result")
    if saved and saved[0] == key:
        guess = saved[1]
        st.info(
            f"About **{format_duration(guess.epoch_s)} per epoch** on this machine "
            f"({guess.steps_per_epoch} steps of {1000 * guess.step_s:.0f} ms, "
            f"{guess.images_per_s:,.0f} images/s, {guess.precision}, validation included; "
            f"the first epoch adds {format_duration(guess.times.first_epoch_extra_s)} of "
            f"graph tracing). {plural(config.epochs, 'epoch')} at most: "
            f"{format_duration(guess.total_s(config.epochs))}."
        )


def start_ui(config: TrainConfig, resume: str | None = None) -> bool:
    """Start (or resume) the job; a refusal names the running job. True when it started."""
    try:
        run_id = jobs.start(config, cached.models_dir(), resume=resume)
    except jobs.JobRefused as error:
        st.error(str(error))
    except ValueError as error:
        st.error(f"Check the settings: {error}")
    else:
        st.session_state["train_run"] = run_id
        return True
    return False


@st.fragment(run_every=2)
def live_ui(run_id: str) -> None:
    """Progress, ETA, images/s, curves and log of the running job, refreshed every 2 s."""
    run = read_run(cached.models_dir() / run_id)
    if run.status not in ACTIVE:
        st.rerun()  # redraw the whole page with the final state
    progress = read_progress(run.path) or {}
    epoch, epochs = progress.get("epoch", 0), progress.get("epochs") or run.config.get("epochs", 1)
    batch, steps = progress.get("batch", 0), progress.get("steps") or 1
    done = max(epoch - 1, 0) + batch / steps if progress else 0.0
    text = f"{run_id}: starting (loading TensorFlow and the data) ..."
    if progress:
        text = f"{run_id}: {run.status}, epoch {epoch}/{epochs}, batch {batch}/{steps}"
        if run.data.get("precision"):
            text += f" ({run.data['precision']})"
    st.progress(min(done / epochs, 1.0), text=text)
    columns = st.columns(4)
    columns[0].metric("ETA", format_duration(progress.get("eta_s")))
    columns[1].metric("Images/s", f"{progress.get('images_per_s') or 0:,.0f}")
    columns[2].metric("Batch loss", f"{progress.get('loss') or 0:.3f}")
    columns[3].metric("Batch accuracy", percent(progress.get("accuracy")))
    history = cached.history(run)
    if not history.empty:
        left, right = st.columns(2)
        left.plotly_chart(charts.live_curves(history, "loss"), key="train_live_loss")
        right.plotly_chart(charts.live_curves(history, "accuracy"), key="train_live_accuracy")
    st.code(read_log_tail(run.path, 12) or "(no output yet)", language=None)
    if st.button("Cancel", key="train_cancel", icon=":material/stop:"):
        jobs.cancel(run_id, cached.models_dir())
        st.info("Cancelling: the run stops after the current batch, keeping its history.")


def last_run_ui(run: RunInfo) -> None:
    """The outcome of the latest run: metrics, the error, or a Resume button."""
    if run.status == "completed":
        st.success(f"{run.run_id} completed: test accuracy {percent(run.test_accuracy)}.")
        st.page_link(page_file("5_results.py"), label="Compare it on the Results page")
    elif run.status == "failed":
        st.error(f"{run.run_id} failed: {run.data.get('error') or 'see the log'}")
        st.code(read_log_tail(run.path, 12) or "(no log)", language=None)
    elif run.status in ("interrupted", "cancelled"):
        st.warning(f"{run.run_id} was {run.status} after {len(cached.history(run))} epoch(s).")
        config = TrainConfig.from_dict(run.config)
        if st.button(f"Resume {run.run_id}", key="train_resume") and start_ui(config, run.run_id):
            st.rerun()
    elif run.status in ACTIVE:
        st.info(f"{run.run_id} is {run.status} outside this dashboard (started from the CLI?).")
    elif not run.readable:
        st.error(f"{run.run_id} cannot be read: {run.problem}")
