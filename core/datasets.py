"""Dataset registry and loading: CIFAR-100 (default), CIFAR-10, Fashion-MNIST, MNIST.

Sources, in order: an explicit local path, the Keras cache, a download through Keras.
Images stay uint8 NHWC; labels are int64 class ids. Names ship with the code because
Keras' loaders return ids only.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.cifar_format import CifarArrays, DataFormatError, read_cifar
from core.settings import load_settings

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes_done, bytes_total) while a download runs."""

# Official order: the alphabetical order of the snake_case names (seed: ids 0 apple ... 99 worm).
# fmt: off
CIFAR100_FINE = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
    "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
    "willow_tree", "wolf", "woman", "worm",
)
# seed: the 20 superclasses and their five classes each (coarse ids are alphabetical too).
CIFAR100_HIERARCHY = {
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}
CIFAR10_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
FASHION_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
)
# fmt: on


class DatasetUnavailable(RuntimeError):
    """The dataset is neither at the given path, nor in the Keras cache, nor downloadable."""


@dataclass(frozen=True)
class DatasetSpec:
    """What cifar-lab knows about a dataset before loading it."""

    name: str
    title: str
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    train_size: int
    test_size: int
    superclass_names: tuple[str, ...] | None = None
    fine_to_coarse: tuple[int, ...] | None = None
    origin: str = ""
    file_hash: str | None = None
    download_bytes: int = 0

    @property
    def num_classes(self) -> int:
        """Number of (fine) classes."""
        return len(self.class_names)

    def display_name(self, class_id: int) -> str:
        """Human-readable class name (``sweet_pepper`` -> ``sweet pepper``)."""
        return self.class_names[class_id].replace("_", " ")


def _fine_to_coarse() -> tuple[int, ...]:
    coarse_names = sorted(CIFAR100_HIERARCHY)
    mapping = dict.fromkeys(CIFAR100_FINE, -1)
    for coarse_id, coarse in enumerate(coarse_names):
        for fine in CIFAR100_HIERARCHY[coarse]:
            mapping[fine] = coarse_id
    return tuple(mapping[name] for name in CIFAR100_FINE)


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="cifar100",
            title="CIFAR-100",
            input_shape=(32, 32, 3),
            class_names=CIFAR100_FINE,
            train_size=50_000,  # seed: 500 training images per class
            test_size=10_000,  # seed: 100 test images per class
            superclass_names=tuple(sorted(CIFAR100_HIERARCHY)),
            fine_to_coarse=_fine_to_coarse(),
            origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            file_hash="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
            download_bytes=169_001_437,
        ),
        DatasetSpec(
            name="cifar10",
            title="CIFAR-10",
            input_shape=(32, 32, 3),
            class_names=CIFAR10_NAMES,
            train_size=50_000,
            test_size=10_000,
            origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            download_bytes=170_498_071,
        ),
        DatasetSpec(
            name="fashion_mnist",
            title="Fashion-MNIST",
            input_shape=(28, 28, 1),
            class_names=FASHION_NAMES,
            train_size=60_000,
            test_size=10_000,
            origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            download_bytes=30_878_645,
        ),
        DatasetSpec(
            name="mnist",
            title="MNIST",
            input_shape=(28, 28, 1),
            class_names=tuple(str(digit) for digit in range(10)),
            train_size=60_000,
            test_size=10_000,
            origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
            file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            download_bytes=11_490_434,
        ),
    )
}

_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def get_spec(name: str) -> DatasetSpec:
    """Look a dataset up by name, with an error that lists the valid names."""
    if name not in DATASETS:
        valid = ", ".join(f'"{key}"' for key in DATASETS)
        raise ValueError(f"`dataset` must be one of {valid}. Received: dataset={name!r}.")
    return DATASETS[name]


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: uint8 NHWC images and int64 labels, never a float copy."""

    spec: DatasetSpec
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def coarse_train(self) -> np.ndarray | None:
        """Superclass ids of the training images (CIFAR-100 only)."""
        return self._coarse(self.y_train)

    @property
    def coarse_test(self) -> np.ndarray | None:
        """Superclass ids of the test images (CIFAR-100 only)."""
        return self._coarse(self.y_test)

    def _coarse(self, labels: np.ndarray) -> np.ndarray | None:
        if self.spec.fine_to_coarse is None:
            return None
        return np.asarray(self.spec.fine_to_coarse, dtype=np.int64)[labels]

    def fingerprint(self) -> str:
        """A short hash of labels and a pixel sample: tells two copies of a dataset apart."""
        digest = hashlib.sha256()
        for array in (self.y_train, self.y_test, self.x_train[::997], self.x_test[::997]):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]


# --- sources ---------------------------------------------------------------------------


def _keras_cache_dir() -> Path:
    return load_settings().keras_home / "datasets"


def _cifar_cache_candidates(spec: DatasetSpec) -> list[Path]:
    """Where Keras' own loaders leave CIFAR after a download (archive and extracted folder)."""
    target = "cifar-100-python-target" if spec.name == "cifar100" else "cifar-10-batches-py-target"
    cache = _keras_cache_dir()
    return [cache / target, cache / f"{target}_archive"]


