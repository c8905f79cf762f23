"""The previz engine: a RenderRequest drawn as a layered 2.5D scene with real camera moves, encoded
to H.264 while it renders. Fast enough to draw candidates on a CPU; the same seed gives the same bytes."""

from __future__ import annotations

import math
import re
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from engine.api import CharacterRef, Clip, Engine, RenderRequest
from engine.previz.backdrop import Stage, build_backdrop
from engine.previz.camera import ANGLES, SHOT_FRAMES, Framing, camera_path, frame_subject
from engine.previz.cast import HEAD_M, Casting, Portrait, cast_layers, figure_for, load_portrait
from engine.previz.encode import BackgroundEncoder
from engine.previz.figure import HEADS_TALL
from engine.previz.layers import Compositor, Layer, View
from engine.previz.look import look_for
from engine.previz.props import frame_prop, insert_layer, known, scene_layers
from engine.previz.sets import set_for

DRAFT_PIXELS = 540 * 960
SHOULDER_HALF_WIDTH = 0.07  # half a person's shoulder width, as a fraction of their height
OTS_SHOULDER_EDGE = 0.32  # the over-the-shoulder person covers the frame up to here from their side
# How much a speaker sways and breathes, by shot size: a face that fills the frame moves less on it, or a locked-off
# close-up reads as a drifting camera (in the camera check too)
SWAY = {"ECU": 0.25, "CU": 0.5}
FRAMED_ON_THE_FACE = {"ECU", "CU", "MCU", "MS", "OTS"}  # sizes whose framing follows the subject's own height
SIDE_SCALE = 0.25  # depth and masks are drawn at a quarter of the size
PERSONAL_SPACE = 0.25  # metres between two people side by side (the one not framed stands a step behind)
STEP_BEHIND = 0.3  # metres
LENSES = (32.0, 50.0)  # vertical field of view of a draw's lens, degrees: the shot size holds, the perspective changes


class PrevizEngine(Engine):
    """Options (constructor, or per request in `RenderRequest.options`): `side_channels` (write depth and
    per-character masks; `side_scale` of the size, default 0.25), `preset` and `crf` (x264; drafts
    default to ultrafast)."""

    name = "previz"
    version = "5"
    features = ("text", "references", "camera", "seed")

    def __init__(self, side_channels: bool = False, preset: str | None = None, crf: int | None = None):
        self.side_channels = side_channels
        self.preset = preset
        self.crf = crf

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        width, height, n = request.width, request.height, request.num_frames
        if width % 2 or height % 2:
            raise ValueError(f"previz renders H.264 yuv420p, which needs even sizes; got {width}x{height}")
        props = known(request.scene.props)
        insert = bool(props) and not request.characters  # an insert: the camera frames the first prop alone
        shot = (request.shot_size or ("MS" if request.characters else "CU" if insert else "WS")).upper()
        if shot not in SHOT_FRAMES:
            raise ValueError(f"unknown shot size {request.shot_size!r}; use one of {', '.join(SHOT_FRAMES)}")
        angle = (request.angle or "eye").lower()
        if angle not in ANGLES:
            raise ValueError(f"unknown camera angle {request.angle!r}; use one of {', '.join(ANGLES)}")
        options = request.options
        draft = width * height <= DRAFT_PIXELS
        preset = str(options.get("preset", self.preset or ("ultrafast" if draft else "veryfast")))
        crf = int(options.get("crf", self.crf or (23 if draft else 20)))
        side = bool(options.get("side_channels", self.side_channels))

        dice = _Dice(request.seed)
        view = View(width, height)
        aspect = width / height
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
        chosen = set_for(request.scene, request.prompt)
        poses = camera_path(framing, request.camera, n, request.fps, aspect, dice("camera"))
        video = out_dir / "video.mp4"
        encoder = BackgroundEncoder(video, width=width, height=height, fps=request.fps, preset=preset, crf=crf)
        try:
            look = look_for(request.scene.time_of_day, dice("light"))
            focal = view.focal(poses[0])
            stage = Stage(view, poses, framing, look, dice("place"), height / 2 / math.tan(math.radians(framing.fov / 2)))
            behind, front, space = build_backdrop(request.scene, request.prompt, chosen, stage)
            wood, back = (space.wood, space.back) if space is not None else ((120, 84, 56), math.inf)
            if insert:
                things = [insert_layer(props[0], stage, wood)]
            else:
                things = scene_layers([p for p in props if p not in chosen.shows], stage, request.scene.interior, chosen.table, wood, back,
                                      [c.placement.x for c in request.characters], dice("props"))
            needed = int(min(2400, max(400, HEADS_TALL * HEAD_M * focal / framing.distance)) // 100 * 100)
            portraits = {c.name: loaded.get(c.name) or load_portrait(c, stand_in_height=needed, company=request.characters)
                         for c in request.characters}
            castings = _castings(request.characters, portraits, foreground, subject, framing.distance, width / stage.focal)
            walk = np.array([p.x - poses[0].x for p in poses]) if request.camera.kind == "follow" else np.zeros(n)
            people = cast_layers(castings, view, poses, look, angle, walk, dice("cast"), request.fps,
                                 breathe=request.camera.kind in ("static", "handheld"), sway=SWAY.get(shot, 1.0))
            # the place (floor included) behind everyone, then people and what is in front, far to near
            layers = [*behind, *sorted([*things, *people, *front], key=lambda layer: -layer.z)]
            compositor = Compositor(layers, view, poses)
            poster = None
            for i in range(n):
                frame = compositor.frame(i)
                encoder.send(np.asarray(frame))
                if i == n // 2:  # PNG compression releases the GIL: save while the rest renders
                    poster = threading.Thread(target=frame.save, args=(out_dir / "poster.png",), kwargs={"compress_level": 1})
                    poster.start()
        except BaseException:
            encoder.abort()
            raise
        written = encoder.close()
        assert poster is not None
        poster.join()
        if not (out_dir / "poster.png").is_file():
            raise RuntimeError(f"could not write the poster frame into {out_dir}")
        scale = float(options.get("side_scale", SIDE_SCALE))
        depth, masks = (_side_channels(layers, view, poses, request, out_dir, scale) if side else (None, {}))
        return Clip(
            video=video, poster=out_dir / "poster.png", width=width, height=height, fps=request.fps, num_frames=written,
            depth=depth, masks=masks, camera_path=list(poses),
            meta={"engine": f"{self.name}-{self.version}", "shot_size": shot, "angle": angle, "move": request.camera.kind,
                  "set": "location_image" if request.scene.location_image is not None else chosen.name, "props": ",".join(props),
                  "insert": insert, "time_of_day": look.time, "key_side": look.key_side, "fov": round(framing.fov, 2),
                  "subject_distance_m": round(framing.distance, 3), "preset": preset, "crf": crf},
        )


class _Dice:
    """Independent seeded streams per concern, so a change in one (say, the cast) does not reshuffle the room."""

    def __init__(self, seed: int):
        self.seed = seed & 0xFFFFFFFFFFFFFFFF

    def __call__(self, stream: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(ord(ch) * 31**i for i, ch in enumerate(stream)) & 0xFFFFFFFF])


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


