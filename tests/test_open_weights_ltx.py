"""The LTX-Video engine on a tiny random-weight pipeline loaded from disk: text- and image-to-video from one folder."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")

import open_weights_tiny as tiny  # noqa: E402
import torch  # noqa: E402

from engine import RenderRequest, get_engine  # noqa: E402

BASE = dict(prompt="a man runs in the city at night", width=36, height=64, fps=24.0, num_frames=5, seed=3)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with tiny.one_torch_thread():
        yield


@pytest.fixture(scope="module")
def ltx(tmp_path_factory):
    return get_engine("ltx", model_dir=str(tiny.save_ltx(tmp_path_factory.mktemp("ltx") / "model")), steps=2, progress=False)


def test_text_to_video_matches_the_request_and_the_seed(ltx, tmp_path):
    # 10 frames at 30 fps → 8 frames at 24 fps → the tiny VAE's step (4) gives 9; sides to multiples of 32.
    clip, frames = tiny.render(ltx, tmp_path / "a", RenderRequest(**(BASE | dict(fps=30.0, num_frames=10))))
    assert frames.shape == (10, 64, 36, 3) and (clip.fps, clip.num_frames) == (30.0, 10)
    assert (clip.meta["pipeline"], clip.meta["model_size"], clip.meta["model_frames"]) == ("LTXPipeline", "32x64", 9)
    _, again = tiny.render(ltx, tmp_path / "b", RenderRequest(**(BASE | dict(fps=30.0, num_frames=10))))
    assert np.array_equal(frames, again)


def test_a_first_frame_switches_to_image_to_video_on_the_same_weights(ltx, tmp_path):
    faces = [tiny.picture(tmp_path / f"{seed}.png", seed) for seed in (1, 2)]
    seen = []
    for face in faces:
        with tiny.transformer_inputs(ltx, "LTXImageToVideoPipeline") as calls:
            clip, _ = tiny.render(ltx, tmp_path / face.stem, RenderRequest(**(BASE | dict(first_frame=face))))
        seen.append(calls[0]["hidden_states"])
    assert clip.meta["pipeline"] == "LTXImageToVideoPipeline" and clip.meta["first_frame"] is True
    assert not torch.equal(*seen)  # the encoded first frame sits in the first latent frame's tokens
    assert ltx.pipeline("LTXImageToVideoPipeline").transformer is ltx.pipeline("LTXPipeline").transformer
