"""Readers for the two official CIFAR on-disk formats (python pickles and binary records)."""

from __future__ import annotations

import codecs
import io
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

PIXELS = 3072  # 32 * 32 * 3, stored channel-major: the R plane, then G, then B
PYTHON_NAMES = {
    100: (("train",), ("test",)),
    10: (tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",)),
}
BINARY_NAMES = {
    100: (("train.bin",), ("test.bin",)),
    10: (tuple(f"data_batch_{i}.bin" for i in range(1, 6)), ("test_batch.bin",)),
}


class DataFormatError(ValueError):
    """A CIFAR file is corrupt, truncated, malicious or not the shape CIFAR promises."""


@dataclass(frozen=True)
class CifarArrays:
    """Images as (N, 32, 32, 3) uint8 NHWC and int64 labels; coarse labels only for CIFAR-100."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    coarse_train: np.ndarray | None = None
    coarse_test: np.ndarray | None = None


# Ask numpy for its own reconstructors instead of importing whatever path a file names:
# `numpy.core` (what the official Python 2 files name) is a deprecated alias in numpy 2.
_ALLOWED_GLOBALS: dict[tuple[str, str], object] = {
    ("numpy.core.multiarray", "_reconstruct"): np.empty(0).__reduce__()[0],
    ("numpy._core.multiarray", "_reconstruct"): np.empty(0).__reduce__()[0],
    ("numpy.core.numeric", "_frombuffer"): np.empty(1).__reduce_ex__(5)[0],
    ("numpy._core.numeric", "_frombuffer"): np.empty(1).__reduce_ex__(5)[0],
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # how Python 3 writes bytes at protocol 2
}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that builds numpy arrays and plain containers, and refuses every other global."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(io.BytesIO(data), encoding="bytes")  # official files are Python 2 pickles
        self._name = name

    def find_class(self, module: str, name: str) -> object:
        """Return an allowed numpy or codecs global; refuse anything else."""
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise DataFormatError(
                f"{self._name} asks to load {module}.{name}, which a CIFAR batch never does, "
                "and was refused (a CIFAR batch loads only numpy arrays and bytes)"
            ) from None


def read_python_batch(data: bytes, name: str) -> dict[str, object]:
    """Unpickle one python-version CIFAR batch safely, with its keys decoded to str."""
    try:
        batch = _BatchUnpickler(data, name).load()
    except DataFormatError:
        raise
    except Exception as error:  # a corrupt pickle can fail in any of pickle's or numpy's ways
        raise DataFormatError(
            f"{name} is not a readable CIFAR python batch ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(batch, dict):
        raise DataFormatError(f"{name} holds a {type(batch).__name__}, not a CIFAR batch dict")
    return {k.decode("latin1") if isinstance(k, bytes) else str(k): v for k, v in batch.items()}


def _read_members(source: Path, wanted: set[str]) -> dict[str, tuple[str, bytes]]:
    """Bytes of each wanted file found at the top or one folder down, keyed by base name."""
    found: dict[str, tuple[str, bytes]] = {}
    if source.is_dir():
        for name in sorted(wanted):
            paths = [source / name, *sorted(source.glob(f"*/{name}"))]
            path = next((p for p in paths if p.is_file()), None)
            if path is not None:
                found[name] = (str(path), path.read_bytes())
        return found
    if not source.exists():
        raise FileNotFoundError(f"CIFAR source {source} does not exist")
    try:
        with tarfile.open(source, "r:*") as archive:
            for member in archive:  # one pass in stream order: never extract, never seek back
                parts = [p for p in PurePosixPath(member.name).parts if p != "."]
                if member.isfile() and len(parts) <= 2 and parts[-1] in wanted:
                    reader = archive.extractfile(member)
                    if reader is not None and parts[-1] not in found:
                        found[parts[-1]] = (f"{source.name}:{member.name}", reader.read())
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise DataFormatError(
            f"{source.name} is truncated or not a gzip tar archive ({error}): re-download it "
            "or point CIFAR_LAB_DATA at a complete copy"
        ) from error
    return found


def _check_labels(values: object, name: str, key: str, limit: int, rows: int) -> np.ndarray:
    try:
        labels = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise DataFormatError(f"{name}: {key!r} is not a list of integers ({error})") from error
    if labels.shape != (rows,) or (labels.size and labels.dtype.kind not in "iu"):
        raise DataFormatError(
            f"{name}: {key!r} must hold {rows} integers, one per image. "
            f"Received shape {labels.shape} of {labels.dtype}."
        )
    bad = labels[(labels < 0) | (labels >= limit)]
    if bad.size:
        raise DataFormatError(
            f"{name}: {key!r} must lie in [0, {limit}). Received {key}={int(bad[0])}."
        )
    return labels.astype(np.int64)


def _to_nhwc(values: object, name: str) -> np.ndarray:
    try:
        data = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise DataFormatError(f"{name}: 'data' is not an array of pixels ({error})") from error
    if data.ndim != 2 or data.shape[1] != PIXELS or (data.size and data.dtype.kind not in "iu"):
        raise DataFormatError(
            f"{name}: 'data' must be an (N, {PIXELS}) array of uint8 pixels. "
            f"Received shape {data.shape} of {data.dtype}."
        )
    if data.size and (data.min() < 0 or data.max() > 255):
        raise DataFormatError(
            f"{name}: pixels must lie in [0, 255]. Received {data.min()}..{data.max()}."
        )
    return data.astype(np.uint8, copy=False).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def _python_split(file: tuple[str, bytes], num_classes: int) -> tuple[np.ndarray, ...]:
    name, raw = file
    batch = read_python_batch(raw, name)
    if "data" not in batch:
        raise DataFormatError(f"{name} has no 'data' entry. Received keys: {sorted(batch)}.")
    x = _to_nhwc(batch["data"], name)
    if num_classes == 10:
        return x, _check_labels(batch.get("labels"), name, "labels", 10, len(x))
    fine = _check_labels(batch.get("fine_labels"), name, "fine_labels", 100, len(x))
    return x, fine, _check_labels(batch.get("coarse_labels"), name, "coarse_labels", 20, len(x))


def _binary_split(file: tuple[str, bytes], num_classes: int) -> tuple[np.ndarray, ...]:
    name, raw = file
    label_bytes = 2 if num_classes == 100 else 1  # CIFAR-100 records start coarse, then fine
    record = label_bytes + PIXELS
    if len(raw) % record:
        raise DataFormatError(
            f"{name} is {len(raw)} bytes, not a whole number of {record}-byte records: "
            f"the file is truncated or not CIFAR-{num_classes} binary"
        )
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    x = _to_nhwc(rows[:, label_bytes:], name)
    fine = _check_labels(rows[:, label_bytes - 1], name, "label", num_classes, len(x))
    if num_classes == 10:
        return x, fine
    return x, fine, _check_labels(rows[:, 0], name, "coarse_label", 20, len(x))


def _stack(batches: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    return [np.concatenate(column) for column in zip(*batches, strict=True)]


# kind -> (names of its train and test files by num_classes, parser of one file)
_FORMATS = {"python": (PYTHON_NAMES, _python_split), "binary": (BINARY_NAMES, _binary_split)}


def _read(source: Path, num_classes: int, kinds: tuple[str, ...]) -> CifarArrays:
    if num_classes not in PYTHON_NAMES:
        raise ValueError(
            f"`num_classes` must be one of 10, 100. Received: num_classes={num_classes}."
        )
    layouts = {kind: _FORMATS[kind][0][num_classes] for kind in kinds}
    found = _read_members(Path(source), {n for names in layouts.values() for n in sum(names, ())})
    for kind, (train_names, test_names) in layouts.items():
        if all(n in found for n in (*train_names, *test_names)):
            split = _FORMATS[kind][1]
            x_train, y_train, *coarse_train = _stack(
                [split(found[n], num_classes) for n in train_names]
            )
            x_test, y_test, *coarse_test = _stack(
                [split(found[n], num_classes) for n in test_names]
            )
            # coarse_* are empty lists for CIFAR-10, leaving the dataclass's None defaults
            return CifarArrays(x_train, y_train, x_test, y_test, *coarse_train, *coarse_test)
    expected = " or ".join(f"{k} files {', '.join(sum(n, ()))}" for k, n in layouts.items())
    raise DataFormatError(
        f"{source} holds no complete CIFAR-{num_classes} set: expected {expected} "
        "(at the top or one folder down)"
    )


def read_cifar_python(source: Path, num_classes: int) -> CifarArrays:
    """Read the python version (pickled batches) from a folder or tar archive."""
    return _read(source, num_classes, ("python",))


def read_cifar_binary(source: Path, num_classes: int) -> CifarArrays:
    """Read the binary version (fixed-length records) from a folder or tar archive."""
    return _read(source, num_classes, ("binary",))


def read_cifar(source: Path, num_classes: int) -> CifarArrays:
    """Read whichever official format `source` holds, python batches or binary records."""
    return _read(source, num_classes, ("python", "binary"))  # one pass over an archive
