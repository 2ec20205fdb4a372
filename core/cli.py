"""`cifar-lab`: train, list, evaluate and classify from the terminal."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from core.cifar_format import DataFormatError
from core.datasets import DATASETS, DatasetUnavailable, dataset_status, load_dataset
from core.presets import PRESETS
from core.runs import RunNotFound, delete_run, list_runs, run_dir
from core.settings import load_settings

EXPECTED_ERRORS = (ValueError, DatasetUnavailable, DataFormatError, RunNotFound, RuntimeError)


def _add_train(commands: argparse._SubParsersAction) -> None:
    from core.config import EARLY_STOPPING, OPTIMIZERS, PRECISIONS, STRATEGIES

    train = commands.add_parser("train", help="train a model; writes a run folder")
    train.add_argument("--model", default="cnn_seed", help=f"one of {', '.join(PRESETS)}")
    train.add_argument("--dataset", default="cifar100", help=f"one of {', '.join(DATASETS)}")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--batch-size", type=int, help="default: the preset's (seed: 128)")
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    train.add_argument("--dropout", type=float)
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    train.add_argument("--label-smoothing", type=float)
    train.add_argument("--val-size", type=int, default=5000, help="0 for the seed's no split")
    train.add_argument("--subset", type=float, default=1.0, help="fraction of training images")
    train.add_argument("--early-stopping", default="val_loss", help=", ".join(EARLY_STOPPING))
    train.add_argument(
        "--seed-early-stopping",
        action="store_const",
        const="seed",
        dest="early_stopping",
        help="the seed's setting: watch the training loss (patience 5 MLP / 3 CNN)",
    )
    train.add_argument("--patience", type=int)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--data", help="a local dataset file or folder")
    train.add_argument("--strategy", default="default", help=", ".join(STRATEGIES))
    train.add_argument("--precision", default="auto", help=", ".join(PRECISIONS))
    train.add_argument("--resume", metavar="RUN", help="continue an interrupted run")
    train.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # set by core.jobs
    train.add_argument("--nice", type=int, default=0, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="cifar-lab", description="See, train and question an MLP and a CNN on CIFAR-100."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train(commands)
    commands.add_parser("runs", help="list the training runs")
    evaluate = commands.add_parser("evaluate", help="evaluate a run on its test set again")
    evaluate.add_argument("run")
    delete = commands.add_parser("delete", help="delete a run folder")
    delete.add_argument("run")
    data = commands.add_parser("data", help="dataset status and download")
    data.add_argument("action", choices=("info", "download"))
    data.add_argument("--dataset", default="cifar100")
    data.add_argument("--data", help="a local dataset file or folder")
    dashboard = commands.add_parser("dashboard", help="start the Streamlit dashboard")
    dashboard.add_argument("--port", type=int, default=load_settings().dashboard_port)
    classify = commands.add_parser("classify", help="run the Gradio classifier alone")
    classify.add_argument("--run", action="append", dest="runs", metavar="RUN")
    classify.add_argument("--port", type=int, default=load_settings().gradio_port)
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    """Train in this process (a terminal run, or a job started by the dashboard)."""
    from core.config import TrainConfig
    from core.jobs import hold_lock, name_holder
    from core.runs import create_run, read_json, read_run
    from core.training import train

    if args.nice:
        os.nice(args.nice)  # a dashboard job leaves the servers responsive
    settings = load_settings()
    run_path = args.run or (run_dir(settings.models_dir, args.resume) if args.resume else None)
    if run_path is not None:
        config = TrainConfig.from_dict((read_json(run_path / "run.json") or {}).get("config", {}))
    else:
        config = TrainConfig(
            model=args.model, dataset=args.dataset, epochs=args.epochs,
            batch_size=args.batch_size, learning_rate=args.learning_rate,
            optimizer=args.optimizer, dropout=args.dropout, augment=args.augment,
            label_smoothing=args.label_smoothing, val_size=args.val_size, subset=args.subset,
            early_stopping=args.early_stopping, patience=args.patience, seed=args.seed,
            data_path=args.data, strategy=args.strategy, precision=args.precision,
        )  # fmt: skip
    config.validate()
    models_dir = run_path.parent if run_path is not None else settings.models_dir
    verbose = "auto" if sys.stdout.isatty() else 2
    # The lock comes first: a refused second job leaves no run folder behind.
    with hold_lock(models_dir) as lock:  # held until training ends
        run_path = run_path or create_run(models_dir, config.to_dict())
        name_holder(lock, run_path.name)
        path = train(config, run_path=run_path, verbose=verbose)
    run = read_run(path)
    print(f"{run.run_id}: {run.status}", end="")
    if run.test_accuracy is not None:
        print(f", test accuracy {run.test_accuracy:.4f}", end="")
    print(f"\nrun folder: {path}")
    return 0 if run.status == "completed" else 1


def cmd_runs(args: argparse.Namespace) -> int:
    """Print the runs as a table."""
    runs = list_runs(load_settings().models_dir)
    if not runs:
        print(f"No runs yet in {load_settings().models_dir}. Start one with `cifar-lab train`.")
        return 0
    header = f"{'run':<44} {'status':<12} {'epochs':>6} {'test acc':>8} {'top-5':>6} {'params':>10}"
    print(header)
    print("-" * len(header))
    for run in runs:
        metrics = run.metrics
        accuracy = f"{run.test_accuracy:.4f}" if run.test_accuracy is not None else "-"
        top5 = f"{metrics['test_top5']:.3f}" if "test_top5" in metrics else "-"
        params = run.data.get("model", {}).get("params", "-")
        status = run.status if run.readable else "unreadable"
        print(
            f"{run.run_id:<44} {status:<12} {metrics.get('epochs', '-'):>6} {accuracy:>8} "
            f"{top5:>6} {params:>10}"
        )
        if run.problem:
            print(f"    {run.problem}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a run's saved model on the test set and update its metrics."""
    from core.evaluation import evaluate_model, summary_metrics, write_evaluation
    from core.model_files import load_run_model
    from core.runs import read_run, update_run

    path = run_dir(load_settings().models_dir, args.run)
    run = read_run(path)
    model = load_run_model(path)
    data_path = run.config.get("data_path")
    dataset = load_dataset(run.dataset, Path(data_path) if data_path else None)
    evaluation = evaluate_model(model, dataset.x_test, dataset.y_test, dataset.spec)
    write_evaluation(path, evaluation)
    metrics = {**run.metrics, **summary_metrics(evaluation, dataset.spec)}
    update_run(path, metrics=metrics)
    print(
        f"{run.run_id}: test accuracy {metrics['test_accuracy']:.4f}, "
        f"top-5 {metrics['test_top5']:.4f}, loss {metrics['test_loss']:.4f}"
    )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a run folder."""
    delete_run(load_settings().models_dir, args.run)
    print(f"Deleted {args.run}.")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    """Say where the dataset comes from, or download it into the Keras cache."""
    data_path = Path(args.data) if args.data else None
    if args.action == "info":
        status = dataset_status(args.dataset, data_path)
        where = f"available from {status.where}" if status.available else "not available"
        print(f"{status.spec.title}: {where}")
        if not status.available:
            print(status.message)
        return 0 if status.available else 1

    def report(done: int, total: int) -> None:
        print(f"\r{done / 1e6:7.1f} / {total / 1e6:.1f} MB", end="", flush=True)

    dataset = load_dataset(args.dataset, data_path, progress=report)
    print(
        f"\n{dataset.spec.title}: {len(dataset.y_train)} training and {len(dataset.y_test)} "
        f"test images from {dataset.source}."
    )
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start Streamlit on the dashboard entry point."""
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    address = load_settings().host  # 0.0.0.0 only with CIFAR_LAB_SERVE_BEYOND_LOCALHOST=1
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port",
               str(args.port), "--server.address", address]  # fmt: skip
    return subprocess.call(command)


def cmd_classify(args: argparse.Namespace) -> int:
    """Run the Gradio classifier on its own."""
    from dashboard.classify_app import serve

    serve(run_ids=args.runs, port=args.port)
    return 0


COMMANDS = {
    "train": cmd_train,
    "runs": cmd_runs,
    "evaluate": cmd_evaluate,
    "delete": cmd_delete,
    "data": cmd_data,
    "dashboard": cmd_dashboard,
    "classify": cmd_classify,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cifar-lab`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except EXPECTED_ERRORS as error:
        print(f"cifar-lab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
