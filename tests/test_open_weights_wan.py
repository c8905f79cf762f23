"""The Wan engine on tiny random-weight pipelines saved to disk and loaded through its real loading path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="the open-weight engines need the diffusers extra: pip install 'drama[diffusers]'")
pytest.importorskip("ftfy", reason="Wan's prompt cleaning needs ftfy (part of the diffusers extra)")

import open_weights_tiny as tiny  # noqa: E402
import torch  # noqa: E402

from engine import CharacterRef, Control, RenderRequest, SceneContext, get_engine  # noqa: E402
from engine.open_weights.base import OutOfMemoryError  # noqa: E402
from engine.open_weights.wan import WanEngine  # noqa: E402
from engine.open_weights.weights import ModelNotFoundError  # noqa: E402

# 18×32 (9:16) asks the model for 16×32; 5 frames at Wan's 16 fps is 4·1 + 1 already.
BASE = dict(prompt="a woman walks in the room at night", width=18, height=32, fps=16.0, num_frames=5, seed=7)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with tiny.one_torch_thread():
        yield


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("wan")
    return {kind: tiny.save_wan(root / kind, kind) for kind in ("t2v", "i2v", "vace")}


@pytest.fixture(scope="module")
def vace(folders) -> WanEngine:
    return get_engine("wan", model_dir=str(folders["vace"]), steps=2, progress=False)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    return {
        "face_a": tiny.picture(root / "a.png", 1),
        "face_b": tiny.picture(root / "b.png", 2),
        "depth_a": tiny.gradient_video(root / "depth_a.mp4", 5, invert=False),
        "depth_b": tiny.gradient_video(root / "depth_b.mp4", 5, invert=True),
    }


def test_output_matches_the_request_after_rounding(folders, tmp_path):
    engine = get_engine("wan", model_dir=str(folders["t2v"]), steps=2, progress=False)
    # 12 frames at 30 fps = 0.37 s → 7 frames at 16 fps → rounded up to 4k+1 = 9; 18×32 → 16×32 for the model.
    clip, frames = render(engine, tmp_path, "t2v", fps=30.0, num_frames=12)
    assert clip.meta["references"] == 0 and clip.meta["control"] == "" and clip.meta["ignored"] == ""
    assert frames.shape == (12, 32, 18, 3)
    assert (clip.width, clip.height, clip.fps, clip.num_frames) == (18, 32, 30.0, 12)
    assert clip.meta["pipeline"] == "WanPipeline"
    assert (clip.meta["model_size"], clip.meta["model_frames"], clip.meta["model_fps"]) == ("16x32", 9, 16.0)
    assert clip.poster is not None and clip.poster.is_file()


def test_same_seed_same_frames_other_seed_other_frames(vace, tmp_path):
    _, first = render(vace, tmp_path, "a")
    _, again = render(vace, tmp_path, "b")
    _, other = render(vace, tmp_path, "c", seed=8)
    assert np.array_equal(first, again)
    assert tiny.changed(first, other)


def render(engine: WanEngine, tmp_path: Path, label: str, **changes):
    return tiny.render(engine, tmp_path / label, RenderRequest(**(BASE | changes)))


def conditioning(engine: WanEngine, pipe_class: str, key: str, tmp_path: Path, label: str, **changes):
    """Render and return the clip, its frames and the first transformer call's `key` tensor."""
    with tiny.transformer_inputs(engine, pipe_class) as calls:
        clip, frames = render(engine, tmp_path, label, **changes)
    return clip, frames, calls[0][key]


def test_image_to_video_checkpoint_takes_the_first_frame(folders, media, tmp_path):
    engine = get_engine("wan", model_dir=str(folders["i2v"]), steps=2, progress=False)
    pipe = "WanImageToVideoPipeline"
    clip, a, seen_a = conditioning(engine, pipe, "hidden_states", tmp_path, "a", first_frame=media["face_a"])
    _, b, seen_b = conditioning(engine, pipe, "hidden_states", tmp_path, "b", first_frame=media["face_b"])
    assert clip.meta["pipeline"] == pipe and clip.meta["first_frame"] is True
    # channels 0–15: noise (same seed); 16–19: first-frame mask; 20–35: the encoded first frame.
    assert torch.equal(seen_a[:, :20], seen_b[:, :20]) and not torch.equal(seen_a[:, 20:], seen_b[:, 20:])
    assert tiny.changed(a, b)
    with pytest.raises(ValueError, match="no first frame"):
        render(engine, tmp_path, "c")


