"""The live classifier: a Gradio Blocks app that shows what the models see and collects feedback.

`build_app()` declares the UI around plain functions (`classify`, `submit_feedback`) that are
also the named API endpoints `/classify` and `/feedback`; `launch_app()` starts it with the
safe options (localhost, no share link, no monitoring, blocked folders, bounded queue);
`serve()` is `cifar-lab classify`. The dashboard embeds the same app (dashboard/embed.py).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
import socket
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Gradio reads this when it is imported: no usage reports leave a classroom machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr

from core.datasets import dataset_status, get_spec
from core.feedback import save_feedback
from core.images import MAX_BYTES, RESAMPLE_NAME, ImageRejected, upscale_for_display
from core.inference import (
    Classifier,
    Prediction,
    default_run_ids,
    load_classifiers,
    usable_runs,
    write_example_images,
)
from core.settings import load_settings

MAX_MODELS = 4
QUEUE_MAX = 64  # a class of 30 each sending two pictures at once still fits
CONCURRENCY = 2  # predictions at once; the machine has few cores and each call is ~ms
# Gradio keeps a copy of every component's config per session (~100 KiB here), and every API
# call is a new session: 200, least recently used first out, bound that to ~20 MB. A class's
# open tabs stay; a tab idle behind 200 newer sessions classifies again before its verdict.
SESSIONS_KEPT = 200
PASSWORD_ENV = "CIFAR_LAB_GRADIO_PASSWORD"
USER_ENV = "CIFAR_LAB_GRADIO_USER"
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_REPO = Path(__file__).resolve().parents[1]
_BUSY = "The classifier is busy ({waiting} pictures waiting): try again in a few seconds."
_NO_RUNS = (
    "**No trained models yet.** Train one on the dashboard's **Train** page "
    "(or `cifar-lab train`), then reload this panel."
)
_FAMILY_TITLES = {"mlp": "MLP", "cnn": "CNN"}


def _refuse(message: str) -> gr.Error:
    """A message for the student, without a server-side traceback (it is not our bug)."""
    return gr.Error(message, print_exception=False)


def _image_source(payload: Any) -> str | bytes | None:
    """The upload's path (or the bytes of a data: URL), not decoded: we validate it ourselves."""
    if payload is None:
        return None
    if payload.url and payload.url.startswith("data:"):
        try:
            return base64.b64decode(payload.url.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error) as error:
            raise _refuse("The pasted image data is not valid base64.") from error
    if payload.path is None:
        raise _refuse("No image arrived: upload it again.")
    return str(payload.path)


def _image_input(**kwargs: Any) -> gr.Image:
    """A `gr.Image` whose uploads reach our code as unopened files (core.images decodes them)."""
    image = gr.Image(type="filepath", image_mode=None, **kwargs)
    # Gradio's own preprocess opens every upload with Pillow, even for type="filepath", so a
    # non-image fails with a bare "Error" before our code runs. Gradio has already moved the
    # upload into its cache and checked it is there when preprocess is called. (A subclass
    # would do the same, but Gradio writes a .pyi stub beside any module defining one.)
    image.preprocess = _image_source  # type: ignore[method-assign]
    return image


@dataclasses.dataclass(frozen=True)
class ClassifyResult:
    """What one image gave: the picture the first model saw, and each model's prediction."""

    seen: Any
    predictions: tuple[Prediction, ...]
    warnings: tuple[str, ...]


def _feedback_dir(models_dir: Path) -> Path:
    return dataclasses.replace(load_settings(), models_dir=models_dir).feedback_dir


def _load(models_dir: Path, run_ids: Sequence[str]) -> tuple[list[Classifier], list[str]]:
    result = load_classifiers(models_dir, run_ids)
    return list(result.classifiers), list(result.problems)


