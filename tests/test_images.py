"""core.images: every picture a browser can send becomes the same kind of model input."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from core.images import (
    MAX_BYTES,
    ImageRejected,
    open_image,
    prepare,
    to_model_input,
    to_rgb,
    upscale_for_display,
)

CIFAR = (32, 32, 3)
RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def assert_all_close(batch: np.ndarray, colour: tuple[int, ...], atol: int = 2) -> None:
    assert np.abs(batch.astype(int) - np.array(colour)).max() <= atol, batch[0, 0, 0]


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: the shape of a decompression bomb."""
    png = bytearray(encode(Image.new("RGB", (8, 8), RED)))
    # IHDR data sits at bytes 16..29 (after the signature, length and type); its CRC follows.
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


def transparent_palette_image() -> Image.Image:
    image = Image.new("RGB", (8, 8), RED).convert("P")
    image.info["transparency"] = image.getpixel((0, 0))
    return image


MODE_CASES = [
    # (id, image, format, expected RGB after prepare)
    ("1-white", Image.new("1", (40, 30), 1), "PNG", WHITE),
    ("L-gray", Image.new("L", (40, 30), 128), "PNG", (128, 128, 128)),
    ("LA-transparent-is-white", Image.new("LA", (40, 30), (0, 0)), "PNG", WHITE),
    ("LA-opaque", Image.new("LA", (40, 30), (60, 255)), "PNG", (60, 60, 60)),
    ("P-red", Image.new("RGB", (40, 30), RED).convert("P"), "PNG", RED),
    ("P-transparent-is-white", transparent_palette_image(), "PNG", WHITE),
    ("RGB-red", Image.new("RGB", (40, 30), RED), "PNG", RED),
    ("RGBA-opaque-red", Image.new("RGBA", (40, 30), (*RED, 255)), "PNG", RED),
    ("RGBA-transparent-is-white", Image.new("RGBA", (40, 30), (*RED, 0)), "PNG", WHITE),
    ("RGBA-half-red-on-white", Image.new("RGBA", (40, 30), (*RED, 128)), "PNG", (255, 127, 127)),
    ("CMYK-red", Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "TIFF", RED),
    ("I;16-scaled-not-clipped", Image.new("I;16", (40, 30), 100 * 257), "TIFF", (100,) * 3),
    ("I;16-png-max-is-white", Image.new("I;16", (40, 30), 65535), "PNG", WHITE),
    ("I-8-bit-range-kept", Image.new("I", (40, 30), 200), "TIFF", (200,) * 3),
    ("I-large-range-scaled", Image.new("I", (40, 30), 70000), "TIFF", WHITE),
    ("F-unit-range", Image.new("F", (40, 30), 0.5), "TIFF", (128,) * 3),
    ("F-byte-range", Image.new("F", (40, 30), 100.0), "TIFF", (100,) * 3),
    ("JPEG-red", Image.new("RGB", (40, 30), RED), "JPEG", RED),
    ("WEBP-red", Image.new("RGB", (40, 30), RED), "WEBP", RED),
    ("BMP-red", Image.new("RGB", (40, 30), RED), "BMP", RED),
    ("GIF-red", Image.new("RGB", (40, 30), RED).convert("P"), "GIF", RED),
]


@pytest.mark.parametrize(
    ("image", "fmt", "expected"),
    [case[1:] for case in MODE_CASES],
    ids=[case[0] for case in MODE_CASES],
)
def test_every_mode_becomes_a_32x32_rgb_uint8_batch_with_the_right_colour(
    image: Image.Image, fmt: str, expected: tuple[int, int, int]
) -> None:
    data = encode(image, fmt)
    assert Image.open(BytesIO(data)).mode == image.mode  # the file really holds that mode
    batch = prepare(data, CIFAR)
    assert batch.shape == (1, 32, 32, 3)
    assert batch.dtype == np.uint8
    assert_all_close(batch, expected, atol=3 if fmt in ("JPEG", "WEBP") else 1)


def test_16_bit_gradient_keeps_its_shades_instead_of_turning_white() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    batch = prepare(encode(Image.fromarray(ramp)), CIFAR)
    row = batch[0, 16, :, 0].astype(int)
    assert row[0] < 10
    assert row[-1] > 245
    assert np.all(np.diff(row) >= 0)