def _mnist_cache_path(spec: DatasetSpec) -> Path:
    cache = _keras_cache_dir()
    return cache / "fashion-mnist" if spec.name == "fashion_mnist" else cache / "mnist.npz"


def _read_idx_gz(path: Path, header: int) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as handle:
            return np.frombuffer(handle.read(), np.uint8, offset=header)
    except (OSError, EOFError, ValueError) as error:
        raise DataFormatError(f"{path} is truncated or not a gzip IDX file: {error}") from error


def _read_mnist_like(source: Path, spec: DatasetSpec) -> CifarArrays:
    """Read Fashion-MNIST / MNIST from a folder of IDX .gz files or an ``mnist.npz``."""
    height, width, _ = spec.input_shape
    if source.is_file() and source.suffix == ".npz":
        try:
            with np.load(source, allow_pickle=False) as npz:
                arrays = [npz[key] for key in ("x_train", "y_train", "x_test", "y_test")]
        except (OSError, ValueError, KeyError) as error:
            raise DataFormatError(f"{source} is not a readable mnist.npz: {error}") from error
    else:
        missing = [name for name in _MNIST_FILES if not (source / name).is_file()]
        if missing:
            raise DataFormatError(f"{source} lacks {', '.join(missing)}.")
        images_train, labels_train, images_test, labels_test = (
            _read_idx_gz(source / name, 16 if "images" in name else 8) for name in _MNIST_FILES
        )
        arrays = [images_train, labels_train, images_test, labels_test]
    x_train, y_train, x_test, y_test = arrays
    try:
        x_train = x_train.reshape(-1, height, width, 1)
        x_test = x_test.reshape(-1, height, width, 1)
    except ValueError as error:
        raise DataFormatError(f"{source}: images are not {height}x{width}: {error}") from error
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataFormatError(f"{source}: image and label counts differ.")
    return CifarArrays(
        x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), None, None
    )


def _read_source(source: Path, spec: DatasetSpec) -> CifarArrays:
    if spec.input_shape[-1] == 1:
        return _read_mnist_like(source, spec)
    return read_cifar(source, spec.num_classes)


def _cached_source(spec: DatasetSpec) -> Path | None:
    if spec.input_shape[-1] == 1:
        path = _mnist_cache_path(spec)
        ready = path.is_file() or all((path / name).is_file() for name in _MNIST_FILES)
        return path if ready else None
    # Only the extracted folder counts: a lone archive may be a partial download, which
    # Keras' get_file checks against its hash and fetches again.
    folder = _cifar_cache_candidates(spec)[0]
    return folder if folder.is_dir() else None


def _download_target(spec: DatasetSpec) -> Path:
    if spec.input_shape[-1] == 1:
        return _mnist_cache_path(spec)
    return _cifar_cache_candidates(spec)[1]


def _fetch_with_keras(spec: DatasetSpec) -> CifarArrays:
    """Fetch through ``keras.utils.get_file`` (Keras' cache, its hash check and re-fetch of
    a bad file), then read with our own readers.

    Files land where ``keras.datasets.*.load_data`` keeps them. We pass the cache folder
    explicitly because Keras reads ``KERAS_HOME`` once, at import. CIFAR archives are read
    with our restricted unpickler rather than Keras' ``load_batch``, which unpickles freely.
    """
    import keras

    cache_dir = str(load_settings().keras_home)
    if spec.name == "fashion_mnist":
        for name in _MNIST_FILES:
            keras.utils.get_file(
                name, origin=spec.origin + name, cache_dir=cache_dir,
                cache_subdir="datasets/fashion-mnist",
            )  # fmt: skip
        return _read_mnist_like(_mnist_cache_path(spec), spec)
    if spec.name == "mnist":
        path = keras.utils.get_file(
            "mnist.npz", origin=spec.origin, file_hash=spec.file_hash, cache_dir=cache_dir
        )
        return _read_mnist_like(Path(path), spec)
    folder = _cifar_cache_candidates(spec)[0]
    keras.utils.get_file(
        fname=folder.name, origin=spec.origin, extract=True, file_hash=spec.file_hash,
        cache_dir=cache_dir,
    )  # fmt: skip
    return read_cifar(folder, spec.num_classes)


