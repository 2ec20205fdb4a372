"""The run store: listing never breaks, readers tolerate partial files, writes are atomic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.atomic import clean_temp_files, write_json_atomic, write_text_atomic
from core.model_files import ModelCorrupt, load_run_model
from core.runs import (
    RunNotFound,
    best_runs,
    delete_run,
    list_runs,
    read_history,
    read_progress,
    read_run,
    run_dir,
)
from tests.run_factory import write_run


@pytest.fixture
def models_dir(isolated_env: Path) -> Path:
    path = isolated_env / "models"
    path.mkdir(exist_ok=True)
    return path


def test_broken_run_folders_list_as_unreadable_without_breaking_the_others(models_dir: Path):
    write_run(models_dir, "good")
    (models_dir / "no-json").mkdir()
    (models_dir / "half-json").mkdir()
    (models_dir / "half-json" / "run.json").write_text('{"run_id": "half-json", "sta')
    runs = {run.run_id: run for run in list_runs(models_dir)}
    assert runs["good"].readable and runs["good"].status == "completed"
    assert runs["no-json"].status == "unreadable" and "missing" in runs["no-json"].problem
    assert runs["half-json"].status == "unreadable" and "corrupt" in runs["half-json"].problem


def test_a_running_run_whose_process_is_gone_reads_interrupted(models_dir: Path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_run(models_dir, "ghost", status="running", pid=dead.pid)
    write_run(models_dir, "alive", status="running", pid=os.getpid())
    assert read_run(models_dir / "ghost").status == "interrupted"
    assert read_run(models_dir / "alive").status == "running"


def test_best_runs_picks_the_most_accurate_completed_run_per_family(models_dir: Path):
    write_run(models_dir, "mlp-a", model="mlp_seed", test_accuracy=0.2)
    write_run(models_dir, "mlp-b", model="mlp_fast", test_accuracy=0.6, seed=1)
    write_run(models_dir, "cnn-a", model="cnn_seed", test_accuracy=0.5)
    write_run(models_dir, "cnn-running", model="cnn_seed", status="running", pid=os.getpid())
    best = best_runs(list_runs(models_dir))
    assert best["mlp"].run_id == "mlp-b" and best["cnn"].run_id == "cnn-a"


def test_run_ids_cannot_step_outside_the_models_folder(models_dir: Path):
    for bad in ("../etc", "..", "/etc/passwd", "a/b", ""):
        with pytest.raises(RunNotFound):
            run_dir(models_dir, bad)


def test_delete_removes_a_finished_run_and_refuses_an_active_one(models_dir: Path):
    write_run(models_dir, "done")
    write_run(models_dir, "busy", status="running", pid=os.getpid())
    delete_run(models_dir, "done")
    assert not (models_dir / "done").exists()
    with pytest.raises(RuntimeError, match="cancel it"):
        delete_run(models_dir, "busy")


def test_history_reader_leaves_out_a_half_written_last_line(models_dir: Path):
    path = write_run(models_dir, "run", epochs=3)
    text = (path / "history.csv").read_text()
    (path / "history.csv").write_text(text + "3,0.5,2.0,5")  # a row cut mid-write
    assert read_history(path)["epoch"].tolist() == [1, 2, 3]


def test_progress_reader_returns_none_for_a_partial_file(models_dir: Path):
    path = write_run(models_dir, "run")
    (path / "progress.json").write_text('{"epoch": 2, "bat')
    assert read_progress(path) is None


def test_atomic_writer_under_a_reading_loop_gives_zero_parse_errors(tmp_path: Path):
    target = tmp_path / "progress.json"
    write_json_atomic(target, {"batch": 0, "pad": "x" * 5000})
    stop = threading.Event()

    def writer() -> None:
        for batch in range(300):
            write_json_atomic(target, {"batch": batch, "pad": "x" * 5000})
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = errors = 0
    while not stop.is_set():
        try:
            json.loads(target.read_text())
        except ValueError:
            errors += 1
        reads += 1
    thread.join()
    assert reads > 10 and errors == 0
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_writer_killed_mid_write_leaves_the_old_file_and_a_cleanable_temp(tmp_path: Path):
    target = tmp_path / "model.keras"
    write_text_atomic(target, "previous good checkpoint")
    script = (
        "import sys, time; from pathlib import Path; from core.atomic import write_atomic\n"
        "def slow(temp):\n"
        "    with open(temp, 'w') as f:\n"
        "        f.write('half'); f.flush(); print('writing', flush=True); time.sleep(60)\n"
        f"write_atomic(Path({str(target)!r}), slow)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).parents[1])  # fmt: skip
    assert child.stdout.readline().strip() == "writing"
    child.kill()  # SIGKILL: no cleanup code runs
    child.wait()
    assert target.read_text() == "previous good checkpoint"
    assert len(clean_temp_files(tmp_path)) == 1
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_text("not a zip at all"),
    ],
    ids=["zero-bytes", "truncated", "not-a-zip"],
)
def test_a_corrupt_model_file_says_retrain_or_delete(tiny_run: Path, damage):
    damage(tiny_run / "model.keras")
    with pytest.raises(ModelCorrupt, match="model file is corrupt, retrain or delete the run"):
        load_run_model(tiny_run)


def test_a_model_file_changed_after_training_fails_its_hash_check(tiny_run: Path):
    with open(tiny_run / "model.keras", "ab") as handle:
        handle.write(b"\0")  # still a zip (trailing bytes), but not the file training wrote
    with pytest.raises(ModelCorrupt, match="SHA-256"):
        load_run_model(tiny_run)


def test_an_intact_model_loads_and_other_runs_are_unaffected(tiny_run: Path, models_dir: Path):
    write_run(models_dir, "other")
    model = load_run_model(tiny_run)
    assert model.count_params() == 3_828_580
    assert len(list_runs(models_dir)) == 2


def test_queued_run_never_started_reads_interrupted_after_the_grace_period(models_dir: Path):
    path = write_run(models_dir, "queued", status="queued")
    assert read_run(path).status == "queued"
    old = time.time() - 3600
    os.utime(path / "run.json", (old, old))
    assert read_run(path).status == "interrupted"
