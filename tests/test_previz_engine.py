"""The previz engine's output: files, determinism, variation between seeds, placement, framing, light,
and clear errors. Small frames and few of them, so the file runs in seconds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import numpy as np
import pytest

from engine.api import CharacterRef, Placement, RenderRequest, SceneContext
from engine.previz import PrevizEngine
from engine.registry import get_engine
from engine.video import read_frames

REFS = Path(__file__).resolve().parents[1] / "projects" / "demo" / "refs"


def request(**fields) -> RenderRequest:
    base = dict(prompt="two people talk", width=96, height=160, num_frames=12, seed=3, shot_size="MS")
    base.update(fields)
    return RenderRequest(**base)


def person(name: str, x: float, *, speaking: bool = False, image: str | None = None, **extra) -> CharacterRef:
    return CharacterRef(name=name, description=extra.pop("description", "a woman in a green coat"), color="#4a8f5a",
                        reference_images=(REFS / image,) if image else (), placement=Placement(x=x, speaking=speaking, **extra))


def frames(path: Path) -> np.ndarray:
    return np.stack(list(read_frames(path)))


def test_registry_serves_previz():
    assert isinstance(get_engine("previz"), PrevizEngine)


def test_output_is_h264_yuv420p_with_poster_and_camera_path(tmp_path):
    req = request(num_frames=15, characters=(person("A", 0.5, speaking=True),))
    clip = PrevizEngine().render(req, tmp_path)
    with av.open(str(clip.video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (96, 160)
        assert sum(1 for _ in container.decode(stream)) == 15
    assert clip.num_frames == 15 and (clip.width, clip.height) == (96, 160)
    assert clip.poster is not None and clip.poster.is_file()
    from PIL import Image

    assert Image.open(clip.poster).size == (96, 160)
    assert clip.camera_path is not None and len(clip.camera_path) == 15
    assert clip.depth is None and clip.masks == {}  # side channels only when asked


def test_same_seed_same_bytes_other_seed_other_draw(tmp_path):
    req = request(characters=(person("A", 0.4, speaking=True), person("B", 0.7)), scene=SceneContext(location="living room"))
    engine = PrevizEngine()
    a = engine.render(req, tmp_path / "a")
    b = engine.render(req, tmp_path / "b")
    c = engine.render(req.model_copy(update={"seed": 4}), tmp_path / "c")
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(a.video) == digest(b.video)
    assert np.array_equal(frames(a.video), frames(b.video))
    difference = np.abs(frames(a.video).astype(int) - frames(c.video).astype(int)).mean()
    assert difference > 8, f"seeds 3 and 4 drew nearly the same frames (mean difference {difference:.1f})"


def test_side_channels_depth_and_masks(tmp_path):
    req = request(width=192, height=320, characters=(person("沈清", 0.5),), options={"side_channels": True, "side_scale": 0.5})
    clip = PrevizEngine().render(req, tmp_path)
    assert clip.depth is not None and set(clip.masks) == {"沈清"}
    mask = frames(clip.masks["沈清"])[0, ..., 0] > 128
    depth = frames(clip.depth)[0, ..., 0].astype(float)
    assert mask.mean() > 0.05
    assert depth[mask].mean() > depth[~mask].mean() + 20, "the person should be nearer (brighter) than the room"


def mask_of(clip, name: str, index: int = 0) -> np.ndarray:
    return frames(clip.masks[name])[index, ..., 0] > 128


def test_people_stand_where_the_placement_says(tmp_path):
    cast = (person("left", 0.28), person("right", 0.72, description="a man in a grey suit"))
    req = request(width=192, height=320, shot_size="FS", characters=cast, options={"side_channels": True, "side_scale": 0.5})
    clip = PrevizEngine().render(req, tmp_path)
    for name, x in (("left", 0.28), ("right", 0.72)):
        mask = mask_of(clip, name)
        centre = np.nonzero(mask)[1].mean() / mask.shape[1]
        assert abs(centre - x) < 0.08, f"{name} stands at {centre:.2f}, asked {x}"


def test_shot_size_sets_how_big_the_person_is(tmp_path):
    areas = {}
    for shot in ("WS", "FS", "MS", "CU"):
        req = request(width=192, height=320, shot_size=shot, characters=(person("A", 0.5, image="shenqing.png"),),
                      options={"side_channels": True, "side_scale": 0.5})
        areas[shot] = mask_of(PrevizEngine().render(req, tmp_path / shot), "A").mean()
    assert areas["WS"] < areas["FS"] < areas["MS"] < areas["CU"], areas


def test_over_the_shoulder_puts_the_listener_big_at_the_edge(tmp_path):
    cast = (person("speaker", 0.4, speaking=True), person("listener", 0.5))
    req = request(width=192, height=320, shot_size="OTS", characters=cast, options={"side_channels": True, "side_scale": 0.5})
    clip = PrevizEngine().render(req, tmp_path)
    listener, speaker = mask_of(clip, "listener"), mask_of(clip, "speaker")
    assert listener.mean() > speaker.mean(), "the shoulder in front is bigger than the face it looks at"
    assert np.nonzero(listener)[1].mean() / listener.shape[1] > 0.6  # pushed to the side away from the speaker


@pytest.mark.parametrize("speaker_x", [0.35, 0.65])
def test_over_the_shoulder_leaves_the_speakers_face_in_view(tmp_path, speaker_x):
    """The shoulder once covered most of the frame and hid the speaker behind it: it covers one side, under
    60 % of the columns, and the speaker's head is as visible as in the same shot without the shoulder."""
    def masks(cast, where):
        req = request(width=192, height=320, shot_size="OTS", characters=cast, seed=5,
                      options={"side_channels": True, "side_scale": 0.5})
        return PrevizEngine().render(req, tmp_path / where)

    speaking = person("speaker", speaker_x, speaking=True, description="a man in a grey suit")
    shoulder = person("listener", 1 - speaker_x, foreground=True, description="a woman in a yellow raincoat")
    both, alone = masks((speaking, shoulder), "both"), masks((speaking,), "alone")
    face_with, face_alone = mask_of(both, "speaker"), mask_of(alone, "speaker")
    top = slice(0, face_alone.shape[0] // 2)  # the head and shoulders of the speaker
    assert face_with[top].sum() >= 0.85 * face_alone[top].sum(), "the speaker's head stays in view"
    covered = mask_of(both, "listener").any(axis=0).mean()  # columns of the frame the shoulder reaches
    assert 0.1 < covered < 0.6, covered


def test_speaker_moves_listener_only_breathes(tmp_path):
    cast = (person("talks", 0.3, speaking=True), person("listens", 0.7))
    req = request(width=192, height=320, num_frames=30, shot_size="MS", characters=cast, scene=SceneContext(location="office"))
    video = frames(PrevizEngine().render(req, tmp_path).video).astype(int)
    change = np.abs(np.diff(video, axis=0)).mean(axis=(0, 3))  # per pixel, over time
    left, right = change[:, :96].mean(), change[:, 96:].mean()
    assert left > right > 0, f"speaker side {left:.3f} vs listener side {right:.3f}"


def test_night_is_darker_than_day(tmp_path):
    means = {}
    for time in ("day", "night"):
        req = request(characters=(), shot_size="WS", scene=SceneContext(location="street", interior=False, time_of_day=time))
        means[time] = frames(PrevizEngine().render(req, tmp_path / time).video).mean()
    assert means["night"] < means["day"] * 0.8, means


def test_reference_image_alpha_is_kept(tmp_path):
    req = request(width=192, height=320, shot_size="FS", characters=(person("沈清", 0.5, image="shenqing.png"),),
                  options={"side_channels": True, "side_scale": 0.5})
    mask = mask_of(PrevizEngine().render(req, tmp_path), "沈清")
    rows, cols = np.nonzero(mask)
    box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    assert mask.sum() < 0.7 * box, "a cut-out figure, not a rectangle"


def test_photo_without_alpha_gets_a_soft_matte(tmp_path):
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 400), (200, 60, 60)).save(photo)
    req = request(width=192, height=320, shot_size="MCU", characters=(CharacterRef(name="P", reference_images=(photo,)),),
                  options={"side_channels": True, "side_scale": 0.5})
    clip = PrevizEngine().render(req, tmp_path / "out")
    mask = mask_of(clip, "P")
    assert 0.05 < mask.mean() < 0.9


