"""Paths, hosts, ports and environment variables in one frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where cifar-lab keeps things and how it serves them (read from ``CIFAR_LAB_*``)."""

    models_dir: Path
    data_path: Path | None
    keras_home: Path
    host: str = "127.0.0.1"
    dashboard_port: int = 8501
    gradio_port: int = 7860
    serve_beyond_localhost: bool = False

    @property
    def feedback_dir(self) -> Path:
        """Folder of the feedback store, beside the run folders."""
        return self.models_dir / "_feedback"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def load_settings() -> Settings:
    """Read the settings from the environment now (tests change it between calls)."""
    keras_home = _env_path("KERAS_HOME") or Path("~/.keras").expanduser()
    serve_beyond = os.environ.get("CIFAR_LAB_SERVE_BEYOND_LOCALHOST", "") == "1"
    return Settings(
        models_dir=_env_path("CIFAR_LAB_MODELS_DIR") or Path("saved_models").resolve(),
        data_path=_env_path("CIFAR_LAB_DATA"),
        keras_home=keras_home,
        host="0.0.0.0" if serve_beyond else "127.0.0.1",
        dashboard_port=int(os.environ.get("CIFAR_LAB_DASHBOARD_PORT", "8501")),
        gradio_port=int(os.environ.get("CIFAR_LAB_GRADIO_PORT", "7860")),
        serve_beyond_localhost=serve_beyond,
    )
