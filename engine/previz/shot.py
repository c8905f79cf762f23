"""A RenderRequest staged as a previz scene: the shot size and angle read, the subject framed through a seeded lens,
the camera path, the set, the light and every layer (the place, props, people) far to near. The video engine
(engine.py) composites every frame of it and the still engine (still.py) only the first, so a keyframe is the
clip's first frame by construction, not by a copy of the set-up."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from engine.api import CameraPose, CharacterRef, RenderRequest
from engine.previz.backdrop import Stage, build_backdrop
from engine.previz.camera import ANGLES, SHOT_FRAMES, Framing, camera_path, frame_subject
from engine.previz.cast import HEAD_M, Casting, Portrait, cast_layers, figure_for, load_portrait
from engine.previz.figure import HEADS_TALL
from engine.previz.layers import Layer, View
from engine.previz.look import Look, look_for
from engine.previz.props import frame_prop, insert_layer, known, scene_layers
from engine.previz.sets import Set, set_for

SHOULDER_HALF_WIDTH = 0.07  # half a person's shoulder width, as a fraction of their height
OTS_SHOULDER_EDGE = 0.32  # the over-the-shoulder person covers the frame up to here from their side
# How much a speaker sways and breathes, by shot size: a face that fills the frame moves less on it, or a locked-off
# close-up reads as a drifting camera (in the camera check too)
SWAY = {"ECU": 0.25, "CU": 0.5}
FRAMED_ON_THE_FACE = {"ECU", "CU", "MCU", "MS", "OTS"}  # sizes whose framing follows the subject's own height
PERSONAL_SPACE = 0.25  # metres between two people side by side (the one not framed stands a step behind)
STEP_BEHIND = 0.3  # metres
LENSES = (32.0, 50.0)  # vertical field of view of a draw's lens, degrees: the shot size holds, the perspective changes


class Dice:
    """Independent seeded streams per concern, so a change in one (say, the cast) does not reshuffle the room."""

    def __init__(self, seed: int):
        self.seed = seed & 0xFFFFFFFFFFFFFFFF

    def __call__(self, stream: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(ord(ch) * 31**i for i, ch in enumerate(stream)) & 0xFFFFFFFF])


@dataclass(frozen=True)
class ShotPlan:
    """What a request asks the camera for, read and checked before anything is drawn (a bad shot size or a missing
    reference image fails here, before the video engine starts its encoder)."""

    request: RenderRequest
    shot: str
    angle: str
    props: list[str]
    insert: bool  # the camera frames the first prop alone
    framing: Framing
    poses: list[CameraPose]
    chosen: Set
    view: View
    dice: Dice
    foreground: set[str]
    subject: CharacterRef | None
    loaded: dict[str, Portrait]  # the characters' reference portraits


@dataclass(frozen=True)
class Scene:
    """The staged shot: its layers (the opaque base first, then far to near) and the light they were lit by."""

    plan: ShotPlan
    layers: list[Layer]
    look: Look

    def meta(self) -> dict[str, str | int | float | bool]:
        """What the draw's record says about the staging."""
        plan, request = self.plan, self.plan.request
        return {"shot_size": plan.shot, "angle": plan.angle, "move": request.camera.kind,
                "set": "location_image" if request.scene.location_image is not None else plan.chosen.name,
                "props": ",".join(plan.props), "insert": plan.insert, "time_of_day": self.look.time,
                "key_side": self.look.key_side, "fov": round(plan.framing.fov, 2),
                "subject_distance_m": round(plan.framing.distance, 3)}


def plan_shot(request: RenderRequest) -> ShotPlan:
    """Read the request's shot size, angle and cast; frame the subject and lay the camera path over its frames."""
    props = known(request.scene.props)
    insert = bool(props) and not request.characters
    shot = (request.shot_size or ("MS" if request.characters else "CU" if insert else "WS")).upper()
    if shot not in SHOT_FRAMES:
        raise ValueError(f"unknown shot size {request.shot_size!r}; use one of {', '.join(SHOT_FRAMES)}")
    angle = (request.angle or "eye").lower()
    if angle not in ANGLES:
        raise ValueError(f"unknown camera angle {request.angle!r}; use one of {', '.join(ANGLES)}")
    dice = Dice(request.seed)
    aspect = request.width / request.height
    foreground = _foreground_names(request, shot)
    # Load reference images first: a bad path fails before any file is written.
    loaded = {c.name: load_portrait(c) for c in request.characters if c.reference_images}
    subject = _subject(request.characters, foreground)
    head_top = HEADS_TALL * HEAD_M  # a wide shot of a drawn adult is framed for an adult's height …
    if subject is not None:
        own = loaded[subject.name].height_m if subject.name in loaded else figure_for(subject, request.characters).height_m
        if subject.name in loaded or shot in FRAMED_ON_THE_FACE or own < head_top - HEAD_M:
            head_top = own  # … a close shot, a portrait and a child by their own: the face stays in frame
    if insert:
        framing = frame_prop(props[0], shot, angle, aspect, dice("framing"))
    else:
        framing = frame_subject(shot, angle, head_top, aspect, dice("framing"))
    framing = _lens(framing, dice("lens"))
    poses = camera_path(framing, request.camera, request.num_frames, request.fps, aspect, dice("camera"))
    return ShotPlan(request=request, shot=shot, angle=angle, props=props, insert=insert, framing=framing, poses=poses,
                    chosen=set_for(request.scene, request.prompt), view=View(request.width, request.height), dice=dice,
                    foreground=foreground, subject=subject, loaded=loaded)


