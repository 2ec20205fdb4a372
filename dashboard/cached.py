"""The one home of ``st.cache_data`` / ``st.cache_resource``: keyed on file mtimes, no TTL.

Datasets and Keras models are resources (loaded once per process); tables derived from them
are data. A run's history or evaluation is keyed on its file's mtime, so a new epoch or a
finished run shows up on the next rerun without restarting the app.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core import dashboard_data
from core.cifar_format import DataFormatError
from core.datasets import Dataset, DatasetUnavailable, dataset_status
from core.evaluation import Evaluation, read_evaluation
from core.runs import EVAL_FILE, HISTORY_FILE, MODEL_FILE, RunInfo, list_runs, read_history
from core.settings import load_settings

DATA_PATH_KEY = "data_path"  # session state: a local dataset copy the user pointed at


def mtime(path: Path) -> float:
    """Modification time of a file or folder, 0.0 when it is missing."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def models_dir() -> Path:
    """The run folder root (``CIFAR_LAB_MODELS_DIR``), read fresh on every rerun."""
    return load_settings().models_dir


def data_path(name: str) -> Path | None:
    """The local copy of CIFAR-100 the user pointed at on the Overview page, if any."""
    value = st.session_state.get(DATA_PATH_KEY)
    return Path(value) if value and name == "cifar100" else None


def runs() -> list[RunInfo]:
    """Every run, newest first (cheap: a few small JSON files, and live statuses)."""
    return list_runs(models_dir())


@st.cache_resource(max_entries=2, show_spinner="Loading the dataset ...")
def _load_dataset(name: str, path: str | None, _key: tuple) -> Dataset:
    from core.datasets import load_dataset

    return load_dataset(name, Path(path) if path else None, download_missing=False)


def dataset(name: str) -> tuple[Dataset | None, str]:
    """The loaded dataset, or None and what is missing and what to do about it."""
    path = data_path(name)
    status = dataset_status(name, path)
    if not status.available:
        return None, status.message
    key = (status.where, mtime(Path(status.where.split(" ", 2)[-1])))
    try:
        return _load_dataset(name, str(path) if path else None, key), status.where
    except (DatasetUnavailable, DataFormatError, OSError, ValueError) as error:
        return None, f"{status.spec.title} could not be read from {status.where}: {error}"


def _dataset_key(data: Dataset) -> tuple:
    return (data.spec.name, data.source, len(data.y_train), len(data.y_test))


@st.cache_data(max_entries=4, show_spinner=False)
def _class_counts(_data: Dataset, key: tuple) -> pd.DataFrame:
    return dashboard_data.class_counts_frame(_data.spec, _data.y_train, _data.y_test)


def class_counts(data: Dataset) -> pd.DataFrame:
    """Images per class and split."""
    return _class_counts(data, _dataset_key(data))


@st.cache_data(max_entries=4, show_spinner="Averaging the images of each class ...")
def _mean_images(_data: Dataset, key: tuple) -> np.ndarray:
    return dashboard_data.mean_images(_data.x_train, _data.y_train, _data.spec.num_classes)


def mean_images(data: Dataset) -> np.ndarray:
    """The mean training image of each class."""
    return _mean_images(data, _dataset_key(data))


@st.cache_data(max_entries=4, show_spinner="Counting pixels ...")
def _pixel_stats(_data: Dataset, key: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    return dashboard_data.channel_stats(_data.x_train), dashboard_data.pixel_histogram(
        _data.x_train
    )


def pixel_stats(data: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-channel mean/std and the pixel-value histogram of the training images."""
    return _pixel_stats(data, _dataset_key(data))


@st.cache_resource(max_entries=8, show_spinner="Building the model ...")
def built_model(name: str, input_shape: tuple[int, ...], num_classes: int):
    """An (untrained) preset model, built once per process."""
    from core.models import build_model

    return build_model(name, tuple(input_shape), num_classes)


@st.cache_data(max_entries=8, show_spinner=False)
def layers(name: str, input_shape: tuple[int, ...], num_classes: int) -> pd.DataFrame:
    """The model's layer table with shapes, parameters and multiply-adds."""
    from core.models import layer_table

    return dashboard_data.layers_frame(layer_table(built_model(name, input_shape, num_classes)))


@st.cache_data(max_entries=64, show_spinner=False)
def _history(path: str, key: float) -> pd.DataFrame:
    return read_history(Path(path))


def history(run: RunInfo) -> pd.DataFrame:
    """Per-epoch metrics of a run, re-read when ``history.csv`` changes."""
    return _history(str(run.path), mtime(run.path / HISTORY_FILE))


@st.cache_resource(max_entries=16, show_spinner=False)
def _evaluation(path: str, key: float) -> Evaluation | None:
    return read_evaluation(Path(path))


def evaluation(run: RunInfo) -> Evaluation | None:
    """A run's test labels, probabilities and confusion matrix (None when missing)."""
    return _evaluation(str(run.path), mtime(run.path / EVAL_FILE))


@st.cache_data(max_entries=32, show_spinner=False)
def _shift_accuracy(
    path: str, key: tuple[int, int], _data: Dataset, data_key: tuple
) -> pd.DataFrame:
    from core.robustness import shift_report

    return shift_report(Path(path), _data.x_test, _data.y_test)


def shift_accuracy(run: RunInfo, data: Dataset) -> pd.DataFrame:
    """A run's test accuracy on shifted pictures, recomputed when ``model.keras`` changes.

    Raises ModelCorrupt (never cached) when the model is missing or cannot be loaded.
    """
    try:
        stat = (run.path / MODEL_FILE).stat()
        key = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (0, 0)
    return _shift_accuracy(str(run.path), key, data, _dataset_key(data))
