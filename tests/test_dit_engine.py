"""The `dit` engine behind the engine interface, previz clips as controls, and `drama engine train/sample`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from drama.cli import main
from engine.api import CameraMove, CameraPose, CharacterRef, Clip, RenderRequest
from engine.dit import synthetic
from engine.dit.config import load_config
from engine.dit.controls import controls_from_clip
from engine.dit.training import Trainer
from engine.registry import get_engine
from engine.video import read_frames, write_mp4


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny checkpoint saved by the trainer (a few steps: the weights only need to be non-trivial)."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dit") / "ckpt"
    trainer = Trainer(load_config("tiny"), path)
    rng = np.random.default_rng(0)
    video = synthetic.to_tensor([synthetic.random_clip(rng, 9, 16).video for _ in range(2)])
    trainer.vae_train_step(video)
    trainer.fit_latent_stats([video])
    with torch.no_grad():
        for module in trainer.ema.shadows:  # as if trained: adaLN-Zero gates open
            for param in module.parameters():
                param.add_(torch.randn_like(param) * 0.05)
    return trainer.save()


def _frames(path: Path) -> np.ndarray:
    return np.stack(list(read_frames(path)))


def test_get_engine_renders_a_request_to_an_mp4_of_the_requested_size(checkpoint: Path, tmp_path: Path):
    engine = get_engine("dit", checkpoint=checkpoint)
    # 13 frames = 4 latent frames, more than the tiny model's chunk of 3: the last one comes by extension
    request = RenderRequest(prompt="红色方块向左移动", width=24, height=16, fps=8, num_frames=13, seed=3)
    (tmp_path / "a").mkdir()
    clip = engine.render(request, tmp_path / "a")
    frames = _frames(clip.video)
    assert frames.shape == (13, 16, 24, 3)
    assert (clip.width, clip.height, clip.num_frames, clip.fps) == (24, 16, 13, 8)
    assert clip.poster is not None and Image.open(clip.poster).size == (24, 16)
    (tmp_path / "b").mkdir()
    assert np.array_equal(_frames(engine.render(request, tmp_path / "b").video), frames)  # same request, same pixels


def test_a_previz_clip_drives_a_generated_one(checkpoint: Path, tmp_path: Path):
    """Depth, masks and camera path of another engine's clip become controls; plus first frame and a reference."""
    depth = np.tile(np.linspace(0, 255, 24, dtype=np.uint8)[None, None], (9, 16, 1))
    write_mp4(depth, tmp_path / "depth.mp4", width=24, height=16, fps=8, gray=True)
    mask = np.zeros((9, 16, 24), np.uint8)
    mask[:, 4:12, 6:14] = 255
    write_mp4(mask, tmp_path / "mask.mp4", width=24, height=16, fps=8, gray=True)
    previz = Clip(
        video=tmp_path / "depth.mp4", width=24, height=16, fps=8, num_frames=9, depth=tmp_path / "depth.mp4",
        masks={"A": tmp_path / "mask.mp4"}, camera_path=[CameraPose(pan=i) for i in range(9)],
    )
    controls = controls_from_clip(previz, tmp_path / "controls")
    assert {c.kind for c in controls} == {"depth", "masks", "camera"}
    assert len(json.loads((tmp_path / "controls" / "camera.json").read_text())) == 9
    Image.fromarray(np.full((16, 24, 3), 200, np.uint8)).save(tmp_path / "first.png")
    request = RenderRequest(
        prompt="a red square", width=24, height=16, fps=8, num_frames=9, first_frame=tmp_path / "first.png",
        controls=controls, characters=(CharacterRef(name="A", reference_images=(tmp_path / "first.png",)),),
    )
    (tmp_path / "out").mkdir()
    engine = get_engine("dit", checkpoint=checkpoint)
    clip = engine.render(request, tmp_path / "out")
    assert _frames(clip.video).shape == (9, 16, 24, 3) and len(clip.camera_path) == 9
    plain = request.model_copy(update={"controls": (), "camera": CameraMove(kind="pan")})
    (tmp_path / "plain").mkdir()
    assert len(engine.render(plain, tmp_path / "plain").camera_path) == 9


def test_a_missing_checkpoint_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no DiT checkpoint"):
        get_engine("dit", checkpoint=tmp_path / "missing")


