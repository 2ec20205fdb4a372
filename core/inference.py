"""Any image to a prediction: load a run's model once, predict through a compiled call.

`load_classifier(run_path)` caches one `Classifier` per model file, keyed by path, mtime and
size, so a retrained run is picked up on the next request and an unchanged one is never
reloaded. Each model is warmed with one dummy call when it loads, so the first student's
prediction does not pay for tracing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from core.datasets import DatasetSpec, dataset_status, get_spec, load_dataset
from core.images import prepare
from core.model_files import ModelCorrupt, load_run_model
from core.runs import (
    MODEL_FILE,
    RunInfo,
    RunNotFound,
    best_runs,
    list_runs,
    read_run,
    run_dir,
)

TOP_K = 5


@dataclass(frozen=True)
class Prediction:
    """One model's answer for one image: top-k display names, superclass, time taken."""

    run_id: str
    model_name: str
    probabilities: np.ndarray
    top: tuple[tuple[str, float], ...]
    predicted: str
    superclass: str | None
    superclass_probability: float | None
    seconds: float

    def top_dict(self) -> dict[str, float]:
        """Top-k as ``{display name: probability}``, the shape `gr.Label` takes."""
        return dict(self.top)


class Classifier:
    """A run's model with a compiled forward pass and its dataset's names."""

    def __init__(self, run: RunInfo) -> None:
        """Load `run`'s model (hash-checked, safe mode), compile the call, and warm it once."""
        self.run_id = run.run_id
        self.model_name = run.model_name
        self.family = run.family
        self.spec: DatasetSpec = get_spec(run.dataset if run.dataset != "?" else "cifar100")
        self.input_shape: tuple[int, int, int] = self.spec.input_shape
        model = float32_copy(load_run_model(run.path))
        expected = (None, *self.input_shape)
        if tuple(model.input_shape) != expected:
            raise ModelCorrupt(
                f"{run.run_id}: model input shape {model.input_shape} does not match dataset "
                f"{self.spec.name!r} {expected}: retrain or delete the run."
            )
        self._model = model
        signature = [tf.TensorSpec((None, *self.input_shape), tf.float32)]
        # One traced graph per model: `model.predict` per request would rebuild a data
        # pipeline every call (tens of ms); this call is a single graph execution.
        self._forward = tf.function(lambda x: model(x, training=False), input_signature=signature)
        self._superclass_index = _superclass_index(self.spec)
        self.predict(np.zeros((1, *self.input_shape), dtype=np.uint8))  # warm-up: trace now

    @property
    def class_names(self) -> tuple[str, ...]:
        """The dataset's class names (snake_case, as stored with feedback)."""
        return self.spec.class_names

    def prepare(self, source: bytes | str | Path) -> np.ndarray:
        """Turn an upload into this model's (1, H, W, C) uint8 input, or raise ImageRejected."""
        return prepare(source, self.input_shape)

    def predict(self, batch: np.ndarray) -> Prediction:
        """Classify one (1, H, W, C) uint8 image (0..255, the model rescales it)."""
        if batch.shape != (1, *self.input_shape):
            raise ValueError(
                f"`batch` must have shape {(1, *self.input_shape)}. Received: shape={batch.shape}."
            )
        start = time.perf_counter()
        probabilities = self._forward(tf.constant(batch, dtype=tf.float32)).numpy()[0]
        seconds = time.perf_counter() - start
        probabilities = probabilities.astype(np.float64)
        order = np.argsort(probabilities)[::-1][:TOP_K]
        top = tuple((self.spec.display_name(int(i)), float(probabilities[i])) for i in order)
        superclass, superclass_probability = None, None
        if self._superclass_index is not None:
            sums = np.bincount(
                self._superclass_index, weights=probabilities, minlength=self._n_superclasses
            )
            best = int(np.argmax(sums))
            superclass = self.spec.superclass_names[best].replace("_", " ")  # type: ignore[index]
            superclass_probability = float(sums[best])
        return Prediction(
            run_id=self.run_id,
            model_name=self.model_name,
            probabilities=probabilities,
            top=top,
            predicted=self.class_names[int(order[0])],
            superclass=superclass,
            superclass_probability=superclass_probability,
            seconds=seconds,
        )

    @property
    def _n_superclasses(self) -> int:
        return len(self.spec.superclass_names or ())