def run_classification(
    image: str | bytes | None, run_ids: Sequence[str] | None, models_dir: Path
) -> ClassifyResult:
    """Classify one upload with each chosen run; bad images and no models raise gr.Error."""
    if image is None:
        raise _refuse("Choose a picture first: upload one, use the webcam or paste it.")
    if not run_ids:
        raise _refuse("Pick at least one model.")
    if len(run_ids) > MAX_MODELS:
        raise _refuse(f"Pick at most {MAX_MODELS} models. Received: {len(run_ids)}.")
    classifiers, problems = _load(models_dir, run_ids)
    if not classifiers:
        raise _refuse(" ".join(problems) or "None of the chosen models could be loaded.")
    predictions: list[Prediction] = []
    inputs: dict[tuple[int, int, int], Any] = {}
    try:
        for classifier in classifiers:
            if classifier.input_shape not in inputs:
                inputs[classifier.input_shape] = classifier.prepare(image)
            predictions.append(classifier.predict(inputs[classifier.input_shape]))
    except ImageRejected as error:
        raise _refuse(str(error)) from error
    seen = upscale_for_display(inputs[classifiers[0].input_shape], size=256)
    return ClassifyResult(seen, tuple(predictions), tuple(problems))


def prediction_json(prediction: Prediction) -> dict[str, Any]:
    """One model's answer as plain JSON (the `/classify` API's shape)."""
    return {
        "run_id": prediction.run_id,
        "model": prediction.model_name,
        "top5": [{"label": name, "confidence": p} for name, p in prediction.top],
        "predicted": prediction.predicted,
        "superclass": prediction.superclass,
        "superclass_confidence": prediction.superclass_probability,
        "ms": round(prediction.seconds * 1000, 3),
    }


def submit_feedback(
    image: str | bytes | None,
    run_id: str | None,
    verdict: str | None,
    true_label: str | None,
    models_dir: Path,
) -> str:
    """Re-run `run_id` on the image and store the verdict with the model input it saw."""
    if verdict not in ("right", "wrong"):
        raise _refuse(f'`verdict` must be one of "right", "wrong". Received: verdict={verdict!r}.')
    if not run_id:
        raise _refuse("Classify a picture first, then say whether a model was right.")
    result = run_classification(image, [run_id], models_dir)
    classifiers, _ = _load(models_dir, [run_id])
    classifier, prediction = classifiers[0], result.predictions[0]
    if true_label:
        true_label = true_label.strip().replace(" ", "_")
    correct = verdict == "right"
    if not correct and not true_label:
        raise _refuse("Pick the true class in the list first, then press 'Wrong'.")
    try:
        save_feedback(
            _feedback_dir(models_dir),
            classifier.prepare(image),  # type: ignore[arg-type]
            run_id=run_id,
            model_name=classifier.model_name,
            predicted=prediction.predicted,
            correct=correct,
            true_label=None if correct else true_label,
            class_names=classifier.class_names,
        )
    except ValueError as error:
        raise _refuse(str(error)) from error
    shown = prediction.predicted.replace("_", " ")
    if correct:
        return f"Thank you: saved that {classifier.model_name} was right ({shown})."
    truth = (true_label or "").replace("_", " ")
    return f"Thank you: saved that {classifier.model_name} said {shown}, but it is {truth}."


def _model_title(prediction: Prediction, family: str) -> str:
    return f"### {_FAMILY_TITLES.get(family, family.upper())}: `{prediction.run_id}`"


def _details(prediction: Prediction) -> str:
    superclass = ""
    if prediction.superclass is not None:
        share = prediction.superclass_probability or 0.0
        superclass = f"Superclass: **{prediction.superclass}** ({share:.0%}) · "
    return f"{superclass}took {prediction.seconds * 1000:.1f} ms"


def _example_paths(dataset: str) -> list[Path]:
    status = dataset_status(dataset)
    if not status.available:
        return []
    # Inside Gradio's temp folder: the one place it serves files from without extra rules.
    digest = hashlib.sha256(status.where.encode()).hexdigest()[:12]
    root = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    return write_example_images(root / "cifar-lab-examples" / digest, dataset)


def _class_choices(dataset: str) -> list[tuple[str, str]]:
    spec = get_spec(dataset)
    return sorted((name.replace("_", " "), name) for name in spec.class_names)


