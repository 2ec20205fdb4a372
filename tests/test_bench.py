"""Each benchmark runs on tiny sizes and appends its table (to a temp file): no timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main
from bench.common import Table, append_results, not_available
from tests.conftest import FASHION_DIR, require
from tests.servers import CHROMIUM


def _run(name: str, results: Path) -> str:
    assert main([name, "--quick", "--results", str(results)]) == 0
    return results.read_text()


def test_table_renders_command_rows_and_machine(tmp_path: Path):
    table = Table("A title", "python -m bench x", ["a", "b"], [[1, 2.5]], ["a note"])
    append_results(table, tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text()
    assert "### A title" in text and "`python -m bench x`" in text
    assert "| 1 | 2.5 |" in text and "- a note" in text and "- Machine: " in text


def test_a_benchmark_missing_a_prerequisite_says_so_in_its_table():
    text = not_available("Serving memory", "python -m bench serving", "no Chromium").to_markdown()
    assert "### Serving memory: NOT AVAILABLE" in text and "| not available: no Chromium |" in text


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


def _markdown_rows(text: str) -> dict[str, list[str]]:
    """Table rows of a results file by their first cell (later tables win on a clash)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.browser
@pytest.mark.slow
def test_estimate_benchmark_compares_the_train_page_estimate_with_measured_epochs(
    tmp_path: Path,
):
    text = _run("estimate", tmp_path / "R.md")
    rows = [line for line in text.splitlines() if line.startswith("| mlp_seed ")]
    assert len(rows) == 1 and "Train page estimate" in text
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert float(cells[3]) > 0 and float(cells[4]) > 0  # estimate and measured seconds
    assert cells[7] in ("yes", "NO")


def test_serving_benchmark_measures_dashboard_rss_and_first_prediction(tmp_path: Path):
    require(CHROMIUM.is_file(), "needs Debian's Chromium at /usr/bin/chromium")
    text = _run("serving", tmp_path / "R.md")
    assert "NOT AVAILABLE" not in text
    rows = _markdown_rows(text)
    stages = [
        "after start-up (server answers, no session yet)",
        "Gradio server started (Classify page opened, browser closed)",
        "after the first /classify (both models answered)",
        "after warm-up (5 more requests)",
        "after 20 more requests",
    ]
    rss = {stage: float(rows[stage][1].replace(",", "")) for stage in stages}
    hwm = {stage: float(rows[stage][2].replace(",", "")) for stage in stages}
    assert all(value > 0 for value in rss.values())
    assert all(hwm[stage] >= rss[stage] for stage in stages)
    assert [rows[stage][0] for stage in stages] == ["0", "0", "1", "6", "26"]
    # the measured process is the one that started Gradio and loaded TensorFlow + two models
    assert rss[stages[1]] > rss[stages[0]] + 100
    first = rows["first prediction after start-up (first /classify round trip)"]
    assert first[0] == "<= 1,000 ms" and float(first[1].split()[0].replace(",", "")) > 0
    assert first[2] in ("yes", "NO")
    assert rows["peak RSS (VmHWM) of the dashboard process"][2] in ("yes", "NO")
    assert "RSS growth over 20 requests (after warm-up -> end)" in rows
