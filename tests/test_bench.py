"""Each benchmark runs on tiny sizes and appends its table (to a temp file): no timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main
from bench.common import Table, append_results
from tests.conftest import FASHION_DIR, require


def _run(name: str, results: Path) -> str:
    assert main([name, "--quick", "--results", str(results)]) == 0
    return results.read_text()


def test_table_renders_command_rows_and_machine(tmp_path: Path):
    table = Table("A title", "python -m bench x", ["a", "b"], [[1, 2.5]], ["a note"])
    append_results(table, tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    assert "### A title" in text and "`python -m bench x`" in text
    assert "| 1 | 2.5 |" in text and "- a note" in text and "- Machine: " in text


def test_unknown_benchmark_is_refused_with_the_valid_names(capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit):
        main(["nonsense"])
    assert "training" in capsys.readouterr().err


def test_training_benchmark_writes_ratios_for_both_seed_models(tmp_path: Path):
    text = _run("training", tmp_path / "R.md")
    assert "Training throughput" in text and "mlp_seed" in text and "cnn_seed" in text
    assert "x |" in text  # a ratio column


def test_memory_benchmark_compares_two_subprocesses(tmp_path: Path):
    text = _run("memory", tmp_path / "R.md")
    assert "baseline (seed)" in text and "project (core.training.train)" in text


def test_latency_benchmark_times_classifier_and_predict(tmp_path: Path):
    text = _run("latency", tmp_path / "R.md")
    assert "Classifier.predict (project)" in text and "model.predict (baseline)" in text


def test_pipeline_benchmark_compares_both_pipelines(tmp_path: Path):
    text = _run("pipeline", tmp_path / "R.md")
    assert "flip + 4px shift" in text


@pytest.mark.realdata
def test_precision_benchmark_compares_float32_and_bfloat16(tmp_path: Path):
    require(FASHION_DIR.is_dir(), f"Fashion-MNIST is not at {FASHION_DIR}")
    text = _run("precision", tmp_path / "R.md")
    assert "float32" in text and "mixed_bfloat16" in text


@pytest.mark.realdata
def test_presets_benchmark_lists_every_preset(tmp_path: Path):
    require(FASHION_DIR.is_dir(), f"Fashion-MNIST is not at {FASHION_DIR}")
    text = _run("presets", tmp_path / "R.md")
    for name in ("mlp_seed", "cnn_seed", "mlp_fast", "cnn_fast"):
        assert name in text


def test_gradio_benchmark_writes_its_table(tmp_path: Path):
    text = _run("gradio", tmp_path / "R.md")
    assert "Gradio round trip" in text


def test_dashboard_benchmark_writes_its_table(tmp_path: Path):
    text = _run("dashboard", tmp_path / "R.md")
    assert "Dashboard" in text