def build_app(run_ids: list[str] | None = None, models_dir: Path | None = None) -> gr.Blocks:
    """The classifier panel for `run_ids` (default: best MLP and best CNN) in `models_dir`."""
    models_dir = models_dir or load_settings().models_dir
    runs = usable_runs(models_dir)
    chosen = list(run_ids or default_run_ids(runs))[:MAX_MODELS]
    families = {run.run_id: run.family for run in runs}
    dataset = next((run.dataset for run in runs if run.run_id in chosen), "cifar100")
    examples = _example_paths(dataset)
    # Load and warm the default models now, so the first student's picture is answered fast;
    # a corrupt one is reported to whoever picks it, not here.
    load_classifiers(models_dir, chosen)
    size_mb = MAX_BYTES // (1024 * 1024)

    with gr.Blocks(title="cifar-lab: classify", analytics_enabled=False) as demo:
        no_runs = gr.Markdown(_NO_RUNS, visible=not runs)
        with gr.Column(visible=bool(runs)) as main:
            with gr.Row():
                with gr.Column(scale=1):
                    image = _image_input(
                        sources=["upload", "webcam", "clipboard"],
                        label=f"Your picture (any image up to {size_mb} MB)",
                        height=256,
                    )
                    models = gr.Dropdown(
                        choices=[run.run_id for run in runs],
                        value=chosen,
                        multiselect=True,
                        max_choices=MAX_MODELS,
                        label="Models",
                        info="The best MLP and the best CNN unless you pick others.",
                    )
                with gr.Column(scale=1):
                    seen = gr.Image(
                        label=f"What the models see: 32 x 32 pixels, resized with {RESAMPLE_NAME}",
                        type="numpy",
                        format="png",
                        interactive=False,
                        height=256,
                        buttons=[],
                    )
                    status = gr.Markdown()
            if examples:
                gr.Examples(
                    examples=[[str(path)] for path in examples],
                    inputs=[image],
                    label="Test-set pictures (a few per superclass)",
                    examples_per_page=20,
                )
            shown = gr.State([])
            true_label = gr.Dropdown(
                choices=_class_choices(dataset),
                value=None,
                filterable=True,
                label="True class (type to search), then press 'Wrong' under the model",
            )
            feedback_message = gr.Markdown()
            slots = []
            with gr.Row():
                for index in range(MAX_MODELS):
                    with gr.Column(visible=False, min_width=220) as column:
                        title = gr.Markdown()
                        label = gr.Label(num_top_classes=5, label="Top 5")
                        details = gr.Markdown()
                        with gr.Row():
                            right = gr.Button("Right", variant="primary", size="sm")
                            wrong = gr.Button("Wrong", variant="secondary", size="sm")
                    slots.append((column, title, label, details))
                    for button, verdict in ((right, "right"), (wrong, "wrong")):
                        button.click(
                            lambda img, ids, truth, i=index, v=verdict: submit_feedback(
                                img, ids[i] if i < len(ids) else None, v, truth, models_dir
                            ),
                            inputs=[image, shown, true_label],
                            outputs=[feedback_message],
                            api_visibility="private",
                        )

        slot_outputs = [component for slot in slots for component in slot]

        def classify_ui(img: str | bytes | None, ids: list[str]) -> list[Any]:
            """Fill the panel: the 32x32 picture and one column per model."""
            if img is None:
                hidden = [gr.Column(visible=False), "", None, ""] * MAX_MODELS
                return [None, "", [], "", *hidden]
            result = run_classification(img, ids, models_dir)
            for problem in result.warnings:
                gr.Warning(problem)
            updates: list[Any] = []
            for index in range(MAX_MODELS):
                if index < len(result.predictions):
                    p = result.predictions[index]
                    family = families.get(p.run_id, p.model_name.split("_")[0])
                    updates += [
                        gr.Column(visible=True),
                        _model_title(p, family),
                        p.top_dict(),
                        _details(p),
                    ]
                else:
                    updates += [gr.Column(visible=False), "", None, ""]
            note = f"Squashed (not cropped) to 32 x 32 with {RESAMPLE_NAME}, as in training."
            ids_shown = [p.run_id for p in result.predictions]
            return [result.seen, note, ids_shown, "", *updates]

        ui_outputs = [seen, status, shown, feedback_message, *slot_outputs]
        for trigger in (image.change, models.change):
            trigger(classify_ui, [image, models], ui_outputs, api_visibility="private")

        # The API: the same functions, behind hidden components.
        api_json = gr.JSON(visible=False)
        api_run = gr.Textbox(visible=False)
        api_verdict = gr.Textbox(visible=False)
        api_message = gr.Textbox(visible=False)
        classify_button = gr.Button(visible=False)
        feedback_button = gr.Button(visible=False)
        classify_button.click(
            lambda img, ids: [
                prediction_json(p) for p in run_classification(img, ids, models_dir).predictions
            ],
            inputs=[image, models],
            outputs=[api_json],
            api_name="classify",
            api_description="Top-5 classes, superclass and time per model for one image.",
        )
        feedback_button.click(
            lambda img, run, verdict, truth: submit_feedback(img, run, verdict, truth, models_dir),
            inputs=[image, api_run, api_verdict, true_label],
            outputs=[api_message],
            api_name="feedback",
            api_description='Store a verdict ("right" or "wrong" + true class) on a prediction.',
        )

        def refresh() -> list[Any]:
            """Pick up runs trained since the app started, on every page load."""
            current = usable_runs(models_dir)
            families.update({run.run_id: run.family for run in current})
            ids = [run.run_id for run in current]
            value = [run_id for run_id in chosen if run_id in ids] or default_run_ids(current)
            return [
                gr.Markdown(visible=not current),
                gr.Column(visible=bool(current)),
                gr.Dropdown(choices=ids, value=value),
            ]

        demo.load(refresh, outputs=[no_runs, main, models], api_visibility="private")

    demo.queue(max_size=QUEUE_MAX, default_concurrency_limit=CONCURRENCY)
    _friendly_queue_full(demo)
    return demo


