"""Benchmarks against a seed-style baseline; ``python -m bench [name] [--quick]``.

Each benchmark module exposes ``run(quick: bool) -> Table``; ``bench.__main__`` prints the
table and appends it, with the machine, to ``bench/RESULTS.md``.
"""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    "training": "bench.training",
    "memory": "bench.memory",
    "latency": "bench.latency",
    "precision": "bench.precision",
    "presets": "bench.presets",
    "pipeline": "bench.pipeline",
    "gradio": "bench.gradio_roundtrip",
    "dashboard": "bench.dashboard",
    "serving": "bench.serving",
    "estimate": "bench.estimate",
}