def build_scene(plan: ShotPlan) -> Scene:
    """Light the place, build it as plates, dress it with props and put the people in it, each layer prepared at
    the largest size it reaches on screen along the camera path."""
    request, view, poses, framing, dice = plan.request, plan.view, plan.poses, plan.framing, plan.dice
    n = len(poses)
    look = look_for(request.scene.time_of_day, dice("light"))
    focal = view.focal(poses[0])
    stage = Stage(view, poses, framing, look, dice("place"), request.height / 2 / math.tan(math.radians(framing.fov / 2)))
    behind, front, space = build_backdrop(request.scene, request.prompt, plan.chosen, stage)
    wood, back = (space.wood, space.back) if space is not None else ((120, 84, 56), math.inf)
    if plan.insert:
        things = [insert_layer(plan.props[0], stage, wood)]
    else:
        things = scene_layers([p for p in plan.props if p not in plan.chosen.shows], stage, request.scene.interior,
                              plan.chosen.table, wood, back, [c.placement.x for c in request.characters], dice("props"))
    needed = int(min(2400, max(400, HEADS_TALL * HEAD_M * focal / framing.distance)) // 100 * 100)
    portraits = {c.name: plan.loaded.get(c.name) or load_portrait(c, stand_in_height=needed, company=request.characters)
                 for c in request.characters}
    castings = _castings(request.characters, portraits, plan.foreground, plan.subject, framing.distance,
                         request.width / stage.focal)
    walk = np.array([p.x - poses[0].x for p in poses]) if request.camera.kind == "follow" else np.zeros(n)
    people = cast_layers(castings, view, poses, look, plan.angle, walk, dice("cast"), request.fps,
                         breathe=request.camera.kind in ("static", "handheld"), sway=SWAY.get(plan.shot, 1.0))
    # the place (floor included) behind everyone, then people and what is in front, far to near
    return Scene(plan, [*behind, *sorted([*things, *people, *front], key=lambda layer: -layer.z)], look)


def _lens(framing: Framing, rng: np.random.Generator) -> Framing:
    """The framing through a seeded lens: the same frame height at the subject, from nearer or further."""
    fov = rng.uniform(*LENSES)
    distance = framing.distance * math.tan(math.radians(framing.fov / 2)) / math.tan(math.radians(fov / 2))
    height = max(0.05, framing.height + (framing.distance - distance) * math.tan(math.radians(framing.tilt)))
    return replace(framing, fov=fov, distance=distance, height=height)


def _foreground_names(request: RenderRequest, shot: str) -> set[str]:
    names = {c.name for c in request.characters if c.placement.foreground}
    if shot == "OTS" and not names and len(request.characters) >= 2:
        listener = next((c for c in request.characters if not c.placement.speaking), request.characters[0])
        names = {listener.name}
    return names


def _subject(characters: tuple[CharacterRef, ...], foreground: set[str]) -> CharacterRef | None:
    """The person the camera frames: the speaker in view, else the first in view."""
    candidates = [c for c in characters if c.name not in foreground]
    return next((c for c in candidates if c.placement.speaking), candidates[0] if candidates else None)


def _castings(characters, portraits: dict[str, Portrait], foreground: set[str], subject: CharacterRef | None, distance: float,
              width_per_metre_at_1m: float) -> list[Casting]:
    """World positions from the placement hints: x across the frame at the subject's depth; the others a
    step behind the subject and at least `PERSONAL_SPACE` to the side (so a close-up does not put a
    stranger's head across the face); the over-the-shoulder person nearer the lens at the frame's edge
    opposite the subject."""
    subject_x = subject.placement.x if subject is not None else 0.5
    xs: dict[str, float] = {}
    for c in characters:
        z = distance * (0.55 if c.name in foreground else 1.0)
        x = c.placement.x
        if c.name in foreground:  # the shoulder fills the third of the frame away from the person it looks at
            half = SHOULDER_HALF_WIDTH * portraits[c.name].height_m / (width_per_metre_at_1m * z)  # of the frame
            x = min(x, OTS_SHOULDER_EDGE - half) if subject_x >= 0.5 else max(x, 1 - OTS_SHOULDER_EDGE + half)
        xs[c.name] = (x - 0.5) * width_per_metre_at_1m * z
    standing = sorted((c for c in characters if c.name not in foreground), key=lambda c: xs[c.name])
    if subject is not None and subject in standing:
        anchor = standing.index(subject)
        for i in range(anchor + 1, len(standing)):
            xs[standing[i].name] = max(xs[standing[i].name], xs[standing[i - 1].name] + PERSONAL_SPACE)
        for i in range(anchor - 1, -1, -1):
            xs[standing[i].name] = min(xs[standing[i].name], xs[standing[i + 1].name] - PERSONAL_SPACE)
    def depth(c: CharacterRef) -> float:
        if c.name in foreground:
            return distance * 0.55
        return distance if subject is None or c.name == subject.name else distance + STEP_BEHIND

    return [Casting(c, portraits[c.name], depth(c), xs[c.name], c.name in foreground, subject is not None and c.name == subject.name)
            for c in characters]
