"""The dashboard in Debian's Chromium: every page renders, and a 1-epoch run trains to the end.

Screenshots land in ``test-artifacts/`` (git-ignored). With CIFAR_LAB_UPDATE_SCREENSHOTS=1
the main pages are also saved, viewport-sized and palette-compressed, to
``docs/screenshots/`` for the README tour.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.conftest import require
from tests.run_factory import write_run
from tests.servers import CHROMIUM, ROOT, chromium_browser, run_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs" / "screenshots"
TOUR = (  # url path, text that must show, screenshot name
    ("", "Runs so far", "overview"),
    ("dataset", "The average image of each class", "dataset"),
    ("architectures", "Weight sharing and locality", "architectures"),
    ("results", "Accuracy per class", "results"),
)


def settle(page, timeout_s: float = 90) -> None:
    """Wait until Streamlit's 'running' indicator has gone, then fail on an exception box."""
    deadline = time.monotonic() + timeout_s
    widget = page.locator('[data-testid="stStatusWidget"]')
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if widget.count() == 0 or not widget.first.is_visible():
            break
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def shoot(page, name: str) -> None:
    """A full-page screenshot to test-artifacts/ and, on request, a docs copy."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if os.environ.get("CIFAR_LAB_UPDATE_SCREENSHOTS") == "1":
        from PIL import Image

        DOCS.mkdir(parents=True, exist_ok=True)
        target = DOCS / f"{name}.png"
        page.screenshot(path=str(target))
        Image.open(target).convert("RGB").quantize(128).save(target, optimize=True)


def test_every_page_renders_and_a_run_trains_to_completion(
    tmp_path: Path, cifar100_tarball: Path
) -> None:
    require(CHROMIUM.is_file(), "needs Debian's Chromium at /usr/bin/chromium")
    models = tmp_path / "models"
    # A CNN run to compare with (same 200-image test set as the tiny data); the MLP is trained.
    write_run(models, "cnn_seed-cifar100-20260101T000000Z", model="cnn_seed", test_accuracy=0.45)
    env = {
        "CIFAR_LAB_MODELS_DIR": str(models),
        "CIFAR_LAB_DATA": str(cifar100_tarball),
        "KERAS_HOME": str(tmp_path / "keras_home"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    with run_streamlit(env) as url, chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)

        page.goto(f"{url}/train")
        page.get_by_text("New run").first.wait_for()
        settle(page)
        epochs = page.get_by_label("Epochs (at most)")
        epochs.fill("1")
        epochs.press("Enter")
        settle(page)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text(re.compile(r"Training now: mlp_seed-cifar100-")).first.wait_for()
        done = re.compile(r"mlp_seed-cifar100-\S+ completed: test accuracy")
        page.get_by_text(done).first.wait_for(timeout=180_000)
        settle(page)
        page.get_by_role("button", name="Estimate time per epoch").click()
        page.get_by_text(re.compile(r"per epoch\*?\*? on this machine")).first.wait_for()
        settle(page)
        shoot(page, "train")

        for path, text, name in TOUR:
            page.goto(f"{url}/{path}")
            page.get_by_text(text).first.wait_for()
            settle(page)
            shoot(page, name)
        assert page.get_by_text(re.compile(r"mlp_seed-cifar100-\d{8}T\d{6}Z")).count() > 0
        assert page.get_by_text("wins on test accuracy").count() == 1

        page.goto(f"{url}/classify")
        page.get_by_role("heading", name="Classify").first.wait_for()
        settle(page)
