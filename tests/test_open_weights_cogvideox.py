"""The CogVideoX engine on tiny random-weight pipelines loaded from disk: text-, image- and control-to-video."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")

import open_weights_tiny as tiny  # noqa: E402
import torch  # noqa: E402

from engine import Control, RenderRequest, get_engine  # noqa: E402

BASE = dict(prompt="a girl smiles in the room", width=18, height=32, fps=8.0, num_frames=5, seed=5)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with tiny.one_torch_thread():
        yield


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    root = tmp_path_factory.mktemp("cog")
    return {
        kind: get_engine("cogvideox", model_dir=str(tiny.save_cogvideox(root / kind, kind)), steps=2, progress=False)
        for kind in ("t2v", "i2v", "control")
    }


def request(**changes) -> RenderRequest:
    return RenderRequest(**(BASE | changes))


def test_text_to_video_matches_the_request_and_the_seed(engines, tmp_path):
    clip, frames = tiny.render(engines["t2v"], tmp_path / "a", request(fps=24.0, num_frames=12))
    assert frames.shape == (12, 32, 18, 3) and (clip.fps, clip.num_frames) == (24.0, 12)
    assert (clip.meta["model_size"], clip.meta["model_frames"], clip.meta["model_fps"]) == ("16x32", 5, 8.0)
    _, again = tiny.render(engines["t2v"], tmp_path / "b", request(fps=24.0, num_frames=12))
    _, other = tiny.render(engines["t2v"], tmp_path / "c", request(fps=24.0, num_frames=12, seed=6))
    assert np.array_equal(frames, again) and tiny.changed(frames, other)
    with pytest.raises(ValueError, match="has no flow shift"):
        tiny.render(engines["t2v"], tmp_path / "d", request(options={"flow_shift": 3.0}))


def test_image_and_control_checkpoints_take_their_inputs(engines, tmp_path):
    seen = []
    for seed in (1, 2):
        face = tiny.picture(tmp_path / f"{seed}.png", seed)
        with tiny.transformer_inputs(engines["i2v"], "CogVideoXImageToVideoPipeline") as calls:
            clip, _ = tiny.render(engines["i2v"], tmp_path / f"i2v{seed}", request(first_frame=face))
        seen.append(calls[0]["hidden_states"])
    assert clip.meta["first_frame"] is True
    assert torch.equal(seen[0][:, :, :4], seen[1][:, :, :4]) and not torch.equal(seen[0][:, :, 4:], seen[1][:, :, 4:])

    outputs, seen = [], []
    for invert in (False, True):
        depth = tiny.gradient_video(tmp_path / f"depth{invert}.mp4", 5, invert=invert)
        with tiny.transformer_inputs(engines["control"], "CogVideoXFunControlPipeline") as calls:
            clip, frames = tiny.render(engines["control"], tmp_path / f"ctl{invert}", request(controls=(Control(kind="depth", path=depth),)))
        seen.append(calls[0]["hidden_states"])
        outputs.append(frames)
    assert clip.meta["control"] == "depth" and clip.num_frames == 5
    assert not torch.equal(seen[0][:, :, 4:], seen[1][:, :, 4:])  # the control latents ride next to the noise
    with pytest.raises(ValueError, match="needs a control video"):
        tiny.render(engines["control"], tmp_path / "none", request())
