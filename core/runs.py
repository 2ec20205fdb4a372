"""The run store: one folder per training run under the models folder.

Readers never raise on a missing, half-written or corrupt file: the run reads as
unreadable with the reason, and every other run still lists.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from core.atomic import write_json_atomic

RUN_FILE = "run.json"
PROGRESS_FILE = "progress.json"
HISTORY_FILE = "history.csv"
MODEL_FILE = "model.keras"
EVAL_FILE = "eval.npz"
LOG_FILE = "train.log"
JOB_PID_FILE = "job.pid"  # written by the process that started a background job
BACKUP_DIR = "backup"

ACTIVE = ("queued", "running")
STATUSES = ("queued", "running", "completed", "failed", "cancelled", "interrupted")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_QUEUED_GRACE_S = 120  # a queued run with no process after this long was never started


class RunNotFound(LookupError):
    """No run folder of that id."""


def utc_now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_run_id(model: str, dataset: str, models_dir: Path) -> str:
    """``<model>-<dataset>-<UTC yyyymmddThhmmssZ>``, with a suffix if that second is taken."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id, suffix = f"{model}-{dataset}-{stamp}", 1
    while (models_dir / run_id).exists():
        suffix += 1
        run_id = f"{model}-{dataset}-{stamp}-{suffix}"
    return run_id


def run_dir(models_dir: Path, run_id: str) -> Path:
    """The folder of a run, refusing ids that would step outside the models folder."""
    if not _RUN_ID.match(run_id) or run_id in (".", ".."):
        raise RunNotFound(f"{run_id!r} is not a run id (letters, digits, '_', '.', '-').")
    path = models_dir / run_id
    if not (path / RUN_FILE).is_file():
        raise RunNotFound(f"No run {run_id!r} in {models_dir}. `cifar-lab runs` lists the runs.")
    return path


def create_run(models_dir: Path, config: dict[str, Any]) -> Path:
    """Make a run folder holding ``run.json`` with status ``queued``."""
    models_dir.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(config["model"], config["dataset"], models_dir)
    path = models_dir / run_id
    path.mkdir()
    write_json_atomic(
        path / RUN_FILE,
        {"run_id": run_id, "status": "queued", "config": config, "created": utc_now()},
    )
    return path


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or None when it is missing, partial or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def update_run(path: Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into ``run.json`` (atomically) and return the new record."""
    data = read_json(path / RUN_FILE) or {"run_id": path.name}
    data.update(changes, updated=utc_now())
    write_json_atomic(path / RUN_FILE, data)
    return data


def pid_alive(pid: int | None) -> bool:
    """Whether a process of that id exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): the kill probe is all we have
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@dataclass(frozen=True)
class RunInfo:
    """What the dashboard and CLI need to know about one run."""

    run_id: str
    path: Path
    status: str
    data: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def readable(self) -> bool:
        """False when ``run.json`` is missing or corrupt."""
        return self.problem is None

    @property
    def config(self) -> dict[str, Any]:
        """The TrainConfig the run was started with, as a dict."""
        return self.data.get("config", {})

    @property
    def metrics(self) -> dict[str, Any]:
        """Final metrics (test accuracy, loss, ...), empty until the run ends."""
        return self.data.get("metrics") or {}

    @property
    def model_name(self) -> str:
        """The model preset name."""
        return str(self.config.get("model", "?"))

    @property
    def family(self) -> str:
        """``mlp`` or ``cnn``."""
        return str(self.data.get("model", {}).get("family") or self.model_name.split("_")[0])

    @property
    def dataset(self) -> str:
        """The dataset name."""
        return str(self.config.get("dataset", "?"))

    @property
    def test_accuracy(self) -> float | None:
        """Test accuracy in [0, 1], when evaluated."""
        value = self.metrics.get("test_accuracy")
        return float(value) if value is not None else None