def test_float_image_with_nan_and_infinity_is_still_prepared() -> None:
    values = np.full((8, 8), 0.5, dtype=np.float32)
    values[0, 0], values[0, 1], values[0, 2] = np.nan, np.inf, -np.inf
    image = Image.fromarray(values)
    assert to_rgb(image).getpixel((4, 4)) == (128, 128, 128)
    assert to_rgb(image).getpixel((1, 0)) == WHITE


# Where the red top-left and blue top-right quadrants of the stored pixels must appear once
# the EXIF orientation is applied (EXIF 2.3, tag 0x0112: 6 = "rotate 90 clockwise to view").
ORIENTATIONS = {
    1: ("top-left", "top-right"),
    2: ("top-right", "top-left"),
    3: ("bottom-right", "bottom-left"),
    4: ("bottom-left", "bottom-right"),
    5: ("top-left", "bottom-left"),
    6: ("top-right", "bottom-right"),
    7: ("bottom-right", "top-right"),
    8: ("bottom-left", "top-left"),
}
QUADRANT_CENTRES = {"top-left": (8, 8), "top-right": (8, 24), "bottom-left": (24, 8)}
QUADRANT_CENTRES["bottom-right"] = (24, 24)


def oriented_image(orientation: int, fmt: str) -> bytes:
    image = Image.new("RGB", (64, 64), WHITE)
    image.paste(RED, (0, 0, 32, 32))
    image.paste(BLUE, (32, 0, 64, 32))
    return encode(image, fmt, exif=exif_orientation(orientation))


def exif_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def colour_at(batch: np.ndarray, quadrant: str) -> tuple[int, int, int]:
    row, col = QUADRANT_CENTRES[quadrant]
    return tuple(int(v) for v in batch[0, row, col])


def is_close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(colour, expected, strict=True)) <= 40


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation_puts_the_red_corner_where_the_camera_meant(
    orientation: int, fmt: str
) -> None:
    batch = prepare(oriented_image(orientation, fmt), CIFAR)
    red_at, blue_at = ORIENTATIONS[orientation]
    assert is_close(colour_at(batch, red_at), RED)
    assert is_close(colour_at(batch, blue_at), BLUE)
    others = set(QUADRANT_CENTRES) - {red_at, blue_at}
    assert all(is_close(colour_at(batch, quadrant), WHITE) for quadrant in others)


def test_one_pixel_image_fills_the_whole_input() -> None:
    batch = prepare(encode(Image.new("RGB", (1, 1), GREEN)), CIFAR)
    assert batch.shape == (1, 32, 32, 3)
    assert_all_close(batch, GREEN)


def test_very_wide_image_is_squashed_whole_not_cropped() -> None:
    image = Image.new("RGB", (4000, 1), RED)
    image.paste(BLUE, (2000, 0, 4000, 1))
    batch = prepare(encode(image), CIFAR)
    assert batch.shape == (1, 32, 32, 3)
    assert_all_close(batch[:, :, :12], RED)
    assert_all_close(batch[:, :, -12:], BLUE)


def test_large_image_within_the_limit_is_accepted() -> None:
    batch = prepare(encode(Image.new("RGB", (4000, 4000), GREEN)), CIFAR)
    assert_all_close(batch, GREEN)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animated_image_is_classified_on_its_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(BytesIO(data)).n_frames == 3
    assert_all_close(prepare(data, CIFAR), RED, atol=3)


def test_grayscale_input_shape_gives_one_channel() -> None:
    batch = prepare(encode(Image.new("RGB", (50, 50), RED)), (28, 28, 1))
    assert batch.shape == (1, 28, 28, 1)
    assert batch.dtype == np.uint8
    assert_all_close(batch, (76,))  # ITU-R 601 luma of pure red


def test_file_path_and_string_path_are_read_like_bytes(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(encode(Image.new("RGB", (8, 8), RED)))
    assert_all_close(prepare(path, CIFAR), RED)
    assert_all_close(prepare(str(path), CIFAR), RED)


def test_oversized_file_on_disk_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ImageRejected, match="larger than 10 MB"):
        prepare(path, CIFAR)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected, match="could not be read"):
        prepare(tmp_path / "gone.png", CIFAR)


