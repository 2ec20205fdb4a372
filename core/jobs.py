"""Background training jobs: one at a time per models folder, each its own process.

The dashboard calls ``start``; the job runs ``python -m core.cli train --run DIR`` in a new
session, so a browser refresh, a Streamlit rerun or a closed tab leaves it alone. A file
lock held for the job's whole life refuses a second start from any session or process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from core.atomic import write_text_atomic
from core.config import TrainConfig
from core.runs import (
    JOB_PID_FILE,
    LOG_FILE,
    RunInfo,
    create_run,
    job_pid,
    read_run,
    run_dir,
    update_run,
)
from core.settings import load_settings

LOCK_FILE = ".train.lock"
LOCK_FD_ENV = "CIFAR_LAB_LOCK_FD"
_start_lock = threading.Lock()


class JobRefused(RuntimeError):
    """A job is already running in this models folder."""


def _lock_path(models_dir: Path) -> Path:
    return models_dir / LOCK_FILE


def running_job(models_dir: Path | None = None) -> RunInfo | None:
    """The run that holds the training lock now, or None."""
    models_dir = models_dir or load_settings().models_dir
    path = _lock_path(models_dir)
    if not path.exists():
        return None
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            run_id = handle.read().strip()
            try:
                return read_run(run_dir(models_dir, run_id))
            except LookupError:
                return None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def start(config: TrainConfig, models_dir: Path | None = None, *, resume: str | None = None) -> str:
    """Start a training process for ``config`` (or resume run ``resume``); return the run id.

    Raises JobRefused naming the running job when one holds the lock.
    """
    config.validate()
    models_dir = models_dir or load_settings().models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    with _start_lock:
        handle = _take_lock(models_dir)
        try:
            path = (
                run_dir(models_dir, resume) if resume else create_run(models_dir, config.to_dict())
            )
            name_holder(handle, path.name)
            update_run(path, status="queued", pid=None, error=None)
            process = _spawn(path, handle.fileno())
            # The child owns run.json from here on; its pid goes in a file only we write,
            # so the two processes never race on one read-modify-write.
            write_text_atomic(path / JOB_PID_FILE, str(process.pid))
        finally:
            handle.close()  # the child keeps the lock through its inherited descriptor
    # Reap the child when it ends so it never lingers as a zombie that looks alive.
    threading.Thread(target=process.wait, name=f"reap-{path.name}", daemon=True).start()
    return path.name


def _spawn(path: Path, lock_fd: int) -> subprocess.Popen:
    env = dict(os.environ, **{LOCK_FD_ENV: str(lock_fd), "PYTHONUNBUFFERED": "1"})
    with open(path / LOG_FILE, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "core.cli", "train", "--run", str(path), "--nice", "5"],
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            pass_fds=(lock_fd,),
            start_new_session=True,
        )


def hold_lock(models_dir: Path) -> IO[str]:
    """In the training process: keep the inherited lock, or take it for a direct CLI run.

    Returns the open lock file (the lock lasts while it is open; use it as a context
    manager), or raises JobRefused when another job holds it.
    """
    inherited = os.environ.pop(LOCK_FD_ENV, None)
    if inherited is not None:
        os.set_inheritable(int(inherited), False)  # nothing this process starts may hold it
        return os.fdopen(int(inherited), "a+")
    models_dir.mkdir(parents=True, exist_ok=True)
    return _take_lock(models_dir)


def _take_lock(models_dir: Path) -> IO[str]:
    """Open and lock the models folder's lock file, or raise JobRefused naming the holder."""
    handle = open(_lock_path(models_dir), "a+")  # noqa: SIM115 (the lock lives while it is open)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another job"
        handle.close()
        raise JobRefused(
            f"A training job is already running: {holder}. Wait for it or cancel it first."
        ) from None
    return handle


def name_holder(handle: IO[str], run_id: str) -> None:
    """Write the run id into a held lock file, so a refusal can name the running job."""
    handle.seek(0)
    handle.truncate()
    handle.write(run_id)
    handle.flush()


def cancel(run_id: str, models_dir: Path | None = None, *, wait_s: float = 0.0) -> bool:
    """Ask a running job to stop at the next batch (SIGTERM to its process group).

    With ``wait_s`` > 0, waits that long and then kills what is left. Returns True when
    a signal was sent.
    """
    models_dir = models_dir or load_settings().models_dir
    run = read_run(run_dir(models_dir, run_id))
    pid = job_pid(run)
    if run.status not in ("queued", "running") or not pid:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    if run.status == "queued":
        # Still starting (importing TensorFlow): SIGTERM ends it before its handler exists,
        # so nothing else would record that the user cancelled it.
        update_run(run.path, status="cancelled", error="Cancelled before training started.")
    deadline = time.monotonic() + wait_s
    while wait_s and time.monotonic() < deadline:
        if read_run(run.path).status not in ("queued", "running"):
            return True
        time.sleep(0.2)
    if wait_s:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        else:
            update_run(run.path, status="cancelled", error="Killed after the cancel timeout.")
    return True