def _pid(data: dict[str, Any], path: Path) -> int | None:
    if data.get("pid"):
        return int(data["pid"])
    try:
        return int((path / JOB_PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def job_pid(run: RunInfo) -> int | None:
    """The training process of a run: from run.json, or from the job that started it."""
    return _pid(run.data, run.path)


def effective_status(data: dict[str, Any], path: Path) -> str:
    """The stored status, except an active run whose process is gone reads ``interrupted``."""
    status = str(data.get("status", "unknown"))
    if status not in ACTIVE:
        return status
    pid = _pid(data, path)
    if pid_alive(pid):
        return status
    if status == "queued" and not pid:
        age = datetime.now(timezone.utc).timestamp() - (path / RUN_FILE).stat().st_mtime
        if age < _QUEUED_GRACE_S:
            return status
    return "interrupted"


def read_run(path: Path) -> RunInfo:
    """Read one run folder; never raises."""
    data = read_json(path / RUN_FILE)
    if data is None:
        reason = "run.json is missing" if not (path / RUN_FILE).exists() else "run.json is corrupt"
        return RunInfo(path.name, path, "unreadable", {}, f"{reason}: delete the run folder.")
    return RunInfo(str(data.get("run_id", path.name)), path, effective_status(data, path), data)


def list_runs(models_dir: Path) -> list[RunInfo]:
    """Every run folder, newest first (run ids sort by time within a model)."""
    if not models_dir.is_dir():
        return []
    folders = [
        path
        for path in models_dir.iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    ]
    runs = [read_run(path) for path in folders]
    return sorted(runs, key=lambda run: str(run.data.get("created", "")), reverse=True)


def best_runs(runs: list[RunInfo], dataset: str | None = None) -> dict[str, RunInfo]:
    """The completed run with the best test accuracy in each family (``mlp``, ``cnn``)."""
    best: dict[str, RunInfo] = {}
    for run in runs:
        if run.status != "completed" or not run.readable or run.test_accuracy is None:
            continue
        if dataset is not None and run.dataset != dataset:
            continue
        current = best.get(run.family)
        if current is None or run.test_accuracy > (current.test_accuracy or 0.0):
            best[run.family] = run
    return best


def delete_run(models_dir: Path, run_id: str) -> None:
    """Remove a run folder; a run still training must be cancelled first."""
    path = run_dir(models_dir, run_id)
    if read_run(path).status in ACTIVE:
        raise RuntimeError(f"Run {run_id} is still training: cancel it before deleting it.")
    shutil.rmtree(path)


def read_progress(path: Path) -> dict[str, Any] | None:
    """The latest ``progress.json``, or None when absent or partial."""
    return read_json(path / PROGRESS_FILE)


def read_history(path: Path) -> pd.DataFrame:
    """Per-epoch metrics from ``history.csv``; a half-written last line is left out."""
    try:
        text = (path / HISTORY_FILE).read_text(encoding="utf-8")
    except OSError:
        return pd.DataFrame()
    lines = text.splitlines(keepends=True)
    if not lines:
        return pd.DataFrame()
    header = next(csv.reader([lines[0]]))
    complete = [lines[0]] + [
        line
        for line in lines[1:]
        if line.endswith("\n") and len(next(csv.reader([line]), [])) == len(header)
    ]
    try:
        frame = pd.read_csv(io.StringIO("".join(complete)))
    except (ValueError, pd.errors.ParserError):
        return pd.DataFrame()
    # CSVLogger writes NA val_* columns when a run has no validation split.
    frame = frame.dropna(axis=1, how="all")
    if "epoch" in frame:
        # CSVLogger counts from 0; a resumed run may repeat an epoch: keep the last.
        frame["epoch"] = frame["epoch"].astype(int) + 1
        frame = frame.drop_duplicates("epoch", keep="last").reset_index(drop=True)
    return frame


def read_log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of ``train.log``."""
    try:
        with open(path / LOG_FILE, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16_384))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    # Keras' progress bar redraws with carriage returns: keep the last state of each line.
    cleaned = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return "\n".join([line for line in cleaned if line.strip()][-lines:])


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
