"""Cost vs accuracy of every model preset on real Fashion-MNIST after the same epochs.

Each preset trains with its own recipe (batch size, augmentation, label smoothing, schedule)
through ``core.training.train`` on the same training subset, then is evaluated on the full
10,000-image test set.
"""

from __future__ import annotations

from bench.common import FASHION_DIR, Table, fashion_mnist, train_fashion

EPOCHS, SUBSET = 3, 0.2  # 12,000 of the 60,000 training images: cnn_seed is slow here


def run(quick: bool = False) -> Table:
    """One run per preset, in order; images/s is the median of epochs after the first."""
    from core.presets import PRESETS

    epochs, subset, limit = (1, 1.0, (256, 200)) if quick else (EPOCHS, SUBSET, None)
    table = Table(
        f"Fast presets: cost vs accuracy on Fashion-MNIST ({epochs} epoch(s))",
        "python -m bench presets" + (" --quick" if quick else ""),
        ["preset", "batch", "train images", "precision", "images/s", "x cnn_seed",
         "wall s", "test accuracy"],
    )  # fmt: skip
    results = {}
    with fashion_mnist(limit) as (data, models_dir):
        for name in PRESETS:
            results[name] = train_fashion(
                data, models_dir, name, epochs=epochs, subset=subset, seed=0
            )
    seed_rate = results["cnn_seed"]["images_per_s"] or 1.0
    for name, result in results.items():
        table.rows.append(
            [name, result["batch_size"], result["train_images"], result["precision"],
             result["images_per_s"], f"{result['images_per_s'] / seed_rate:.1f}x",
             result["wall_time_s"], f"{result['test_accuracy']:.4f}"]
        )  # fmt: skip
    table.notes += [
        f"Data: real Fashion-MNIST from {FASHION_DIR} (Debian), first {limit} images"
        if quick
        else f"Data: real Fashion-MNIST from {FASHION_DIR} (Debian); a seeded subset of "
        f"{subset:.0%} of the 60,000 training images, no validation split, full test set.",
        "One run per preset with seed 0, its own recipe (core/presets.py), early stopping "
        "off, precision auto; images/s = median over epochs after the first (run.json); "
        "sequential runs, so images/s ratios here are rougher than `bench training`'s.",
    ]
    return table
