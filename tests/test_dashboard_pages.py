"""Every dashboard page in every state: no data, data but no runs, runs, a corrupt run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.dashboard_data import percent
from core.runs import read_run
from tests.run_factory import write_run

APP = Path(__file__).parents[1] / "dashboard" / "app.py"
PAGES = ("1_overview", "2_dataset", "3_architectures", "4_train", "5_results")


def open_page(page: str) -> AppTest:
    """Run the app, switch to ``page`` and run it; fail on any exception box."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page != "1_overview":
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    """All the text of a list of alert/markdown elements, joined."""
    return "\n".join(str(element.value) for element in elements)


def make_run(models: Path, run_id: str, **kwargs) -> Path:
    """A run folder from write_run, with a stand-in model file."""
    path = write_run(models, run_id, **kwargs)
    (path / "model.keras").write_bytes(b"stand-in")
    return path


@pytest.fixture
def models(isolated_env: Path) -> Path:
    path = isolated_env / "models"
    path.mkdir()
    return path


@pytest.fixture
def two_runs(models: Path) -> dict[str, Path]:
    return {
        "mlp": make_run(models, "mlp_seed-cifar100-a", model="mlp_seed", test_accuracy=0.25),
        "cnn": make_run(models, "cnn_seed-cifar100-b", model="cnn_seed", test_accuracy=0.5, seed=1),
    }


# --- no dataset, no runs -------------------------------------------------------------


def test_overview_without_data_offers_download_and_a_local_path(models: Path) -> None:
    at = open_page("1_overview")
    assert "CIFAR-100 is not available" in texts(at.warning)
    assert at.button(key="overview_download").label.startswith("Download CIFAR-100")
    assert at.text_input(key="overview_local_path") is not None
    assert "No runs yet" in texts(at.info)


def test_overview_accepts_a_local_copy(models: Path, cifar100_tarball: Path) -> None:
    at = open_page("1_overview")
    at.text_input(key="overview_local_path").set_value(str(cifar100_tarball))
    at.button(key="overview_use_path").click().run()
    assert "CIFAR-100 is available" in texts(at.success)
    assert str(cifar100_tarball) in texts(at.success)


def test_overview_rejects_a_missing_local_copy(models: Path, tmp_path: Path) -> None:
    at = open_page("1_overview")
    at.text_input(key="overview_local_path").set_value(str(tmp_path / "nothing.tar.gz"))
    at.button(key="overview_use_path").click().run()
    assert "Nothing at" in texts(at.error)


def test_dataset_page_without_data_says_how_to_get_it(models: Path) -> None:
    at = open_page("2_dataset")
    assert "not available" in texts(at.warning)
    assert "Overview page" in texts(at.warning)


def test_train_page_without_data_disables_start(models: Path) -> None:
    at = open_page("4_train")
    assert "Get the dataset" in texts(at.warning)
    assert at.button(key="train_start").disabled


def test_results_page_without_runs_says_what_to_do(models: Path) -> None:
    at = open_page("5_results")
    assert "No runs yet" in texts(at.info)


def test_architectures_totals_match_the_seed(models: Path) -> None:
    at = open_page("3_architectures")
    values = {metric.label + str(i): metric.value for i, metric in enumerate(at.metric)}
    assert "3,828,580" in values.values() and "6,962,660" in values.values()
    captions = texts(at.caption)
    assert "matches the seed project's 3,828,580" in captions
    assert "matches the seed project's 6,962,660" in captions
    assert len(at.dataframe) == 2
    mlp_table = at.dataframe[0].value
    first_dense = mlp_table.loc[mlp_table["layer"] == "dense_1024", "share of params"].item()
    assert first_dense == pytest.approx(0.82, abs=0.01)  # the MLP's first Dense layer


# --- data, no runs -------------------------------------------------------------------


def test_overview_with_data_says_where_it_comes_from(models: Path, cifar100_data: Path) -> None:
    at = open_page("1_overview")
    assert "CIFAR-100 is available" in texts(at.success)
    assert not at.warning


def test_dataset_page_shows_samples_counts_and_statistics(
    models: Path, cifar100_data: Path
) -> None:
    at = open_page("2_dataset")
    assert "1,000 training and 200 test images" in texts(at.caption)
    assert len(at.image[0].captions) == 24
    stats = at.dataframe[0].value
    assert list(stats["channel"]) == ["red", "green", "blue"]
    assert "Why CIFAR-100 is hard" in texts(at.markdown)
    at.selectbox(key="dataset_superclass").set_value("people").run()
    at.selectbox(key="dataset_class").set_value("baby").run()
    assert not at.exception
    assert set(at.image[0].captions) == {"baby"}


def test_train_page_with_data_enables_start(models: Path, cifar100_data: Path) -> None:
    at = open_page("4_train")
    assert not at.button(key="train_start").disabled
    assert at.number_input(key="train_val").value == 100  # a tenth of the tiny set


