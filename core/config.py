"""TrainConfig: everything that defines a training run, as plain validated data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from core.datasets import get_spec
from core.presets import get_preset

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
EARLY_STOPPING = ("val_loss", "seed", "off")
STRATEGIES = ("default", "mirrored", "multi-worker")
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; saved in run.json and rebuilt from it.

    ``None`` means "the preset's default" (see ``core.models.PRESETS``).
    """

    model: str = "cnn_seed"
    dataset: str = "cifar100"
    epochs: int = 30
    batch_size: int | None = None
    learning_rate: float | None = None
    optimizer: str | None = None
    dropout: float | None = None
    augment: bool | None = None
    label_smoothing: float | None = None
    val_size: int = 5000
    subset: float = 1.0
    early_stopping: str = "val_loss"
    patience: int | None = None
    seed: int = 0
    data_path: str | None = None
    strategy: str = "default"
    precision: str = "auto"

    def validate(self) -> None:
        """Raise ValueError naming the bad value and the valid ones."""
        get_preset(self.model)
        get_spec(self.dataset)
        checks = [
            (self.epochs >= 1, "epochs", "an integer >= 1"),
            (self.batch_size is None or self.batch_size >= 1, "batch_size", "an integer >= 1"),
            (
                self.learning_rate is None or 0 < self.learning_rate < 10,
                "learning_rate",
                "a number in (0, 10)",
            ),
            (self.dropout is None or 0 <= self.dropout < 1, "dropout", "a number in [0, 1)"),
            (0 < self.subset <= 1, "subset", "a fraction in (0, 1]"),
            (self.val_size >= 0, "val_size", "an integer >= 0"),
            (self.patience is None or self.patience >= 1, "patience", "an integer >= 1"),
            (
                self.label_smoothing is None or 0 <= self.label_smoothing < 1,
                "label_smoothing",
                "a number in [0, 1)",
            ),
        ]
        for ok, name, valid in checks:
            if not ok:
                raise ValueError(
                    f"`{name}` must be {valid}. Received: {name}={getattr(self, name)}."
                )
        for name, valid_values in (
            ("optimizer", OPTIMIZERS),
            ("early_stopping", EARLY_STOPPING),
            ("strategy", STRATEGIES),
            ("precision", PRECISIONS),
        ):
            value = getattr(self, name)
            if value is not None and value not in valid_values:
                valid = ", ".join(f'"{item}"' for item in valid_values)
                raise ValueError(f"`{name}` must be one of {valid}. Received: {name}={value!r}.")

    def resolved(self) -> TrainConfig:
        """The same config with every ``None`` replaced by the preset's default."""
        preset = get_preset(self.model)
        defaults = {
            "batch_size": preset.batch_size,
            "learning_rate": preset.learning_rate,
            "optimizer": preset.optimizer,
            "dropout": preset.dropout,
            "augment": preset.augment,
            "label_smoothing": preset.label_smoothing,
            "patience": preset.seed_patience if self.early_stopping == "seed" else 5,
        }
        values = asdict(self)
        values.update({key: value for key, value in defaults.items() if values[key] is None})
        return TrainConfig(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for run.json."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from run.json, ignoring keys this version does not know."""
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})
