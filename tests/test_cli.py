"""`cifar-lab`: the documented commands work; bad input gives one clear line and exit 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--model", "resnet"], "Received: model='resnet'"),
        (["train", "--dataset", "imagenet"], "Received: dataset='imagenet'"),
        (["train", "--epochs", "-3"], "`epochs` must be an integer >= 1. Received: epochs=-3."),
        (["train", "--batch-size", "0"], "Received: batch_size=0"),
        (["evaluate", "no-such-run"], "No run 'no-such-run'"),
        (["delete", "../../etc"], "is not a run id"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_missing_data_gives_one_clear_line(capsys, monkeypatch):
    def offline(spec):
        raise OSError("no network")

    monkeypatch.setattr("core.datasets._fetch_with_keras", offline)
    assert main(["train", "--model", "mlp_seed", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "CIFAR-100 is not available" in err and "cifar-lab data download" in err


def test_data_info_says_where_the_dataset_is(cifar100_data: Path, capsys):
    assert main(["data", "info"]) == 0
    assert f"available from local path {cifar100_data}" in capsys.readouterr().out
    assert main(["data", "info", "--dataset", "cifar10"]) == 1
    assert "not available" in capsys.readouterr().out


@pytest.mark.slow
def test_train_then_runs_lists_the_test_accuracy_then_evaluate(cifar100_data: Path, capsys):
    argv = ["train", "--model", "mlp_seed", "--epochs", "1", "--val-size", "100",
            "--precision", "float32"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    found = re.search(r"^(\S+): completed, test accuracy (\d\.\d{4})$", out, re.MULTILINE)
    assert found, out
    run_id, accuracy = found.groups()
    assert main(["runs"]) == 0
    table = capsys.readouterr().out
    assert re.search(rf"^{run_id}\s+completed\s+1\s+{accuracy}", table, re.MULTILINE), table
    assert main(["evaluate", run_id]) == 0
    assert f"test accuracy {accuracy}" in capsys.readouterr().out


def test_help_works_without_tensorflow():
    script = (
        "import sys\nfrom core.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "main(['runs'])\nprint('tensorflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1], timeout=60)  # fmt: skip
    assert "train" in result.stdout and result.stdout.strip().endswith("False")


def test_core_never_imports_streamlit_or_gradio():
    script = (
        "import sys, pkgutil, importlib, core\n"
        "for module in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module(f'core.{module.name}')\n"
        "print(sorted(m for m in ('streamlit', 'gradio') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1], timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.strip().endswith("[]")


def test_a_refused_second_train_leaves_no_run_folder(cifar100_data: Path, capsys):
    import os

    from core.jobs import hold_lock, name_holder

    models_dir = Path(os.environ["CIFAR_LAB_MODELS_DIR"])
    with hold_lock(models_dir) as lock:
        name_holder(lock, "mlp_seed-cifar100-running")
        assert main(["train", "--model", "mlp_seed", "--epochs", "1"]) == 2
    assert "already running: mlp_seed-cifar100-running" in capsys.readouterr().err
    assert [path for path in models_dir.iterdir() if path.is_dir()] == []
