"""Dataset registry, sources (local path, Keras cache), splits and clear failures."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.cifar_format import DataFormatError
from core.datasets import (
    CIFAR100_FINE,
    CIFAR100_HIERARCHY,
    DATASETS,
    DatasetUnavailable,
    dataset_status,
    get_spec,
    load_dataset,
    make_splits,
)
from tests.cifar_files import make_synthetic_cifar, write_cifar100_binary, write_cifar100_python


def test_cifar100_names_are_the_official_alphabetical_order():
    assert len(CIFAR100_FINE) == 100
    assert list(CIFAR100_FINE) == sorted(CIFAR100_FINE)
    assert CIFAR100_FINE[0] == "apple" and CIFAR100_FINE[99] == "worm"
    spec = get_spec("cifar100")
    assert spec.superclass_names[0] == "aquatic_mammals"
    assert spec.superclass_names[19] == "vehicles_2"


def test_every_fine_class_belongs_to_exactly_one_superclass_of_five():
    spec = get_spec("cifar100")
    counts = np.bincount(spec.fine_to_coarse, minlength=20)
    assert counts.tolist() == [5] * 20
    members = sorted(name for names in CIFAR100_HIERARCHY.values() for name in names)
    assert members == sorted(CIFAR100_FINE)
    assert spec.superclass_names[spec.fine_to_coarse[CIFAR100_FINE.index("whale")]] == (
        "aquatic_mammals"
    )


def test_registry_knows_shapes_and_class_counts():
    assert {name: spec.input_shape for name, spec in DATASETS.items()} == {
        "cifar100": (32, 32, 3),
        "cifar10": (32, 32, 3),
        "fashion_mnist": (28, 28, 1),
        "mnist": (28, 28, 1),
    }
    assert [spec.num_classes for spec in DATASETS.values()] == [100, 10, 10, 10]


def test_unknown_dataset_name_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r'must be one of "cifar100".*Received: dataset=\'imagenet\''
    ):
        get_spec("imagenet")


@pytest.mark.parametrize("layout", ["tarball", "folder", "binary"])
def test_local_path_loads_every_official_layout(tmp_path: Path, tiny_cifar, layout: str):
    if layout == "binary":
        source = write_cifar100_binary(tmp_path, tiny_cifar)
    else:
        source = write_cifar100_python(tmp_path, tiny_cifar, tarball=layout == "tarball")
    dataset = load_dataset("cifar100", source)
    assert dataset.x_train.shape == (1000, 32, 32, 3) and dataset.x_train.dtype == np.uint8
    assert dataset.x_test.shape == (200, 32, 32, 3)
    np.testing.assert_array_equal(dataset.x_train, tiny_cifar.x_train)
    np.testing.assert_array_equal(dataset.y_test, tiny_cifar.y_test)
    np.testing.assert_array_equal(dataset.coarse_train, tiny_cifar.coarse_train)
    assert dataset.spec.class_names[int(dataset.y_train[0])] == "apple"
    assert "local path" in dataset.source


def test_env_variable_points_at_the_local_copy(cifar100_data: Path):
    assert dataset_status("cifar100").available
    assert load_dataset("cifar100").source == f"local path {cifar100_data}"


def test_keras_cache_is_used_when_no_path_is_given(isolated_env: Path, tiny_cifar):
    cache = isolated_env / "keras_home" / "datasets" / "cifar-100-python-target"
    write_cifar100_python(cache, tiny_cifar)
    status = dataset_status("cifar100")
    assert status.available and "Keras cache" in status.where
    assert load_dataset("cifar100", download_missing=False).x_train.shape[0] == 1000


def test_offline_without_a_copy_says_where_it_looked_and_how_to_fix_it(monkeypatch):
    def offline(spec):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr("core.datasets._fetch_with_keras", offline)
    with pytest.raises(DatasetUnavailable) as error:
        load_dataset("cifar100")
    message = str(error.value)
    assert "keras_home" in message and "CIFAR_LAB_DATA" in message
    assert "cifar-lab data download" in message and "no network" in message
    assert not dataset_status("cifar100").available


def test_download_reports_progress_to_the_caller(monkeypatch, tiny_cifar, isolated_env: Path):
    target = isolated_env / "keras_home" / "datasets" / "cifar-100-python-target"

    def fake_keras_download(spec):
        write_cifar100_python(target, tiny_cifar)
        return tiny_cifar

    monkeypatch.setattr("core.datasets._fetch_with_keras", fake_keras_download)
    seen: list[tuple[int, int]] = []
    dataset = load_dataset("cifar100", progress=lambda done, total: seen.append((done, total)))
    assert dataset.x_train.shape[0] == 1000
    assert seen[-1] == (get_spec("cifar100").download_bytes,) * 2


def test_missing_local_path_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DatasetUnavailable, match="does not exist"):
        load_dataset("cifar100", tmp_path / "nowhere.tar.gz")


def test_truncated_tarball_names_the_file(tmp_path: Path, cifar100_tarball: Path):
    broken = tmp_path / "cifar-100-python.tar.gz"
    broken.write_bytes(cifar100_tarball.read_bytes()[:5000])
    with pytest.raises(DataFormatError, match=re.escape("cifar-100-python.tar.gz")):
        load_dataset("cifar100", broken)


def test_cifar10_files_are_not_taken_for_cifar100_coarse_labels(tmp_path: Path):
    arrays = make_synthetic_cifar(100, 100)
    wrong = type(arrays)(
        arrays.x_train, arrays.y_train, arrays.x_test, arrays.y_test,
        arrays.coarse_train * 0, arrays.coarse_test * 0,
    )  # fmt: skip
    with pytest.raises(DataFormatError, match="superclasses"):
        load_dataset("cifar100", write_cifar100_python(tmp_path, wrong))


def test_fashion_mnist_reads_from_an_idx_folder(tmp_path: Path):
    from tests.conftest import FASHION_DIR, require

    require(FASHION_DIR.is_dir(), "needs Debian's dataset-fashion-mnist package")
    folder = tmp_path / "fashion"
    shutil.copytree(FASHION_DIR, folder)
    dataset = load_dataset("fashion_mnist", folder)
    assert dataset.x_train.shape == (60000, 28, 28, 1)
    assert np.bincount(dataset.y_test).tolist() == [1000] * 10


def test_validation_split_is_deterministic_and_disjoint(cifar100_data: Path):
    dataset = load_dataset("cifar100")
    first = make_splits(dataset, val_size=100, seed=3)
    again = make_splits(dataset, val_size=100, seed=3)
    np.testing.assert_array_equal(first.y_val, again.y_val)
    assert len(first.y_train) == 900 and len(first.y_val) == 100
    assert first.x_train.dtype == np.uint8
    rows = {row.tobytes() for row in first.x_val}
    assert not rows & {row.tobytes() for row in first.x_train}


def test_zero_validation_images_keeps_the_whole_training_set(cifar100_data: Path):
    splits = make_splits(load_dataset("cifar100"), val_size=0)
    assert len(splits.y_train) == 1000 and len(splits.y_val) == 0


def test_subset_keeps_a_fraction_of_the_training_images(cifar100_data: Path):
    splits = make_splits(load_dataset("cifar100"), val_size=100, subset=0.1)
    assert len(splits.y_train) == 90
    with pytest.raises(ValueError, match="subset"):
        make_splits(load_dataset("cifar100"), subset=1.5)


def test_concurrent_first_loads_all_succeed(cifar100_data: Path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: load_dataset("cifar100"), range(4)))
    assert all(result is results[0] for result in results)  # loaded once, shared


def test_truncated_download_is_fetched_again_not_unpickled(
    monkeypatch, isolated_env: Path, cifar100_tarball: Path
):
    good = cifar100_tarball.read_bytes()
    spec = replace(DATASETS["cifar100"], file_hash=hashlib.sha256(good).hexdigest())
    monkeypatch.setitem(DATASETS, "cifar100", spec)
    archive = isolated_env / "keras_home" / "datasets" / "cifar-100-python-target_archive"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(good[: len(good) // 2])  # a download cut off half way
    fetched: list[str] = []

    def fake_urlretrieve(url, filename, reporthook=None):
        fetched.append(url)
        Path(filename).write_bytes(good)

    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", fake_urlretrieve)
    dataset = load_dataset("cifar100")
    assert fetched == [spec.origin]
    assert dataset.x_train.shape == (1000, 32, 32, 3)
    assert archive.read_bytes() == good


class TestDataPathFromTheUI:
    def test_accepts_the_official_archive_and_an_extracted_folder(self, tmp_path, tiny_cifar):
        from core.datasets import check_data_path

        tarball = write_cifar100_python(tmp_path / "a", tiny_cifar, tarball=True)
        folder = write_cifar100_python(tmp_path / "b", tiny_cifar)
        assert check_data_path(str(tarball)) == tarball.resolve()
        assert check_data_path(f"  {folder.parent}  ") == folder.parent.resolve()

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "empty"),
            ("\\\\host\\share\\cifar", "network path"),
            ("//host/share/cifar", "network path"),
            ("/tmp/../etc/passwd", "'..'"),
            ("/no/such/place", "does not exist"),
            ("/etc", "system folder"),
        ],
    )
    def test_refuses_paths_it_should_not_follow(self, text, message):
        from core.datasets import check_data_path

        with pytest.raises(ValueError, match=re.escape(message)):
            check_data_path(text)

    def test_refuses_a_symlink_to_the_root_and_files_of_other_names(self, tmp_path):
        from core.datasets import check_data_path

        (tmp_path / "root-link").symlink_to("/")
        with pytest.raises(ValueError, match="system folder"):
            check_data_path(str(tmp_path / "root-link"))
        (tmp_path / "secrets.toml").write_text("password = 1")
        with pytest.raises(ValueError, match="not a CIFAR-100 file"):
            check_data_path(str(tmp_path / "secrets.toml"))
        with pytest.raises(ValueError, match="holds no CIFAR-100 files"):
            check_data_path(str(tmp_path))
