"""Reading the official CIFAR formats back from tiny real-format files, and refusing bad ones."""

from __future__ import annotations

import os
import pickle
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cifar_format import (
    CifarArrays,
    DataFormatError,
    read_cifar,
    read_cifar_binary,
    read_cifar_python,
    read_python_batch,
)
from tests.cifar_files import (
    channel_major,
    make_synthetic_cifar,
    write_cifar10_python,
    write_cifar100_binary,
    write_cifar100_python,
)


@pytest.fixture
def arrays() -> CifarArrays:
    return make_synthetic_cifar(n_train=12, n_test=6, num_classes=100)


def assert_same(read: CifarArrays, written: CifarArrays) -> None:
    assert read.x_train.shape == (len(written.x_train), 32, 32, 3)
    assert read.x_train.dtype == read.x_test.dtype == np.uint8
    assert read.y_train.dtype == read.y_test.dtype == np.int64
    for field in ("x_train", "y_train", "x_test", "y_test", "coarse_train", "coarse_test"):
        expected = getattr(written, field)
        if expected is None:
            assert getattr(read, field) is None
        else:
            np.testing.assert_array_equal(getattr(read, field), expected)


def test_reads_cifar100_python_folder_exactly(tmp_path: Path, arrays: CifarArrays) -> None:
    folder = write_cifar100_python(tmp_path, arrays)
    assert_same(read_cifar_python(folder, 100), arrays)


def test_reads_cifar100_python_tarball_without_extracting(
    tmp_path: Path, arrays: CifarArrays
) -> None:
    archive = write_cifar100_python(tmp_path / "src", arrays, tarball=True)
    before = sorted(tmp_path.rglob("*"))
    assert_same(read_cifar_python(archive, 100), arrays)
    assert sorted(tmp_path.rglob("*")) == before


def test_reads_cifar100_binary_folder_exactly(tmp_path: Path, arrays: CifarArrays) -> None:
    folder = write_cifar100_binary(tmp_path, arrays)
    assert_same(read_cifar_binary(folder, 100), arrays)


def test_reads_cifar10_python_batches_in_order(tmp_path: Path) -> None:
    arrays = make_synthetic_cifar(n_train=13, n_test=4, num_classes=10)
    folder = write_cifar10_python(tmp_path, arrays)
    assert_same(read_cifar_python(folder, 10), arrays)


def test_pixels_come_out_nhwc_from_channel_major_rows() -> None:
    x = np.arange(32 * 32 * 3, dtype=np.int64).reshape(1, 32, 32, 3) % 256
    rows = channel_major(x.astype(np.uint8))
    assert rows[0, 0] == x[0, 0, 0, 0]  # red plane first
    assert rows[0, 1024] == x[0, 0, 0, 1]  # then green
    assert rows[0, 2048] == x[0, 0, 0, 2]  # then blue


@pytest.mark.parametrize("writer", [write_cifar100_python, write_cifar100_binary])
def test_read_cifar_detects_the_format_one_folder_down(
    tmp_path: Path, arrays: CifarArrays, writer
) -> None:
    writer(tmp_path, arrays)
    assert_same(read_cifar(tmp_path, 100), arrays)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_reads_batches_pickled_with_any_protocol(protocol: int) -> None:
    data = np.arange(3072 * 2, dtype=np.int64).reshape(2, 3072).astype(np.uint8)
    batch = read_python_batch(pickle.dumps({b"data": data}, protocol=protocol), "batch")
    np.testing.assert_array_equal(batch["data"], data)


def test_reads_a_python_2_pickle_like_the_official_files() -> None:
    pixels = bytes(range(256)) * 12
    # Python 2 + numpy 1 wrote str as BINSTRING and named numpy.core.multiarray; the dtype state
    # carries byte strings, which is why the reader loads with encoding="bytes".
    raw = (
        b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02"
        b"cnumpy\nndarray\nq\x03K\x00\x85U\x01b\x87Rq\x04(K\x01K\x01M\x00\x0c\x86"
        b"cnumpy\ndtype\nq\x05U\x02u1K\x00K\x01\x87Rq\x06"
        b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
        b"\x89T" + struct.pack("<I", len(pixels)) + pixels + b"tb"
        b"U\x0bfine_labels]q\x07K\x05au."
    )
    batch = read_python_batch(raw, "train")
    assert batch["fine_labels"] == [5]
    np.testing.assert_array_equal(batch["data"], np.frombuffer(pixels, np.uint8).reshape(1, 3072))


