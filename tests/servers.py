"""Servers for browser tests: Streamlit on a free port, and Debian's Chromium via Playwright.

Shared by every browser test (the dashboard tour, the Classify page). Nothing here downloads
a browser: Playwright drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200; raise TimeoutError (or when ``process`` dies)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"The server exited with code {process.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s.")


@contextmanager
def run_streamlit(env: dict[str, str], timeout_s: float = 90.0) -> Iterator[str]:
    """Serve ``dashboard/app.py`` on a free port with ``env`` added; yield the base URL."""
    with streamlit_server(env, timeout_s) as (url, _):
        yield url


@contextmanager
def streamlit_server(
    env: dict[str, str], timeout_s: float = 90.0
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like ``run_streamlit``, also yielding the server process (its pid is Streamlit's)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(f"{url}/_stcore/health", timeout_s, process)
        except (TimeoutError, RuntimeError) as error:
            tail = Path(log.name).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Streamlit did not start: {error}\n{tail}") from None
        yield url, process
    finally:
        _stop(process)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@contextmanager
def chromium_browser() -> Iterator[object]:
    """A headless Playwright ``Browser`` on Debian's Chromium (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