def test_vace_first_frame_references_and_control_reach_the_model(vace, media, tmp_path):
    pipe, key = "WanVACEPipeline", "control_hidden_states"
    plain_clip, _, plain = conditioning(vace, pipe, key, tmp_path, "plain")
    assert plain_clip.meta["references"] == 0 and plain_clip.meta["control"] == ""

    clip, _, first_a = conditioning(vace, pipe, key, tmp_path, "first_a", first_frame=media["face_a"])
    _, _, first_b = conditioning(vace, pipe, key, tmp_path, "first_b", first_frame=media["face_b"])
    assert clip.meta["first_frame"] is True
    assert first_a.shape == plain.shape and not torch.equal(first_a, first_b)

    def cast(face: Path) -> tuple[CharacterRef, ...]:
        return (CharacterRef(name="林晚", reference_images=(face,)),)

    clip, _, ref_a = conditioning(vace, pipe, key, tmp_path, "ref_a", characters=cast(media["face_a"]))
    _, _, ref_b = conditioning(vace, pipe, key, tmp_path, "ref_b", characters=cast(media["face_b"]))
    assert clip.meta["references"] == 1
    assert ref_a.shape[2] == plain.shape[2] + 1  # the reference is one more latent frame in VACE's context
    assert not torch.equal(ref_a, ref_b)

    def depth(video: Path) -> tuple[Control, ...]:
        return (Control(kind="depth", path=video, strength=0.8), Control(kind="camera", path=video))

    with tiny.transformer_inputs(vace, pipe) as calls:
        clip, ctl_a = render(vace, tmp_path, "ctl_a", controls=depth(media["depth_a"]))
    _, _, ctl_b = conditioning(vace, pipe, key, tmp_path, "ctl_b", controls=depth(media["depth_b"]))
    assert clip.meta["control"] == "depth" and clip.meta["ignored"] == "control:camera"
    assert not torch.equal(calls[0][key], ctl_b)
    assert torch.allclose(calls[0]["control_hidden_states_scale"], torch.tensor(0.8))


def test_text_to_video_checkpoint_names_what_it_cannot_use(folders, media, tmp_path):
    engine = get_engine("wan", model_dir=str(folders["t2v"]), steps=2, progress=False)
    clip, _ = render(
        engine,
        tmp_path,
        "t2v",
        first_frame=media["face_a"],
        scene=SceneContext(location_image=media["face_b"]),
        controls=(Control(kind="depth", path=media["depth_a"]),),
    )
    assert clip.meta["ignored"] == "first_frame,references,control:depth"


def test_memory_options_apply_and_an_out_of_memory_error_names_the_option(folders, tmp_path, monkeypatch):
    engine = get_engine("wan", model_dir=str(folders["t2v"]), steps=2, progress=False, vae_tiling=True, vae_slicing=True)
    pipe = engine.pipeline("WanPipeline")
    assert pipe.vae.use_tiling and pipe.vae.use_slicing
    render(engine, tmp_path, "tiled")

    def out_of_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(type(pipe), "__call__", out_of_memory)
    with pytest.raises(OutOfMemoryError, match='offload = "model"'):
        render(engine, tmp_path, "oom")
    with pytest.raises(ValueError, match="needs a GPU"):
        WanEngine(model_dir=folders["t2v"], device="cpu", offload="model")


def test_missing_or_wrong_weights_say_where_to_put_them(tmp_path):
    with pytest.raises(ModelNotFoundError) as missing:
        WanEngine(model_dir=tmp_path / "Wan2.1-VACE-1.3B")
    assert str(tmp_path / "Wan2.1-VACE-1.3B") in str(missing.value)
    assert "hf download Wan-AI/Wan2.1-VACE-1.3B-diffusers" in missing.value.hint

    with pytest.raises(ModelNotFoundError, match="not in the Hugging Face cache") as uncached:
        WanEngine(model_id="Wan-AI/Wan2.1-T2V-14B-Diffusers", cache_dir=tmp_path / "hub")
    assert "allow_download" in uncached.value.hint

    other = tmp_path / "ltx"
    other.mkdir()
    (other / "model_index.json").write_text(json.dumps({"_class_name": "LTXPipeline"}))
    with pytest.raises(ValueError, match="holds a LTXPipeline; the wan engine runs WanPipeline"):
        WanEngine(model_dir=other)
    with pytest.raises(ValueError, match="extra"):
        WanEngine(model_dir=other, stepz=2)


def test_options_can_travel_in_the_request_as_drama_sends_them(folders, tmp_path):
    engine = get_engine("wan")  # drama's executor builds engines bare; [render] engine_options ride in the request
    options = {"model_dir": str(folders["t2v"]), "steps": 2, "progress": False, "plate_blur": 3}
    clip, frames = render(engine, tmp_path, "a", options=options)
    assert frames.shape == (5, 32, 18, 3)
    assert clip.meta["steps"] == 2 and clip.meta["ignored"] == "option:plate_blur"
    with pytest.raises(ModelNotFoundError, match="nowhere"):
        render(engine, tmp_path, "b", options={"model_dir": str(tmp_path / "nowhere")})