def download(spec: DatasetSpec, progress: ProgressCallback | None = None) -> CifarArrays:
    """Download into the Keras cache, reporting (bytes_done, bytes_total) while it runs."""
    outcome: dict[str, object] = {}

    def fetch() -> None:
        try:
            outcome["arrays"] = _fetch_with_keras(spec)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=fetch, name=f"download-{spec.name}", daemon=True)
    worker.start()
    target = _download_target(spec)
    while worker.is_alive():
        worker.join(0.5)
        if progress is not None:
            done = _bytes_on_disk(target)
            progress(min(done, spec.download_bytes), spec.download_bytes)
    error = outcome.get("error")
    if isinstance(error, DataFormatError):
        raise error
    if error is not None:
        raise DatasetUnavailable(_unavailable_message(spec, error)) from None
    if progress is not None:
        progress(spec.download_bytes, spec.download_bytes)
    arrays = outcome["arrays"]
    assert isinstance(arrays, CifarArrays)
    return arrays


def _bytes_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(item.stat().st_size for item in path.iterdir() if item.is_file())
    return 0


def _env_data_path(spec: DatasetSpec) -> Path | None:
    """``CIFAR_LAB_DATA`` names the local copy of CIFAR-100, the product's own dataset."""
    return load_settings().data_path if spec.name == "cifar100" else None


def _unavailable_message(spec: DatasetSpec, reason: object) -> str:
    env_path = _env_data_path(spec)
    looked = [str(env_path)] if env_path else []
    looked.append(str(_keras_cache_dir()))
    return (
        f"{spec.title} is not available ({reason}). Looked in: {'; '.join(looked)}. "
        f"Fix it with one of: `cifar-lab data download --dataset {spec.name}` on a machine "
        f"with internet; or copy the official archive ({spec.origin.rsplit('/', 1)[-1]}) "
        "and run with CIFAR_LAB_DATA=/path/to/it (or --data PATH); "
        "or put Keras' cached copy in ~/.keras/datasets."
    )


@dataclass(frozen=True)
class DatasetStatus:
    """Whether a dataset can be loaded now, and from where."""

    spec: DatasetSpec
    available: bool
    where: str
    message: str


def dataset_status(name: str, data_path: Path | None = None) -> DatasetStatus:
    """Say where the dataset would load from, without reading it."""
    spec = get_spec(name)
    data_path = data_path or _env_data_path(spec)
    if data_path is not None and data_path.exists():
        return DatasetStatus(spec, True, f"local path {data_path}", "Ready.")
    cached = _cached_source(spec)
    if cached is not None:
        return DatasetStatus(spec, True, f"Keras cache {cached}", "Ready.")
    return DatasetStatus(spec, False, "", _unavailable_message(spec, "not found locally"))


_load_lock = threading.Lock()
_loaded: dict[tuple[str, str, int], Dataset] = {}


def load_dataset(
    name: str = "cifar100",
    data_path: Path | None = None,
    *,
    download_missing: bool = True,
    progress: ProgressCallback | None = None,
) -> Dataset:
    """Load a dataset from the first source that has it (local path, Keras cache, download).

    The last dataset loaded stays in memory: a second call for the same unchanged source
    returns the same arrays, and concurrent first calls load it once.
    """
    spec = get_spec(name)
    data_path = data_path or _env_data_path(spec)
    with _load_lock:  # concurrent first requests in one process load once, in turn
        if data_path is not None:
            if not data_path.exists():
                raise DatasetUnavailable(
                    _unavailable_message(spec, f"the data path {data_path} does not exist")
                )
            source_path, source = data_path, f"local path {data_path}"
        elif (cached := _cached_source(spec)) is not None:
            source_path, source = cached, f"Keras cache {cached}"
        elif download_missing:
            source_path, source = None, "downloaded through Keras"
        else:
            raise DatasetUnavailable(_unavailable_message(spec, "not found locally"))
        key = (spec.name, str(source_path), _mtime_ns(source_path))
        if key not in _loaded:
            if source_path is None or (data_path is None and spec.input_shape[-1] == 1):
                arrays = download(spec, progress)  # from Keras' cache when it has the files
            else:
                arrays = _read_source(source_path, spec)
            _check_shapes(arrays, spec, source)
            _loaded.clear()  # keep one dataset in memory per process
            _loaded[key] = Dataset(
                spec, arrays.x_train, arrays.y_train, arrays.x_test, arrays.y_test, source
            )
        return _loaded[key]


def _mtime_ns(path: Path | None) -> int:
    try:
        return path.stat().st_mtime_ns if path is not None else 0
    except OSError:
        return 0


