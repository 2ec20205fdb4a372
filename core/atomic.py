"""Atomic file writes: a temp file in the same folder, fsync, then os.replace."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a temp file beside ``path``, then put it in place in one step.

    A reader sees the old file or the new one, never half of one; a crash leaves at most a
    ``.tmp-*`` file, which ``clean_temp_files`` removes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{path.stem}-", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically."""
    write_atomic(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temp files a killed writer left behind; return what was removed."""
    removed = [path for path in folder.glob(f"{TEMP_PREFIX}*") if path.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
