"""Serving: RSS of the real dashboard process with its embedded classifier, over many requests.

``streamlit run dashboard/app.py`` in a subprocess, with untrained mlp_seed and cnn_seed run
folders; headless Chromium opens the Classify page, which starts the Gradio server inside the
Streamlit process. Then ``/classify`` requests over Gradio's plain HTTP API, sampling the
server's VmRSS/VmHWM between stages, and the first prediction's round trip.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from pathlib import Path

from bench.common import Table, median, not_available, percentile

RSS_TARGET_MIB = 1536.0  # "<= 1.5 GB RSS" for Streamlit + Gradio + two loaded models
GROWTH_TARGET_PCT = 5.0  # "< 5% growth over 1,000 requests"
FIRST_TARGET_MS = 1000.0  # "the first prediction after start-up within 1 s"
SETTLE_S = 1.0  # pause before each RSS sample, so the last request's work has finished


def _missing_prerequisite() -> str | None:
    from tests.servers import CHROMIUM

    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}"
    for module in ("playwright", "streamlit", "gradio", "httpx"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    return None


def _parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the name in (...) may hold spaces


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants."""
    parents = {child: _parent_pid(child) for child in _all_pids()}
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _memory_mib(pid: int) -> tuple[float, float, int]:
    """Summed VmRSS and VmHWM (MiB) of ``pid`` and its descendants, and how many processes."""
    rss = hwm = 0
    pids = _process_tree(pid)
    for each in pids:
        try:
            lines = Path(f"/proc/{each}/status").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: line.split()[1] for line in lines if line.startswith("Vm")}
        rss += int(fields.get("VmRSS", 0))
        hwm += int(fields.get("VmHWM", 0))
    return rss / 1024, hwm / 1024, len(pids)


def _open_classify_page(url: str) -> str:
    """Open the Classify page in headless Chromium; the Gradio URL its iframe points at."""
    from tests.servers import chromium_browser

    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)  # the page starts Gradio and loads both models
        page.goto(f"{url}/classify")
        iframe = page.locator("iframe[src^='http://127.0.0.1:']")
        iframe.wait_for(state="attached")
        return iframe.get_attribute("src") or ""


def _check(measured: float, target: float, strict: bool = False) -> str:
    met = measured < target if strict else measured <= target
    return "yes" if met else "NO"


