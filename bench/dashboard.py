"""Dashboard: seconds to render each page in Streamlit's AppTest, warm app, 10 runs present.

Runs come from ``tests/run_factory.write_run`` (no training); the best MLP and CNN get real
(untrained) model files so the Classify page can load them, the others a stand-in file.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import Table, median, not_available, percentile

APP = Path(__file__).parents[1] / "dashboard" / "app.py"


def _write_runs(models_dir: Path, count: int) -> None:
    from bench.latency import make_model_run
    from core.training import choose_precision
    from tests.run_factory import write_run

    models_dir.mkdir(parents=True, exist_ok=True)
    for index in range(count - 2):
        model = ("mlp_seed", "cnn_seed", "mlp_fast", "cnn_fast")[index % 4]
        path = write_run(
            models_dir, f"{model}-cifar100-2026010{index}T000000Z", model=model,
            test_accuracy=0.2 + 0.02 * index, epochs=3 + index, seed=index,
        )  # fmt: skip
        (path / "model.keras").write_bytes(b"stand-in")
    for name in ("mlp_seed", "cnn_seed"):  # the best of each family: real model files
        make_model_run(models_dir, name, choose_precision("auto"))


def _pages() -> list[str]:
    from dashboard.app import PAGES

    return [
        file.removesuffix(".py")
        for file, _, _ in PAGES
        if (APP.parents[1] / "pages" / file).is_file()
    ]


def run(quick: bool = False) -> Table:
    """Warm every page once, then time ``reps`` interleaved renders of each page."""
    if not APP.is_file():
        return not_available(
            "Dashboard page render", "python -m bench dashboard", "dashboard/app.py is missing"
        )
    from streamlit.testing.v1 import AppTest

    from bench.memory import write_data

    reps, n_train, n_test = (1, 1_000, 200) if quick else (5, 50_000, 10_000)
    saved = {key: os.environ.get(key) for key in ("CIFAR_LAB_MODELS_DIR", "CIFAR_LAB_DATA")}
    table = Table(
        "Dashboard page render (s), Streamlit AppTest, warm app, 10 runs",
        "python -m bench dashboard" + (" --quick" if quick else ""),
        ["page", "renders", "median s", "p95 s", "first (cold) s"],
    )
    with tempfile.TemporaryDirectory(prefix="cifar-lab-dash-") as temp:
        os.environ["CIFAR_LAB_MODELS_DIR"] = str(Path(temp) / "models")
        os.environ["CIFAR_LAB_DATA"] = str(write_data(Path(temp) / "data", n_train, n_test))
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(temp) / "gradio"))
        try:
            _write_runs(Path(temp) / "models", 10)
            pages = _pages()
            at = AppTest.from_file(str(APP), default_timeout=300).run()
            times: dict[str, list[float]] = {page: [] for page in pages}
            for _ in range(reps + 1):  # the first pass warms caches, models and servers
                for page in pages:
                    at.switch_page(f"../pages/{page}.py")
                    start = time.perf_counter()
                    at.run()
                    times[page].append(time.perf_counter() - start)
                    if at.exception:
                        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    for page, values in times.items():
        warm = values[1:]
        table.rows.append([page, len(warm), median(warm), percentile(warm, 95), values[0]])
    table.notes += [
        f"Synthetic CIFAR-100 ({n_train}/{n_test} images, official python format) as "
        "CIFAR_LAB_DATA; 10 runs from tests/run_factory.write_run.",
        f"One AppTest; {reps} timed pass(es) over all pages after a warm-up pass; each "
        "render is switch_page + run() (a full script run, as a click in the sidebar).",
    ]
    return table
