"""The Train page with a real background job: one start wins, a second session is refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core import jobs
from core.runs import ACTIVE, read_run
from tests.test_dashboard_pages import open_page, texts


@pytest.mark.slow
def test_second_start_is_refused_while_a_job_runs(isolated_env: Path, cifar100_data: Path) -> None:
    models = isolated_env / "models"
    first, second = open_page("4_train"), open_page("4_train")
    for at in (first, second):
        at.number_input(key="train_epochs").set_value(1)
    first.button(key="train_start").click().run()
    running = jobs.running_job(models)
    assert running is not None and running.run_id.startswith("mlp_seed-cifar100-")
    try:
        assert f"Training now: {running.run_id}" in texts(first.subheader)
        assert not first.exception
        second.button(key="train_start").click().run()
        assert f"A training job is already running: {running.run_id}" in texts(second.error)
        assert len([p for p in models.iterdir() if p.is_dir()]) == 1  # no duplicate run
        # A fresh session (a refresh, a second tab) finds the job instead of starting one.
        third = open_page("4_train")
        assert f"Training now: {running.run_id}" in texts(third.subheader)
        third.button(key="train_cancel").click().run()
        assert "Cancelling" in texts(third.info)
    finally:
        jobs.cancel(running.run_id, models, wait_s=30)
        deadline = time.monotonic() + 30
        while read_run(running.path).status in ACTIVE and time.monotonic() < deadline:
            time.sleep(0.2)
    assert read_run(running.path).status in ("cancelled", "completed")
