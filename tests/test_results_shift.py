"""The Results page's shifted-pictures section, with a real tiny trained run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.test_dashboard_pages import make_run, open_page, texts


def shift_chart(at: AppTest) -> dict | None:
    """The shift chart's Plotly spec, or None when the page does not show it."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith("results_shift_chart"):
            return json.loads(chart.proto.spec)
    return None


def values(array: list | dict) -> np.ndarray:
    """A Plotly JSON array, plain or typed (``{"dtype": ..., "bdata": base64}``)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def test_shifting_the_test_pictures_draws_a_chart_and_a_sentence(
    tiny_run: Path, cifar100_data: Path
) -> None:
    at = open_page("5_results")
    assert shift_chart(at) is None  # computed only on click
    at.button(key="results_shift").click().run()
    assert not at.exception, [e.value for e in at.exception]
    chart = shift_chart(at)
    assert chart is not None
    assert [trace["name"] for trace in chart["data"]] == [tiny_run.name]
    assert list(values(chart["data"][0]["x"])) == [0, 1, 2, 4, 6, 8]
    sentence = next(m.value for m in at.markdown if m.value.startswith("Moving the pictures"))
    assert sentence.startswith("Moving the pictures 4 pixels to the right")
    assert f"**{tiny_run.name}**" in sentence
    assert "200 test images per run" in texts(at.caption)
    at.toggle(key="results_coarse").set_value(True).run()  # another widget: results stay
    assert shift_chart(at) is not None


def test_a_run_whose_model_cannot_load_is_named_and_the_others_still_shown(
    tiny_run: Path, cifar100_data: Path
) -> None:
    make_run(tiny_run.parent, "cnn_seed-cifar100-broken", model="cnn_seed", test_accuracy=0.5)
    at = open_page("5_results")
    assert "cnn_seed-cifar100-broken" in at.multiselect(key="results_runs").value
    at.button(key="results_shift").click().run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = texts(at.warning)
    assert "cnn_seed-cifar100-broken is left out of the shift experiment" in warnings
    assert "model file is corrupt" in warnings
    chart = shift_chart(at)
    assert chart is not None
    assert [trace["name"] for trace in chart["data"]] == [tiny_run.name]


def test_without_the_test_set_the_shift_section_says_what_it_needs(tiny_run: Path) -> None:
    at = open_page("5_results")
    assert "The shift experiment needs the test set" in texts(at.info)
    assert "results_shift" not in [button.key for button in at.button]
