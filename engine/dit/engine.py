"""The `dit` engine: a trained checkpoint behind the common engine interface, so `drama render
--engine dit --checkpoint PATH` draws shots with it like with any other engine."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.api import CameraPose, Clip, Engine, RenderRequest
from engine.dit.camera import camera_path_from_move, load_camera_path, plucker_rays, relative_path, resample_path
from engine.dit.controls import load_image, load_video
from engine.dit.pipeline import DiTPipeline
from engine.video import write_mp4

INFERENCE_FILES = ("config.json", "vae.safetensors", "dit.safetensors", "text_encoder.safetensors")  # what a draw reads

_file_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """sha256 of a file, memoised on (path, mtime, size): a checkpoint is hashed once per process per save."""
    stat = path.stat()
    memo = (str(path), stat.st_mtime_ns, stat.st_size)
    if memo not in _file_digests:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        _file_digests[memo] = digest.hexdigest()
    return _file_digests[memo]


def checkpoint_digest(path: Path) -> str:
    """A hash of what a checkpoint folder draws with (config and inference weights, not the optimiser state), so
    training it further in place changes it; "missing" when there is no checkpoint there."""
    files = [path / name for name in INFERENCE_FILES if (path / name).is_file()]
    if not files:
        return "missing"
    return hashlib.sha256("".join(f"{file.name}:{_file_digest(file)}\n" for file in files).encode()).hexdigest()


class DiTEngine(Engine):
    """Options come from the constructor (`get_engine("dit", checkpoint=…)`) and, per request, from
    `request.options` (drama's `[render] engine_options`: checkpoint, steps, guidance, solver, motion)."""

    name = "dit"
    version = "2"  # 2: camera paths given relative to their first pose; controls the checkpoint lacks skipped
    # image-to-video from the first frame (keyframes, continuity), reference images, the camera path and controls
    features = ("text", "first_frame", "references", "camera", "controls", "seed")

    def __init__(
        self, checkpoint: str | Path | None = None, device: str = "cpu", steps: int | None = None,
        guidance: float | None = None, solver: str | None = None,
    ):
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.device = device
        self.sampling = {k: v for k, v in {"steps": steps, "guidance": guidance, "solver": solver}.items() if v is not None}
        self._pipelines: dict[tuple[Path, str], DiTPipeline] = {}
        if self.checkpoint is not None:
            self.pipeline_for(self.checkpoint)

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """The checkpoint's contents: `drama engine train` resumes in place, so its path alone would serve draws of
        the old weights as new. (A checkpoint given to the constructor is the caller's to key; drama passes it in
        `request.options`.)"""
        if "checkpoint" not in request.options:
            return {}
        return {"checkpoint": checkpoint_digest(Path(str(request.options["checkpoint"])))}

    def pipeline_for(self, path: Path) -> DiTPipeline:
        """The pipeline of a checkpoint folder, loaded once (and again if it is trained further meanwhile)."""
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"no DiT checkpoint at {path} (expected config.json and *.safetensors); train one with `drama engine train`")
        loaded = (path, checkpoint_digest(path))
        if loaded not in self._pipelines:
            self._pipelines[loaded] = DiTPipeline.from_checkpoint(path, self.device)
        return self._pipelines[loaded]

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        if request.width % 2 or request.height % 2:
            raise ValueError(f"the dit engine writes H.264 and needs even sizes, got {request.width}x{request.height}")
        out_dir = Path(out_dir)
        options = request.options
        checkpoint = Path(str(options["checkpoint"])) if "checkpoint" in options else self.checkpoint
        if checkpoint is None:
            raise ValueError("the dit engine needs a checkpoint: get_engine('dit', checkpoint=PATH) or engine option checkpoint = PATH")
        pipeline = self.pipeline_for(checkpoint)  # first: which controls it takes is the checkpoint's
        meta: dict[str, str | int | float | bool] = {"checkpoint": str(checkpoint), "config": pipeline.config.name}
        controls, strengths, poses = self._controls(request, pipeline, meta)
        references = [load_image(c.reference_images[0]) for c in request.characters if c.reference_images]
        sampling = {**self.sampling, **{k: options[k] for k in ("steps", "guidance", "solver", "motion") if k in options}}
        with torch.inference_mode():
            video = pipeline.generate(
                request.prompt,
                request.num_frames,
                request.height,
                request.width,
                request.fps,
                request.seed,
                negative_prompt=request.negative_prompt,
                first_frame=load_image(request.first_frame) if request.first_frame else None,
                references=references,
                controls=controls or None,
                control_strengths=strengths,
                # relative to its first pose, as the model was trained: where the set puts the camera is no part of the move
                camera=plucker_rays(relative_path(poses), request.height, request.width) if poses else None,
                **sampling,
            )
        frames = ((video.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).cpu().numpy()
        write_mp4(frames, out_dir / "video.mp4", width=request.width, height=request.height, fps=request.fps)
        Image.fromarray(np.ascontiguousarray(frames[len(frames) // 2])).save(out_dir / "poster.png")
        return Clip(
            video=out_dir / "video.mp4",
            poster=out_dir / "poster.png",
            width=request.width,
            height=request.height,
            fps=request.fps,
            num_frames=len(frames),
            camera_path=poses,
            meta=meta,
        )

    @staticmethod
    def _controls(
        request: RenderRequest, pipeline: DiTPipeline, meta: dict[str, str | int | float | bool],
    ) -> tuple[dict[str, torch.Tensor], dict[str, float], list[CameraPose] | None]:
        """The request's controls the checkpoint was trained on (control videos by kind, their strengths, the camera
        path), the others skipped: drama hands every engine the whole previz (depth, layout, masks, camera), and a
        checkpoint trained on depth alone should still draw. `meta` records what was used, skipped, and where the
        camera came from."""
        config = pipeline.config.dit
        takes = set(config.control_kinds) | ({"camera"} if config.camera else set())
        controls: dict[str, torch.Tensor] = {}
        strengths: dict[str, float] = {}
        poses: list[CameraPose] | None = None
        used: set[str] = set()
        ignored: set[str] = set()
        for control in request.controls:
            if control.kind not in takes:
                ignored.add(control.kind)
                continue
            used.add(control.kind)
            if control.kind == "camera":
                poses = resample_path(load_camera_path(control.path), request.num_frames)
            else:
                controls[control.kind] = load_video(control.path)
                strengths[control.kind] = control.strength
        camera = "previz path" if poses is not None else "none"
        if poses is None and config.camera:  # a static shot too: a camera held still, not a camera left to chance
            poses, camera = camera_path_from_move(request.camera, request.num_frames), "move"
        meta["camera"] = camera
        if used:
            meta["controls"] = ",".join(sorted(used))
        if ignored:
            meta["ignored_controls"] = ",".join(sorted(ignored))
        return controls, strengths, poses
