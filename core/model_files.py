"""Loading a run's ``model.keras``: only files the product wrote, hash-checked, safe mode."""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras

from core.runs import MODEL_FILE, RUN_FILE, read_json, sha256_file


class ModelCorrupt(RuntimeError):
    """The run's model file is missing, damaged, or not the one training wrote."""


def load_run_model(run_path: Path) -> keras.Model:
    """Load a run's model after checking it is a complete zip whose SHA-256 matches run.json."""
    path = run_path / MODEL_FILE
    if not path.is_file():
        raise ModelCorrupt(f"{run_path.name} has no model file: retrain or delete the run.")
    if path.stat().st_size == 0 or not zipfile.is_zipfile(path):
        raise ModelCorrupt(f"{run_path.name}: model file is corrupt, retrain or delete the run.")
    expected = (read_json(run_path / RUN_FILE) or {}).get("model_sha256")
    if expected and sha256_file(path) != expected:
        raise ModelCorrupt(
            f"{run_path.name}: model file does not match the SHA-256 recorded when it was "
            "trained (changed or damaged): retrain or delete the run."
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise ModelCorrupt(
            f"{run_path.name}: model file is corrupt, retrain or delete the run ({error})."
        ) from error
