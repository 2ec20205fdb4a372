"""Accuracy under bfloat16 mixed precision vs float32 on real Fashion-MNIST, same epochs.

Guards the speed-up of ``choose_precision("auto")``: it must not cost more than a point.
"""

from __future__ import annotations

from bench.common import FASHION_DIR, Table, fashion_mnist, median, train_fashion

# (model, epochs, training subset): mlp_seed on the full set, cnn_seed on 6,000 images
CASES = (("mlp_seed", 2, 1.0), ("cnn_seed", 2, 0.1))
SEEDS = (0, 1)


def run(quick: bool = False) -> Table:
    """float32 and mixed_bfloat16 runs, interleaved per seed; mean test accuracy per side."""
    from core.training import choose_precision

    candidate = choose_precision("auto")
    cases, seeds, limit = (
        ((("mlp_seed", 1, 1.0),), (0,), (512, 200)) if quick else (CASES, SEEDS, None)
    )
    table = Table(
        f"Test accuracy, float32 vs {candidate} (Fashion-MNIST)",
        "python -m bench precision" + (" --quick" if quick else ""),
        ["model", "epochs", "train images", "seed", "float32 acc", f"{candidate} acc",
         "difference (points)", "float32 img/s", f"{candidate} img/s", "recorded precision"],
    )  # fmt: skip
    with fashion_mnist(limit) as (data, models_dir):
        for name, epochs, subset in cases:
            diffs = []
            for seed in seeds:
                runs = {
                    precision: train_fashion(
                        data,
                        models_dir,
                        name,
                        epochs=epochs,
                        subset=subset,
                        seed=seed,
                        precision=precision,
                    )
                    for precision in ("float32", candidate)
                }
                base, cand = runs["float32"], runs[candidate]
                diff = 100 * (cand["test_accuracy"] - base["test_accuracy"])
                diffs.append(diff)
                table.rows.append(
                    [name, epochs, base["train_images"], seed, f"{base['test_accuracy']:.4f}",
                     f"{cand['test_accuracy']:.4f}", f"{diff:+.2f}", base["images_per_s"],
                     cand["images_per_s"], f"{base['precision']} / {cand['precision']}"]
                )  # fmt: skip
            table.rows.append(
                [name, epochs, "", "median", "", "", f"{median(diffs):+.2f}", "", "", ""]
            )
    table.notes += [
        f"Data: real Fashion-MNIST from {FASHION_DIR} (Debian); seeded training subsets, "
        "full 10,000-image test set" + (f" (quick: first {limit})" if quick else "") + ".",
        "core.training.train with the preset's recipe, early stopping off, no validation "
        "split; 'recorded precision' is run.json's `precision` (float32 run / candidate run).",
    ]
    return table
