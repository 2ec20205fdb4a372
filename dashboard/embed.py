"""The Gradio classifier inside Streamlit: one server per Streamlit process, shown in an iframe.

Streamlit reruns page scripts on every interaction, so the server is a `st.cache_resource`:
started once per process (and per models folder), in Gradio's own background thread
(`prevent_thread_lock=True`), on 127.0.0.1 and the first free port from 7860.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from core.settings import load_settings

IFRAME_HEIGHT = 1350  # the panel's full height with four models, so it needs no inner scrollbar


@dataclass(frozen=True)
class GradioServer:
    """Where the classifier listens."""

    host: str
    port: int
    local_url: str


@st.cache_resource(show_spinner="Starting the live classifier ...")
def _start_server(models_dir: str) -> GradioServer:
    """Build and launch the Gradio app once for this Streamlit process and models folder."""
    from dashboard.classify_app import build_app, launch_app  # imports Gradio: only when used

    settings = load_settings()
    demo = build_app(models_dir=Path(models_dir))
    url = launch_app(demo, port=settings.gradio_port, models_dir=Path(models_dir))
    port = urlsplit(url).port or settings.gradio_port
    return GradioServer(host=settings.host, port=port, local_url=url)


def gradio_server() -> GradioServer:
    """The running classifier for the current models folder, started on first use."""
    return _start_server(str(load_settings().models_dir))


def iframe_url(server: GradioServer, request_host: str | None, serve_beyond: bool) -> str:
    """The URL the viewer's browser can reach the classifier at.

    By default the server listens on 127.0.0.1 only, so the URL is the loopback one: it works
    in a browser on this machine and nowhere else, on purpose. With serving beyond localhost
    enabled, it is the host name the viewer used to reach the dashboard, on Gradio's port.
    """
    if not serve_beyond or not request_host:
        return f"http://127.0.0.1:{server.port}/"
    hostname = urlsplit(f"//{request_host}").hostname or "127.0.0.1"
    if ":" in hostname:  # IPv6 literal
        hostname = f"[{hostname}]"
    return f"http://{hostname}:{server.port}/"


def show_classifier(server: GradioServer, height: int = IFRAME_HEIGHT) -> str:
    """Draw the classifier in an iframe sized to fit it; return the URL it points at."""
    settings = load_settings()
    host = st.context.headers.get("Host") if settings.serve_beyond_localhost else None
    url = iframe_url(server, host, settings.serve_beyond_localhost)
    st.iframe(url, height=height)
    return url
