"""The `comfyui` engine: an API-format workflow on a ComfyUI server, patched with the request and queued.

The workflow is data: a JSON graph exported with "Save (API)" plus `<name>.inputs.toml` beside it, which says
which node inputs take the prompt, seed, size, length, frame rate and images. Two are shipped under
templates/comfyui/: `wan22_ti2v_5b` (the default: Wan 2.2 TI2V 5B, text-to-video, or image-to-video when the shot
has a first frame) and `wan22_i2v` (Wan 2.2 14B image-to-video, which needs a first frame). Images go up through
`POST /upload/image`; the graph goes to `POST /prompt` under a prompt_id derived from the job key, so a task whose
record was lost is found again in `/history` or `/queue` (`recover`). Completion is read from
`GET /history/{prompt_id}`; the video from `GET /view`.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from engine.api import RenderRequest
from engine.remote.engine import EngineCheck, RemoteEngine
from engine.remote.errors import RemoteError
from engine.remote.media import reference_images
from engine.remote.task import RemoteTask, TaskStatus

SHIPPED = ("wan22_ti2v_5b", "wan22_i2v")  # templates/comfyui/<name>.json, each with its .inputs.toml
DEFAULT_WORKFLOW = "wan22_ti2v_5b"
# prompt_ids are uuid5 of the job key in this namespace: the same job always has the same prompt_id
PROMPT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:drama:comfyui:prompt_id")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv")
_ROOT = Path(__file__).resolve().parents[2]  # site-packages in a wheel, the checkout otherwise


def template_path(name: str, root: Path = _ROOT) -> Path:
    """A file shipped under templates/: `drama/_templates` in an installed wheel (pyproject force-includes it
    there), else the checkout's `templates/`. engine/ does not import drama, so it looks for both itself."""
    for folder in (root / "drama" / "_templates", root / "templates"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} is in neither {root / 'drama' / '_templates'} nor {root / 'templates'}")


def workflow_path(chosen: str | None, shipped: tuple[str, ...] = SHIPPED, default: str = DEFAULT_WORKFLOW) -> Path:
    """The workflow option as a file: the path of an API-format `.json`, else a shipped workflow by name
    (`wan22_ti2v_5b`, `wan22_i2v`; the default when not set). drama makes file options absolute against the
    project, so a name is read from the last part of a path without the .json suffix."""
    path = Path(chosen or default)
    if path.suffix == ".json":
        return path
    if path.name not in shipped:
        raise ValueError(f"comfyui workflow {chosen!r} is neither a shipped one ({', '.join(shipped)}) nor a .json")
    return template_path(f"comfyui/{path.name}.json")


def inputs_path(workflow: Path) -> Path:
    """The inputs declaration beside a workflow: wan22_i2v.json → wan22_i2v.inputs.toml."""
    return workflow.with_suffix(".inputs.toml")


class Target(BaseModel):
    """Nodes to patch, by class_type and/or _meta.title, and the widget input to set on each."""

    model_config = ConfigDict(frozen=True)

    class_type: str | None = None
    title: str | None = None
    input: str

    @model_validator(mode="after")
    def _named(self) -> Target:
        if self.class_type is None and self.title is None:
            raise ValueError(f"a target for input {self.input!r} needs class_type or title")
        return self

    def __str__(self) -> str:
        where = " ".join(part for part in (self.class_type, f"'{self.title}'" if self.title else None) if part)
        return f"{where}.{self.input}"


SLOTS = ("prompt", "negative", "seed", "width", "height", "frames", "fps", "first_frame", "references", "layout",
         "depth", "layout_strength", "depth_strength")
