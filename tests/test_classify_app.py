"""The Gradio classifier end to end: a live server on a free port, called with gradio_client."""

from __future__ import annotations

import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from core.datasets import CIFAR100_FINE
from core.feedback import load_feedback
from core.inference import clear_cache
from core.settings import load_settings

pytestmark = pytest.mark.slow

DISPLAY_NAMES = {name.replace("_", " ") for name in CIFAR100_FINE}


def _write_png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (120, 80)) -> Path:
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    """Good pictures in several formats and the bad uploads students manage to send."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    png = _write_png(folder / "red.png", (220, 20, 30))
    jpeg = folder / "green.jpg"
    Image.new("RGB", (64, 64), (10, 200, 40)).save(jpeg, format="JPEG")
    rgba = folder / "alpha.png"
    Image.new("RGBA", (40, 90), (0, 0, 255, 100)).save(rgba, format="PNG")
    text = folder / "notes.png"
    text.write_text("this is not a picture")
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    truncated = folder / "truncated.png"
    buffer = BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buffer, format="PNG")
    truncated.write_bytes(buffer.getvalue()[:2000])
    huge = folder / "huge.png"
    Image.new("1", (5000, 4000)).save(huge, format="PNG")  # 20 megapixels, a few KB
    svg = folder / "drawing.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    return {
        "png": png,
        "jpeg": jpeg,
        "rgba": rgba,
        "text": text,
        "empty": empty,
        "truncated": truncated,
        "svg": svg,
        "huge": huge,
    }


@pytest.fixture
def live_app(tiny_run: Path) -> Iterator[tuple[str, object]]:
    """The app on a free port with the tiny run; yields (url, gradio_client.Client)."""
    from gradio_client import Client

    from dashboard.classify_app import build_app, launch_app

    clear_cache()
    demo = build_app(models_dir=tiny_run.parent)
    try:
        url = launch_app(demo, port=7860, models_dir=tiny_run.parent)
        yield url, Client(url, verbose=False)
    finally:
        demo.close()
        clear_cache()


def _client_per_thread(url: str) -> Callable[[], object]:
    """A gradio_client.Client for each worker thread: each stands for one student's browser.

    One Client shared by several threads races on its single SSE stream (a request that
    joins as the server closes the stream is cancelled client-side), which no browser does.
    """
    from gradio_client import Client

    local = threading.local()

    def client() -> object:
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        return local.client

    return client


def _check_top5(result: list[dict], run_id: str) -> None:
    assert [entry["run_id"] for entry in result] == [run_id]
    top5 = result[0]["top5"]
    assert len(top5) == 5
    assert {entry["label"] for entry in top5} <= DISPLAY_NAMES
    assert 0.0 < sum(entry["confidence"] for entry in top5) <= 1.0 + 1e-6
    assert result[0]["superclass_confidence"] >= top5[0]["confidence"] - 1e-9


def test_classify_answers_top5_and_refuses_bad_uploads_without_going_down(
    live_app, tiny_run: Path, images: dict[str, Path]
):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    _, client = live_app
    for name in ("png", "jpeg", "rgba"):
        result = client.predict(handle_file(images[name]), api_name="/classify")
        _check_top5(result, tiny_run.name)

    expected = {
        "text": "not an image cifar-lab can read",
        "empty": "The file is empty",
        "truncated": "truncated",
        "svg": "not an image cifar-lab can read",
        "huge": "5000 x 4000 pixels",
    }
    for name, message in expected.items():
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(images[name]), api_name="/classify")
        # the next request still works
        _check_top5(client.predict(handle_file(images["png"]), api_name="/classify"), tiny_run.name)


def test_two_concurrent_feedback_submissions_are_both_stored(
    live_app, tiny_run: Path, images: dict[str, Path]
):
    from gradio_client import handle_file

    _, client = live_app

    def send(args: tuple[str, str | None]) -> str:
        verdict, truth = args
        return client.predict(
            handle_file(images["png"]), tiny_run.name, verdict, truth, api_name="/feedback"
        )

    predicted = client.predict(handle_file(images["png"]), api_name="/classify")[0]["predicted"]
    wrong_truth = next(name for name in CIFAR100_FINE if name != predicted)
    with ThreadPoolExecutor(2) as pool:
        messages = list(pool.map(send, [("right", None), ("wrong", wrong_truth)]))
    assert all(message.startswith("Thank you") for message in messages)

    log = load_feedback(load_settings().feedback_dir)
    assert log.unreadable == 0
    assert sorted((r.correct, r.true_label) for r in log.records) == [
        (False, wrong_truth),
        (True, predicted),
    ]
    assert {r.run_id for r in log.records} == {tiny_run.name}
    feedback_dir = load_settings().feedback_dir
    assert all((feedback_dir / r.image_file).is_file() for r in log.records)


def test_wrong_without_a_true_class_is_refused(live_app, tiny_run: Path, images):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    _, client = live_app
    with pytest.raises(AppError, match="Pick the true class"):
        client.predict(
            handle_file(images["png"]), tiny_run.name, "wrong", None, api_name="/feedback"
        )


TRAVERSALS = (
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=.streamlit/secrets.toml",
    "/file=/etc/passwd",
    "/gradio_api/file={models}/{run}/model.keras",
    "/gradio_api/file={models}/{run}/run.json",
)


def test_file_endpoint_refuses_paths_outside_gradio(live_app, tiny_run: Path):
    url, _ = live_app
    for path in TRAVERSALS:
        target = url.rstrip("/") + path.format(models=tiny_run.parent, run=tiny_run.name)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(target, timeout=10)
        assert refused.value.code in (403, 404), target


def test_fifty_concurrent_classifications_are_all_answered(
    live_app, tiny_run: Path, images: dict[str, Path]
):
    from gradio_client import handle_file

    client = _client_per_thread(live_app[0])

    def one(_: int) -> float:
        student = client()  # connecting is not part of the round trip
        start = time.perf_counter()
        _check_top5(
            student.predict(handle_file(images["jpeg"]), api_name="/classify"), tiny_run.name
        )
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(50) as pool:
        latencies = sorted(pool.map(one, range(50), timeout=90))
    total = time.perf_counter() - start
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(
        f"\n50 concurrent /classify: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"all in {total:.1f} s"
    )
    assert len(latencies) == 50


def test_a_full_queue_answers_busy_try_again(tiny_run: Path):
    import asyncio
    from types import SimpleNamespace

    from dashboard.classify_app import build_app

    demo = build_app(models_dir=tiny_run.parent)
    queue = demo._queue
    queue.max_size = 0  # every push now finds the queue full
    success, detail, state = asyncio.run(
        queue.push(body=SimpleNamespace(fn_index=0), request=None, username=None)
    )
    assert (success, state) == (False, "queue_full")
    assert "busy" in detail
    assert "try again" in detail


def test_no_runs_shows_the_train_hint_instead_of_failing(isolated_env: Path):
    from dashboard.classify_app import build_app

    demo = build_app(models_dir=isolated_env / "models")
    texts = [block.value for block in demo.blocks.values() if type(block).__name__ == "Markdown"]
    assert any("No trained models yet" in str(text) and "Train" in str(text) for text in texts)


def test_serving_beyond_localhost_needs_a_password(tiny_run: Path, monkeypatch: pytest.MonkeyPatch):
    from dashboard.classify_app import build_app, launch_app

    monkeypatch.setenv("CIFAR_LAB_SERVE_BEYOND_LOCALHOST", "1")
    monkeypatch.delenv("CIFAR_LAB_GRADIO_PASSWORD", raising=False)
    demo = build_app(models_dir=tiny_run.parent)
    with pytest.raises(RuntimeError, match="CIFAR_LAB_GRADIO_PASSWORD"):
        launch_app(demo, port=7860, models_dir=tiny_run.parent)


def test_sessions_kept_in_memory_are_bounded(
    tiny_run: Path, images: dict[str, Path], monkeypatch: pytest.MonkeyPatch
):
    """Each API call is a new Gradio session; the oldest are dropped beyond SESSIONS_KEPT."""
    import httpx

    from dashboard import classify_app

    monkeypatch.setattr(classify_app, "SESSIONS_KEPT", 3)
    clear_cache()
    demo = classify_app.build_app(models_dir=tiny_run.parent)
    try:
        url = classify_app.launch_app(demo, port=7860, models_dir=tiny_run.parent)
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(6):
                with open(images["png"], "rb") as handle:
                    [path] = http.post("gradio_api/upload", files={"files": handle}).json()
                image = {"path": path, "meta": {"_type": "gradio.FileData"}}
                call = http.post(
                    "gradio_api/call/classify", json={"data": [image, [tiny_run.name]]}
                )
                answer = http.get(f"gradio_api/call/classify/{call.json()['event_id']}").text
                assert "event: complete" in answer, answer
        assert len(demo.state_holder.session_data) == 3
    finally:
        demo.close()
        clear_cache()


def test_classify_still_answers_while_a_training_job_runs(
    live_app, tiny_run: Path, images: dict[str, Path], cifar100_data: Path
):
    from gradio_client import handle_file

    from core import jobs
    from core.config import TrainConfig
    from core.runs import read_history, read_run

    client = _client_per_thread(live_app[0])
    run_id = jobs.start(TrainConfig(model="mlp_seed", epochs=500, val_size=100,
                                    early_stopping="off", precision="float32"))  # fmt: skip
    run_path = tiny_run.parent / run_id
    try:
        deadline = time.monotonic() + 120
        while read_history(run_path).empty and time.monotonic() < deadline:
            time.sleep(0.2)  # wait until the job is really training
        run = read_run(run_path)
        assert run.status == "running", (run.status, run.data.get("error"))

        def one(_: int) -> float:
            student = client()
            start = time.perf_counter()
            _check_top5(
                student.predict(handle_file(images["png"]), api_name="/classify"), tiny_run.name
            )
            return time.perf_counter() - start

        with ThreadPoolExecutor(5) as pool:
            latencies = sorted(pool.map(one, range(10), timeout=60))
        print(f"\nduring training: p50 {statistics.median(latencies) * 1000:.0f} ms")
        assert len(latencies) == 10
        run = read_run(run_path)  # training carried on meanwhile
        assert run.status == "running", (run.status, run.data.get("error"))
    finally:
        jobs.cancel(run_id, wait_s=30)
