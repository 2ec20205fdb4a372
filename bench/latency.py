"""Single-image latency: the project's Classifier vs ``model.predict`` (and a plain eager call).

Untrained models saved as run folders (``tests/run_factory.write_run`` + ``model.keras``),
built under the precision training would pick, loaded the way the classifier loads them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.common import Table, median, percentile

MODELS = ("mlp_seed", "cnn_seed")
BLOCK = 20  # calls per path before switching to the next path


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def make_model_run(models_dir: Path, name: str, precision: str) -> Path:
    """A completed run folder holding an untrained ``name`` model saved as model.keras."""
    import keras

    from core.models import build_model
    from tests.run_factory import write_run

    path = write_run(models_dir, f"{name}-cifar100-bench", model=name)
    keras.mixed_precision.set_global_policy(precision)
    try:
        build_model(name, (32, 32, 3), 100).save(path / "model.keras")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return path


def measure(run_path: Path, calls: int) -> dict[str, list[float]]:
    """Interleaved per-call milliseconds of Classifier.predict, model.predict, model(x)."""
    from core.inference import Classifier
    from core.model_files import load_run_model
    from core.runs import read_run

    classifier = Classifier(read_run(run_path))  # warms itself with one call
    model = load_run_model(run_path)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(1, 32, 32, 3), dtype=np.uint8)
    paths: dict[str, Callable[[], object]] = {
        "model.predict (baseline)": lambda: model.predict(image, verbose=0),
        "Classifier.predict (project)": lambda: classifier.predict(image),
        "model(x) eager": lambda: model(image.astype("float32"), training=False),
    }
    for call in paths.values():  # warm-up
        for _ in range(3):
            call()
    samples: dict[str, list[float]] = {key: [] for key in paths}
    # Interleaved in blocks, not call by call: model.predict builds and tears down a data
    # pipeline and its threads on every call, which slows whatever runs right after it.
    block = max(1, min(BLOCK, calls))
    for _ in range(calls // block):
        for key, call in paths.items():
            samples[key].extend(_timed(call) for _ in range(block))
    return samples


def run(quick: bool = False) -> Table:
    """p50 and p95 over interleaved calls for both seed models."""
    from core.training import choose_precision

    calls = 10 if quick else 200
    precision = choose_precision("auto")
    table = Table(
        "Single-image latency (ms): Classifier vs model.predict",
        "python -m bench latency" + (" --quick" if quick else ""),
        ["model", "path", "p50 ms", "p95 ms", "p50 speed-up vs predict"],
    )
    with tempfile.TemporaryDirectory(prefix="cifar-lab-lat-") as temp:
        for name in MODELS:
            samples = measure(make_model_run(Path(temp), name, precision), calls)
            base = median(samples["model.predict (baseline)"])
            for key, values in samples.items():
                table.rows.append(
                    [name, key, median(values), percentile(values, 95),
                     f"{base / median(values):.1f}x"]
                )  # fmt: skip
    table.notes += [
        f"{calls} calls per path, interleaved in blocks of {BLOCK} (predict x{BLOCK}, "
        f"Classifier x{BLOCK}, eager x{BLOCK}, predict ...), after 3 warm-up calls each; one "
        "random uint8 32x32x3 image.",
        f"Untrained models built under the training precision ({precision}) and saved/loaded "
        "like a run's model.keras; Classifier.predict includes top-5 and superclass sums.",
    ]
    return table
