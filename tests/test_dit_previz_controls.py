"""`[render] control = "previz"` on the `dit` engine: the draw follows the previz draw's depth and camera path (handed
over as its candidate.json), a checkpoint skips the controls it was not trained on and says so, and the camera path
reaches the model relative to its first pose."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import open_weights_tiny as tiny
import pytest
import torch

from drama.cli import main
from drama.pipeline import prepare_episode
from drama.project import Project
from drama.render.controls import control_job, stored_controls
from drama.render.executor import render_controls
from drama.storyboard.model import Shot
from engine.api import CameraPose, Control, RenderRequest
from engine.dit import synthetic
from engine.dit.camera import load_camera_path
from engine.dit.config import load_config
from engine.dit.training import Trainer
from engine.registry import get_engine
from engine.video import read_frames, write_mp4

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny checkpoint trained on depth alone (plus camera), its camera embedding non-zero so the path matters."""
    torch.manual_seed(0)
    config = load_config("tiny")
    config = config.model_copy(update={"dit": config.dit.model_copy(update={"control_kinds": ("depth",)})})
    trainer = Trainer(config, tmp_path_factory.mktemp("dit") / "ckpt")
    rng = np.random.default_rng(0)
    video = synthetic.to_tensor([synthetic.random_clip(rng, 9, 16).video for _ in range(2)])
    trainer.vae_train_step(video)
    trainer.fit_latent_stats([video])
    with torch.no_grad():
        dit = trainer.ema.shadows[0]
        for param in dit.parameters():  # as if trained: adaLN-Zero gates open
            param.add_(torch.randn_like(param) * 0.05)
        torch.nn.init.normal_(dit.camera_embed.weight)  # zero-initialised, the camera would be ignored
    return trainer.save()


def _frames(path: Path) -> np.ndarray:
    return np.stack(list(read_frames(path)))


def _project(root: Path, render: str = 'engine = "dit"\ncontrol = "previz"\ncontrol_strength = 0.7') -> Path:
    return tiny.one_shot_project(root, root.parent / "unused", render)


def _previz_control(root: Path) -> tuple[Project, Shot, Path]:
    """The project, its shot, and the candidate.json of the shot's previz control draw, rendered."""
    proj = Project.load(root)
    shot = prepare_episode(proj, "ep01").storyboard.shots[0]
    render_controls(proj, [shot], "dit")
    return proj, shot, proj.renders_dir / control_job(proj, shot).key / "candidate.json"


def _drawn_path(proj: Project, shot: Shot, manifest: Path) -> list[CameraPose]:
    """The camera path the previz control draw published (camera.json beside its candidate.json), checked against
    the same request drawn again by the previz engine."""
    out = manifest.parent.parent.parent / "redraw"
    out.mkdir()
    poses = get_engine("previz").render(control_job(proj, shot).request, out).camera_path
    assert poses and load_camera_path(manifest.parent / "camera.json") == poses
    return poses


def test_a_previz_draw_publishes_its_camera_path(tmp_path: Path):
    proj, shot, manifest = _previz_control(_project(tmp_path / "series"))
    assert json.loads(manifest.read_text(encoding="utf-8"))["clip"]["camera"] == "camera.json"
    assert len(_drawn_path(proj, shot, manifest)) == control_job(proj, shot).request.num_frames


def test_the_previz_camera_path_is_a_control_only_for_an_engine_taking_camera_and_controls(tmp_path: Path):
    proj, shot, manifest = _previz_control(_project(tmp_path / "series"))
    poses = _drawn_path(proj, shot, manifest)
    listing = sorted(p.relative_to(proj.renders_dir) for p in proj.renders_dir.rglob("*"))

    controls = stored_controls(proj, shot, "dit")
    assert controls is not None and [c.kind for c in controls] == ["depth", "layout", "masks", "camera"]
    camera = controls[-1]
    assert (camera.path, camera.strength) == (manifest.parent / "camera.json", 0.7)
    assert load_camera_path(camera.path) == poses and len(poses) == control_job(proj, shot).request.num_frames

    # The other engines' requests, hence their cache keys, are as before: no camera control.
    for engine in ("wan", "kling"):  # controls without camera; camera without controls
        assert stored_controls(proj, shot, engine) == controls[:-1]
    assert sorted(p.relative_to(proj.renders_dir) for p in proj.renders_dir.rglob("*")) == listing  # read only


def test_load_camera_path_reads_a_candidate_and_names_a_file_it_cannot(tmp_path: Path):
    poses = [{"pan": 1.0}, {"pan": 2.0, "x": 0.5}]
    (tmp_path / "candidate.json").write_text(json.dumps({"id": "x", "clip": {"video": "video.mp4", "camera_path": poses}}))
    assert load_camera_path(tmp_path / "candidate.json") == [CameraPose(pan=1.0), CameraPose(pan=2.0, x=0.5)]
    (tmp_path / "list.json").write_text(json.dumps(poses))
    assert load_camera_path(tmp_path / "list.json") == load_camera_path(tmp_path / "candidate.json")
    for bad in ({"clip": {"camera_path": None}}, {"clip": "x"}, {"other": 1}, []):
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        with pytest.raises(ValueError, match="bad.json"):
            load_camera_path(tmp_path / "bad.json")