def test_train_page_estimates_this_runs_epoch_time_and_forgets_it_when_settings_change(
    models: Path, cifar100_data: Path
) -> None:
    at = open_page("4_train")
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_estimate").click().run(timeout=120)
    assert not at.exception
    shown = texts(at.info)
    assert "per epoch** on this machine" in shown
    assert "8 steps of" in shown  # 900 training images in batches of 128
    assert "validation included" in shown and "1 epoch at most" in shown
    at.number_input(key="train_epochs").set_value(2).run()
    assert "2 epochs at most" in texts(at.info)  # same run, new total
    at.slider(key="train_subset").set_value(0.5).run()
    assert "per epoch" not in texts(at.info)  # another run: estimate it again


# --- runs present --------------------------------------------------------------------


def test_overview_shows_best_runs_against_the_seed(two_runs: dict[str, Path]) -> None:
    at = open_page("1_overview")
    mlp, cnn = (read_run(two_runs[key]) for key in ("mlp", "cnn"))
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Best MLP"] == percent(mlp.test_accuracy)
    assert metrics["Best CNN"] == percent(cnn.test_accuracy)
    assert "2 run(s), 2 completed" in texts(at.caption)


def test_results_compare_the_best_mlp_and_cnn_by_default(two_runs: dict[str, Path]) -> None:
    at = open_page("5_results")
    assert set(at.multiselect(key="results_runs").value) == {
        "mlp_seed-cifar100-a",
        "cnn_seed-cifar100-b",
    }
    table = at.dataframe[0].value
    assert len(table) == 2
    assert "wins on test accuracy" in texts(at.markdown)
    assert "cnn_seed-cifar100-b** wins" in texts(at.markdown)
    pairs = at.dataframe[1].value
    assert list(pairs.columns[:2]) == ["true class", "predicted as"]
    assert "example images need the test set" in texts(at.info)


def test_results_show_misclassified_images_when_the_data_is_there(
    two_runs: dict[str, Path], cifar100_data: Path
) -> None:
    at = open_page("5_results")
    captions = [caption for element in at.image for caption in element.captions]
    assert any("→" in caption for caption in captions)


def test_results_fold_the_confusion_matrix_into_superclasses(two_runs: dict[str, Path]) -> None:
    at = open_page("5_results")
    at.toggle(key="results_coarse").set_value(True).run()
    assert not at.exception


def test_results_delete_a_run_after_confirmation(two_runs: dict[str, Path]) -> None:
    at = open_page("5_results")
    at.selectbox(key="results_delete_run").set_value("mlp_seed-cifar100-a")
    at.button(key="results_delete").click().run()
    assert "No undo" in texts(at.warning)
    assert two_runs["mlp"].exists()
    at.button(key="results_delete_yes").click().run()
    assert not two_runs["mlp"].exists()
    assert two_runs["cnn"].exists()


def test_train_page_shows_the_latest_runs_outcome(models: Path, cifar100_data: Path) -> None:
    make_run(models, "mlp_seed-cifar100-old")
    write_run(models, "mlp_seed-cifar100-new", status="failed", error="ValueError: boom")
    at = open_page("4_train")
    assert "failed: ValueError: boom" in texts(at.error)


def test_train_page_offers_to_resume_an_interrupted_run(models: Path, cifar100_data: Path) -> None:
    write_run(models, "mlp_seed-cifar100-x", status="running", pid=2**22 + 7)  # no such pid
    at = open_page("4_train")
    assert "was interrupted" in texts(at.warning)
    assert at.button(key="train_resume").label == "Resume mlp_seed-cifar100-x"


def test_a_run_still_training_is_named_on_results(models: Path) -> None:
    make_run(models, "mlp_seed-cifar100-done")
    write_run(models, "cnn_seed-cifar100-live", model="cnn_seed", status="running", pid=os.getpid())
    at = open_page("5_results")
    assert "cnn_seed-cifar100-live is still training" in texts(at.info)
    assert len(at.dataframe[0].value) == 1


# --- a corrupt run folder ------------------------------------------------------------


@pytest.fixture
def corrupt_run(models: Path) -> Path:
    make_run(models, "mlp_seed-cifar100-good")
    path = models / "cnn_seed-cifar100-broken"
    path.mkdir()
    (path / "run.json").write_text("{not json")
    return path


@pytest.mark.parametrize("page", PAGES)
def test_every_page_survives_a_corrupt_run(corrupt_run: Path, page: str) -> None:
    open_page(page)  # asserts no exception box


def test_results_name_the_corrupt_run(corrupt_run: Path) -> None:
    at = open_page("5_results")
    assert "cnn_seed-cifar100-broken is unreadable: run.json is corrupt" in texts(at.warning)
    assert len(at.dataframe[0].value) == 1


def test_results_name_a_run_with_a_corrupt_evaluation(models: Path) -> None:
    make_run(models, "mlp_seed-cifar100-good")
    bad = make_run(models, "cnn_seed-cifar100-bad", model="cnn_seed")
    (bad / "eval.npz").write_bytes(b"not a zip")
    at = open_page("5_results")
    assert "cnn_seed-cifar100-bad: eval.npz is missing or corrupt" in texts(at.warning)
