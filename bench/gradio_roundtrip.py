"""Gradio round trip: gradio_client against the live classify app, both seed models loaded.

p50/p95 of sequential ``/classify`` requests, then the same with concurrent clients. The
models are untrained (speed does not depend on the weights), saved as run folders.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.common import Table, median, not_available, percentile


def _picture(folder: Path) -> Path:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    path = folder / "picture.png"
    Image.fromarray(pixels).save(path)
    return path


def _timed_requests(url: str, picture: Path, count: int) -> list[float]:
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        result = client.predict(handle_file(str(picture)), api_name="/classify")
        times.append((time.perf_counter() - start) * 1000)
        if len(result) != 2:
            raise RuntimeError(f"expected two models' predictions, got {len(result)}")
    return times


def _timed_http_requests(url: str, picture: Path, count: int, run_ids: list[str]) -> list[float]:
    """The same call over Gradio's plain HTTP API: upload, call, read the SSE answer.

    gradio_client waits for queue messages in 50 ms sleeps, which sets a floor under its
    round trip; a browser or a script using the REST API does not pay it.
    """
    import json

    import httpx

    times = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(count):
            start = time.perf_counter()
            with open(picture, "rb") as handle:
                [path] = http.post("gradio_api/upload", files={"files": handle}).json()
            image = {"path": path, "meta": {"_type": "gradio.FileData"}}
            call = http.post("gradio_api/call/classify", json={"data": [image, run_ids]})
            answer = http.get(f"gradio_api/call/classify/{call.json()['event_id']}").text
            times.append((time.perf_counter() - start) * 1000)
            data = answer.split("event: complete", 1)[1].split("data:", 1)[1]
            if len(json.loads(data)[0]) != len(run_ids):
                raise RuntimeError(f"expected {len(run_ids)} models' predictions: {answer}")
    return times


def run(quick: bool = False) -> Table:
    """Launch the app on a free port, then sequential and concurrent requests."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        from dashboard.classify_app import build_app, launch_app
    except ImportError as error:
        command = "python -m bench gradio" + (" --quick" if quick else "")
        reason = f"dashboard.classify_app does not import ({error})"
        return not_available("Gradio round trip", command, reason)
    from bench.latency import make_model_run
    from core.inference import clear_cache, default_run_ids, usable_runs
    from core.training import choose_precision

    sequential, clients, per_client = (5, 2, 2) if quick else (200, 20, 10)
    table = Table(
        "Gradio round trip (ms): gradio_client -> /classify, mlp_seed + cnn_seed",
        "python -m bench gradio" + (" --quick" if quick else ""),
        ["load", "requests", "p50 ms", "p95 ms", "requests/s"],
    )
    with tempfile.TemporaryDirectory(prefix="cifar-lab-gradio-") as temp:
        models_dir = Path(temp) / "models"
        os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(temp) / "gradio"))
        for name in ("mlp_seed", "cnn_seed"):
            make_model_run(models_dir, name, choose_precision("auto"))
        picture = _picture(Path(temp))
        clear_cache()
        demo = build_app(models_dir=models_dir)
        try:
            url = launch_app(demo, port=7860, models_dir=models_dir)
            _timed_requests(url, picture, 3)  # warm-up
            start = time.perf_counter()
            times = _timed_requests(url, picture, sequential)
            rate = sequential / (time.perf_counter() - start)
            table.rows.append(["1 client, sequential", sequential, median(times),
                               percentile(times, 95), rate])  # fmt: skip
            run_ids = default_run_ids(usable_runs(models_dir))
            _timed_http_requests(url, picture, 3, run_ids)  # warm-up
            start = time.perf_counter()
            times = _timed_http_requests(url, picture, sequential, run_ids)
            rate = sequential / (time.perf_counter() - start)
            table.rows.append(["1 client, sequential, plain HTTP API", sequential,
                               median(times), percentile(times, 95), rate])  # fmt: skip
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                batches = list(pool.map(lambda _: _timed_requests(url, picture, per_client),
                                        range(clients)))  # fmt: skip
            rate = clients * per_client / (time.perf_counter() - start)
            times = [t for batch in batches for t in batch]
            table.rows.append([f"{clients} concurrent clients", len(times), median(times),
                               percentile(times, 95), rate])  # fmt: skip
        finally:
            demo.close()
            clear_cache()
    table.notes += [
        "Each request uploads a 256x256 PNG (handle_file) and returns both models' top-5; "
        "the app resizes it to 32x32 and runs core.inference.Classifier per model.",
        f"Untrained mlp_seed and cnn_seed saved as run folders under the training precision; "
        f"{clients} clients x {per_client} requests each, each client its own "
        "gradio_client.Client; app on 127.0.0.1, same machine (the 2 cores are shared "
        "between the clients, the server and the models).",
    ]
    return table
