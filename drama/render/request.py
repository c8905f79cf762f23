"""From a storyboard Shot to the engine's RenderRequest: the one place screenplay concepts become pixels asked for."""

from __future__ import annotations

import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from drama.errors import ProjectError
from drama.project import Project
from drama.project.project import toml_line
from drama.storyboard.model import Shot
from engine.api import CameraMove, CharacterRef, Control, Placement, RenderRequest, SceneContext

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MAX_MEGAPIXELS = 40  # a portrait needs a few; beyond this an image only costs memory (and may be a decompression bomb)
_ENGINE_TIMES = ("day", "night", "dawn", "dusk", "morning", "evening")


def draft_size(project: Project) -> tuple[int, int]:
    """Candidates render at the project's video size × draft_scale, rounded to even numbers for H.264."""
    video = project.config.video
    scale = video.draft_scale
    return max(16, round(video.width * scale / 2) * 2), max(16, round(video.height * scale / 2) * 2)


def _normalise(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def location_image(project: Project, location: str) -> Path | None:
    """An image in the project's locations/ folder named like the location: exact name first, then a file whose
    name is contained in the location (客厅.png for 顾家别墅客厅) — the longest such name wins."""
    folder = project.root / "locations"
    wanted = _normalise(location)
    if not wanted or not folder.is_dir():
        return None
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    by_name = {_normalise(p.stem): p for p in images if _normalise(p.stem)}
    if wanted in by_name:
        return by_name[wanted]
    contained = [name for name in by_name if name in wanted]
    return by_name[max(contained, key=len)] if contained else None


@lru_cache(maxsize=256)
def _image_problem(path: Path, mtime_ns: int, size: int) -> tuple[str, str] | None:
    """What makes an image unusable (unreadable, or too large) and the remedy, from its header alone; None when it
    is fine. Memoised per file version: every shot of a character or a set asks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is judged below
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:  # past PIL's own limit, which refuses before saying the size
        problem = f"is larger than {Image.MAX_IMAGE_PIXELS * 2 / 1e6:.0f} megapixels"
    except (UnidentifiedImageError, OSError):
        return "is not an image that can be read", "save it as PNG or JPEG"
    else:
        if width * height <= MAX_MEGAPIXELS * 1_000_000:
            return None
        problem = f"is {width}×{height} ({width * height / 1e6:.0f} megapixels)"
    return problem, f"scale it down to at most {MAX_MEGAPIXELS} megapixels (1024×1536 is plenty)"


def image_problem(path: Path) -> tuple[str, str] | None:
    """What keeps an image the engine would be given from serving (missing, unreadable, too large) and the remedy."""
    try:
        stat = path.stat()
    except OSError:
        return "is not there", "put the image there"
    return _image_problem(path, stat.st_mtime_ns, stat.st_size)


def _check_reference(project: Project, name: str, image: Path) -> None:
    """A ProjectError at the cast.toml line of the reference when the image cannot serve as one."""
    problem = image_problem(image)
    if problem is None:
        return
    cast_path = project.root / "cast.toml"
    line = next((toml_line(cast_path.read_text(encoding="utf-8-sig"), ("character", index, "references", number))
                 for index, character in enumerate(project.cast.character) if character.name == name
                 for number, reference in enumerate(character.references)
                 if (project.root / reference).resolve() == image.resolve()), None)
    raise ProjectError(f"the reference image of {name!r}, {image}, {problem[0]}", path=cast_path, line=line,
                       hint=f"{problem[1]}, or point `references` of {name!r} at another image")


def _location(project: Project, location: str) -> Path | None:
    """The location's image (see `location_image`), checked as a reference is."""
    image = location_image(project, location)
    problem = image_problem(image) if image is not None else None
    if problem is not None:
        raise ProjectError(f"the image of the location {location!r} {problem[0]}", path=image,
                           hint=f"{problem[1]}, or move it out of locations/ (the set is then drawn)")
    return image


def _character(project: Project, shot: Shot, index: int) -> CharacterRef:
    on_screen = shot.characters[index]
    cast_entry = project.cast.find(on_screen.name)
    for image in on_screen.reference_images:
        _check_reference(project, on_screen.name, Path(image))
    return CharacterRef(
        name=on_screen.name,
        description=cast_entry.description if cast_entry else "",
        reference_images=tuple(Path(p) for p in on_screen.reference_images),
        color=cast_entry.color if cast_entry else "#888888",
        placement=Placement(x=on_screen.x, facing=on_screen.facing, speaking=on_screen.speaking,
                            foreground=on_screen.foreground),
    )


def build_request(project: Project, shot: Shot, seed: int, engine: str | None = None,
                  controls: tuple[Control, ...] = (), first_frame: Path | None = None) -> RenderRequest:
    """The request for one draw of a shot on `engine` (default: drama.toml's): a pure function of the project,
    the shot, the `controls` the draw follows (`drama.render.controls`) and the image it starts from
    (`drama.render.continuity`: a keyframe, or the last frame of the shot it continues); the bytes of both are
    part of the cache key. Title cards have no request: the edit draws them."""
    if shot.kind == "title_card":
        raise ValueError(f"shot {shot.id} is a title card; title cards are drawn by the edit, not rendered")
    width, height = draft_size(project)
    fps = project.config.video.fps
    render = project.config.render
    return RenderRequest(
        prompt=shot.prompt,
        negative_prompt=shot.negative_prompt,
        width=width,
        height=height,
        fps=fps,
        num_frames=max(1, round(shot.duration * fps)),
        seed=seed,
        shot_size=shot.size.value,
        angle=shot.angle.value,
        camera=CameraMove(kind=shot.move.value, direction=shot.move_direction, strength=shot.move_strength),
        characters=tuple(_character(project, shot, i) for i in range(len(shot.characters))),
        scene=SceneContext(
            location=shot.location,
            interior=shot.interior,
            time_of_day=shot.time_of_day if shot.time_of_day in _ENGINE_TIMES else "day",
            location_image=_location(project, shot.location),
            props=tuple(shot.props),
            extras=shot.extras,
        ),
        controls=controls,
        first_frame=first_frame,
        options=project.engine_options(engine or render.engine, pixels_only=True),
    )


def renderable(shot: Shot) -> bool:
    return shot.kind != "title_card"
