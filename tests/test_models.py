"""The seed's two architectures, reproduced exactly, and the layer tables the UI shows."""

from __future__ import annotations

import pytest

from core.models import build_model, layer_table, total_macs
from core.presets import PRESETS, get_preset

# seed: SEED.md's tables, (type, output shape, params), in order.
SEED_MLP = [
    ("Flatten", (None, 3072), 0),
    ("Dense", (None, 1024), 3_146_752),
    ("Dropout", (None, 1024), 0),
    ("Dense", (None, 512), 524_800),
    ("Dropout", (None, 512), 0),
    ("Dense", (None, 256), 131_328),
    ("Dropout", (None, 256), 0),
    ("Dense", (None, 100), 25_700),
]
SEED_CNN = [
    ("Conv2D", (None, 32, 32, 128), 3_584),
    ("Conv2D", (None, 30, 30, 128), 147_584),
    ("MaxPooling2D", (None, 15, 15, 128), 0),
    ("Dropout", (None, 15, 15, 128), 0),
    ("Conv2D", (None, 15, 15, 256), 295_168),
    ("Conv2D", (None, 13, 13, 256), 590_080),
    ("MaxPooling2D", (None, 6, 6, 256), 0),
    ("Dropout", (None, 6, 6, 256), 0),
    ("Conv2D", (None, 6, 6, 512), 1_180_160),
    ("Conv2D", (None, 4, 4, 512), 2_359_808),
    ("MaxPooling2D", (None, 2, 2, 512), 0),
    ("Dropout", (None, 2, 2, 512), 0),
    ("Flatten", (None, 2048), 0),
    ("Dense", (None, 1024), 2_098_176),
    ("Dropout", (None, 1024), 0),
    ("Dense", (None, 256), 262_400),
    ("Dropout", (None, 256), 0),
    ("Dense", (None, 100), 25_700),
]


def _seed_rows(name: str) -> list[tuple]:
    rows = layer_table(build_model(name, (32, 32, 3), 100))
    assert rows[0].type == "Rescaling" and rows[0].params == 0  # the one allowed addition
    return [(row.type, row.output_shape, row.params) for row in rows[1:]]


def test_mlp_seed_matches_the_seed_layer_for_layer():
    assert _seed_rows("mlp_seed") == SEED_MLP
    assert build_model("mlp_seed", (32, 32, 3), 100).count_params() == 3_828_580


def test_cnn_seed_matches_the_seed_layer_for_layer():
    assert _seed_rows("cnn_seed") == SEED_CNN
    assert build_model("cnn_seed", (32, 32, 3), 100).count_params() == 6_962_660


def test_layer_table_params_add_up_to_keras_count():
    for name in PRESETS:
        model = build_model(name, (32, 32, 3), 100)
        assert sum(row.params for row in layer_table(model)) == model.count_params()


def test_mlp_first_dense_layer_holds_82_percent_of_the_weights():
    rows = layer_table(build_model("mlp_seed", (32, 32, 3), 100))
    share = rows[2].params / sum(row.params for row in rows)
    assert round(share, 2) == 0.82


def test_multiply_adds_are_counted_per_image():
    mlp = build_model("mlp_seed", (32, 32, 3), 100)
    assert total_macs(mlp) == 3072 * 1024 + 1024 * 512 + 512 * 256 + 256 * 100
    cnn_rows = layer_table(build_model("cnn_seed", (32, 32, 3), 100))
    first_conv = next(row for row in cnn_rows if row.type == "Conv2D")
    assert first_conv.macs == 32 * 32 * 3 * 3 * 3 * 128


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_for_other_datasets(name: str):
    model = build_model(name, (28, 28, 1), 10)
    assert model.output_shape == (None, 10)
    assert model.input_shape == (None, 28, 28, 1)


def test_dropout_is_exposed():
    model = build_model("mlp_seed", (32, 32, 3), 100, dropout=0.5)
    rates = {layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"}
    assert rates == {0.5}
    assert get_preset("mlp_seed").dropout != 0.5


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r'"mlp_seed".*Received: model=\'resnet\''):
        build_model("resnet", (32, 32, 3), 100)
