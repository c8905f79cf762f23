"""A fake ComfyUI server, field by field: API-format graph validation, uploads, a queue, history, /view.

`POST /prompt` validates the graph as ComfyUI does before queueing: every node has class_type and inputs, links
`[node_id, output_index]` point at existing nodes, known class types get their required inputs and value lists,
and model file names must be among `models` (the "installed" files) or the answer is 400 `value_not_in_list`.
A queued prompt waits for half its latency, runs for the other half, then its /history entry appears with the
video under `images` + `animated` (core SaveVideo) or `gifs` (VHS_VideoCombine), or a still under `images` (core
SaveImage: a PNG whose colours come from the KSampler's seed and the prompt, at the EmptyLatentImage's size). Faults: `FakeServer.fault` for
HTTP-level ones, `job_faults` for the next prompts ("error": an execution_error, "oom", "stuck").
"""

from __future__ import annotations

import email.parser
import hashlib
import email.policy
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .server import FakeServer, Request, Response
from .video_tasks import Latency, draw_latency, result_video, seeded_png

LINK = "link"
STRING = str
BOOL = bool


@dataclass(frozen=True)
class Number:
    kind: type
    min: float = float("-inf")
    max: float = float("inf")


@dataclass(frozen=True)
class Files:
    folder: str  # models/<folder> on a real server; "input" for uploaded images


@dataclass(frozen=True)
class Node:
    required: dict[str, Any]
    optional: dict[str, Any] = field(default_factory=dict)
    output: bool = False


INT = Number(int)
SAMPLERS = ("euler", "euler_ancestral", "dpmpp_2m", "uni_pc", "lcm")
SCHEDULERS = ("simple", "normal", "karras", "sgm_uniform", "beta")

# the class types the shipped Wan 2.2 workflows use (14B i2v, 5B ti2v; and VHS_VideoCombine), with their inputs
NODES: dict[str, Node] = {
    "CLIPLoader": Node({"clip_name": Files("text_encoders"), "type": ("stable_diffusion", "sd3", "wan", "ltxv"),
                        }, {"device": ("default", "cpu")}),
    "VAELoader": Node({"vae_name": Files("vae")}),
    "UNETLoader": Node({"unet_name": Files("diffusion_models"),
                        "weight_dtype": ("default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2")}),
    "ModelSamplingSD3": Node({"model": LINK, "shift": Number(float, 0.0, 100.0)}),
    "CLIPTextEncode": Node({"text": STRING, "clip": LINK}),
    "LoadImage": Node({"image": Files("input")}),
    "WanImageToVideo": Node({"positive": LINK, "negative": LINK, "vae": LINK, "width": Number(int, 16, 16384),
                             "height": Number(int, 16, 16384), "length": Number(int, 1, 16384),
                             "batch_size": Number(int, 1, 4096)},
                            {"clip_vision_output": LINK, "start_image": LINK}),
    "Wan22ImageToVideoLatent": Node({"vae": LINK, "width": Number(int, 32, 16384), "height": Number(int, 32, 16384),
                                     "length": Number(int, 1, 16384), "batch_size": Number(int, 1, 4096)},
                                    {"start_image": LINK}),
    "KSampler": Node({"model": LINK, "seed": Number(int, 0, 0xFFFFFFFFFFFFFFFF), "steps": Number(int, 1, 10000),
                      "cfg": Number(float, 0.0, 100.0), "sampler_name": SAMPLERS, "scheduler": SCHEDULERS,
                      "positive": LINK, "negative": LINK, "latent_image": LINK, "denoise": Number(float, 0.0, 1.0)}),
    "KSamplerAdvanced": Node({"model": LINK, "add_noise": ("enable", "disable"),
                              "noise_seed": Number(int, 0, 0xFFFFFFFFFFFFFFFF), "steps": Number(int, 1, 10000),
                              "cfg": Number(float, 0.0, 100.0), "sampler_name": SAMPLERS, "scheduler": SCHEDULERS,
                              "positive": LINK, "negative": LINK, "latent_image": LINK,
                              "start_at_step": Number(int, 0, 10000), "end_at_step": Number(int, 0, 10000),
                              "return_with_leftover_noise": ("disable", "enable")}),
    "VAEDecode": Node({"samples": LINK, "vae": LINK}),
    "CreateVideo": Node({"images": LINK, "fps": Number(float, 1.0, 120.0)}, {"audio": LINK}),
    "SaveVideo": Node({"video": LINK, "filename_prefix": STRING, "format": ("auto", "mp4"),
                       "codec": ("auto", "h264")}, output=True),
    # image workflows (SDXL text-to-image)
    "CheckpointLoaderSimple": Node({"ckpt_name": Files("checkpoints")}),
    "EmptyLatentImage": Node({"width": Number(int, 16, 16384), "height": Number(int, 16, 16384),
                              "batch_size": Number(int, 1, 4096)}),
    "SaveImage": Node({"images": LINK, "filename_prefix": STRING}, output=True),
    "Canny": Node({"image": LINK, "low_threshold": Number(float, 0.01, 0.99),
                   "high_threshold": Number(float, 0.01, 0.99)}),
    "ControlNetLoader": Node({"control_net_name": Files("controlnet")}),
    "ControlNetApplyAdvanced": Node({"positive": LINK, "negative": LINK, "control_net": LINK, "image": LINK,
                                     "strength": Number(float, 0.0, 10.0), "start_percent": Number(float, 0.0, 1.0),
                                     "end_percent": Number(float, 0.0, 1.0)}, {"vae": LINK}),
    "VHS_VideoCombine": Node({"images": LINK, "frame_rate": Number(float, 1.0, 120.0), "loop_count": INT,
                              "filename_prefix": STRING, "format": STRING, "pingpong": BOOL, "save_output": BOOL},
                             {"audio": LINK}, output=True),
}

