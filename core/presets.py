"""Model presets: each architecture with the training recipe that goes with it.

Plain data, no TensorFlow import, so the CLI and the dashboard can list presets quickly.
The builders live in ``core.models``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPreset:
    """A model and the training recipe that goes with it."""

    name: str
    family: str  # "mlp" or "cnn"
    title: str
    dropout: float
    optimizer: str
    learning_rate: float
    batch_size: int
    seed_patience: int
    augment: bool
    label_smoothing: float
    lr_schedule: str  # "constant" or "linear" (decay to zero over the run)
    about: str


PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset(
            "mlp_seed", "mlp", "MLP (seed)", 0.2, "adam", 1e-3, 128,
            seed_patience=5, augment=False, label_smoothing=0.0, lr_schedule="constant",
            about="The student project's fully connected network, layer for layer.",
        ),
        ModelPreset(
            "cnn_seed", "cnn", "CNN (seed, VGG-style)", 0.25, "adam", 1e-3, 128,
            seed_patience=3, augment=False, label_smoothing=0.0, lr_schedule="constant",
            about="The student project's VGG-style CNN, layer for layer.",
        ),
        ModelPreset(
            "mlp_fast", "mlp", "MLP (fast: batch norm)", 0.2, "adam", 2e-3, 128,
            seed_patience=5, augment=False, label_smoothing=0.1, lr_schedule="linear",
            about="The seed MLP's widths with batch norm, label smoothing and a linearly "
            "decaying learning rate (shifted images hurt an MLP: no augmentation).",
        ),
        ModelPreset(
            "cnn_fast", "cnn", "CNN (fast: residual)", 0.1, "adam", 2e-3, 128,
            seed_patience=3, augment=True, label_smoothing=0.1, lr_schedule="linear",
            about="A compact residual CNN with batch norm and global average pooling, "
            "flips-and-crops augmentation, label smoothing and a linearly decaying rate.",
        ),
    )
}  # fmt: skip


def get_preset(name: str) -> ModelPreset:
    """Look a preset up by name, with an error that lists the valid names."""
    if name not in PRESETS:
        valid = ", ".join(f'"{key}"' for key in PRESETS)
        raise ValueError(f"`model` must be one of {valid}. Received: model={name!r}.")
    return PRESETS[name]