# controls an image workflow takes as pictures (a LoadImage each, fed to a ControlNet): the previz layout, depth
CONTROL_SLOTS: tuple[Literal["layout", "depth"], ...] = ("layout", "depth")
STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class Inputs(BaseModel):
    """A workflow's inputs declaration (`<workflow>.inputs.toml`): where each part of the request goes."""

    model_config = ConfigDict(frozen=True)

    native_fps: float | None = None  # the model's frame rate: frames = duration × this, and it is the fps sent
    frames_rule: Literal["4n+1"] | None = None
    size_multiple: int = 1
    required: tuple[Literal["first_frame", "references", "layout", "depth"], ...] = ()
    prompt: tuple[Target, ...] = ()
    negative: tuple[Target, ...] = ()
    seed: tuple[Target, ...] = ()
    width: tuple[Target, ...] = ()
    height: tuple[Target, ...] = ()
    frames: tuple[Target, ...] = ()
    fps: tuple[Target, ...] = ()
    first_frame: tuple[Target, ...] = ()
    references: tuple[Target, ...] = ()  # one LoadImage per reference image, filled in order
    # a LoadImage taking the control's picture, and the input taking its strength (ControlNetApplyAdvanced's).
    # A workflow whose ControlNet sits between the prompts and the sampler should list the slot as required:
    # removing its LoadImage would cut the graph.
    layout: tuple[Target, ...] = ()
    depth: tuple[Target, ...] = ()
    layout_strength: tuple[Target, ...] = ()
    depth_strength: tuple[Target, ...] = ()

    @field_validator(*SLOTS, mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @classmethod
    def load(cls, path: Path) -> Inputs:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))

    def targets(self) -> list[Target]:
        return [target for slot in SLOTS for target in getattr(self, slot)]

    def frame_count(self, request: RenderRequest) -> tuple[int, float]:
        """Frames and frame rate to render the request's duration at: the model's own rate when declared, and a
        length of 4n+1 (n ≥ 0) when the model needs it."""
        fps = self.native_fps or request.fps
        frames = max(1, round(request.duration * fps))
        if self.frames_rule == "4n+1":
            frames = 4 * max(0, round((frames - 1) / 4)) + 1
        return frames, fps

    def size(self, request: RenderRequest) -> tuple[int, int]:
        """Width and height rounded to the model's multiple."""
        m = self.size_multiple
        return max(m, round(request.width / m) * m), max(m, round(request.height / m) * m)


def matching(workflow: dict[str, Any], target: Target) -> list[str]:
    """Ids of the nodes a target names."""
    return [node_id for node_id, node in workflow.items()
            if (target.class_type is None or node.get("class_type") == target.class_type)
            and (target.title is None or node.get("_meta", {}).get("title") == target.title)]


def remove(workflow: dict[str, Any], node_ids: set[str]) -> None:
    """Take nodes out of the graph with every input that links to them (an image slot the shot leaves empty: the
    inputs it fed must be optional, like Wan22ImageToVideoLatent's start_image)."""
    for node_id in node_ids:
        del workflow[node_id]
    for node in workflow.values():
        inputs = node.get("inputs", {})
        for name in [name for name, value in inputs.items() if isinstance(value, list) and value
                     and str(value[0]) in node_ids]:
            del inputs[name]


def patch(workflow: dict[str, Any], targets: tuple[Target, ...], value: Any) -> None:
    """Set `value` on every node the targets name. An input that is a link rather than a widget value is an error
    in the declaration: say so instead of cutting the graph."""
    for target in targets:
        for node_id in matching(workflow, target):
            inputs = workflow[node_id].setdefault("inputs", {})
            if isinstance(inputs.get(target.input), list):
                raise ValueError(f"node {node_id} {target} is a link, not a value")
            inputs[target.input] = value