def float32_copy(model: keras.Model) -> keras.Model:
    """The same model computing in float32.

    Mixed precision pays off for large training batches; for one image at a time the
    casts cost more than they save (``python -m bench latency``: about half the MLP's time).
    Variables are float32 under mixed precision already, so the weights carry over exactly.
    """
    config = model.get_config()
    if "mixed" not in json.dumps(config):
        return model

    def to_float32(node: object) -> None:
        if isinstance(node, dict):
            if node.get("class_name") == "DTypePolicy" and isinstance(node.get("config"), dict):
                node["config"]["name"] = "float32"
            for value in node.values():
                to_float32(value)
        elif isinstance(node, list):
            for value in node:
                to_float32(value)

    to_float32(config)
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def _superclass_index(spec: DatasetSpec) -> np.ndarray | None:
    if spec.fine_to_coarse is None:
        return None
    return np.asarray(spec.fine_to_coarse, dtype=np.int64)


_cache: dict[Path, tuple[tuple[int, int], Classifier]] = {}
_cache_lock = threading.Lock()


def load_classifier(run_path: Path) -> Classifier:
    """The cached Classifier of a run, reloaded when its model file changed; raises ModelCorrupt."""
    key_path = run_path.resolve()
    model_path = key_path / MODEL_FILE
    with _cache_lock:  # concurrent first requests load a model once
        try:
            stat = model_path.stat()
        except OSError as error:
            _cache.pop(key_path, None)
            raise ModelCorrupt(
                f"{run_path.name} has no model file: retrain or delete the run."
            ) from error
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = _cache.get(key_path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        _cache.pop(key_path, None)
        classifier = Classifier(read_run(key_path))
        _cache[key_path] = (stamp, classifier)
        return classifier


def clear_cache() -> None:
    """Forget every loaded model (tests; a long-lived server never needs it)."""
    with _cache_lock:
        _cache.clear()


def usable_runs(models_dir: Path) -> list[RunInfo]:
    """Runs a student can classify with: completed, readable, with a model file; newest first."""
    return [
        run
        for run in list_runs(models_dir)
        if run.status == "completed" and run.readable and (run.path / MODEL_FILE).is_file()
    ]


def default_run_ids(runs: Sequence[RunInfo]) -> list[str]:
    """The best MLP and the best CNN (by test accuracy), preferring CIFAR-100 runs."""
    runs = [run for run in runs if run.status == "completed" and run.readable]
    if not runs:
        return []
    datasets = {run.dataset for run in runs}
    dataset = "cifar100" if "cifar100" in datasets else runs[0].dataset
    best = best_runs(runs, dataset=dataset)
    chosen = [best[family].run_id for family in ("mlp", "cnn") if family in best]
    if not chosen:  # completed but never evaluated: fall back to the newest
        chosen = [next(run.run_id for run in runs if run.dataset == dataset)]
    return chosen


@dataclass(frozen=True)
class LoadResult:
    """Classifiers that loaded, and a sentence for each run that did not."""

    classifiers: tuple[Classifier, ...]
    problems: tuple[str, ...]


def load_classifiers(models_dir: Path, run_ids: Iterable[str]) -> LoadResult:
    """Load several runs; one corrupt or missing run is reported, never fatal for the others."""
    loaded: list[Classifier] = []
    problems: list[str] = []
    for run_id in run_ids:
        try:
            loaded.append(load_classifier(run_dir(models_dir, run_id)))
        except (RunNotFound, ModelCorrupt) as error:
            problems.append(str(error))
    return LoadResult(tuple(loaded), tuple(problems))


def write_example_images(
    out_dir: Path, dataset: str = "cifar100", per_superclass: int = 3
) -> list[Path]:
    """A few test images per superclass as PNGs in `out_dir`; none when the data is absent."""
    if not dataset_status(dataset).available:
        return []
    try:
        data = load_dataset(dataset, download_missing=False)
    except Exception:  # a damaged local copy must not stop the classifier from starting
        return []
    groups = data.coarse_test if data.coarse_test is not None else data.y_test
    names = data.spec.superclass_names or data.spec.class_names
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for group in range(len(names)):
        for index in np.flatnonzero(groups == group)[:per_superclass]:
            label = data.spec.class_names[int(data.y_test[index])]
            path = out_dir / f"{names[group]}__{label}__{index}.png"
            if not path.is_file():
                image = data.x_test[index]
                Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
            paths.append(path)
    return paths
