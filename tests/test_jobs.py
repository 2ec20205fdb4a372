"""Background jobs: one at a time, cancel keeps what was learned, kill -9 then resume."""

from __future__ import annotations

import os
import signal
import time
import zipfile
from pathlib import Path

import pytest

from core import jobs
from core.config import TrainConfig
from core.runs import job_pid, pid_alive, read_history, read_run

pytestmark = pytest.mark.slow


def _wait_for(predicate, timeout: float = 180.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _epochs_done(path: Path) -> int:
    return len(read_history(path))


def _config(epochs: int) -> TrainConfig:
    return TrainConfig(model="mlp_seed", epochs=epochs, val_size=100, precision="float32",
                       early_stopping="off")  # fmt: skip


def test_second_start_is_refused_and_cancel_keeps_history(cifar100_data: Path):
    models_dir = Path(os.environ["CIFAR_LAB_MODELS_DIR"])
    run_id = jobs.start(_config(200))
    with pytest.raises(jobs.JobRefused, match=run_id):
        jobs.start(_config(1))
    assert jobs.running_job().run_id == run_id
    path = models_dir / run_id
    _wait_for(lambda: _epochs_done(path) >= 2, what="two epochs")
    pid = job_pid(read_run(path))
    assert jobs.cancel(run_id, wait_s=60)
    run = read_run(path)
    assert run.status == "cancelled"
    assert _epochs_done(path) >= 2 and zipfile.is_zipfile(path / "model.keras")
    _wait_for(lambda: not pid_alive(pid), timeout=30, what="the process to end")
    assert jobs.running_job() is None
    assert len([p for p in models_dir.iterdir() if p.is_dir()]) == 1  # no duplicate run


def test_kill_9_mid_training_reads_interrupted_and_resume_finishes_the_rest(cifar100_data: Path):
    models_dir = Path(os.environ["CIFAR_LAB_MODELS_DIR"])
    epochs = 10
    run_id = jobs.start(_config(epochs))
    path = models_dir / run_id
    _wait_for(lambda: _epochs_done(path) >= 3, what="three epochs")
    pid = job_pid(read_run(path))
    os.killpg(pid, signal.SIGKILL)
    _wait_for(lambda: not pid_alive(pid), timeout=30, what="the killed process to go")
    assert read_run(path).status == "interrupted"
    model = path / "model.keras"
    assert not model.exists() or zipfile.is_zipfile(model)  # never a truncated file
    _wait_for(lambda: jobs.running_job() is None, timeout=15, what="the lock to go with it")

    (path / ".tmp-model-stale.keras").write_bytes(b"half a model")  # as a kill mid-save leaves
    assert jobs.start(TrainConfig(), resume=run_id) == run_id
    _wait_for(lambda: read_run(path).status not in ("queued", "running"), what="completion")
    run = read_run(path)
    assert run.status == "completed", run.data.get("error")
    assert run.data["resumed"] is True
    assert not list(path.glob(".tmp-*"))  # stale temporary files cleaned on start
    assert read_history(path)["epoch"].tolist() == list(range(1, epochs + 1))
    raw_rows = (path / "history.csv").read_text().strip().splitlines()[1:]
    assert len(raw_rows) <= epochs + 1  # resumed from backup: at most one epoch repeated