def video_output(outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The first video among a history entry's outputs: core SaveVideo lists it under `images` with
    `animated: [true]`, VideoHelperSuite's VHS_VideoCombine under `gifs`. Video files win over animated images."""
    animated: list[dict[str, Any]] = []
    for output in outputs.values():
        for item in output.get("gifs", []) + output.get("images", []) + output.get("videos", []):
            if str(item.get("filename", "")).lower().endswith(VIDEO_SUFFIXES):
                return item
            if any(output.get("animated") or ()):
                animated.append(item)
    return animated[0] if animated else None


def execution_error(status: dict[str, Any]) -> tuple[str, bool]:
    """Why a prompt failed, from its status messages, and whether a new try may pass (out of memory, interrupted)."""
    for kind, data in status.get("messages", []):
        if kind == "execution_error":
            text = (f"node {data.get('node_id')} ({data.get('node_type')}): "
                    f"{data.get('exception_type', 'error')}: {data.get('exception_message', '').strip()}")
            return text, "OutOfMemory" in str(data.get("exception_type", ""))
        if kind == "execution_interrupted":
            return f"interrupted at node {data.get('node_id')}", True
    return "the prompt failed without an execution_error message", False


def validation_error(answer: dict[str, Any]) -> str:
    """A readable account of a refused prompt: which node and input, and for a missing model file, which file."""
    error = answer.get("error") or {}
    problems = []
    for node_id, node in (answer.get("node_errors") or {}).items():
        for item in node.get("errors", []):
            name = item.get("extra_info", {}).get("input_name", "")
            where = f"node {node_id} ({node.get('class_type', '?')}) input {name or '?'}"
            received = item.get("extra_info", {}).get("received_value")
            if item.get("type") == "value_not_in_list" and str(received).endswith((".safetensors", ".pt", ".pth",
                                                                                   ".ckpt", ".gguf", ".bin")):
                problems.append(f"model file not on the server: {received} ({where})")
            else:
                problems.append(f"{where}: {item.get('message', '')}: {item.get('details', '')}".rstrip(": "))
    head = error.get("message") or error.get("type") or "prompt refused"
    details = error.get("details")
    return "; ".join(problems) or (f"{head}: {details}" if details else head)


class ComfyUIEngine(RemoteEngine):
    """A ComfyUI server (COMFYUI_URL, default http://127.0.0.1:8188; no credentials). Option `workflow`: a shipped
    workflow's name (default `wan22_ti2v_5b`; `wan22_i2v`) or the path of an API-format JSON with its `.inputs.toml`
    beside it.
    The GPU is your own, so the price defaults to 0 per task (set price_per_task to count power or rent)."""

    name: ClassVar[str] = "comfyui"
    version: ClassVar[str] = "1"
    provider: ClassVar[str] = "comfyui"
    base_env: ClassVar[str | None] = "COMFYUI_URL"
    default_base: ClassVar[str] = "http://127.0.0.1:8188"
    poll_interval: ClassVar[float] = 2.0
    features: ClassVar[tuple[str, ...]] = ("text", "first_frame", "seed")  # the default workflow's declared slots
    shipped: ClassVar[tuple[str, ...]] = SHIPPED
    default_workflow: ClassVar[str] = DEFAULT_WORKFLOW
    makes: ClassVar[str] = "a video output (SaveVideo or VHS_VideoCombine)"  # for a workflow that made none

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.client_id = uuid.uuid4().hex  # names this process to the server's websocket events

    @classmethod
    def files(cls, request: RenderRequest, options: dict[str, Any] | None = None) -> tuple[Path, Path]:
        """The workflow (option `workflow`: request options first, then engine options) and its declaration."""
        chosen = request.options.get("workflow", (options or {}).get("workflow"))
        workflow = workflow_path(str(chosen) if chosen else None, cls.shipped, cls.default_workflow)
        return workflow, inputs_path(workflow)

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The bytes of the workflow and of its declaration: editing either renders differently."""
        workflow, declared = cls.files(request)
        return {"workflow": hashlib.sha256(workflow.read_bytes()).hexdigest(),
                "inputs": hashlib.sha256(declared.read_bytes()).hexdigest()}

    def check(self) -> EngineCheck:
        """Configured when the server answers /system_stats within a few seconds."""
        try:
            response = self.http().request("GET", "system_stats", timeout=3.0)
        except RemoteError as error:
            return EngineCheck(configured=False, detail=f"no ComfyUI at {self.base_url}: {error.message}")
        if response.status_code != 200:
            return EngineCheck(configured=False, detail=f"{self.base_url} answered HTTP {response.status_code}")
        version = response.json().get("system", {}).get("comfyui_version", "?")
        return EngineCheck(configured=True, detail=f"{self.base_url} (ComfyUI {version})")

    # --- submit --------------------------------------------------------------------------------------------

    def graph(self, request: RenderRequest) -> tuple[dict[str, Any], str]:
        """The workflow patched with the request (images uploaded on the way), and the workflow's path."""
        try:
            workflow_file, declared_path = self.files(request, self.options)
        except ValueError as error:
            raise RemoteError(str(error), provider=self.provider) from None
        graph = json.loads(workflow_file.read_text(encoding="utf-8"))
        inputs = Inputs.load(declared_path)
        references = reference_images(request, len(inputs.references), location=True)
        controls = {c.kind: c for c in reversed(request.controls)  # the first of a kind wins
                    if c.kind in CONTROL_SLOTS and c.path.suffix.lower() in STILL_SUFFIXES}
        parts = {"first_frame": request.first_frame, "references": references or None,
                 **{kind: controls.get(kind) for kind in CONTROL_SLOTS}}
        missing = [part for part in inputs.required if parts[part] is None]
        if missing:
            raise RemoteError(f"workflow {workflow_file.name} needs {' and '.join(missing)}", provider=self.provider)
        unmatched = [str(target) for target in inputs.targets() if not matching(graph, target)]
        if unmatched:  # checked before any upload: a declaration that drifted from its workflow is a config error
            raise RemoteError(f"{workflow_file.name} has no node {', '.join(unmatched)} (check {declared_path.name})",
                              provider=self.provider)
        frames, fps = inputs.frame_count(request)
        width, height = inputs.size(request)
        values: list[tuple[tuple[Target, ...], Any]] = [
            (inputs.prompt, request.prompt), (inputs.seed, request.seed), (inputs.width, width),
            (inputs.height, height), (inputs.frames, frames), (inputs.fps, fps),
        ]
        if request.negative_prompt:
            values.append((inputs.negative, request.negative_prompt))
        if request.first_frame is not None:
            values.append((inputs.first_frame, self.upload(request.first_frame)))
        for target, image in zip(inputs.references, references, strict=False):
            values.append(((target,), self.upload(image)))
        for kind, control in controls.items():
            if getattr(inputs, kind):
                values += [(getattr(inputs, kind), self.upload(control.path)),
                           (getattr(inputs, f"{kind}_strength"), control.strength)]
        empty = (inputs.first_frame if request.first_frame is None else ()) + inputs.references[len(references):] \
            + tuple(target for kind in CONTROL_SLOTS if kind not in controls for target in getattr(inputs, kind))
        try:
            for targets, value in values:
                patch(graph, targets, value)
        except ValueError as error:
            raise RemoteError(f"{workflow_file.name}: {error}", provider=self.provider) from None
        remove(graph, {node_id for target in empty for node_id in matching(graph, target)})
        return graph, str(workflow_file)

    def upload(self, image: Path) -> str:
        """Upload an image to the server's input folder and return the name LoadImage takes. The file is named by
        its content, so uploading it again (a retried submit) overwrites it with the same bytes."""
        data = image.read_bytes()
        name = f"drama_{hashlib.sha256(data).hexdigest()[:16]}{image.suffix.lower() or '.png'}"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = self.http().request("POST", "upload/image", files={"image": (name, data, mime)},
                                       data={"type": "input", "subfolder": "", "overwrite": "true"})
        if response.status_code != 200:
            raise self.http().error(response, f"upload of {image.name} refused: {response.text[:200]}")
        answer = response.json()
        subfolder = answer.get("subfolder") or ""
        return f"{subfolder}/{answer['name']}" if subfolder else str(answer["name"])

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        """Queue the patched workflow under the key's prompt_id. A prompt already queued or finished under that id
        (a submit retried after its answer was lost) is returned instead of being run twice; a failed one is
        queued again."""
        prompt_id = prompt_id_for(key)
        if key:
            known = self.lookup(prompt_id)
            if known is not None and known.state != "failed":
                return RemoteTask(provider=self.provider, task_id=prompt_id, external_id=key, submitted=time.time(),
                                  cost=self.estimate(request), data={"prompt_id": prompt_id})
        graph, workflow = self.graph(request)
        response = self.http().request("POST", "prompt",
                                       json={"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id})
        if response.status_code == 400:
            try:
                refusal = response.json()
            except ValueError:
                refusal = {"error": {"message": response.text[:300]}}
            raise RemoteError(f"prompt refused: {validation_error(refusal)}", provider=self.provider, status=400,
                              code=(refusal.get("error") or {}).get("type"))
        if response.status_code != 200:
            raise self.http().error(response, f"queueing the prompt failed: {response.text[:200]}")
        prompt_id = str(response.json().get("prompt_id") or prompt_id)
        return RemoteTask(provider=self.provider, task_id=prompt_id, external_id=key or None, submitted=time.time(),
                          cost=self.estimate(request),
                          data={"prompt_id": prompt_id, "client_id": self.client_id, "workflow": workflow})

    # --- poll, recover -------------------------------------------------------------------------------------

    def poll(self, task: RemoteTask) -> TaskStatus:
        status = self.lookup(task.task_id)
        if status is None:
            return TaskStatus(state="failed", retryable=True,
                              reason=f"the server knows no prompt {task.task_id} (restarted, or history cleared)")
        return status

    def lookup(self, prompt_id: str) -> TaskStatus | None:
        """The prompt's state on the server, from its history entry or its place in the queue; None when the
        server does not know it."""
        entry = self.history(prompt_id)
        if entry is None:
            state = self.queued(prompt_id)
            if state is not None:
                return TaskStatus(state=state)
            entry = self.history(prompt_id)  # it may have finished between the two questions
        return self.entry_status(entry) if entry is not None else None

    def entry_status(self, entry: dict[str, Any]) -> TaskStatus:
        """A finished (or finishing) history entry as a status: success with its video, or the error."""
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            reason, retryable = execution_error(status)
            return TaskStatus(state="failed", reason=reason, retryable=retryable)
        if status.get("status_str") != "success" and not status.get("completed"):
            return TaskStatus(state="running")
        result = self.output(entry.get("outputs") or {})
        if result is None:
            return TaskStatus(state="failed", reason=f"the workflow finished without {self.makes}")
        query = urlencode({"filename": result["filename"], "subfolder": result.get("subfolder", ""),
                           "type": result.get("type", "output")})
        return TaskStatus(state="succeeded", result_urls=[f"view?{query}"])

    def output(self, outputs: dict[str, Any]) -> dict[str, Any] | None:
        """The result file among a history entry's outputs: the first video."""
        return video_output(outputs)

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        """The prompt's history entry, or None while it has none (queued, running or unknown)."""
        response = self.http().request("GET", f"history/{prompt_id}")
        if response.status_code != 200:
            raise self.http().error(response, f"history of {prompt_id}: {response.text[:200]}")
        return response.json().get(prompt_id) or None

    def queued(self, prompt_id: str) -> Literal["queued", "running"] | None:
        """Whether the prompt is running or waiting in the server's queue (None: in neither)."""
        response = self.http().request("GET", "queue")
        if response.status_code != 200:
            raise self.http().error(response, f"queue: {response.text[:200]}")
        answer = response.json()
        for state, items in (("running", answer.get("queue_running", [])), ("queued", answer.get("queue_pending", []))):
            if any(len(item) > 1 and item[1] == prompt_id for item in items):
                return state  # type: ignore[return-value]
        return None

    def recover(self, key: str) -> RemoteTask | None:
        """The task queued for `key` before its record was lost: its prompt_id is derived from the key, so it is
        found in /history (finished) or /queue (waiting, running)."""
        prompt_id = prompt_id_for(key)
        if not key or self.lookup(prompt_id) is None:
            return None
        return RemoteTask(provider=self.provider, task_id=prompt_id, external_id=key, submitted=time.time(),
                          data={"prompt_id": prompt_id, "recovered": True})


def prompt_id_for(key: str) -> str:
    """The prompt_id for a job key (uuid5, stable across processes); a fresh uuid4 when there is no key."""
    return str(uuid.uuid5(PROMPT_NAMESPACE, key)) if key else str(uuid.uuid4())