def _check_shapes(arrays: CifarArrays, spec: DatasetSpec, source: str) -> None:
    for split, images, labels in (
        ("train", arrays.x_train, arrays.y_train),
        ("test", arrays.x_test, arrays.y_test),
    ):
        if images.shape[1:] != spec.input_shape or images.dtype != np.uint8:
            raise DataFormatError(
                f"{source}: {split} images are {images.dtype} {images.shape[1:]}, "
                f"expected uint8 {spec.input_shape} for {spec.title}."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= spec.num_classes):
            raise DataFormatError(
                f"{source}: {split} labels must lie in [0, {spec.num_classes}). "
                f"Received: {labels.min()}..{labels.max()}."
            )
    for split, fine, coarse in (
        ("train", arrays.y_train, arrays.coarse_train),
        ("test", arrays.y_test, arrays.coarse_test),
    ):
        if coarse is not None and spec.fine_to_coarse is not None:
            expected = np.asarray(spec.fine_to_coarse)[fine]
            if not np.array_equal(expected, coarse):
                raise DataFormatError(
                    f"{source}: {split} coarse labels do not follow the CIFAR-100 superclasses; "
                    "is this really CIFAR-100?"
                )


# --- splits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Splits:
    """Train / validation / test arrays, uint8 images and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def make_splits(
    dataset: Dataset, *, val_size: int = 5000, subset: float = 1.0, seed: int = 0
) -> Splits:
    """A deterministic validation split from the training set, then an optional subset.

    ``subset`` in (0, 1] keeps that fraction of the remaining training images (stratified
    by a seeded permutation, so every class keeps roughly its share).
    """
    if not 0.0 < subset <= 1.0:
        raise ValueError(f"`subset` must be in (0, 1]. Received: subset={subset}.")
    n_train = len(dataset.y_train)
    if not 0 <= val_size < n_train:
        raise ValueError(f"`val_size` must be in [0, {n_train}). Received: val_size={val_size}.")
    order = np.random.default_rng(seed).permutation(n_train)
    val_idx, train_idx = np.sort(order[:val_size]), order[val_size:]
    if subset < 1.0:
        train_idx = train_idx[: max(1, round(len(train_idx) * subset))]
    train_idx = np.sort(train_idx)  # sorted fancy indexing reads memory in order
    return Splits(
        x_train=dataset.x_train[train_idx],
        y_train=dataset.y_train[train_idx],
        x_val=dataset.x_train[val_idx],
        y_val=dataset.y_train[val_idx],
        x_test=dataset.x_test,
        y_test=dataset.y_test,
    )


# --- a data path typed into the UI -------------------------------------------------------

_ARCHIVE_NAMES = {
    "cifar100": ("cifar-100-python.tar.gz", "cifar-100-binary.tar.gz"),
    "cifar10": ("cifar-10-python.tar.gz", "cifar-10-binary.tar.gz"),
    "fashion_mnist": (),
    "mnist": ("mnist.npz",),
}
_FOLDER_MARKERS = {
    "cifar100": ("train", "train.bin"),
    "cifar10": ("data_batch_1", "data_batch_1.bin"),
    "fashion_mnist": _MNIST_FILES[:1],
    "mnist": _MNIST_FILES[:1],
}
_MAX_ARCHIVE_BYTES = 400 * 1024 * 1024
_SYSTEM_ROOTS = ("/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/bin", "/usr/bin")


def check_data_path(text: str, name: str = "cifar100") -> Path:
    """Validate a dataset path typed into the UI; return it resolved, or raise ValueError.

    Accepted: the official archive of the dataset (by name, at most 400 MB) or a folder that
    holds its files (directly or one folder down). Refused: network shares, ``..`` steps,
    and links that resolve into system folders.
    """
    spec = get_spec(name)
    raw = text.strip()
    if not raw or "\0" in raw:
        raise ValueError("The data path is empty.")
    if raw.startswith(("\\\\", "//")) or "://" in raw:
        raise ValueError(f"{raw!r} is a network path; copy the dataset to this machine first.")
    path = Path(raw).expanduser()
    if ".." in path.parts:
        raise ValueError(f"{raw!r} contains '..'; give the dataset's full path instead.")
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ValueError(f"{raw!r} does not exist on this machine.") from None
    if str(resolved) in _SYSTEM_ROOTS or resolved.parent == Path("/proc"):
        raise ValueError(f"{raw!r} points into a system folder ({resolved}); refused.")
    expected = " or ".join([*_ARCHIVE_NAMES[name], f"a folder holding {spec.title}'s files"])
    if resolved.is_file():
        if resolved.name not in _ARCHIVE_NAMES[name]:
            raise ValueError(f"{resolved.name!r} is not a {spec.title} file; expected {expected}.")
        if resolved.stat().st_size > _MAX_ARCHIVE_BYTES:
            raise ValueError(f"{resolved.name} is larger than any {spec.title} archive.")
        return resolved
    candidates = [resolved, *(child for child in resolved.iterdir() if child.is_dir())]
    if any(
        (folder / marker).is_file() for folder in candidates for marker in _FOLDER_MARKERS[name]
    ):
        return resolved
    raise ValueError(f"{raw!r} holds no {spec.title} files; expected {expected}.")
