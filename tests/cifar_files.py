"""Writers of tiny CIFAR files in the real on-disk formats, for tests to read back."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from core.cifar_format import CifarArrays
from core.datasets import DATASETS


def make_synthetic_cifar(
    n_train: int, n_test: int, num_classes: int = 100, seed: int = 0
) -> CifarArrays:
    """Learnable fake CIFAR: labels cycle; coarse labels follow CIFAR-100's real hierarchy."""
    rng = np.random.default_rng(seed)
    # A mean colour per class plus a 4x4 layout of 8x8-pixel blocks around it: classes differ
    # both in colour and in layout, so a small MLP or CNN beats chance within a few epochs.
    colours = rng.integers(48, 208, size=(num_classes, 1, 1, 3), dtype=np.int16)
    blocks = rng.integers(-48, 49, size=(num_classes, 4, 4, 3), dtype=np.int16)
    templates = colours + blocks.repeat(8, axis=1).repeat(8, axis=2)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n, dtype=np.int64) % num_classes
        noise = rng.integers(-24, 25, size=(n, 32, 32, 3), dtype=np.int16)
        return np.clip(templates[y] + noise, 0, 255).astype(np.uint8), y

    (x_train, y_train), (x_test, y_test) = split(n_train), split(n_test)
    if num_classes != 100:
        return CifarArrays(x_train, y_train, x_test, y_test)
    fine_to_coarse = np.asarray(DATASETS["cifar100"].fine_to_coarse)
    return CifarArrays(
        x_train, y_train, x_test, y_test, fine_to_coarse[y_train], fine_to_coarse[y_test]
    )


def channel_major(x: np.ndarray) -> np.ndarray:
    """(N, 32, 32, 3) NHWC images as the (N, 3072) rows CIFAR stores: R plane, G plane, B plane."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), 3072)


def _dump(path: Path, obj: object) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=2))  # the official files are protocol 2


def _cifar100_batch(x: np.ndarray, fine: np.ndarray, coarse: np.ndarray, label: str) -> dict:
    return {
        b"filenames": [f"synthetic_{i:05d}.png".encode() for i in range(len(x))],
        b"batch_label": label.encode(),
        b"fine_labels": [int(v) for v in fine],
        b"coarse_labels": [int(v) for v in coarse],
        b"data": channel_major(x),
    }


def _coarse(arrays: CifarArrays) -> tuple[np.ndarray, np.ndarray]:
    if arrays.coarse_train is None or arrays.coarse_test is None:
        raise ValueError("CIFAR-100 files need coarse labels. Received: coarse_train=None.")
    return arrays.coarse_train, arrays.coarse_test


def write_cifar100_python(folder: Path, arrays: CifarArrays, *, tarball: bool = False) -> Path:
    """Write cifar-100-python/{train,test,meta} (optionally packed as cifar-100-python.tar.gz)."""
    coarse_train, coarse_test = _coarse(arrays)
    out = Path(folder) / "cifar-100-python"
    out.mkdir(parents=True, exist_ok=True)
    _dump(
        out / "train",
        _cifar100_batch(arrays.x_train, arrays.y_train, coarse_train, "training batch 1 of 1"),
    )
    _dump(
        out / "test",
        _cifar100_batch(arrays.x_test, arrays.y_test, coarse_test, "testing batch 1 of 1"),
    )
    meta = {
        b"fine_label_names": [f"class_{i:02d}".encode() for i in range(100)],
        b"coarse_label_names": [f"superclass_{i:02d}".encode() for i in range(20)],
    }
    _dump(out / "meta", meta)
    if not tarball:
        return out
    archive = Path(folder) / "cifar-100-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(out, arcname=out.name)
    return archive


def write_cifar100_binary(folder: Path, arrays: CifarArrays) -> Path:
    """Write cifar-100-binary/{train,test}.bin: records of coarse byte, fine byte, 3072 pixels."""
    coarse_train, coarse_test = _coarse(arrays)
    out = Path(folder) / "cifar-100-binary"
    out.mkdir(parents=True, exist_ok=True)
    for name, x, fine, coarse in (
        ("train.bin", arrays.x_train, arrays.y_train, coarse_train),
        ("test.bin", arrays.x_test, arrays.y_test, coarse_test),
    ):
        records = np.concatenate([coarse[:, None], fine[:, None], channel_major(x)], axis=1)
        (out / name).write_bytes(records.astype(np.uint8).tobytes())
    return out


def write_cifar10_python(folder: Path, arrays: CifarArrays) -> Path:
    """Write cifar-10-batches-py: the train set split over data_batch_1..5, plus test_batch."""
    out = Path(folder) / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    parts = np.array_split(np.arange(len(arrays.x_train)), 5)
    batches = [
        (f"data_batch_{i}", arrays.x_train[p], arrays.y_train[p]) for i, p in enumerate(parts, 1)
    ]
    for name, x, y in [*batches, ("test_batch", arrays.x_test, arrays.y_test)]:
        batch = {
            b"batch_label": name.replace("_", " ").encode(),
            b"labels": [int(v) for v in y],
            b"data": channel_major(x),
            b"filenames": [f"synthetic_{i:05d}.png".encode() for i in range(len(x))],
        }
        _dump(out / name, batch)
    meta = {
        b"num_cases_per_batch": len(parts[0]),
        b"label_names": [f"class_{i}".encode() for i in range(10)],
        b"num_vis": 3072,
    }
    _dump(out / "batches.meta", meta)
    return out
