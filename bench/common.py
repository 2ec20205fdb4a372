"""Shared benchmark helpers: machine description, interleaved timing, tables, synthetic data."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import platform
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).with_name("RESULTS.md")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
CIFAR_SHAPE = (32, 32, 3)
SYNTHETIC_NOTE = (
    "Data: synthetic CIFAR-100-shaped arrays (uint8 32x32x3, 100 classes, random pixels); "
    "the real CIFAR-100 is not on this machine. Throughput does not depend on pixel values."
)


@dataclass
class Table:
    """One benchmark's result: a title, a command, column names, rows and notes."""

    title: str
    command: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        """The table as Markdown, with the command and notes under it."""
        lines = [f"### {self.title}", "", f"`{self.command}`", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in self.rows]
        lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def not_available(title: str, command: str, reason: str) -> Table:
    """The table a benchmark prints instead of failing when something it needs is missing."""
    return Table(f"{title}: NOT AVAILABLE", command, ["status"], [[f"not available: {reason}"]])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """CPU model, cores, TensorFlow/Keras versions and the date, on one line."""
    import keras
    import tensorflow as tf

    from core.training import cpu_supports_bfloat16

    bf16 = "bf16 yes" if cpu_supports_bfloat16() else "bf16 no"
    gpus = len(tf.config.list_physical_devices("GPU"))
    return (
        f"{cpu_model()}, {os.cpu_count()} cores ({bf16}), {gpus} GPU, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}"
    )


def append_results(table: Table, path: Path = RESULTS) -> None:
    """Append a table and the machine it ran on to the results file."""
    text = table.to_markdown() + f"- Machine: {machine_line()}\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nAppended by `python -m bench` (see bench/README.md); "
            "newest at the bottom.\n\n"
        )
    with path.open("a") as handle:
        handle.write(text)


def interleave(
    baseline: Callable[[], float], candidate: Callable[[], float], reps: int
) -> tuple[list[float], list[float]]:
    """Run baseline, candidate, baseline, ... ``reps`` times each; returns both samples."""
    base, cand = [], []
    for _ in range(reps):
        base.append(baseline())
        cand.append(candidate())
    return base, cand


def median(values: list[float]) -> float:
    """The median of a sample."""
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of a sample."""
    return float(np.percentile(np.asarray(values), q))


def synthetic_cifar100(n: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Full-size CIFAR-100-shaped data: uint8 images (n, 32, 32, 3), int64 labels in 0..99."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, *CIFAR_SHAPE), dtype=np.uint8)
    y = rng.integers(0, 100, size=n, dtype=np.int64)
    return x, y


@contextmanager
def fashion_mnist(limit: tuple[int, int] | None = None) -> Iterator[tuple[Path, Path]]:
    """Debian's Fashion-MNIST folder (or a truncated copy) and a temporary models folder.

    ``limit=(n_train, n_test)`` writes the first images of each split as IDX files in a temp
    folder, for quick runs; otherwise the Debian folder itself is the data path.
    """
    if not FASHION_DIR.is_dir():
        raise FileNotFoundError(
            f"Fashion-MNIST is not at {FASHION_DIR} (Debian package dataset-fashion-mnist)."
        )
    with tempfile.TemporaryDirectory(prefix="cifar-lab-bench-") as temp:
        data = FASHION_DIR
        if limit is not None:
            data = Path(temp) / "fashion-mnist"
            data.mkdir()
            for name in sorted(p.name for p in FASHION_DIR.glob("*.gz")):
                count = limit[0] if name.startswith("train") else limit[1]
                header, size = (16, 784) if "images" in name else (8, 1)
                with gzip.open(FASHION_DIR / name, "rb") as source:
                    raw = source.read(header + count * size)
                head = bytearray(raw[:header])
                head[4:8] = count.to_bytes(4, "big")
                with gzip.open(data / name, "wb") as target:
                    target.write(bytes(head) + raw[header:])
        yield data, Path(temp) / "models"


def train_fashion(
    data: Path,
    models_dir: Path,
    model: str,
    *,
    epochs: int,
    subset: float,
    seed: int = 0,
    precision: str = "auto",
) -> dict[str, object]:
    """Train one preset on Fashion-MNIST with core.training.train; its run.json figures."""
    from core.config import TrainConfig
    from core.runs import read_run
    from core.training import train

    config = TrainConfig(
        model=model, dataset="fashion_mnist", epochs=epochs, subset=subset, val_size=0,
        early_stopping="off", seed=seed, precision=precision, data_path=str(data),
    )  # fmt: skip
    run = read_run(train(config, models_dir=models_dir, verbose=0))
    metrics = run.metrics
    return {
        "test_accuracy": metrics.get("test_accuracy"),
        "images_per_s": metrics.get("images_per_s"),
        "wall_time_s": metrics.get("wall_time_s"),
        "precision": run.data.get("precision"),
        "train_images": run.data.get("dataset", {}).get("train_images"),
        "batch_size": run.data.get("resolved_config", {}).get("batch_size"),
    }