def _gray(path: Path, frames: np.ndarray) -> Path:
    write_mp4(frames, path, width=frames.shape[2], height=frames.shape[1], fps=8, gray=True)
    return path


def test_controls_the_checkpoint_was_not_trained_on_are_skipped_and_named(checkpoint: Path, tmp_path: Path):
    depth = _gray(tmp_path / "depth.mp4", np.tile(np.linspace(0, 255, 16, dtype=np.uint8)[None, None], (9, 16, 1)))
    mask = np.zeros((9, 16, 16), np.uint8)
    mask[:, 4:12, 4:12] = 255
    masks = _gray(tmp_path / "mask.mp4", mask)
    layout = tmp_path / "layout.mp4"
    write_mp4(np.full((9, 16, 16, 3), 120, np.uint8), layout, width=16, height=16, fps=8)
    (tmp_path / "candidate.json").write_text(json.dumps({"clip": {"camera_path": [{"pan": 2.0 * i} for i in range(9)]}}))
    controls = (Control(kind="depth", path=depth), Control(kind="layout", path=layout), Control(kind="masks", path=masks),
                Control(kind="camera", path=tmp_path / "candidate.json"))
    request = RenderRequest(prompt="a red square", width=16, height=16, fps=8, num_frames=9, seed=1, controls=controls,
                            options={"checkpoint": str(checkpoint), "steps": 2})
    (tmp_path / "out").mkdir()
    clip = get_engine("dit").render(request, tmp_path / "out")
    assert _frames(clip.video).shape == (9, 16, 16, 3)
    assert (clip.meta["controls"], clip.meta["ignored_controls"], clip.meta["camera"]) == ("camera,depth", "layout,masks", "previz path")
    assert clip.camera_path == [CameraPose(pan=2.0 * i) for i in range(9)]  # the clip keeps the path as drawn

    (tmp_path / "plain").mkdir()
    plain = get_engine("dit").render(request.model_copy(update={"controls": ()}), tmp_path / "plain")
    # without a path the shot's move is the camera, a static shot's too (held still, not left to the model)
    assert plain.meta["camera"] == "move" and "controls" not in plain.meta and "ignored_controls" not in plain.meta
    assert plain.camera_path == [CameraPose()] * 9


def _render_path(checkpoint: Path, folder: Path, poses: list[CameraPose]) -> np.ndarray:
    folder.mkdir()
    (folder / "camera.json").write_text(json.dumps([p.model_dump() for p in poses]))
    request = RenderRequest(prompt="a red square", width=16, height=16, fps=8, num_frames=5, seed=2,
                            controls=(Control(kind="camera", path=folder / "camera.json"),),
                            options={"checkpoint": str(checkpoint), "steps": 2})
    return _frames(get_engine("dit").render(request, folder).video)


def test_the_camera_path_reaches_the_model_relative_to_its_first_pose(checkpoint: Path, tmp_path: Path):
    dolly = [CameraPose(pan=6.0 * i, z=0.25 * i) for i in range(5)]
    frames = _render_path(checkpoint, tmp_path / "dolly", dolly)
    # the same move from elsewhere in the set
    moved = [CameraPose(x=2.0, y=1.0, z=-3.0 + 0.25 * i, pan=6.0 * i) for i in range(5)]
    assert np.array_equal(_render_path(checkpoint, tmp_path / "moved", moved), frames)
    # a pan, and the same pan starting turned and placed elsewhere
    pan = _render_path(checkpoint, tmp_path / "pan", [CameraPose(pan=6.0 * i) for i in range(5)])
    turned = [CameraPose(x=2.0, y=1.0, z=-3.0, pan=30.0 + 6.0 * i, tilt=10.0) for i in range(5)]
    assert np.array_equal(_render_path(checkpoint, tmp_path / "turned", turned), pan)
    # another move draws other frames: the camera is not ignored
    assert not np.array_equal(pan, frames)
    other = [CameraPose(pan=-6.0 * i, z=0.25 * i) for i in range(5)]
    assert not np.array_equal(_render_path(checkpoint, tmp_path / "other", other), frames)


def test_drama_render_on_dit_follows_the_previz_depth_and_camera_path(checkpoint: Path, tmp_path: Path):
    root = _project(tmp_path / "series")
    proj, shot, manifest = _previz_control(root)
    previz = manifest.read_bytes()
    assert main(["render", str(root), "--checkpoint", str(checkpoint)]) == 0
    found = [json.loads(p.read_text(encoding="utf-8")) for p in proj.renders_dir.glob("*/candidate.json")]
    draws = [c for c in found if c["engine"] == "dit"]
    assert len(draws) == 1 and manifest.read_bytes() == previz  # the previz control draw is reused as it is
    request, meta = draws[0]["request"], draws[0]["clip"]["meta"]
    assert [c["kind"] for c in request["controls"]] == ["depth", "layout", "masks", "camera"]
    assert (meta["camera"], meta["controls"], meta["ignored_controls"]) == ("previz path", "camera,depth", "layout,masks")