def test_missing_reference_names_the_path(tmp_path):
    missing = tmp_path / "nobody.png"
    req = request(characters=(CharacterRef(name="Ghost", reference_images=(missing,)),))
    with pytest.raises(FileNotFoundError, match="nobody.png") as error:
        PrevizEngine().render(req, tmp_path / "out")
    assert "Ghost" in str(error.value)
    assert not (tmp_path / "out" / "video.mp4").exists()


def test_odd_size_and_unknown_vocabulary_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="even"):
        PrevizEngine().render(request(width=97), tmp_path / "a")
    with pytest.raises(ValueError, match="shot size"):
        PrevizEngine().render(request(shot_size="XXL"), tmp_path / "b")
    with pytest.raises(ValueError, match="angle"):
        PrevizEngine().render(request(angle="sideways"), tmp_path / "c")


def test_location_image_is_the_backdrop(tmp_path):
    from PIL import Image

    place = tmp_path / "place.png"
    Image.new("RGB", (320, 320), (20, 200, 40)).save(place)
    req = request(characters=(), shot_size="WS", scene=SceneContext(location_image=place))
    video = frames(PrevizEngine().render(req, tmp_path / "out").video)
    r, g, b = video[0].reshape(-1, 3).mean(axis=0)
    assert g > r + 60 and g > b + 60


def test_dutch_angle_rolls_the_horizon(tmp_path):
    clip = PrevizEngine().render(request(angle="dutch", characters=()), tmp_path)
    assert all(abs(p.roll) > 5 for p in clip.camera_path)


def test_the_set_follows_the_location_not_stray_words_in_the_prompt():
    from engine.previz.sets import set_for

    style = "cinematic film still, shallow depth of field, fine film grain"  # "shallow" holds "hall"
    assert set_for(SceneContext(location="跨江大桥", interior=False), style).name == "bridge"
    assert set_for(SceneContext(location="顾家别墅门口", interior=False), style).name == "gate"
    assert set_for(SceneContext(location="顾家别墅宴会厅", interior=True), style).name == "hall"
    assert set_for(SceneContext(location="INT. KITCHEN", interior=True), style).name == "kitchen"
    assert set_for(SceneContext(location="", interior=False), f"{style}, a quiet park at dawn").name == "park"
    assert set_for(SceneContext(location="", interior=True), style).name == "living"
