"""``python -m bench [name ...] [--quick] [--results PATH]``: run benchmarks, append tables."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from bench import BENCHMARKS
from bench.common import RESULTS, Table, append_results


def run_benchmark(name: str, *, quick: bool, results: Path) -> list[Table]:
    """Run one benchmark by name, print its tables and append them to ``results``."""
    module = importlib.import_module(BENCHMARKS[name])
    started = time.perf_counter()
    output = module.run(quick=quick)
    tables = output if isinstance(output, list) else [output]
    for table in tables:
        table.notes.append(f"Benchmark wall time: {time.perf_counter() - started:.0f} s.")
        print(table.to_markdown(), flush=True)
        append_results(table, results)
    return tables


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen benchmarks (all by default), in order."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="name", help=f"default all: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for tests and trials")
    parser.add_argument("--results", type=Path, default=RESULTS, help="file to append to")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; valid: {', '.join(BENCHMARKS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in args.names or list(BENCHMARKS):
        run_benchmark(name, quick=args.quick, results=args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