def run(quick: bool = False) -> list[Table]:
    """Serve the dashboard, start its classifier, send requests; RSS per stage and targets."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    command = "python -m bench serving" + (" --quick" if quick else "")
    missing = _missing_prerequisite()
    if missing is not None:
        return [not_available("Serving memory", command, missing)]
    from bench.gradio_roundtrip import _picture, _timed_http_requests
    from bench.latency import make_model_run
    from core.inference import default_run_ids, usable_runs
    from core.training import choose_precision
    from tests.servers import free_port, streamlit_server, wait_for_http

    warmup, count = (5, 20) if quick else (50, 1000)
    stages = Table(
        "Serving memory: Streamlit dashboard + embedded Gradio + mlp_seed + cnn_seed (RSS MiB)",
        command,
        ["stage", "requests so far", "RSS MiB", "VmHWM MiB", "processes"],
    )
    with tempfile.TemporaryDirectory(prefix="cifar-lab-serving-") as temp:
        models_dir = Path(temp) / "models"
        precision = choose_precision("auto")
        for name in ("mlp_seed", "cnn_seed"):
            make_model_run(models_dir, name, precision)
        run_ids = default_run_ids(usable_runs(models_dir))
        picture = _picture(Path(temp))
        env = {
            "CIFAR_LAB_MODELS_DIR": str(models_dir),
            "CIFAR_LAB_GRADIO_PORT": str(free_port()),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(Path(temp) / "gradio"),
        }
        with streamlit_server(env, timeout_s=120) as (url, server):
            pid = server.pid
            done = 0

            def sample(stage: str) -> tuple[float, float]:
                time.sleep(SETTLE_S)
                rss, hwm, processes = _memory_mib(pid)
                stages.rows.append([stage, done, rss, hwm, processes])
                return rss, hwm

            sample("after start-up (server answers, no session yet)")
            opened = time.perf_counter()
            gradio_url = _open_classify_page(url)
            wait_for_http(gradio_url, 60)
            startup_s = time.perf_counter() - opened
            sample("Gradio server started (Classify page opened, browser closed)")
            [first_ms] = _timed_http_requests(gradio_url, picture, 1, run_ids)
            done += 1
            sample("after the first /classify (both models answered)")
            _timed_http_requests(gradio_url, picture, warmup, run_ids)
            done += warmup
            warm_rss, _ = sample(f"after warm-up ({warmup} more requests)")
            half = count // 2
            times = _timed_http_requests(gradio_url, picture, half, run_ids)
            done += half
            mid_rss, _ = sample(f"after {half:,} more requests")
            times += _timed_http_requests(gradio_url, picture, count - half, run_ids)
            done += count - half
            end_rss, _ = sample(f"after {count:,} more requests")
    peak = max(row[3] for row in stages.rows)
    growth = (end_rss - warm_rss) / warm_rss * 100
    targets = Table(
        "Serving targets: dashboard process memory, growth, first prediction",
        command,
        ["check", "target", "measured", "met"],
        [
            ["peak RSS (VmHWM) of the dashboard process", f"<= {RSS_TARGET_MIB:,.0f} MiB",
             f"{peak:,.0f} MiB", _check(peak, RSS_TARGET_MIB)],
            [f"RSS growth over {count:,} requests (after warm-up -> end)",
             f"< {GROWTH_TARGET_PCT:.0f} %", f"{growth:+.2f} %",
             _check(growth, GROWTH_TARGET_PCT, strict=True)],
            ["RSS growth per request (after warm-up -> end)", "-",
             f"{(end_rss - warm_rss) * 1024 / count:+.1f} KiB", "-"],
            [f"RSS growth over the last {count - half:,} requests (Gradio's session cache "
             "full: a leak would still grow)", "-", f"{(end_rss - mid_rss) / mid_rss * 100:+.2f} %",
             "-"],
            ["first prediction after start-up (first /classify round trip)",
             f"<= {FIRST_TARGET_MS:,.0f} ms", f"{first_ms:,.0f} ms",
             _check(first_ms, FIRST_TARGET_MS)],
            [f"/classify round trip p50 / p95 ({count:,} requests)", "-",
             f"{median(times):.1f} / {percentile(times, 95):.1f} ms", "-"],
            ["Classify page opened -> Gradio answers (starts Gradio, loads both models)", "-",
             f"{startup_s:.1f} s", "-"],
        ],
    )  # fmt: skip
    stages.notes += [
        "Process measured: the `streamlit run dashboard/app.py` server (headless, 127.0.0.1, "
        "free port), which runs the Gradio server in its own threads; 'processes' counts it "
        "and its child processes, whose VmRSS and VmHWM (from /proc/PID/status) are summed.",
        f"RSS sampled once per stage, {SETTLE_S:.0f} s after the stage's last request. Headless "
        "Chromium (Debian's, via Playwright) opens the Classify page, waits for its Gradio "
        "iframe, then closes; the requests go to the Gradio URL the iframe pointed at.",
        f"Models: untrained mlp_seed and cnn_seed saved as run folders under the training "
        f"precision ({precision}); memory and speed do not depend on the weights.",
        "Each request: upload a 256x256 PNG, POST /gradio_api/call/classify with both run ids, "
        "read the SSE answer, check both models' predictions; sequential, one client.",
    ]
    targets.notes += [
        "Growth = (RSS after the last request - RSS after warm-up) / RSS after warm-up; peak "
        "RSS is the largest VmHWM sampled (the kernel's high-water mark, so no peak between "
        "samples is missed).",
        "Gradio keeps at most dashboard.classify_app.SESSIONS_KEPT sessions (least recently "
        "used out) and every API call is a new one, so RSS grows until that cache is full, "
        "then holds: the growth over the last half shows whether anything else leaks.",
        "First prediction: the first /classify after the Gradio server answers; the Classify "
        "page's Gradio start-up (build_app loads and warms the default models) comes before.",
    ]
    if quick:
        targets.notes.append(f"--quick: {count} requests only, so the growth says little.")
    return [stages, targets]
