"""Labelled training data from the previz engine: random shots (set, time of day, a character, size, camera
move with direction and strength) rendered small, each with its exact camera path, its depth, the character's
mask and a subject reference cut from its first frame. The prompt names the place, the time, the person and
the framing, never the move and never the garment colour: those are what the camera and the reference
conditioning must carry. Some (set × move) and (set × colour) combinations never occur in training, so the
proofs measure composition, not memory.

On disk an example is `NAME.npz` (video [T, H, W, 3], depth [T, H, W], mask [T, H, W], reference [H, W, 3],
all uint8, lossless) beside `NAME.json` (prompt, fps, labels, camera path).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.api import CameraMove, CameraPose, CharacterRef, Placement, RenderRequest, SceneContext

SETS: dict[str, bool] = {  # set → interior
    "office": True, "cafe": True, "classroom": True, "bar": True, "living room": True, "kitchen": True,
    "street": False, "beach": False, "forest": False, "park": False, "rooftop": False, "bridge": False,
}
TIMES = ("day", "night", "dusk")
SIZES = {"WS": "wide shot", "FS": "full shot", "MS": "medium shot", "MCU": "medium close-up"}
MOVES: tuple[tuple[str, int], ...] = (
    ("static", 1), ("pan", 1), ("pan", -1), ("tilt", 1), ("tilt", -1), ("dolly_in", 1), ("dolly_out", 1),
    ("truck", 1), ("truck", -1), ("zoom", 1), ("zoom", -1),
)
COLOURS: dict[str, tuple[int, int, int]] = {  # garment colours: what the previz draws for "a … in a red jacket"
    "red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (230, 200, 40),
}
PEOPLE = ("man", "woman")
FPS = 16.0
_SET_NAMES = list(SETS)
# Each move is never seen in two sets, each garment colour never in three: held out for the proofs.
HELD_OUT_MOVES: frozenset[tuple[str, str, int]] = frozenset(
    (_SET_NAMES[(2 * i + k) % len(SETS)], kind, direction) for i, (kind, direction) in enumerate(MOVES) for k in range(2)
)
HELD_OUT_COLOURS: frozenset[tuple[str, str]] = frozenset(
    (_SET_NAMES[(3 * i + k + 1) % len(SETS)], colour) for i, colour in enumerate(COLOURS) for k in range(3)
)


@dataclass(frozen=True)
class ShotSpec:
    """One random shot: what the previz is asked to draw."""

    set: str
    time: str
    size: str
    move: str
    direction: int
    strength: float
    colour: str
    person: str
    x: float
    seed: int

    @property
    def prompt(self) -> str:
        when = {"day": "by day", "night": "at night", "dusk": "at dusk"}[self.time]
        return f"a {self.person} in the {self.set} {when}, {SIZES[self.size]}"

    def request(self, size: int, frames: int) -> RenderRequest:
        character = CharacterRef(
            name="A", description=f"a {self.person} in a {self.colour} jacket", placement=Placement(x=self.x),
        )
        return RenderRequest(
            prompt=self.prompt, width=size, height=size, fps=FPS, num_frames=frames, seed=self.seed, shot_size=self.size,
            camera=CameraMove(kind=self.move, direction=self.direction, strength=self.strength),
            characters=(character,), scene=SceneContext(location=self.set, interior=SETS[self.set], time_of_day=self.time),
            options={"side_channels": True, "side_scale": 1.0},
        )


@dataclass
class Example:
    video: np.ndarray  # [T, H, W, 3] uint8
    depth: np.ndarray  # [T, H, W] uint8, near = bright
    mask: np.ndarray  # [T, H, W] uint8, the character
    reference: np.ndarray  # [H, W, 3] uint8: the character cut from frame 0 on grey
    poses: list[CameraPose]
    prompt: str
    fps: float
    labels: dict = field(default_factory=dict)


def random_spec(rng: np.random.Generator, seed: int, held_out: bool = False) -> ShotSpec:
    """A random shot from the training combinations, or (held_out) from the combinations training never sees:
    a held-out (set, move) with a colour, or a held-out (set, colour) with a move."""
    while True:
        name = _SET_NAMES[rng.integers(len(SETS))]
        kind, direction = MOVES[rng.integers(len(MOVES))]
        colour = list(COLOURS)[rng.integers(len(COLOURS))]
        unseen = (name, kind, direction) in HELD_OUT_MOVES or (name, colour) in HELD_OUT_COLOURS
        if unseen == held_out:
            break
    return ShotSpec(
        set=name, time=TIMES[rng.integers(len(TIMES))], size=list(SIZES)[rng.integers(len(SIZES))], move=kind,
        direction=direction, strength=float(rng.uniform(1.0, 1.6)), colour=colour,
        person=PEOPLE[rng.integers(len(PEOPLE))], x=float(rng.uniform(0.3, 0.7)), seed=seed,
    )


def _shrink(frames: np.ndarray, factor: int) -> np.ndarray:
    """Average `factor`² pixel blocks of [..., H, W(, C)] uint8 frames (anti-aliased downsampling)."""
    if factor == 1:
        return frames
    spatial = frames.shape[-3:-1] if frames.ndim == 4 else frames.shape[-2:]
    h, w = spatial[0] // factor, spatial[1] // factor
    if frames.ndim == 4:
        blocks = frames.reshape(frames.shape[0], h, factor, w, factor, 3).mean(axis=(2, 4))
    else:
        blocks = frames.reshape(frames.shape[0], h, factor, w, factor).mean(axis=(2, 4))
    return np.round(blocks).astype(np.uint8)


def subject_reference(frame: np.ndarray, mask: np.ndarray, grey: int = 128) -> np.ndarray:
    """The masked subject of one frame, cropped to its box (square, with a margin), on grey, at the frame's size."""
    from PIL import Image

    h, w = mask.shape
    ys, xs = np.nonzero(mask > 127)
    canvas = np.full_like(frame, grey)
    if len(ys) == 0:
        return canvas
    keep = mask[..., None].astype(np.float32) / 255.0
    cut = (frame * keep + grey * (1 - keep)).round().astype(np.uint8)
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2 + 2
    pad = round(half) + 1  # a box past the frame's edge is grey, not black
    cut = np.pad(cut, ((pad, pad), (pad, pad), (0, 0)), constant_values=grey)
    box = (round(cx - half) + pad, round(cy - half) + pad, round(cx + half) + pad, round(cy + half) + pad)
    return np.asarray(Image.fromarray(cut).crop(box).resize((w, h), Image.BILINEAR))