def truncated(fmt: str) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    return data[: len(data) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect fill="red"/></svg>'
REJECTED = [
    ("text", b"hello", "not an image cifar-lab can read"),
    ("empty", b"", "The file is empty"),
    ("too-many-bytes", b"\x89PNG" + bytes(MAX_BYTES), "larger than 10 MB"),
    ("svg", SVG, "not an image cifar-lab can read"),
    ("pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "not an image"),
    ("ico-not-allowed", encode(Image.new("RGB", (16, 16), RED), "ICO"), "not an image"),
    ("truncated-png", truncated("PNG"), "The image file is truncated"),
    ("truncated-jpeg", truncated("JPEG"), "The image file is truncated"),
    ("zero-width", png_declaring(0, 8), "not an image"),
]


@pytest.mark.parametrize(
    ("data", "message"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED]
)
def test_unreadable_upload_is_rejected_with_a_sentence(data: bytes, message: str) -> None:
    with pytest.raises(ImageRejected, match=message):
        prepare(data, CIFAR)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        # Above 2x Pillow's own limit: Pillow refuses inside Image.open.
        (40_000, 40_000, "far too large to open; the limit is 4096 x 4096"),
        # Between 1x and 2x Pillow's limit: Pillow only warns, our header check refuses.
        pytest.param(
            10_000,
            10_000,
            "The image is 10000 x 10000 pixels",
            marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
        ),
        # Below Pillow's limit but above ours: refused from the header alone.
        (5_000, 5_000, "The image is 5000 x 5000 pixels; the limit is 4096 x 4096"),
        (100_000, 200, "The image is 100000 x 200 pixels"),
    ],
)
def test_decompression_bomb_is_rejected_without_decoding_pixels(
    width: int, height: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = []
    original_load = ImageFile.ImageFile.load

    def spy_load(self: ImageFile.ImageFile) -> object:
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    with pytest.raises(ImageRejected, match=message):
        open_image(png_declaring(width, height))
    assert decoded == []


def test_to_model_input_refuses_a_non_rgb_image_and_bad_channels() -> None:
    with pytest.raises(ValueError, match="mode='L'"):
        to_model_input(Image.new("L", (4, 4)), CIFAR)
    with pytest.raises(ValueError, match=r"input_shape=\(32, 32, 4\)"):
        to_model_input(Image.new("RGB", (4, 4)), (32, 32, 4))


def test_upscale_for_display_shows_each_model_pixel_as_a_crisp_square() -> None:
    batch = prepare(oriented_image(1, "PNG"), CIFAR)
    big = upscale_for_display(batch[0])
    assert big.shape == (256, 256, 3)
    assert big.dtype == np.uint8
    assert np.array_equal(big[::8, ::8], batch[0])
    assert np.array_equal(big[5:8, 5:8], np.broadcast_to(batch[0, 0, 0], (3, 3, 3)))


def test_upscale_for_display_turns_grayscale_into_rgb() -> None:
    gray = prepare(encode(Image.new("L", (28, 28), 90)), (28, 28, 1))
    big = upscale_for_display(gray)
    assert big.shape == (252, 252, 3)  # 9 screen pixels per model pixel
    assert np.all(big == 90)


def test_prepare_gives_the_same_array_every_time() -> None:
    data = oriented_image(6, "JPEG")
    assert np.array_equal(prepare(data, CIFAR), prepare(data, CIFAR))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_model_input_or_image_rejected(data: bytes) -> None:
    try:
        batch = prepare(data, CIFAR)
    except ImageRejected:
        return
    assert batch.shape == (1, 32, 32, 3)
    assert batch.dtype == np.uint8


def small_images() -> list[bytes]:
    picture = Image.new("RGB", (12, 10), RED)
    picture.paste(BLUE, (0, 0, 6, 5))
    return [encode(picture, fmt) for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")] + [
        encode(picture.convert("RGBA"), "PNG", exif=exif_orientation(6))
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(small_images()),
    st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 2**16),
)
def test_damaged_real_images_give_a_model_input_or_image_rejected(
    data: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    damaged = bytearray(data)
    for position, value in flips:
        damaged[position % len(damaged)] = value
    try:
        batch = prepare(bytes(damaged[: max(1, len(damaged) - cut % 64)]), CIFAR)
    except ImageRejected:
        return
    assert batch.shape == (1, 32, 32, 3)
    assert batch.dtype == np.uint8
