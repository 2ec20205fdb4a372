"""core.feedback: verdicts are written once, survive restarts and concurrent submissions."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.feedback import (
    FeedbackLog,
    FeedbackRecord,
    load_feedback,
    save_feedback,
    summarize_feedback,
)

CLASSES = ("apple", "bicycle", "cloud", "dolphin", "elephant", "forest", "girl")


def model_input(value: int = 7) -> np.ndarray:
    rng = np.random.default_rng(value)
    return rng.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)


def save(root: Path, **overrides: object) -> FeedbackRecord:
    verdict: dict[str, object] = {
        "run_id": "run-1",
        "model_name": "cnn",
        "predicted": "apple",
        "correct": True,
        "true_label": None,
        "class_names": CLASSES,
    }
    verdict.update(overrides)
    image = verdict.pop("image", model_input())
    return save_feedback(root, image, **verdict)


def test_saved_record_and_image_read_back_unchanged(tmp_path: Path) -> None:
    image = model_input()
    record = save(tmp_path, image=image, predicted="cloud", correct=False, true_label="dolphin")
    log = load_feedback(tmp_path)
    assert log == FeedbackLog(records=(record,), unreadable=0)
    assert record.image_file == f"images/{record.id}.png"
    assert np.array_equal(np.asarray(Image.open(tmp_path / record.image_file)), image[0])
    assert (record.predicted, record.correct, record.true_label) == ("cloud", False, "dolphin")
    assert record.created.endswith("+00:00")


def test_correct_verdict_takes_the_prediction_as_true_label(tmp_path: Path) -> None:
    assert save(tmp_path, predicted="girl", correct=True).true_label == "girl"


def test_grayscale_model_input_is_stored_as_a_grayscale_png(tmp_path: Path) -> None:
    image = np.full((1, 28, 28, 1), 90, dtype=np.uint8)
    record = save(tmp_path, image=image)
    stored = Image.open(tmp_path / record.image_file)
    assert (stored.mode, stored.size) == ("L", (28, 28))


def test_records_survive_a_restart_oldest_first(tmp_path: Path) -> None:
    saved = [save(tmp_path, predicted=name) for name in ("apple", "bicycle", "cloud")]
    # A restart is a fresh process reading the folder: nothing is held in memory between calls.
    assert load_feedback(tmp_path).records == tuple(saved)
    assert load_feedback(tmp_path).records == tuple(saved)
    assert [r.id for r in saved] == sorted(r.id for r in saved)


def test_twenty_concurrent_submissions_are_all_kept(tmp_path: Path) -> None:
    def submit(i: int) -> FeedbackRecord:
        return save(tmp_path, image=model_input(i), predicted=CLASSES[i % len(CLASSES)])

    with ThreadPoolExecutor(max_workers=20) as pool:
        saved = list(pool.map(submit, range(20)))

    log = load_feedback(tmp_path)
    assert log.unreadable == 0
    assert set(log.records) == set(saved)
    assert len({r.id for r in log.records}) == 20
    assert len(list((tmp_path / "images").glob("*.png"))) == 20
    assert list(tmp_path.rglob("*.tmp")) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # half-written JSON
        lambda text: text.replace("true", '"yes"'),  # `correct` no longer a bool
        lambda text: "[]",  # valid JSON, not a record
        lambda text: "",  # empty file
    ],
    ids=["truncated", "wrong-type", "not-an-object", "empty"],
)
def test_unreadable_record_is_skipped_and_counted(
    tmp_path: Path, damage: Callable[[str], str]
) -> None:
    good = save(tmp_path, predicted="apple")
    bad = save(tmp_path, predicted="bicycle")
    bad_path = tmp_path / "records" / f"{bad.id}.json"
    bad_path.write_text(damage(bad_path.read_text(encoding="utf-8")), encoding="utf-8")

    assert load_feedback(tmp_path) == FeedbackLog(records=(good,), unreadable=1)


def test_missing_folder_reads_as_no_feedback(tmp_path: Path) -> None:
    assert load_feedback(tmp_path / "never-created") == FeedbackLog(records=(), unreadable=0)


@pytest.mark.parametrize(
    ("verdict", "message"),
    [
        ({"predicted": "dragon"}, r"`predicted` must be one of the dataset's classes.*dragon"),
        (
            {"correct": False, "true_label": "unicorn"},
            r"`true_label` must be one of the dataset's classes.*unicorn",
        ),
        ({"correct": False, "true_label": None}, "`true_label` is required"),
        ({"correct": False, "true_label": "apple"}, "must differ from `predicted`"),
        ({"correct": True, "true_label": "cloud"}, "must be empty or equal `predicted`"),
        ({"image": np.zeros((32, 32, 3), dtype=np.float32)}, "dtype=float32"),
    ],
    ids=[
        "unknown-prediction",
        "unknown-true-label",
        "wrong-without-label",
        "wrong-but-same",
        "right-but-different",
        "float-image",
    ],
)
def test_invalid_verdict_is_refused_and_nothing_is_written(
    tmp_path: Path, verdict: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        save(tmp_path, **verdict)
    assert not tmp_path.joinpath("records").exists()
    assert not tmp_path.joinpath("images").exists()


def test_label_error_lists_some_valid_classes(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"\('apple', 'bicycle', 'cloud', 'dolphin', 'elephant' and 2 more\)"
    ):
        save(tmp_path, predicted="dragon")


def test_summary_counts_verdicts_per_model_and_per_true_class(tmp_path: Path) -> None:
    records = [
        save(tmp_path, model_name="cnn", predicted="apple", correct=True),
        save(tmp_path, model_name="cnn", predicted="apple", correct=True),
        save(tmp_path, model_name="cnn", predicted="apple", correct=False, true_label="cloud"),
        save(tmp_path, model_name="mlp", predicted="cloud", correct=False, true_label="apple"),
    ]
    summary = summarize_feedback(load_feedback(tmp_path).records)
    assert summary == summarize_feedback(records)
    assert summary["by_model"] == [
        {"model_name": "cnn", "count": 3, "correct": 2, "rate": 2 / 3},
        {"model_name": "mlp", "count": 1, "correct": 0, "rate": 0.0},
    ]
    assert summary["by_true_class"] == [
        {"true_label": "apple", "count": 3, "correct": 2},
        {"true_label": "cloud", "count": 1, "correct": 0},
    ]


def test_summary_of_no_feedback_is_empty() -> None:
    assert summarize_feedback([]) == {"by_model": [], "by_true_class": []}


def test_record_file_is_plain_json_matching_the_dataclass(tmp_path: Path) -> None:
    record = save(tmp_path, predicted="forest")
    stored = json.loads((tmp_path / "records" / f"{record.id}.json").read_text(encoding="utf-8"))
    assert stored == record.to_dict()
    assert FeedbackRecord.from_dict(stored) == record
