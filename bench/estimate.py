"""The Train page's time-per-epoch estimate against the epochs that training then measures.

For each preset: ``core.estimate.estimate_epoch`` (a few timed steps, as the page does),
then ``core.training.train`` of the same config for a few epochs; the measured epoch time is
``history.csv``'s ``epoch_time`` (training steps plus validation), median of the epochs
after the first. The target is an estimate within +-30% of the measurement.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Table, median
from bench.memory import write_data

TOLERANCE = 0.30
# Share of the 45,000 training images per preset: a full cnn_seed epoch takes minutes here.
SUBSETS = {"mlp_seed": 1.0, "mlp_fast": 1.0, "cnn_seed": 0.1, "cnn_fast": 0.5}


def _estimate_fresh(config: dict, train_images: int, val_images: int) -> dict[str, float]:
    """``estimate_epoch`` in a new process, as the dashboard's would be: no training before."""
    script = (
        "import json, sys; from core.config import TrainConfig; "
        "from core.estimate import estimate_epoch; "
        "g = estimate_epoch(TrainConfig(**json.loads(sys.argv[1])), *map(int, sys.argv[2:])); "
        "print(json.dumps({'epoch_s': g.epoch_s, 'first_epoch_s': g.first_epoch_s, "
        "'batch_size': g.batch_size}))"
    )
    arguments = [json.dumps(config), str(train_images), str(val_images)]
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"estimate failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> Table:
    """Estimate, then train and compare, one preset at a time."""
    from core.config import TrainConfig
    from core.runs import read_history
    from core.training import train

    n_train, n_test, val_size, epochs = (600, 100, 100, 2) if quick else (50_000, 2_000, 5_000, 5)
    table = Table(
        "Train page estimate vs measured seconds per epoch (synthetic CIFAR-100)",
        "python -m bench estimate" + (" --quick" if quick else ""),
        ["preset", "train/val images", "batch", "estimate s", "measured s (median)",
         "measured min-max", "estimate/measured", "within 30%", "1st epoch est. s",
         "1st epoch meas. s"],
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cifar-lab-estimate-") as temp:
        data = write_data(Path(temp), n_train, n_test)
        for model, subset in SUBSETS.items():
            config = TrainConfig(
                model=model,
                epochs=epochs,
                val_size=val_size,
                subset=1.0 if quick else subset,
                early_stopping="off",
                data_path=str(data),
            )
            train_images = round((n_train - val_size) * config.subset)
            guess = _estimate_fresh(config.to_dict(), train_images, val_size)
            history = read_history(train(config, models_dir=Path(temp) / "models", verbose=0))
            later = history["epoch_time"].iloc[1:].tolist()
            measured = median(later)
            ratio = guess["epoch_s"] / measured
            table.rows.append(
                [model, f"{train_images}/{val_size}", guess["batch_size"], guess["epoch_s"],
                 measured, f"{min(later):.3g}-{max(later):.3g}", f"{ratio:.2f}",
                 "yes" if abs(ratio - 1) <= TOLERANCE else "NO",
                 guess["first_epoch_s"], float(history["epoch_time"].iloc[0])]
            )  # fmt: skip
    table.notes += [
        "Data: synthetic learnable CIFAR-100 (tests/cifar_files.py) in the official python "
        "format; the real CIFAR-100 is not on this machine. Speed does not depend on pixels.",
        f"Each preset: train(TrainConfig(model, epochs={epochs}, val_size={val_size}, subset, "
        "early_stopping='off')) with the preset's own batch size and augmentation; before it, "
        "in a fresh process, estimate_epoch(config, train images, val images) as the Train "
        "page calls it (a tracing epoch, then two timed epochs of 8 steps). Measured = "
        "median epoch_time of epochs 2+ (min-max shown: epochs on a 2-core VM vary by tens "
        "of percent); the first epoch is shown apart because it also "
        "traces the graph.",
    ]
    return table
