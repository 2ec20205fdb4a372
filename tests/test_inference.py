"""core.inference on the tiny trained run: shapes, names, superclasses, caching, corrupt files."""

from __future__ import annotations

import json
import os
import shutil
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.datasets import CIFAR100_FINE, CIFAR100_HIERARCHY, get_spec
from core.inference import (
    clear_cache,
    default_run_ids,
    load_classifier,
    load_classifiers,
    usable_runs,
    write_example_images,
)
from core.model_files import ModelCorrupt
from core.runs import list_runs
from tests.run_factory import write_run

DISPLAY_NAMES = {name.replace("_", " ") for name in CIFAR100_FINE}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts and ends with no model loaded."""
    clear_cache()
    yield
    clear_cache()


def _png(size: tuple[int, int] = (300, 200), color: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_prediction_has_top5_display_names_and_probabilities_summing_to_one(tiny_run: Path):
    classifier = load_classifier(tiny_run)
    batch = classifier.prepare(_png())
    assert batch.shape == (1, 32, 32, 3)
    assert batch.dtype == np.uint8
    prediction = classifier.predict(batch)
    assert prediction.probabilities.shape == (100,)
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert len(prediction.top) == 5
    assert {name for name, _ in prediction.top} <= DISPLAY_NAMES
    probabilities = [p for _, p in prediction.top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert prediction.predicted in CIFAR100_FINE
    assert prediction.predicted.replace("_", " ") == prediction.top[0][0]
    assert prediction.seconds >= 0
    assert prediction.top_dict() == dict(prediction.top)


def test_superclass_probability_is_the_sum_of_its_five_classes(tiny_run: Path):
    classifier = load_classifier(tiny_run)
    prediction = classifier.predict(classifier.prepare(_png(color=(20, 160, 60))))
    sums = {
        superclass: sum(prediction.probabilities[CIFAR100_FINE.index(name)] for name in names)
        for superclass, names in CIFAR100_HIERARCHY.items()
    }
    best = max(sums, key=sums.__getitem__)
    assert prediction.superclass == best.replace("_", " ")
    assert prediction.superclass_probability == pytest.approx(sums[best])


def test_predict_refuses_a_batch_of_the_wrong_shape(tiny_run: Path):
    classifier = load_classifier(tiny_run)
    with pytest.raises(ValueError, match=r"shape=\(1, 28, 28, 1\)"):
        classifier.predict(np.zeros((1, 28, 28, 1), dtype=np.uint8))


def test_unchanged_model_file_is_loaded_once(tiny_run: Path):
    assert load_classifier(tiny_run) is load_classifier(tiny_run)


def test_model_file_with_a_new_mtime_is_reloaded(tiny_run: Path):
    first = load_classifier(tiny_run)
    model_file = tiny_run / "model.keras"
    stat = model_file.stat()
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    second = load_classifier(tiny_run)
    assert second is not first
    assert load_classifier(tiny_run) is second


@pytest.mark.parametrize("damage", ["truncated", "zero bytes"])
def test_corrupt_model_file_says_retrain_or_delete_and_other_runs_still_load(
    tiny_run: Path, damage: str
):
    models_dir = tiny_run.parent
    broken = Path(shutil.copytree(tiny_run, models_dir / "mlp_seed-cifar100-broken"))
    model_file = broken / "model.keras"
    data = model_file.read_bytes()
    model_file.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"")

    with pytest.raises(ModelCorrupt, match="model file is corrupt, retrain or delete the run"):
        load_classifier(broken)
    result = load_classifiers(models_dir, [broken.name, tiny_run.name])
    assert [c.run_id for c in result.classifiers] == [tiny_run.name]
    assert len(result.problems) == 1
    assert "mlp_seed-cifar100-broken" in result.problems[0]
    assert "model file is corrupt, retrain or delete the run" in result.problems[0]


def test_unknown_or_escaping_run_ids_are_reported_not_loaded(tiny_run: Path):
    result = load_classifiers(tiny_run.parent, ["no-such-run", "../etc", tiny_run.name])
    assert [c.run_id for c in result.classifiers] == [tiny_run.name]
    assert len(result.problems) == 2


def test_default_models_are_the_best_mlp_and_the_best_cnn(isolated_env: Path):
    models_dir = isolated_env / "models"
    models_dir.mkdir()
    write_run(models_dir, "mlp-low", model="mlp_seed", test_accuracy=0.2)
    write_run(models_dir, "mlp-high", model="mlp_fast", test_accuracy=0.4)
    write_run(models_dir, "cnn-high", model="cnn_seed", test_accuracy=0.6)
    write_run(models_dir, "cnn-low", model="cnn_fast", test_accuracy=0.3)
    write_run(models_dir, "cnn-failed", model="cnn_seed", status="failed")
    write_run(
        models_dir, "cnn-fashion", model="cnn_seed", dataset="fashion_mnist", test_accuracy=0.9
    )
    for run in models_dir.iterdir():
        (run / "model.keras").write_bytes(b"stand-in")  # a run without one is not usable
    assert default_run_ids(list_runs(models_dir)) == ["mlp-high", "cnn-high"]


def test_without_test_accuracy_the_newest_completed_run_is_the_default(isolated_env: Path):
    models_dir = isolated_env / "models"
    models_dir.mkdir()
    write_run(models_dir, "older", status="completed")
    write_run(models_dir, "newer-failed", status="failed")
    write_run(models_dir, "newer", status="completed")
    for run in models_dir.iterdir():
        (run / "model.keras").write_bytes(b"stand-in")
        data = json.loads((run / "run.json").read_text())
        data["metrics"] = {}
        (run / "run.json").write_text(json.dumps(data))
    assert default_run_ids(list_runs(models_dir)) == ["newer"]


def test_no_runs_means_no_default_models(isolated_env: Path):
    assert default_run_ids([]) == []
    assert usable_runs(isolated_env / "models") == []


def test_usable_runs_need_a_model_file(tiny_run: Path):
    write_run(tiny_run.parent, "mlp-no-model", test_accuracy=0.9)
    assert [run.run_id for run in usable_runs(tiny_run.parent)] == [tiny_run.name]
    assert default_run_ids(usable_runs(tiny_run.parent)) == [tiny_run.name]


def test_example_images_cover_every_superclass_when_the_dataset_is_there(
    cifar100_data: Path, tmp_path: Path
):
    paths = write_example_images(tmp_path / "examples", per_superclass=2)
    superclasses = {path.name.split("__")[0] for path in paths}
    assert superclasses == set(get_spec("cifar100").superclass_names or ())
    assert all(Image.open(path).size == (32, 32) for path in paths)


def test_no_dataset_means_no_examples_and_no_error(tmp_path: Path):
    assert write_example_images(tmp_path / "examples") == []


def test_a_mixed_precision_model_predicts_in_float32_with_the_same_answer(tmp_path: Path):
    import keras

    from core.inference import float32_copy
    from core.models import build_model

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = build_model("mlp_seed", (32, 32, 3), 100)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    copy = float32_copy(model)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    for ours, theirs in zip(copy.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(copy(x).numpy(), model(x).numpy(), rtol=0.1)
