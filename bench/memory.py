"""Peak memory (VmHWM) of a process that loads the full-size set and trains one epoch.

Each side runs in its own subprocess (``python -m bench.memory --side ...``), reading the
same synthetic CIFAR-100 files in the official python format:
- baseline: the seed script (float32 copy of the set / 255, ``model.fit(x, y)``, evaluate);
- project: ``core.training.train`` (uint8 all the way, tf.data, run folder, evaluation).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Table, interleave, median

MODEL = "mlp_seed"


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline(folder: Path) -> None:
    import keras

    from core.cifar_format import read_cifar
    from core.models import build_model

    arrays = read_cifar(folder, 100)
    x_train = arrays.x_train.astype("float32") / 255  # seed-style preprocessing
    x_test = arrays.x_test.astype("float32") / 255
    keras.mixed_precision.set_global_policy("float32")
    model = build_model(MODEL, (32, 32, 3), 100)
    model.get_layer("rescale").scale = 1.0
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, arrays.y_train, batch_size=128, epochs=1, verbose=0)
    model.evaluate(x_test, arrays.y_test, batch_size=128, verbose=0)


def _project(folder: Path, val_size: int) -> None:
    from core.config import TrainConfig
    from core.training import train

    with tempfile.TemporaryDirectory() as models_dir:
        config = TrainConfig(
            model=MODEL,
            epochs=1,
            data_path=str(folder),
            val_size=val_size,
            early_stopping="off",
            precision="auto",
        )
        train(config, models_dir=Path(models_dir), verbose=0)


def worker(side: str, folder: Path, val_size: int) -> dict[str, float]:
    """Train one epoch the ``side`` way; return peak RSS (MiB) and seconds."""
    started = time.perf_counter()
    if side == "baseline":
        _baseline(folder)
    else:
        _project(folder, val_size)
    return {"peak_mb": peak_rss_mb(), "seconds": time.perf_counter() - started}


def _spawn(side: str, folder: Path, val_size: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.memory", "--side", side, "--data", str(folder)]
    command += ["--val-size", str(val_size)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory worker {side} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_data(folder: Path, n_train: int, n_test: int) -> Path:
    """Synthetic learnable CIFAR-100 in the official python format."""
    from tests.cifar_files import make_synthetic_cifar, write_cifar100_python

    return write_cifar100_python(folder, make_synthetic_cifar(n_train, n_test))


def run(quick: bool = False) -> Table:
    """Interleaved subprocesses: baseline, project, baseline, project."""
    n_train, n_test, reps = (1_200, 200, 1) if quick else (50_000, 10_000, 2)
    val_size = n_train // 10
    with tempfile.TemporaryDirectory(prefix="cifar-lab-mem-") as temp:
        folder = write_data(Path(temp), n_train, n_test)
        base, cand = [], []
        interleave(
            lambda: base.append(_spawn("baseline", folder, val_size)) or 0.0,
            lambda: cand.append(_spawn("project", folder, val_size)) or 0.0,
            reps,
        )
    base_mb = median([r["peak_mb"] for r in base])
    cand_mb = median([r["peak_mb"] for r in cand])
    table = Table(
        f"Peak RSS of one training epoch of {MODEL} on the full-size set",
        "python -m bench memory" + (" --quick" if quick else ""),
        ["side", "train/test images", "peak RSS MiB (median)", "seconds (median)", "vs baseline"],
    )
    table.rows.append(
        ["baseline (seed)", f"{n_train}/{n_test}", base_mb,
         median([r["seconds"] for r in base]), "1.00"]
    )  # fmt: skip
    table.rows.append(
        ["project (core.training.train)", f"{n_train}/{n_test}", cand_mb,
         median([r["seconds"] for r in cand]), f"{cand_mb / base_mb:.2f}"]
    )  # fmt: skip
    table.notes += [
        "Data: synthetic learnable CIFAR-100 written in the official python format "
        "(tests/cifar_files.py); the real CIFAR-100 is not on this machine.",
        f"Each side in its own subprocess, {reps} interleaved rep(s); peak = VmHWM from "
        "/proc/self/status at the end. Baseline: float32 copies of the set / 255, "
        "model.fit(x, y, batch_size=128), model.evaluate. Project: train(TrainConfig("
        f"model='{MODEL}', epochs=1)), with a validation split of a tenth (5,000 at full "
        "size), checkpoint and test evaluation.",
    ]
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=["baseline", "project"], required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--val-size", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(worker(args.side, args.data, args.val_size)))