INSTALLED = {
    "checkpoints": ["sd_xl_base_1.0.safetensors"],
    "controlnet": ["controlnet-canny-sdxl-1.0.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["wan_2.1_vae.safetensors", "wan2.2_vae.safetensors"],
    "diffusion_models": ["wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
                         "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors", "wan2.2_ti2v_5B_fp16.safetensors"],
}


@dataclass
class Prompt:
    prompt_id: str
    number: int
    graph: dict[str, Any]
    client_id: str
    started: float
    latency: float
    fault: str | None = None


def _problem(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


class ComfyUIFake(FakeServer):
    """ComfyUI on 127.0.0.1. `models` maps a model folder to the files "installed" there; `latency` is the
    seconds a prompt takes (a float or a seeded (min, max) range)."""

    def __init__(self, *, models: dict[str, list[str]] | None = None,
                 latency: Latency = 0.0, seed: int = 0):
        super().__init__()
        self.models = {folder: list(files) for folder, files in (models or INSTALLED).items()}
        self.latency = latency
        self._rng = random.Random(seed)
        self.uploads: dict[str, bytes] = {}
        self.outputs: dict[tuple[str, str], bytes] = {}  # (subfolder, filename) → bytes
        self.prompts: dict[str, Prompt] = {}
        self.job_faults: list[str] = []
        self._state_lock = threading.Lock()
        self.route("POST", r"/prompt", self._prompt)
        self.route("GET", r"/history/(?P<id>[^/]+)", self._history)
        self.route("GET", r"/queue", self._queue)
        self.route("POST", r"/upload/image", self._upload)
        self.route("GET", r"/view", self._view)
        self.route("GET", r"/system_stats", self._system_stats)

    # --- graph validation ----------------------------------------------------------------------------------

    def validate(self, graph: Any) -> dict[str, Any] | None:
        """ComfyUI's 400 answer for a graph it would refuse, else None."""
        if not isinstance(graph, dict):
            return {"error": _problem("invalid_prompt", "Prompt is not a dict", ""), "node_errors": {}}
        for node_id, node in graph.items():
            if not isinstance(node, dict) or "class_type" not in node or not isinstance(node.get("inputs"), dict):
                return {"error": _problem("invalid_prompt", "Cannot execute because a node is missing the "
                                          "class_type property.", f"Node ID '#{node_id}'"), "node_errors": {}}
            if node["class_type"] not in NODES:
                return {"error": _problem("invalid_prompt", f"Cannot execute because node {node['class_type']} "
                                          "does not exist.", f"Node ID '#{node_id}'"), "node_errors": {}}
        outputs = [node_id for node_id, node in graph.items() if NODES[node["class_type"]].output]
        if not outputs:
            return {"error": _problem("prompt_no_outputs", "Prompt has no outputs", ""), "node_errors": {}}
        node_errors = {}
        for node_id, node in graph.items():
            errors = self._node_errors(graph, node)
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": outputs,
                                        "class_type": node["class_type"]}
        if node_errors:
            return {"error": _problem("prompt_outputs_failed_validation", "Prompt outputs failed validation", ""),
                    "node_errors": node_errors}
        return None

    def _node_errors(self, graph: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
        spec = NODES[node["class_type"]]
        inputs = node["inputs"]
        errors = [_problem("required_input_missing", "Required input is missing", name, input_name=name)
                  for name in spec.required if name not in inputs]
        for name, value in inputs.items():
            kind = spec.required.get(name, spec.optional.get(name))
            if kind is None:
                continue  # ComfyUI ignores inputs a node does not declare
            if isinstance(value, list):
                if not (len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)):
                    errors.append(_problem("bad_linked_input", "Bad linked input, must be a length-2 list of "
                                           "[string, int]", f"{name}, {value}", input_name=name))
                elif value[0] not in graph:
                    errors.append(_problem("bad_linked_input", "Linked node does not exist",
                                           f"{name}: node {value[0]}", input_name=name))
                continue
            if kind == LINK:
                errors.append(_problem("bad_linked_input", "Input must be a link", name, input_name=name))
            elif isinstance(kind, Files):
                choices = sorted(self.uploads) if kind.folder == "input" else self.models.get(kind.folder, [])
                if value not in choices:
                    if kind.folder == "input":
                        errors.append(_problem("custom_validation_failed", "Custom validation failed for node",
                                               f"{name} - Invalid image file: {value}", input_name=name))
                    else:
                        errors.append(_problem("value_not_in_list", "Value not in list",
                                               f"{name}: '{value}' not in {choices}", input_name=name,
                                               input_config=[choices], received_value=value))
            elif isinstance(kind, tuple) and value not in kind:
                errors.append(_problem("value_not_in_list", "Value not in list", f"{name}: '{value}' not in "
                                       f"{list(kind)}", input_name=name, received_value=value))
            elif isinstance(kind, Number):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                        kind.kind is int and not isinstance(value, int)):
                    errors.append(_problem("invalid_input_type", f"Failed to convert an input value to a "
                                           f"{kind.kind.__name__.upper()} value", f"{name}, {value}",
                                           input_name=name, received_value=value))
                elif not kind.min <= value <= kind.max:
                    kind_name = "value_smaller_than_min" if value < kind.min else "value_bigger_than_max"
                    errors.append(_problem(kind_name, "Value out of range", f"{name}: {value}", input_name=name,
                                           received_value=value))
            elif kind in (STRING, BOOL) and not isinstance(value, kind):
                errors.append(_problem("invalid_input_type", "Wrong input type", f"{name}, {value}",
                                       input_name=name, received_value=value))
        return errors

    # --- state ---------------------------------------------------------------------------------------------

    def _state(self, prompt: Prompt) -> str:
        elapsed = time.monotonic() - prompt.started
        if elapsed < prompt.latency / 2:
            return "pending"
        return "running" if prompt.fault == "stuck" or elapsed < prompt.latency else "done"

    def _entry(self, prompt: Prompt) -> dict[str, Any]:
        """The /history entry of a finished prompt (writing its video into the output folder on success)."""
        started = ["execution_start", {"prompt_id": prompt.prompt_id, "timestamp": 1764669600000}]
        if prompt.fault in ("error", "oom"):
            node_id, sampler = next((i, n["class_type"]) for i, n in prompt.graph.items()
                                    if n["class_type"] in ("KSampler", "KSamplerAdvanced"))
            kind, message = (("torch.OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB")
                             if prompt.fault == "oom"
                             else ("RuntimeError", "mat1 and mat2 shapes cannot be multiplied"))
            error = ["execution_error", {"prompt_id": prompt.prompt_id, "node_id": node_id,
                                         "node_type": sampler, "executed": [],
                                         "exception_message": message, "exception_type": kind,
                                         "traceback": ["..."], "current_inputs": {}, "current_outputs": {}}]
            return {"prompt": self._queue_item(prompt), "outputs": {},
                    "status": {"status_str": "error", "completed": False, "messages": [started, error]}}
        outputs = {}
        for node_id, node in prompt.graph.items():
            if node["class_type"] == "SaveVideo":
                subfolder, _, stem = node["inputs"]["filename_prefix"].rpartition("/")
                name = f"{stem}_{prompt.number:05d}_.mp4"
                self.outputs[(subfolder, name)] = result_video()
                outputs[node_id] = {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}],
                                    "animated": [True]}
            elif node["class_type"] == "SaveImage":
                subfolder, _, stem = node["inputs"]["filename_prefix"].rpartition("/")
                name = f"{stem}_{prompt.number:05d}_.png"
                self.outputs[(subfolder, name)] = self._still(prompt.graph)
                outputs[node_id] = {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}]}
            elif node["class_type"] == "VHS_VideoCombine":
                name = f"{node['inputs']['filename_prefix']}_{prompt.number:05d}.mp4"
                self.outputs[("", name)] = result_video()
                outputs[node_id] = {"gifs": [{"filename": name, "subfolder": "", "type": "output",
                                              "format": "video/h264-mp4", "frame_rate": node["inputs"]["frame_rate"]}]}
        success = ["execution_success", {"prompt_id": prompt.prompt_id, "timestamp": 1764669660000}]
        return {"prompt": self._queue_item(prompt), "outputs": outputs,
                "status": {"status_str": "success", "completed": True, "messages": [started, success]}}

    @staticmethod
    def _still(graph: dict[str, Any]) -> bytes:
        """The PNG an image graph makes: the EmptyLatentImage's size, colours from the seed, the prompts and the
        images loaded (a layout changes the picture)."""
        latent = next(n["inputs"] for n in graph.values() if n["class_type"] == "EmptyLatentImage")
        seed = next(n["inputs"]["seed"] for n in graph.values() if n["class_type"] == "KSampler")
        texts = "|".join(n["inputs"]["text"] for n in graph.values() if n["class_type"] == "CLIPTextEncode")
        images = "|".join(n["inputs"]["image"] for n in graph.values() if n["class_type"] == "LoadImage")
        digest = hashlib.sha256(f"{seed}|{texts}|{images}".encode()).digest()
        return seeded_png(latent["width"], latent["height"], int.from_bytes(digest[:8], "big"))

    def _queue_item(self, prompt: Prompt) -> list[Any]:
        outputs = [i for i, n in prompt.graph.items() if NODES[n["class_type"]].output]
        return [prompt.number, prompt.prompt_id, prompt.graph, {"client_id": prompt.client_id}, outputs]

    # --- routes --------------------------------------------------------------------------------------------

    def _prompt(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"error": _problem("invalid_prompt", "Invalid JSON", ""), "node_errors": {}})
        refused = self.validate(body.get("prompt"))
        if refused:
            return Response(400, refused)
        with self._state_lock:
            prompt_id = str(body.get("prompt_id") or f"fake-{len(self.prompts)}")
            fault = self.job_faults.pop(0) if self.job_faults else None
            number = len(self.prompts)
            self.prompts[prompt_id] = Prompt(prompt_id, number, body["prompt"], str(body.get("client_id", "")),
                                             time.monotonic(), draw_latency(self.latency, self._rng), fault)
        return Response(200, {"prompt_id": prompt_id, "number": number, "node_errors": {}})

    def _history(self, request: Request) -> Response:
        prompt = self.prompts.get(request.params["id"])
        if prompt is None or self._state(prompt) != "done":
            return Response(200, {})
        return Response(200, {prompt.prompt_id: self._entry(prompt)})

    def _queue(self, request: Request) -> Response:
        running = [self._queue_item(p) for p in self.prompts.values() if self._state(p) == "running"]
        pending = [self._queue_item(p) for p in self.prompts.values() if self._state(p) == "pending"]
        return Response(200, {"queue_running": running, "queue_pending": pending})

    def _upload(self, request: Request) -> Response:
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(b"content-type: " + request.headers.get("content-type", "").encode() +
                                    b"\r\n\r\n" + request.body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        if "image" not in fields or not fields["image"][0]:
            return Response(400, b"")
        filename, data = fields["image"]
        subfolder = (fields.get("subfolder") or (None, b""))[1].decode()
        overwrite = (fields.get("overwrite") or (None, b"false"))[1].decode().lower() in ("true", "1")
        name = f"{subfolder}/{filename}" if subfolder else filename
        if name in self.uploads and not overwrite and self.uploads[name] != data:
            stem, dot, suffix = filename.rpartition(".")
            filename = f"{stem} (1).{suffix}" if dot else f"{filename} (1)"
            name = f"{subfolder}/{filename}" if subfolder else filename
        self.uploads[name] = data
        return Response(200, {"name": filename, "subfolder": subfolder, "type": "input"})

    def _view(self, request: Request) -> Response:
        key = (request.query.get("subfolder", ""), request.query.get("filename", ""))
        if request.query.get("type", "output") != "output" or key not in self.outputs:
            return Response(404, b"")
        kind = "image/png" if key[1].endswith(".png") else "video/mp4"
        return Response(200, self.outputs[key], {"content-type": kind})

    def _system_stats(self, request: Request) -> Response:
        return Response(200, {"system": {"os": "posix", "ram_total": 68719476736, "ram_free": 34359738368,
                                         "comfyui_version": "0.3.66", "python_version": "3.12.3",
                                         "pytorch_version": "2.8.0+cu128", "embedded_python": False,
                                         "argv": ["main.py", "--listen"]},
                              "devices": [{"name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
                                           "type": "cuda", "index": 0, "vram_total": 25757220864,
                                           "vram_free": 24000000000, "torch_vram_total": 0,
                                           "torch_vram_free": 0}]})
