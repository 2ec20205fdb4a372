"""Uploaded pictures to model input: open safely, make RGB, resize the same way every time."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
_MAX_SIDE = 4096
# Plenty for a 32x32 classifier; caps one upload's decoded pixels at 64 MiB (4 bytes each).
MAX_PIXELS = _MAX_SIDE * _MAX_SIDE
MAX_BYTES = 10 * 1024 * 1024
RESAMPLE = Image.Resampling.LANCZOS
RESAMPLE_NAME = "Lanczos"

# `Image.MAX_IMAGE_PIXELS` is left at Pillow's default on purpose: it is process-wide, so
# lowering it would also refuse large images in Keras' `load_img`, Gradio and Streamlit.
# Our own MAX_PIXELS check runs on the header before any pixel is decoded; Pillow's
# DecompressionBombError (raised inside `Image.open` above 2 x its default; between 1 x and
# 2 x it only warns) is caught below.

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa")
_UINT16_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
_LIMIT_TEXT = f"the limit is {_MAX_SIDE} x {_MAX_SIDE} ({MAX_PIXELS / 1e6:.1f} megapixels)"
_WHITE = (255, 255, 255, 255)


class ImageRejected(ValueError):
    """An upload cifar-lab will not classify; the message is a sentence for the student."""


def open_image(source: bytes | str | Path) -> Image.Image:
    """Open an upload (bytes or a file path) as a decoded first frame, or raise ImageRejected."""
    data = _read_source(source)
    try:
        image = Image.open(BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"The image is far too large to open; {_LIMIT_TEXT}.") from exc
    except Exception as exc:
        # Whatever Pillow raises on bytes it cannot identify, the answer to the student is the same.
        raise ImageRejected(
            f"This file is not an image cifar-lab can read (allowed: {', '.join(ALLOWED_FORMATS)})."
        ) from exc
    # Image.open only parsed the header: check the size before a single pixel is decoded.
    # (Pillow itself refuses a zero width or height as "not identified".)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected(f"The image is {width} x {height} pixels; {_LIMIT_TEXT}.")
    try:
        image.seek(0)  # animated GIF/WEBP/PNG: classify the first frame
        image.load()
    except Exception as exc:
        # Pillow's decoders raise OSError, SyntaxError, struct.error, IndexError, ... on
        # damaged data; every one of them means "cannot be decoded", never a server error.
        if "truncated" in str(exc):
            raise ImageRejected("The image file is truncated.") from exc
        raise ImageRejected("The image file is damaged and cannot be decoded.") from exc
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation and convert any mode to 8-bit RGB (transparency on white)."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception as exc:
        raise ImageRejected("The image's orientation data (EXIF) is damaged.") from exc
    if image.mode in _UINT16_MODES or image.mode in ("I", "F"):
        return Image.fromarray(_high_depth_to_uint8(image)).convert("RGB")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        background = Image.new("RGBA", image.size, _WHITE)
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")  # 1, L, P, CMYK, YCbCr, LAB, HSV, RGBX: Pillow's own formulas


def to_model_input(image: Image.Image, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Resize an RGB image to `input_shape` (H, W, C) and return a (1, H, W, C) uint8 batch."""
    height, width, channels = input_shape
    if channels not in (1, 3):
        raise ValueError(
            f"`input_shape` must end in 1 (grayscale) or 3 (RGB) channels. "
            f"Received: input_shape={input_shape}."
        )
    if image.mode != "RGB":
        raise ValueError(
            f"`image` must be RGB (pass it through to_rgb first). Received: mode={image.mode!r}."
        )
    if channels == 1:
        image = image.convert("L")
    # The whole picture is squashed to the model's square, never cropped: a student's subject
    # may sit anywhere in the frame, and a distorted whole is easier to explain than a
    # missing part. Lanczos is antialiased, so downscaling does not alias fine detail.
    resized = image.resize((width, height), RESAMPLE)
    array = np.array(resized, dtype=np.uint8).reshape(height, width, channels)
    return array[np.newaxis]


def prepare(source: bytes | str | Path, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Turn an upload into the (1, H, W, C) uint8 batch a model expects, or raise ImageRejected."""
    return to_model_input(to_rgb(open_image(source)), input_shape)


def upscale_for_display(model_input: np.ndarray, size: int = 256) -> np.ndarray:
    """Blow up what the model sees with nearest-neighbour so each pixel shows as a crisp square."""
    array = model_input[0] if model_input.ndim == 4 and model_input.shape[0] == 1 else model_input
    if array.ndim != 3 or array.shape[-1] not in (1, 3) or array.dtype != np.uint8:
        raise ValueError(
            "`model_input` must be a uint8 (H, W, 1) or (H, W, 3) array. "
            f"Received: shape={model_input.shape}, dtype={model_input.dtype}."
        )
    if size < 1:
        raise ValueError(f"`size` must be a positive number of pixels. Received: size={size}.")
    # A whole number of screen pixels per model pixel keeps every square the same size
    # (28 x 28 at size=256 shows at 252 x 252).
    factor = max(1, size // max(array.shape[:2]))
    upscaled = array.repeat(factor, axis=0).repeat(factor, axis=1)
    return np.repeat(upscaled, 3, axis=2) if upscaled.shape[-1] == 1 else upscaled


def _read_source(source: bytes | str | Path) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            # Check the size on disk first so an oversized upload is never read into memory.
            if path.stat().st_size > MAX_BYTES:
                raise ImageRejected(_too_many_bytes())
            data = path.read_bytes()
        except OSError as exc:
            raise ImageRejected("The uploaded file could not be read.") from exc
    else:
        raise TypeError(
            f"`source` must be bytes or a file path. Received: type={type(source).__name__}."
        )
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageRejected(_too_many_bytes())
    return data


def _too_many_bytes() -> str:
    return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."


def _high_depth_to_uint8(image: Image.Image) -> np.ndarray:
    """Scale 16/32-bit integer or float pixels to 0..255 instead of clipping them to white."""
    values = np.asarray(image).astype(np.float64)
    if image.mode in _UINT16_MODES:
        values = values / 257  # 65535 -> 255, exactly the 16-to-8-bit mapping PNG tools use
    elif image.mode == "I":
        # 32-bit ints carry no declared range: 0..255 data is kept as is, larger ranges are
        # stretched so the brightest pixel becomes 255.
        values = np.clip(values, 0, None)
        peak = values.max()
        if peak > 255:
            values = values * (255 / peak)
    else:  # "F": scientific images are usually 0..1; anything else is read as 0..255
        finite = values[np.isfinite(values)]
        if finite.size and finite.max() <= 1:
            values = values * 255
        values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
    return np.rint(np.clip(values, 0, 255)).astype(np.uint8)
