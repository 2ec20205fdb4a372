"""The Feedback and Classify pages through the dashboard app (Streamlit AppTest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from core.datasets import CIFAR100_FINE
from core.feedback import save_feedback
from core.settings import load_settings
from dashboard.embed import GradioServer, iframe_url

APP = Path(__file__).parents[1] / "dashboard" / "app.py"


def open_page(page: str) -> AppTest:
    """The dashboard switched to `page`, run, with no exception shown."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(f"../pages/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _save(predicted: str, correct: bool, true_label: str | None, model: str) -> None:
    image = np.full((1, 32, 32, 3), 100, dtype=np.uint8)
    save_feedback(
        load_settings().feedback_dir,
        image,
        run_id=f"{model}-cifar100-20260101T000000Z",
        model_name=model,
        predicted=predicted,
        correct=correct,
        true_label=true_label,
        class_names=CIFAR100_FINE,
    )


def test_feedback_page_without_feedback_points_to_classify():
    at = open_page("7_feedback.py")
    assert any("No feedback yet" in info.value for info in at.info)
    assert not at.metric


def test_feedback_page_counts_verdicts_per_model_and_per_class():
    _save("apple", True, None, "mlp_seed")
    _save("apple", False, "orange", "mlp_seed")
    _save("orange", True, None, "cnn_seed")
    _save("sweet_pepper", False, "orange", "cnn_seed")
    _save("bus", True, None, "cnn_seed")
    at = open_page("7_feedback.py")

    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics == {"Verdicts": "5", "Predictions marked right": "3", "Classes named": "3"}
    by_model = at.dataframe[0].value.set_index("model")
    assert by_model.loc["cnn_seed", "verdicts"] == 3
    assert by_model.loc["cnn_seed", "right"] == 2
    assert by_model.loc["mlp_seed", "rate"] == 50.0
    by_class = at.dataframe[1].value.set_index("true class")
    assert by_class.loc["orange", "verdicts"] == 3
    assert by_class.loc["orange", "right"] == 1
    assert by_class.loc["apple", "verdicts"] == 1
    assert len(at.get("image")) == 5


def test_feedback_page_says_how_many_files_it_could_not_read():
    _save("apple", True, None, "mlp_seed")
    records = load_settings().feedback_dir / "records"
    (records / "20260101T000000000000Z-broken.json").write_text("{ not json")
    at = open_page("7_feedback.py")
    assert any("1 feedback file(s) could not be read" in w.value for w in at.warning)
    assert {metric.label: metric.value for metric in at.metric}["Verdicts"] == "1"


def test_classify_page_without_runs_links_to_train():
    at = open_page("6_classify.py")
    assert any("No trained models yet" in info.value for info in at.info)
    assert not at.get("iframe")


def test_iframe_points_at_loopback_unless_serving_beyond_localhost():
    server = GradioServer(host="127.0.0.1", port=7861, local_url="http://127.0.0.1:7861/")
    assert iframe_url(server, "192.168.1.20:8501", False) == "http://127.0.0.1:7861/"
    assert iframe_url(server, "192.168.1.20:8501", True) == "http://192.168.1.20:7861/"
    assert iframe_url(server, "[fe80::1]:8501", True) == "http://[fe80::1]:7861/"
    assert iframe_url(server, None, True) == "http://127.0.0.1:7861/"
