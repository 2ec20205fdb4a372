"""Shared fixtures: an isolated environment per test, tiny CIFAR-format data, a tiny run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.cifar_format import CifarArrays
from tests.cifar_files import make_synthetic_cifar, write_cifar100_python

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
REQUIRE_ALL = os.environ.get("CIFAR_LAB_REQUIRE_ALL") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing, except in CI (CIFAR_LAB_REQUIRE_ALL=1): fail there."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (CIFAR_LAB_REQUIRE_ALL=1 turns this skip into a failure)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every cifar-lab path at tmp_path: no test touches the user's files or cache."""
    monkeypatch.setenv("CIFAR_LAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("CIFAR_LAB_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    return tmp_path


@pytest.fixture(scope="session")
def tiny_cifar() -> CifarArrays:
    """1,000 training and 200 test images of learnable synthetic CIFAR-100 classes."""
    return make_synthetic_cifar(1000, 200)


@pytest.fixture(scope="session")
def cifar100_tarball(tmp_path_factory: pytest.TempPathFactory, tiny_cifar: CifarArrays) -> Path:
    """A tiny ``cifar-100-python.tar.gz`` in the official format."""
    return write_cifar100_python(tmp_path_factory.mktemp("cifar"), tiny_cifar, tarball=True)


@pytest.fixture
def cifar100_data(cifar100_tarball: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny tarball as this test's CIFAR_LAB_DATA."""
    monkeypatch.setenv("CIFAR_LAB_DATA", str(cifar100_tarball))
    return cifar100_tarball


@pytest.fixture(scope="session")
def tiny_run_template(tmp_path_factory: pytest.TempPathFactory, cifar100_tarball: Path) -> Path:
    """One completed 1-epoch mlp_seed run on the tiny data, trained once per session."""
    from core.config import TrainConfig
    from core.training import train

    models_dir = tmp_path_factory.mktemp("template_models")
    config = TrainConfig(
        model="mlp_seed",
        dataset="cifar100",
        epochs=1,
        val_size=100,
        data_path=str(cifar100_tarball),
        precision="float32",
    )
    return train(config, models_dir=models_dir, verbose=0)


@pytest.fixture
def tiny_run(tiny_run_template: Path, isolated_env: Path) -> Path:
    """A copy of the tiny trained run inside this test's models folder."""
    import shutil

    models_dir = isolated_env / "models"
    models_dir.mkdir(exist_ok=True)
    return Path(shutil.copytree(tiny_run_template, models_dir / tiny_run_template.name))


@pytest.fixture
def fashion_keras_home(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Debian's Fashion-MNIST copied where Keras caches it, in a temporary Keras home."""
    import shutil

    require(FASHION_DIR.is_dir(), "needs Debian's dataset-fashion-mnist package")
    home = isolated_env / "keras_home"
    shutil.copytree(FASHION_DIR, home / "datasets" / "fashion-mnist")
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home