def _side_channels(layers: list[Layer], view: View, poses, request: RenderRequest, out_dir: Path, scale: float):
    """Depth (near = bright) and one mask per person, at `scale` of the size, from the same layers."""
    small = view.scaled(scale)
    factor = small.width / view.width
    near = min(layer.z for layer in layers)
    far = layers[0].z

    def depth_byte(z):
        return np.clip(255 * (1 / np.asarray(z) - 1 / far) / (1 / near - 1 / far), 0, 255).astype(np.uint8)

    def reduced(layer: Layer, value) -> Layer:
        image = layer.images[0]
        alpha = layer.masks[0].convert("L") if layer.masks else image.getchannel("A") if image.mode == "RGBA" else None
        size = (max(1, round(image.size[0] * factor)), max(1, round(image.size[1] * factor)))
        if isinstance(value, np.ndarray) and value.ndim == 1:
            rows = np.interp(np.linspace(0, len(value) - 1, size[1]), np.arange(len(value)), value)
            tone = Image.fromarray(np.repeat(depth_byte(rows)[:, None], size[0], axis=1))
        else:
            tone = Image.new("L", size, int(value))
        if alpha is not None:
            tone = Image.merge("LA", (tone, alpha.resize(size, Image.BILINEAR)))
        return layer.reduced(factor, [tone])

    depth_layers = [reduced(layer, layer.depth if isinstance(layer.depth, np.ndarray) else depth_byte(layer.z)) for layer in layers]
    depth_path = out_dir / "depth.mp4"
    _encode_gray(Compositor(depth_layers, small, poses), small, request, depth_path)
    masks: dict[str, Path] = {}
    (out_dir / "masks").mkdir(exist_ok=True)
    for who in [layer.character for layer in layers if layer.character]:
        start = next(i for i, layer in enumerate(layers) if layer.character == who)
        stack = [reduced(layer, 255 if layer.character == who else 0) for layer in layers[start:]]
        path = out_dir / "masks" / f"{_safe(who)}.mp4"
        _encode_gray(Compositor([_black_base(), *stack], small, poses), small, request, path)
        masks[who] = path
    return depth_path, masks


def _black_base() -> Layer:
    """A black plate far and wide enough to fill any frame."""
    return Layer("black", 1e6, [Image.new("L", (8, 8), 0)], 8 / 1e9, (-5e8, 5e8), bbox=(0, 0, 8, 8))


def _encode_gray(compositor: Compositor, view: View, request: RenderRequest, path: Path) -> None:
    encoder = BackgroundEncoder(path, width=view.width, height=view.height, fps=request.fps, preset="ultrafast", crf=18, gray=True)
    try:
        for i in range(request.num_frames):
            encoder.send(np.asarray(compositor.frame(i)))
    except BaseException:
        encoder.abort()
        raise
    encoder.close()


def _safe(name: str) -> str:
    """A file name for a character (keeps CJK, drops path separators and control characters)."""
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "_", name).strip(". ") or "character"
