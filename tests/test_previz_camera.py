"""Each camera move does what it says, measured on the rendered pixels with a small global-motion
estimate (phase correlation for shifts, a brute-force search for scale) and on the people's masks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import DEMO
from drama.project import Cast, DramaConfig
from drama.project.project import Project
from drama.render.jobs import draw_seed
from drama.render.request import build_request, renderable
from drama.render.scoring import score_clip
from drama.screenplay import parse_file
from drama.storyboard import plan, plan_episode
from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext
from engine.previz import PrevizEngine
from engine.previz.camera import ease
from engine.video import read_frames

STREET = SceneContext(location="street", interior=False, time_of_day="day")


def render(tmp_path, kind: str, direction: int = 1, *, people: bool = False, shot: str = "WS", frames: int = 16, **extra):
    cast = (CharacterRef(name="A", description="a man in a red coat", placement=Placement(x=0.5)),) if people else ()
    request = RenderRequest(prompt="", width=160, height=288, num_frames=frames, seed=11, shot_size=shot, characters=cast,
                            camera=CameraMove(kind=kind, direction=direction), scene=extra.pop("scene", STREET),
                            options={"side_channels": people, "side_scale": 0.5}, **extra)
    clip = PrevizEngine().render(request, tmp_path / f"{kind}{direction}")
    video = np.stack([f.mean(axis=2) for f in read_frames(clip.video)])
    masks = np.stack([f[..., 0] > 128 for f in read_frames(clip.masks["A"])]) if people else None
    return video, masks, clip


def shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(dx, dy) that content moved from frame a to frame b, by phase correlation."""
    window = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    fa, fb = np.fft.fft2((a - a.mean()) * window), np.fft.fft2((b - b.mean()) * window)
    cross = np.conj(fa) * fb
    surface = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    dy, dx = np.unravel_index(np.argmax(surface), surface.shape)
    h, w = a.shape
    return float(dx - w if dx > w // 2 else dx), float(dy - h if dy > h // 2 else dy)


def scale(a: np.ndarray, b: np.ndarray) -> float:
    """How much bigger the content of b is than a, about the centre (best of a search)."""
    from PIL import Image

    h, w = a.shape
    crop = (slice(h // 4, 3 * h // 4), slice(w // 4, 3 * w // 4))
    best, found = np.inf, 1.0
    for s in np.arange(0.6, 1.8, 0.02):
        grown = np.asarray(Image.fromarray(a.astype(np.float32)).resize((round(w * s), round(h * s)), Image.BILINEAR))
        y0, x0 = (grown.shape[0] - h) // 2, (grown.shape[1] - w) // 2
        if y0 >= 0:
            candidate = grown[y0 : y0 + h, x0 : x0 + w]
        else:
            candidate = np.full((h, w), np.nan)
            candidate[-y0 : -y0 + grown.shape[0], -x0 : -x0 + grown.shape[1]] = grown
        error = np.nanmean((candidate[crop] - b[crop]) ** 2)
        if error < best:
            best, found = error, s
    return float(found)


def centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return float(cols.mean()), float(rows.mean())


def travel(video: np.ndarray, rows: slice = slice(None)) -> tuple[float, float]:
    """Total content motion over the clip, summed frame to frame (each step small, so no aliasing on
    repeating windows)."""
    steps = np.array([shift(video[i][rows], video[i + 1][rows]) for i in range(len(video) - 1)])
    return float(steps[:, 0].sum()), float(steps[:, 1].sum())


def above_head(masks: np.ndarray) -> slice:
    """Rows above the person in every frame (full-size rows; masks are at half size): the place behind."""
    top = min(np.nonzero(m.any(axis=1))[0].min() for m in masks) * 2
    assert top >= 12, "the test needs some background above the head"
    return slice(0, top - 2)


def test_static_holds_still(tmp_path):
    video, _, _ = render(tmp_path, "static")
    assert np.abs(video[-1] - video[0]).mean() < 0.5


@pytest.mark.parametrize("direction", [1, -1])
def test_pan_moves_content_against_the_pan(tmp_path, direction):
    video, _, _ = render(tmp_path, "pan", direction)
    dx, dy = travel(video)
    assert -direction * dx > 10 and abs(dy) < 3, (dx, dy)


def test_tilt_up_moves_content_down(tmp_path):
    video, _, _ = render(tmp_path, "tilt", 1)
    dx, dy = travel(video)
    assert dy > 8 and abs(dx) < 3, (dx, dy)


def test_zoom_in_scales_everything_alike(tmp_path):
    video, _, _ = render(tmp_path, "zoom", 1)
    assert 1.25 < scale(video[0], video[-1]) < 1.55


def test_dolly_in_grows_the_person_more_than_the_place(tmp_path):
    video, masks, _ = render(tmp_path, "dolly_in", people=True, shot="WS")
    height = lambda m: np.ptp(np.nonzero(m.any(axis=1))[0]) + 1  # noqa: E731
    person = height(masks[-1]) / height(masks[0])
    assert person > 1.25
    assert scale(video[0], video[-1]) < person - 0.1, "the street behind grows less than the person"


def test_dolly_out_shrinks(tmp_path):
    _, masks, _ = render(tmp_path, "dolly_out", people=True, shot="MS", scene=SceneContext(location="living room"))
    assert masks[-1].sum() < 0.8 * masks[0].sum()


def test_truck_shows_parallax(tmp_path):
    video, masks, _ = render(tmp_path, "truck", 1, people=True, shot="FS")
    person_dx = (centroid(masks[-1])[0] - centroid(masks[0])[0]) * 2  # masks are at half size
    far_dx, _ = travel(video, above_head(masks))
    assert person_dx < -8, "trucking right moves the person left"
    assert far_dx < 0 and abs(far_dx) < abs(person_dx) / 2, (far_dx, person_dx)


def test_follow_keeps_the_person_while_the_place_slides(tmp_path):
    video, masks, _ = render(tmp_path, "follow", 1, people=True, shot="FS")
    person_dx = (centroid(masks[-1])[0] - centroid(masks[0])[0]) * 2
    assert abs(person_dx) < 6
    assert travel(video, above_head(masks))[0] < -8


def test_orbit_keeps_the_subject_and_swings_the_background(tmp_path):
    video, masks, _ = render(tmp_path, "orbit", 1, people=True, shot="FS")
    person_dx = (centroid(masks[-1])[0] - centroid(masks[0])[0]) * 2
    back_dx, _ = travel(video, above_head(masks))
    assert abs(person_dx) < 6 and back_dx > 6, (person_dx, back_dx)


def test_crane_up_lowers_the_person_in_frame(tmp_path):
    _, masks, _ = render(tmp_path, "crane", 1, people=True, shot="FS")
    assert centroid(masks[-1])[1] - centroid(masks[0])[1] > 3


def test_handheld_jitters_a_little(tmp_path):
    video, _, clip = render(tmp_path, "handheld", frames=30)
    steps = [shift(video[i], video[i + 1]) for i in range(0, 29, 3)]
    moves = [abs(dx) + abs(dy) for dx, dy in steps]
    assert max(moves) > 0 and max(moves) < 0.05 * video.shape[2]
    assert max(abs(p.roll) for p in clip.camera_path) > 0.05


def test_moves_ease_in_and_out():
    t = np.linspace(0, 1, 11)
    e = ease(t)
    assert e[0] == 0 and e[-1] == 1 and np.all(np.diff(e) >= 0)
    assert e[1] < 0.1 * 1 and (e[6] - e[5]) > (e[1] - e[0])


def test_high_angle_raises_the_horizon_and_low_lowers_it(tmp_path):
    paths = {a: render(tmp_path / a, "static", angle=a)[2].camera_path[0] for a in ("high", "eye", "low")}
    assert paths["high"].tilt < paths["eye"].tilt < paths["low"].tilt
    assert paths["high"].y > paths["eye"].y > paths["low"].y


# ------------------------------------------------------------------ the scorer's camera check agrees with every move

MOVES = [("static", 1), ("pan", 1), ("pan", -1), ("tilt", 1), ("tilt", -1), ("dolly_in", 1), ("dolly_out", 1),
         ("truck", 1), ("truck", -1), ("follow", 1), ("follow", -1), ("crane", 1), ("crane", -1), ("zoom", 1),
         ("zoom", -1), ("orbit", 1), ("orbit", -1), ("handheld", 1)]
SET_TYPES = {  # (scene, prompt): a set of each kind and light, and the demo's opening (a bridge at night, in the rain)
    "interior day": (SceneContext(location="living room"), ""),
    "interior night": (SceneContext(location="banquet hall", time_of_day="night"), ""),
    "exterior day": (SceneContext(location="park", interior=False), ""),
    "exterior night": (SceneContext(location="street", interior=False, time_of_day="night"), ""),
    "exterior night, rain": (SceneContext(location="bridge", interior=False, time_of_day="night"), "heavy rain"),
}
PAIR = (CharacterRef(name="A", description="a woman in a red dress", placement=Placement(x=0.4, facing="right")),
        CharacterRef(name="B", description="a man in a grey suit", placement=Placement(x=0.65, facing="left")))
# Known disagreements, in the set rather than the camera or the check: (move, set type, people) → why.
KNOWN = {
    ("dolly_in", "exterior night, rain", False): pytest.mark.xfail(strict=True, reason="the bridge's river and sky are far and "
                                                                   "its deck has no texture across: a dolly in grows the picture under the 4 % the check needs"),
}
# Every move and direction on every set type; people stand in half of them, checkerboard-wise, so every move is
# checked with and without people and so is every set type.
MATRIX = [pytest.param(kind, direction, set_type, people, id=f"{kind}{direction:+d}-{set_type}-{'people' if people else 'empty'}",
                       marks=[KNOWN[kind, set_type, people]] if (kind, set_type, people) in KNOWN else [])
          for i, (kind, direction) in enumerate(MOVES) for j, set_type in enumerate(SET_TYPES) for people in [(i + j) % 2 == 0]]


@pytest.mark.parametrize(("kind", "direction", "set_type", "people"), MATRIX)
def test_the_camera_check_sees_the_move_asked_for(tmp_path, kind, direction, set_type, people):
    scene, prompt = SET_TYPES[set_type]
    request = RenderRequest(prompt=prompt, width=96, height=160, num_frames=24, fps=12, seed=3, shot_size="WS",
                            characters=PAIR if people else (), camera=CameraMove(kind=kind, direction=direction),
                            scene=scene, options={"side_channels": people})
    clip = PrevizEngine().render(request, tmp_path)
    camera = next(part for part in score_clip(request, clip).parts if part.name == "camera")
    assert camera.value > 0.5, camera.explanation


def test_every_draw_of_the_demo_passes_the_camera_check(tmp_path):
    """All three draws of every shot of the demo, small. What failed once: the opening crane down over the bridge
    read as 'crane -: the wrong way' (the tilt that held the subject swung the skyline up); the close dolly-ins read
    as too little (the room behind is a soft strip: the picture as a whole must show the dolly); the static ECU of a
    speaker read as a drifting camera at the draft size (the test below)."""
    project = Project.load(DEMO)
    shots = [shot for shot in plan_episode(project, "ep01").shots if renderable(shot)]
    assert (shots[0].move.value, shots[0].move_direction, shots[0].interior) == ("crane", -1, False)
    assert {"dolly_in", "static"} <= {shot.move.value for shot in shots if shot.size.value in ("CU", "ECU")}
    for shot in shots:
        for draw in range(3):
            request = build_request(project, shot, draw_seed(shot.id, draw)).model_copy(update={"width": 96, "height": 160})
            clip = PrevizEngine().render(request, tmp_path / f"{shot.id}-{draw}")
            camera = next(part for part in score_clip(request, clip).parts if part.name == "camera")
            assert camera.value > 0.5, f"{shot.id} {shot.size.value} draw {draw}: {camera.explanation}"


def test_a_locked_off_close_up_of_a_speaker_is_still(tmp_path):
    """The demo's static ECU of 白薇 screaming, at the draft size and the length her voiced line gives it: her sway
    and breath at full size on a face that fills the frame read as a drifting camera (3.4–3.9 % in all three draws)."""
    project = Project.load(DEMO)
    shot = next(s for s in plan_episode(project, "ep01").shots if s.size.value == "ECU" and s.move.value == "static")
    assert shot.speaker == "白薇"
    for draw in range(3):
        request = build_request(project, shot, draw_seed(shot.id, draw)).model_copy(update={"num_frames": 132})
        clip = PrevizEngine().render(request, tmp_path / str(draw))
        camera = next(part for part in score_clip(request, clip).parts if part.name == "camera")
        assert camera.value > 0.5, f"draw {draw}: {camera.explanation}"


def test_a_close_up_is_framed_on_the_face_of_a_child_or_a_tall_man(tmp_path):
    """Framed for an average adult, a child's close-up missed the child and a tall man's cut his head off; framed
    by their own heights both hold the head near the top of the frame, like an average adult's."""
    tops = {}
    for who, description in (("adult", "a man in a red coat"), ("child", "a little girl, 6 years old, pigtails"),
                             ("tall", "28岁男人，寸头，高个子，黑色夹克")):
        cast = (CharacterRef(name="A", description=description, placement=Placement(x=0.5)),)
        request = RenderRequest(prompt="", width=160, height=288, num_frames=2, seed=11, shot_size="CU", characters=cast,
                                scene=STREET, options={"side_channels": True, "side_scale": 0.5})
        clip = PrevizEngine().render(request, tmp_path / who)
        mask = next(iter(read_frames(clip.masks["A"])))[..., 0] > 128
        rows = np.nonzero(mask.any(axis=1))[0]
        tops[who] = rows.min() / mask.shape[0]
    assert all(0 < tops[who] < 0.3 and abs(tops[who] - tops["adult"]) < 0.15 for who in ("child", "tall")), tops


SCRIPTS = Path(__file__).parent / "scripts"


@pytest.mark.parametrize("script,cast", [("blocking_zh.txt", "blocking_zh.toml"), ("blocking_en.fountain", "blocking_en.toml"),
                                         ("unseen_zh.txt", "unseen_zh.toml"), ("unseen_en.fountain", "unseen_en.toml")])
def test_every_move_the_planner_asks_of_a_script_passes_the_camera_check(tmp_path, script, cast):
    """The moves planned for the test screenplays (and two written after the planner), each drawn once, small."""
    project = Project(SCRIPTS, DramaConfig(title="t"), Cast.model_validate(tomllib.loads((SCRIPTS / cast).read_text("utf-8"))))
    moving = [shot for shot in plan(parse_file(SCRIPTS / script), 0, project).shots
              if renderable(shot) and shot.move.value != "static"]
    assert moving
    for shot in moving:
        request = build_request(project, shot, draw_seed(shot.id, 0)).model_copy(update={"width": 96, "height": 160})
        clip = PrevizEngine().render(request, tmp_path / shot.id)
        camera = next(part for part in score_clip(request, clip).parts if part.name == "camera")
        assert camera.value > 0.5, (shot.id, shot.size.value, camera.explanation)


def test_a_low_angle_close_up_on_a_rooftop_at_night_renders(tmp_path):
    """It crashed drawing the lit windows of towers whose tops were below the picture (numpy: high - low < 0)."""
    request = RenderRequest(prompt="", width=96, height=160, num_frames=4, seed=631592908, shot_size="CU", angle="low",
                            characters=PAIR[:1], scene=SceneContext(location="rooftop", interior=False, time_of_day="night"))
    assert PrevizEngine().render(request, tmp_path).video.is_file()