def _clip_folder(root: Path) -> Path:
    root.mkdir()
    rng = np.random.default_rng(1)
    for i, (width, height) in enumerate([(16, 16), (24, 16)]):
        clip = synthetic.random_clip(rng, 9, 16)
        video = np.concatenate([clip.video, clip.video[:, :, : width - 16]], axis=2)
        write_mp4(video, root / f"clip{i}.mp4", width=width, height=height, fps=8)
        (root / f"clip{i}.txt").write_text(clip.prompt, encoding="utf-8")
    return root


def test_cli_trains_resumes_and_samples(tmp_path: Path):
    data, ckpt = _clip_folder(tmp_path / "clips"), tmp_path / "ckpt"
    train = ["engine", "train", "--data", str(data), "--config", "tiny", "--out", str(ckpt), "--vae-steps", "2", "--dit-steps", "2"]
    assert main(train) == 0
    assert json.loads((ckpt / "training.json").read_text())["dit_step"] == 2
    assert main(train[:-1] + ["3"]) == 0  # resumes from step 2
    assert json.loads((ckpt / "training.json").read_text())["dit_step"] == 3
    out = tmp_path / "sample.mp4"
    sample = ["engine", "sample", "--checkpoint", str(ckpt), "--prompt", "a red square moving left", "--out", str(out)]
    assert main(sample + ["--frames", "9", "--width", "16", "--height", "24", "--steps", "2", "--solver", "heun"]) == 0
    assert _frames(out).shape == (9, 24, 16, 3)


def test_cli_errors_name_the_problem(tmp_path: Path, capsys):
    assert main(["engine", "train", "--data", str(tmp_path / "nope"), "--config", "tiny"]) == 2
    assert "training data folder not found" in capsys.readouterr().err
    assert main(["engine", "train", "--data", str(tmp_path), "--config", "tinny"]) == 2
    assert "did you mean 'tiny'" in capsys.readouterr().err
    assert main(["engine", "sample", "--checkpoint", str(tmp_path), "--prompt", "x", "--out", str(tmp_path / "x.mp4")]) == 2
    assert "no DiT checkpoint" in capsys.readouterr().err


def test_the_checkpoint_can_come_with_the_request_as_drama_render_passes_it(checkpoint: Path, tmp_path: Path):
    engine = get_engine("dit")  # drama's render executor builds engines without options
    request = RenderRequest(prompt="a blue square", width=16, height=16, fps=8, num_frames=5,
                            options={"checkpoint": str(checkpoint), "steps": 2, "side_channels": True})
    clip = engine.render(request, tmp_path)
    assert _frames(clip.video).shape == (5, 16, 16, 3) and clip.meta["checkpoint"] == str(checkpoint)
    with pytest.raises(ValueError, match="needs a checkpoint"):
        engine.render(request.model_copy(update={"options": {}}), tmp_path)


def test_drama_render_with_the_dit_engine_and_a_checkpoint(checkpoint: Path, tmp_path: Path, capsys):
    root = tmp_path / "series"
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "ep01.txt").write_text("第1集\n\n1-1 日 外 操场\n△ 红色方块向左移动。\n", encoding="utf-8")
    (root / "drama.toml").write_text('title = "方块"\n\n[video]\nwidth = 96\nheight = 64\nfps = 8\n\n'
                                     '[render]\ndraws = 1\n\n[voice]\nbackend = "offline"\n', encoding="utf-8")
    assert main(["render", str(root), "--engine", "dit", "--checkpoint", str(tmp_path / "missing")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert main(["render", str(root), "--engine", "dit", "--checkpoint", str(checkpoint)]) == 0
    manifests = [json.loads(p.read_text()) for p in (root / "renders").glob("*/candidate.json")]
    assert len(manifests) == 1 and manifests[0]["engine"] == "dit"  # one establishing shot showing the action
    assert all(m["request"]["options"]["checkpoint"] == str(checkpoint.resolve()) for m in manifests)
    assert _frames(root / "renders" / manifests[0]["key"] / "video.mp4").shape[1:] == (32, 48, 3)


def test_a_checkpoint_folder_has_the_permissions_of_any_folder(checkpoint: Path):
    mask = os.umask(0)
    os.umask(mask)
    assert checkpoint.stat().st_mode & 0o777 == 0o777 & ~mask
