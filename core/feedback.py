"""Students' verdicts on predictions, kept as an append-only folder of small files.

Layout under ``root`` (``settings.feedback_dir``)::

    images/<id>.png     the model input the verdict is about
    records/<id>.json   one FeedbackRecord

Every record is its own file with a unique id (UTC timestamp + random hex), written to a
temporary file in the same folder and moved into place with ``os.replace``. Concurrent
submissions therefore never touch the same file and need no lock, a crash leaves either the
whole record or none of it, and nothing is ever rewritten.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class FeedbackRecord:
    """One verdict: was `model_name` of run `run_id` right to predict `predicted`?"""

    id: str
    created: str
    run_id: str
    model_name: str
    predicted: str
    correct: bool
    true_label: str | None
    image_file: str

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready plain data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackRecord:
        """Rebuild a record from `to_dict` output, checking every field's type."""
        if not isinstance(data, Mapping):
            raise ValueError(f"A feedback record must be a JSON object. Received: {data!r}.")
        for field in dataclasses.fields(cls):
            value = data.get(field.name)
            if field.name == "correct":
                valid = isinstance(value, bool)
            elif field.name == "true_label":
                valid = value is None or isinstance(value, str)
            else:
                valid = isinstance(value, str)
            if not valid:
                raise ValueError(
                    f"Feedback field `{field.name}` is missing or not {field.type}. "
                    f"Received: {field.name}={value!r}."
                )
        return cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})


@dataclass(frozen=True)
class FeedbackLog:
    """Every readable record, oldest first, and how many record files could not be read."""

    records: tuple[FeedbackRecord, ...]
    unreadable: int


def save_feedback(
    root: Path,
    image: np.ndarray,
    *,
    run_id: str,
    model_name: str,
    predicted: str,
    correct: bool,
    true_label: str | None,
    class_names: Sequence[str],
) -> FeedbackRecord:
    """Validate a verdict, then write its image and record atomically under `root`."""
    _check_label("predicted", predicted, class_names)
    if correct:
        if true_label is not None and true_label != predicted:
            raise ValueError(
                "`true_label` must be empty or equal `predicted` when the prediction is correct. "
                f"Received: predicted={predicted!r}, true_label={true_label!r}."
            )
        true_label = predicted
    else:
        if true_label is None:
            raise ValueError(
                "`true_label` is required when the prediction is wrong: say which class it is."
            )
        _check_label("true_label", true_label, class_names)
        if true_label == predicted:
            raise ValueError(
                "`true_label` must differ from `predicted` when the prediction is wrong. "
                f"Received: predicted={predicted!r}, true_label={true_label!r}."
            )
    png = _encode_png(image)

    now = datetime.now(timezone.utc)
    record_id = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(8)}"
    record = FeedbackRecord(
        id=record_id,
        created=now.isoformat(timespec="microseconds"),
        run_id=run_id,
        model_name=model_name,
        predicted=predicted,
        correct=correct,
        true_label=true_label,
        image_file=f"images/{record_id}.png",
    )
    # The image goes first, so a record never points at a missing picture.
    _write_atomic(root / record.image_file, png)
    record_json = json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n"
    _write_atomic(root / "records" / f"{record_id}.json", record_json.encode("utf-8"))
    return record


def load_feedback(root: Path) -> FeedbackLog:
    """Read every record under `root`, oldest first; unreadable files are counted, not raised."""
    records: list[FeedbackRecord] = []
    unreadable = 0
    # Ids start with a UTC timestamp, so file-name order is submission order. Temporary
    # files end in ".tmp" and are never picked up half-written.
    for path in sorted((root / "records").glob("*.json")):
        try:
            records.append(FeedbackRecord.from_dict(json.loads(path.read_bytes())))
        except (OSError, ValueError):  # ValueError covers JSON and UTF-8 decode errors too
            unreadable += 1
    return FeedbackLog(records=tuple(records), unreadable=unreadable)


def summarize_feedback(records: Iterable[FeedbackRecord]) -> dict[str, list[dict[str, Any]]]:
    """How often each model was right and how each true class fared, as DataFrame-ready rows."""
    by_model: dict[str, list[int]] = {}
    by_class: dict[str, list[int]] = {}
    for record in records:
        _tally(by_model, record.model_name, record.correct)
        if record.true_label is not None:
            _tally(by_class, record.true_label, record.correct)
    return {
        "by_model": [
            {"model_name": name, "count": count, "correct": right, "rate": right / count}
            for name, (count, right) in sorted(by_model.items())
        ],
        "by_true_class": [
            {"true_label": label, "count": count, "correct": right}
            for label, (count, right) in sorted(by_class.items())
        ],
    }


def _tally(counts: dict[str, list[int]], key: str, correct: bool) -> None:
    count_right = counts.setdefault(key, [0, 0])
    count_right[0] += 1
    count_right[1] += int(correct)


def _check_label(name: str, label: str, class_names: Sequence[str]) -> None:
    if label in class_names:
        return
    shown = ", ".join(repr(c) for c in class_names[:5])
    more = f" and {len(class_names) - 5} more" if len(class_names) > 5 else ""
    raise ValueError(
        f"`{name}` must be one of the dataset's classes ({shown}{more}). "
        f"Received: {name}={label!r}."
    )


def _encode_png(image: np.ndarray) -> bytes:
    array = image[0] if image.ndim == 4 and image.shape[0] == 1 else image
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8 or not (array.ndim == 2 or array.shape[2:] == (3,)):
        raise ValueError(
            "`image` must be a uint8 model input of shape (H, W, 1) or (H, W, 3). "
            f"Received: shape={image.shape}, dtype={image.dtype}."
        )
    buffer = BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
