"""Model builders (the seed's exact MLP and CNN, plus fast presets) and layer tables.

Builders return uncompiled Keras models whose first layer rescales 0..255 to 0..1, so a
saved model takes raw RGB. The seed copies match SEED.md layer for layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from core.presets import get_preset

Builder = Callable[..., keras.Model]

# Keras' default 0.99 leaves the moving statistics 15% at their initial values after 188
# steps (2 short epochs): test accuracy collapsed to ~0.15 on Fashion-MNIST while training
# accuracy was 0.88. PyTorch's default (0.1 in its convention) settles within ~50 steps.
BN_MOMENTUM = 0.9


def _head(x, num_classes: int):
    # float32 output keeps softmax and the loss stable under a mixed-precision policy.
    return layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(x)


def build_mlp_seed(
    input_shape: tuple[int, int, int], num_classes: int, dropout: float = 0.2
) -> keras.Model:
    """The seed's fully connected network: 3,828,580 parameters on CIFAR-100."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    x = layers.Flatten(name="flatten")(x)
    for units in (1024, 512, 256):  # seed: Dense 1024, 512, 256, each followed by Dropout
        x = layers.Dense(units, activation="relu", name=f"dense_{units}")(x)
        x = layers.Dropout(dropout, name=f"dropout_{units}")(x)
    return keras.Model(inputs, _head(x, num_classes), name="mlp_seed")


def build_cnn_seed(
    input_shape: tuple[int, int, int], num_classes: int, dropout: float = 0.25
) -> keras.Model:
    """The seed's VGG-style CNN: 6,962,660 parameters on CIFAR-100."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    for block, filters in enumerate((128, 256, 512), start=1):  # seed: same conv, valid conv
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{block}a")(x)
        x = layers.Conv2D(filters, 3, padding="valid", activation="relu", name=f"conv{block}b")(x)
        x = layers.MaxPooling2D(name=f"pool{block}")(x)
        x = layers.Dropout(dropout, name=f"dropout{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    for units in (1024, 256):  # seed: Dense 1024, Dense 256 (relu assumed), each with Dropout
        x = layers.Dense(units, activation="relu", name=f"dense_{units}")(x)
        x = layers.Dropout(dropout, name=f"dropout_{units}")(x)
    return keras.Model(inputs, _head(x, num_classes), name="cnn_seed")


def build_mlp_fast(
    input_shape: tuple[int, int, int], num_classes: int, dropout: float = 0.3
) -> keras.Model:
    """The seed MLP's widths with batch norm before each activation."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    x = layers.Flatten(name="flatten")(x)
    for units in (1024, 512, 256):
        x = layers.Dense(units, use_bias=False, name=f"dense_{units}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn_{units}")(x)
        x = layers.Activation("relu", name=f"relu_{units}")(x)
        x = layers.Dropout(dropout, name=f"dropout_{units}")(x)
    return keras.Model(inputs, _head(x, num_classes), name="mlp_fast")


def _conv_bn(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _conv_pool_bn(x, filters: int, name: str):
    # Pooling before batch norm runs the norm on a map 4x smaller: on a CPU, batch norm's
    # elementwise passes (in float32 under mixed precision) cost more than the convolutions.
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.MaxPooling2D(name=f"{name}_pool")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_cnn_fast(
    input_shape: tuple[int, int, int], num_classes: int, dropout: float = 0.1
) -> keras.Model:
    """A compact residual CNN with batch norm and global average pooling.

    A ResNet-9-style layout (Myrtle.ai's DAWNBench CIFAR-10 net, at a quarter of its
    widths: 32, 64, 128): a strided 4x4 "patchify" stem straight to half resolution, then
    two stages of conv, pool, batch norm and one residual conv. No layer runs at full
    resolution, where the seed's 128-filter convolutions spend most of its time
    (``python -m bench training``).
    """
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    x = layers.Conv2D(32, 4, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate((64, 128), start=1):
        x = _conv_pool_bn(x, filters, f"stage{stage}")
        x = layers.Add(name=f"res{stage}_add")([x, _conv_bn(x, filters, f"res{stage}")])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, _head(x, num_classes), name="cnn_fast")


BUILDERS: dict[str, Builder] = {
    "mlp_seed": build_mlp_seed,
    "cnn_seed": build_cnn_seed,
    "mlp_fast": build_mlp_fast,
    "cnn_fast": build_cnn_fast,
}


def build_model(
    name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    dropout: float | None = None,
) -> keras.Model:
    """Build a preset's model for a dataset's input shape and class count."""
    preset = get_preset(name)
    builder = BUILDERS[preset.name]
    return builder(input_shape, num_classes, preset.dropout if dropout is None else dropout)


# --- layer tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class LayerRow:
    """One row of a model's layer table."""

    name: str
    type: str
    output_shape: tuple[int | None, ...]
    params: int
    macs: int  # multiply-adds for one image


def _macs(layer: keras.layers.Layer) -> int:
    out = tuple(layer.output.shape)
    if isinstance(layer, layers.Dense):
        return int(layer.kernel.shape[0]) * int(layer.units)
    if isinstance(layer, layers.Conv2D):
        kh, kw, c_in, c_out = (int(dim) for dim in layer.kernel.shape)
        return int(out[1]) * int(out[2]) * kh * kw * c_in * c_out
    return 0


def layer_table(model: keras.Model) -> list[LayerRow]:
    """Name, type, output shape, parameters and multiply-adds of every layer but the input."""
    return [
        LayerRow(
            name=layer.name,
            type=type(layer).__name__,
            output_shape=tuple(layer.output.shape),
            params=layer.count_params(),
            macs=_macs(layer),
        )
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def total_macs(model: keras.Model) -> int:
    """Multiply-adds for one image through the whole model."""
    return sum(row.macs for row in layer_table(model))
