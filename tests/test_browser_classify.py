"""The Classify page in a real browser: its iframe shows the Gradio panel, which classifies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import require
from tests.servers import CHROMIUM, chromium_browser, run_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_classify_page_iframe_classifies_an_uploaded_picture(tiny_run: Path, tmp_path: Path):
    require(CHROMIUM.is_file(), "needs Debian's Chromium at /usr/bin/chromium")
    picture = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), (230, 120, 20)).save(picture)
    env = {
        "CIFAR_LAB_MODELS_DIR": str(tiny_run.parent),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(tmp_path / "gradio"),
        "CIFAR_LAB_GRADIO_PORT": "7900",
    }
    with run_streamlit(env) as url, chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"{url}/classify")
        iframe = page.locator("iframe[src^='http://127.0.0.1:']")
        iframe.wait_for(state="attached")
        assert re.match(r"http://127\.0\.0\.1:79\d\d/", iframe.get_attribute("src") or "")

        panel = page.frame_locator("iframe[src^='http://127.0.0.1:']")
        panel.locator("input[type=file]").first.set_input_files(str(picture))
        details = panel.get_by_text(re.compile(r"Superclass: .* took [0-9.]+ ms"))
        details.first.wait_for()
        assert panel.get_by_text(f"MLP: {tiny_run.name}").first.is_visible()
        page.screenshot(path=str(tmp_path / "classify.png"), full_page=True)
        # the 32 x 32 picture the models saw is shown
        assert panel.get_by_text("What the models see").first.is_visible()