class _Gadget:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


def test_rejects_pickle_gadget(tmp_path: Path, arrays: CifarArrays) -> None:
    folder = write_cifar100_python(tmp_path, arrays)
    marker = tmp_path / "marker"
    (folder / "train").write_bytes(pickle.dumps({b"data": _Gadget(marker)}, protocol=2))
    with pytest.raises(DataFormatError, match=r"train asks to load \w+\.system.*refused"):
        read_cifar_python(folder, 100)
    assert not marker.exists()


@pytest.mark.parametrize("gadget", [b"cbuiltins\neval\n", b"csubprocess\nPopen\n"])
def test_refuses_every_global_outside_numpy_arrays(gadget: bytes) -> None:
    raw = b"\x80\x02" + gadget + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(DataFormatError, match="was refused"):
        read_python_batch(raw, "train")


def test_rejects_truncated_tarball_naming_the_file(tmp_path: Path, arrays: CifarArrays) -> None:
    archive = write_cifar100_python(tmp_path, arrays, tarball=True)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataFormatError, match=r"cifar-100-python\.tar\.gz is truncated"):
        read_cifar(archive, 100)


def test_rejects_binary_file_of_wrong_length(tmp_path: Path, arrays: CifarArrays) -> None:
    folder = write_cifar100_binary(tmp_path, arrays)
    (folder / "test.bin").write_bytes((folder / "test.bin").read_bytes()[:-1])
    with pytest.raises(DataFormatError, match=r"test\.bin is 18443 bytes, not a whole number"):
        read_cifar_binary(folder, 100)


def test_rejects_fine_label_out_of_range(tmp_path: Path, arrays: CifarArrays) -> None:
    y_train = arrays.y_train.copy()
    y_train[3] = 100
    folder = write_cifar100_python(tmp_path, replace(arrays, y_train=y_train))
    with pytest.raises(
        DataFormatError,
        match=r"train: 'fine_labels' must lie in \[0, 100\)\. Received fine_labels=100",
    ):
        read_cifar_python(folder, 100)


def test_rejects_coarse_label_out_of_range_in_binary(tmp_path: Path, arrays: CifarArrays) -> None:
    coarse = arrays.coarse_test.copy()
    coarse[0] = 20
    folder = write_cifar100_binary(tmp_path, replace(arrays, coarse_test=coarse))
    with pytest.raises(DataFormatError, match=r"test\.bin: 'coarse_label' must lie in \[0, 20\)"):
        read_cifar_binary(folder, 100)


def test_rejects_data_with_3071_columns(tmp_path: Path, arrays: CifarArrays) -> None:
    folder = write_cifar100_python(tmp_path, arrays)
    batch = pickle.loads((folder / "train").read_bytes())
    batch[b"data"] = batch[b"data"][:, :3071]
    (folder / "train").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(
        DataFormatError, match=r"train: 'data' must be .*Received shape \(12, 3071\)"
    ):
        read_cifar_python(folder, 100)


def test_rejects_label_count_that_differs_from_image_count(
    tmp_path: Path, arrays: CifarArrays
) -> None:
    folder = write_cifar100_python(tmp_path, arrays)
    batch = pickle.loads((folder / "test").read_bytes())
    batch[b"coarse_labels"] = batch[b"coarse_labels"][:-1]
    (folder / "test").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataFormatError, match="'coarse_labels' must hold 6 integers"):
        read_cifar_python(folder, 100)


def test_folder_holding_neither_format_lists_expected_names(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not CIFAR")
    with pytest.raises(DataFormatError) as error:
        read_cifar(tmp_path, 100)
    assert str(tmp_path) in str(error.value)
    for name in ("train", "test", "train.bin", "test.bin"):
        assert name in str(error.value)


def test_missing_source_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.tar\.gz"):
        read_cifar(tmp_path / "nowhere.tar.gz", 100)


def test_rejects_num_classes_other_than_10_or_100(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must be one of 10, 100\. Received: num_classes=7"):
        read_cifar(tmp_path, 7)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512) | st.binary(max_size=512).map(lambda b: b"\x80\x02" + b))
def test_read_python_batch_returns_a_dict_or_raises_data_format_error(data: bytes) -> None:
    try:
        batch = read_python_batch(data, "fuzz")
    except DataFormatError as error:
        assert "fuzz" in str(error)
    else:
        assert isinstance(batch, dict)