def render_example(spec: ShotSpec, size: int, frames: int, supersample: int = 2) -> Example:
    """Draw one shot on the previz at `supersample` × `size` and shrink it (and its side channels) to `size`."""
    from engine.previz.engine import PrevizEngine
    from engine.video import read_frames

    with tempfile.TemporaryDirectory(prefix="drama-previz-data-") as tmp:
        clip = PrevizEngine().render(spec.request(size * supersample, frames), Path(tmp))
        video = np.stack(list(read_frames(clip.video)))
        depth = np.stack(list(read_frames(clip.depth)))[..., 0]
        mask = np.stack(list(read_frames(clip.masks["A"])))[..., 0]
    video, depth, mask = _shrink(video, supersample), _shrink(depth, supersample), _shrink(mask, supersample)
    labels = {"set": spec.set, "time": spec.time, "size": spec.size, "move": spec.move, "direction": spec.direction,
              "strength": round(spec.strength, 3), "colour": spec.colour, "person": spec.person, "seed": spec.seed}
    return Example(video, depth, mask, subject_reference(video[0], mask[0]), list(clip.camera_path or []), spec.prompt, FPS, labels)


def save_example(example: Example, path: Path) -> None:
    """`path`.npz and `path`.json, each written whole or not at all."""
    npz, meta = path.with_suffix(".npz"), path.with_suffix(".json")
    partial = npz.with_name(npz.stem + ".partial.npz")
    np.savez_compressed(partial, video=example.video, depth=example.depth, mask=example.mask, reference=example.reference)
    partial.replace(npz)
    record = {"prompt": example.prompt, "fps": example.fps, "labels": example.labels,
              "camera_path": [pose.model_dump() for pose in example.poses]}
    meta.with_suffix(".partial").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    meta.with_suffix(".partial").replace(meta)


def load_example(path: Path) -> Example:
    """An example saved by `save_example` (`path` is either of its two files, or their common stem)."""
    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(path.with_suffix(".npz")) as arrays:
        video, depth, mask, reference = (arrays[k] for k in ("video", "depth", "mask", "reference"))
    poses = [CameraPose.model_validate(p) for p in meta["camera_path"]]
    return Example(video, depth, mask, reference, poses, meta["prompt"], float(meta["fps"]), meta.get("labels", {}))


def example_paths(root: Path) -> list[Path]:
    """The examples of a dataset folder: every NAME.npz with its NAME.json."""
    return sorted(p for p in Path(root).glob("*.npz") if p.with_suffix(".json").is_file() and not p.stem.endswith(".partial"))


def _make_one(out: Path, i: int, size: int, frames: int, seed: int, held_out: bool) -> Path:
    """Example `i` of a dataset: the same shot for the same (seed, i, held_out), rendered unless already saved."""
    path = out / f"{i:06d}"
    if not (path.with_suffix(".npz").is_file() and path.with_suffix(".json").is_file()):
        rng = np.random.default_rng([seed, i, int(held_out)])
        save_example(render_example(random_spec(rng, seed=1_000_003 * seed + i, held_out=held_out), size, frames), path)
    return path.with_suffix(".npz")


def make_dataset(
    out: Path, count: int, size: int = 32, frames: int = 17, seed: int = 0, held_out: bool = False, workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Render `count` random shots into `out` on `workers` processes. Example i is the same shot whenever it is
    made, and examples already saved are kept, so an interrupted run resumes where it stopped; with `held_out`,
    only the combinations training never sees."""
    if size % 16:
        raise ValueError(f"--size must be a multiple of 16 (the DiT's latent grid), got {size}")
    if frames < 5 or (frames - 1) % 4:
        raise ValueError(f"--frames must be 1 + 4k and at least 5 (the causal VAE's time grid), got {frames}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda done, total: None)
    if workers <= 1:
        paths = []
        for i in range(count):
            paths.append(_make_one(out, i, size, frames, seed, held_out))
            report(i + 1, count)
        return paths
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(_make_one, out, i, size, frames, seed, held_out) for i in range(count)]
        for done, future in enumerate(futures, 1):
            future.result()
            report(done, count)
    return [future.result() for future in futures]


def contact_sheet(paths: list[Path], out: Path) -> Path:
    """A picture of some examples, one row each: first, middle and last frame, depth, mask and reference."""
    from PIL import Image

    rows = []
    for path in paths:
        e = load_example(path)
        grey = [np.repeat(channel[..., None], 3, axis=-1) for channel in (e.depth[0], e.mask[0])]
        rows.append(np.concatenate([e.video[0], e.video[len(e.video) // 2], e.video[-1], *grey, e.reference], axis=1))
    picture = np.concatenate(rows, axis=0)
    scale = max(1, 128 // rows[0].shape[0])  # rows 128 pixels tall, whatever the size
    Image.fromarray(picture).resize((picture.shape[1] * scale, picture.shape[0] * scale), Image.NEAREST).save(out)
    return out