def _friendly_queue_full(demo: gr.Blocks) -> None:
    """Replace Gradio's 'Queue is full. Max size is ...' with a sentence for students."""
    queue = getattr(demo, "_queue", None)  # private in Gradio 6; skip quietly if it moves
    push = getattr(queue, "push", None)
    if push is None:
        return

    async def push_with_message(*args: Any, **kwargs: Any) -> Any:
        success, detail, state = await push(*args, **kwargs)
        if state == "queue_full":
            detail = _BUSY.format(waiting=len(queue))
        return success, detail, state

    queue.push = push_with_message  # type: ignore[union-attr]


def free_port(host: str, preferred: int, attempts: int = 100) -> int:
    """`preferred` if nothing listens there, else the next free port above it."""
    for port in range(preferred, preferred + attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # as uvicorn binds: a port left in TIME_WAIT by a closed server is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError(f"No free port in {preferred}..{preferred + attempts - 1} on {host}.")


def blocked_paths(models_dir: Path) -> list[str]:
    """Folders the file endpoint must never serve: models, Streamlit secrets, datasets."""
    settings = load_settings()
    paths = [
        models_dir,
        Path.cwd() / ".streamlit",
        _REPO / ".streamlit",
        Path.home() / ".streamlit",
        settings.keras_home,
        _REPO / "data",
    ]
    if settings.data_path is not None:
        paths.append(settings.data_path)
    return sorted({str(path.resolve()) for path in paths})


def launch_app(demo: gr.Blocks, *, port: int, models_dir: Path | None = None) -> str:
    """Start `demo` with the safe options on a free port (from `port` up); return its URL."""
    settings = load_settings()
    models_dir = models_dir or settings.models_dir
    auth = None
    if settings.serve_beyond_localhost:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise RuntimeError(
                "CIFAR_LAB_SERVE_BEYOND_LOCALHOST=1 serves the classifier to the network, so it "
                f"needs a password: set {PASSWORD_ENV} (the user name is "
                f"{USER_ENV}, default 'student')."
            )
        auth = (os.environ.get(USER_ENV) or "student", password)
    host = settings.host
    chosen = free_port(host, port)
    _, local_url, _ = demo.launch(
        share=False,
        server_name=host,
        server_port=chosen,
        prevent_thread_lock=True,
        auth=auth,
        max_file_size=MAX_BYTES,
        blocked_paths=blocked_paths(models_dir),
        state_session_capacity=SESSIONS_KEPT,
        enable_monitoring=False,
        show_error=False,
        quiet=True,  # Gradio's banner advertises public share links, never used here
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        footer_links=["api"],
    )
    return local_url or f"http://{host}:{chosen}/"


def serve(run_ids: list[str] | None, port: int) -> None:
    """`cifar-lab classify`: run the panel alone until interrupted."""
    settings = load_settings()
    demo = build_app(run_ids=run_ids, models_dir=settings.models_dir)
    url = launch_app(demo, port=port, models_dir=settings.models_dir)
    print(f"cifar-lab classify: open {url} (Ctrl+C stops it)", flush=True)
    demo.block_thread()
