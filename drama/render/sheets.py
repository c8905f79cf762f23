"""Character sheets: `drama cast sheet PROJECT NAME` draws a character who has no portraits yet from their
cast.toml description, as stills seen from the front, at three quarters and from the side; the creator picks one
per view (`--pick`, or on the review page) and the picks become the character's references — files under refs/,
listed in cast.toml — which every shot they are in keeps the face from.

Each view is a state-store track of its own (`sheet_track(name, view)`, drama.render.tracks), drawn through
`render_jobs` like any shot: cached by content, stale when the description changes, and a paid image engine goes
through the task queue, the budget and the ledger (a sheet's spend is booked under the episode "cast"), and a
local one where `[render] workers` or `cluster` say.

Planning is pure (`sheet_jobs`); drawing and picking are the side effects, each refusing before it writes.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from drama.atomic import write_bytes, write_text
from drama.errors import ProjectError, RenderError, did_you_mean
from drama.project import Project
from drama.project.config import Character
from drama.project.project import toml_line
from drama.render.executor import JobResult, draw_jobs, resolve_engine
from drama.render.jobs import Job, track_jobs
from drama.render.request import draft_size
from drama.render.state import Candidate, StateStore, named
from drama.render.tracks import SHEET_EPISODE, VIEWS, character_of, sheet_track, view_of
from drama.storyboard.prompts import load_style
from engine.api import CharacterRef, Placement, RenderRequest, SceneContext

DEFAULT_ENGINE = "previz-image"
# view → (how the prompt says it, the framing, which way the figure faces): the front and three-quarter views at
# medium shot (the face is what references keep), the side view at full shot (the silhouette and build)
VIEW_SHOTS: dict[str, tuple[str, str, str]] = {
    "front": ("front view, facing the camera, looking into the lens", "MS", "front"),
    "three_quarter": ("three-quarter view, body and face turned 45 degrees to the side", "MS", "right"),
    "side": ("side view, in profile, full figure from head to toe", "FS", "right"),
}
BACKDROP = "plain neutral grey studio backdrop, soft even light, one person alone, nobody else in frame"
NEGATIVE = "two people, crowd, text, watermark, busy background, props, cropped head"


def view_label(view: str) -> str:
    return view.replace("_", " ")


class PortraitsExist(ProjectError):
    """A pick for a character whose references are not a sheet's (their own portraits): needs `replace`."""


@dataclass(frozen=True)
class SheetReport:
    """What `draw_sheet` did: the character, the engine, and one result per draw (every view's, in view order)."""

    name: str
    engine: str
    results: list[JobResult]

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]


def cast_path(project: Project) -> Path:
    return project.root / "cast.toml"


def _cast_text(project: Project) -> str:
    try:
        return cast_path(project).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return ""


def find_character(project: Project, name: str) -> tuple[int, Character]:
    """The character `name` names (or an alias of) in cast.toml and its index there; a ProjectError naming
    cast.toml otherwise."""
    character = project.cast.find(name)
    if character is None:
        names = [c.name for c in project.cast.character]
        raise ProjectError(f"no character {name!r} in cast.toml", path=cast_path(project),
                           hint=did_you_mean(name, names) or (f"the characters are: {', '.join(names)}" if names else
                                                              "add a [[character]] with its name and description "
                                                              "(`drama cast init PROJECT` proposes them)"))
    return project.cast.character.index(character), character


def _character_line(project: Project, index: int, key: str) -> int | None:
    return toml_line(_cast_text(project), ("character", index, key))


def sheet_request(project: Project, character: Character, view: str, engine: str, seed: int = 0) -> RenderRequest:
    """The still asked for one view of a character: their description, the view and a neutral backdrop in the
    project's style, one person; the view also as `options["view"]` for engines that pose a figure."""
    words, size, facing = VIEW_SHOTS[view]
    style = load_style(project.config.style)
    width, height = draft_size(project)
    return RenderRequest(
        prompt=f"Character sheet of {character.name}: {character.description.strip()}. {words}. {BACKDROP}. "
               f"{style.prompt}",
        negative_prompt=", ".join(part for part in (NEGATIVE, style.negative) if part),
        width=width, height=height, fps=project.config.video.fps, num_frames=1, seed=seed, shot_size=size,
        angle="eye",
        characters=(CharacterRef(name=character.name, description=character.description, color=character.color,
                                 placement=Placement(x=0.5, facing=facing)),),
        scene=SceneContext(location="neutral studio backdrop", interior=True, time_of_day="day"),
        options={**project.engine_options(engine, pixels_only=True), "view": view},
    )


def sheet_engine(project: Project, engine: str | None) -> str:
    """The image engine sheets are drawn on: `engine` if given, else `[render] keyframes`, else previz-image."""
    name = engine or project.config.render.keyframes or DEFAULT_ENGINE
    if resolve_engine(name, project).kind != "image":
        raise RenderError(f"engine {name!r} draws video; a character sheet is drawn on an image engine",
                          hint=f"pass --engine with an image engine, e.g. --engine {DEFAULT_ENGINE}")
    return name


def sheet_jobs(project: Project, character: Character, engine: str, draws: int) -> list[Job]:
    """Draws 0..draws-1 of every view of the character's sheet (pure: nothing is drawn or written)."""
    version = resolve_engine(engine, project).version
    return [job for view in VIEWS for job in track_jobs(SHEET_EPISODE, sheet_track(character.name, view),
                                                         sheet_request(project, character, view, engine),
                                                         range(draws), engine, version)]


def draw_sheet(project: Project, name: str, *, engine: str | None = None, draws: int | None = None,
               force: bool = False, progress: Progress | None = None) -> SheetReport:
    """Make sure every view of the character's sheet has `draws` draws (default `[render] draws`) of their
    description as it is now: only missing ones are drawn, earlier versions' marked stale. A character who has
    portraits already is refused unless `force`."""
    index, character = find_character(project, name)
    if character.references and not force:
        raise ProjectError(f"{character.name} already has portraits: {', '.join(character.references)}",
                           path=cast_path(project), line=_character_line(project, index, "references"),
                           hint="their shots keep the face from those; pass --force to draw a sheet anyway")
    if not character.description.strip():
        raise ProjectError(f"{character.name} has no description: the sheet is drawn from it",
                           path=cast_path(project), line=_character_line(project, index, "name"),
                           hint="write their appearance in `description` (age, hair, face, clothes)")
    engine = sheet_engine(project, engine)
    jobs = sheet_jobs(project, character, engine, draws or project.config.render.draws)
    with StateStore(project) as store:
        results = draw_jobs(project, jobs, engine, store=store, progress=progress)
    return SheetReport(name=character.name, engine=engine, results=results)


def sheet_candidates(store: StateStore, name: str) -> dict[str, list[Candidate]]:
    """View → the character's sheet draws of that view, current ones first, best score first."""
    return {view: store.candidates(sheet_track(name, view)) for view in VIEWS}


def _find_draw(store: StateStore, candidate_id: str) -> Candidate:
    """The sheet draw an id (or a unique prefix of at least 4 characters) names."""
    drawn = store.candidates(episode=SHEET_EPISODE)
    matches = named(drawn, candidate_id)
    if len(matches) != 1:
        problem = "is ambiguous among" if matches else "is not one of"
        raise RenderError(f"{candidate_id!r} {problem} the character sheets' draws", path=store.path,
                          hint=did_you_mean(candidate_id, [c.id for c in drawn]) or
                          "`drama cast sheet PROJECT NAME` draws a sheet and lists its draws")
    return matches[0]


def reference_path(name: str, view: str) -> str:
    """Where the pick of a view goes, relative to the project: refs/<name>-<view>.png (a name's characters that
    no file system takes replaced by _)."""
    stem = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in name).lstrip(".") or "_"
    return f"refs/{stem}-{view}.png"


def pick_sheet(project: Project, name: str | None, candidate_ids: list[str], *, replace: bool = False) -> list[str]:
    """Make the picked sheet draws (one per view at most) the character's references: each still copied to
    refs/<name>-<view>.png, cast.toml's `references` of the character set to the sheet's files (its other lines
    and comments as they were), and the pick recorded on the view's track. Refuses, before writing anything, a
    draw of another character than `name` (when given), two picks of one view, a character whose references are
    not a sheet's unless `replace`, and a file in refs/ that is someone else's. Returns the references now."""
    if not candidate_ids:
        raise RenderError("no draw to pick", hint="give the ids of the draws to pick, one per view")
    with StateStore(project) as store:
        picked = [_find_draw(store, candidate_id) for candidate_id in candidate_ids]
    owner = find_character(project, name)[1].name if name is not None else character_of(picked[0].shot_id) or ""
    others = [c for c in picked if character_of(c.shot_id) != owner]
    if others:
        raise RenderError(f"not a draw of {owner}'s sheet: " +
                          ", ".join(f"{c.id} (of {character_of(c.shot_id)})" for c in others),
                          hint="pick the draws of one character at a time")
    index, character = find_character(project, owner)
    by_view: dict[str, Candidate] = {}
    for candidate in picked:
        view = view_of(candidate.shot_id) or ""
        if view in by_view:
            raise RenderError(f"two picks of the {view_label(view)} view: {by_view[view].id} and {candidate.id}",
                              hint="pick one draw per view")
        by_view[view] = candidate
    sheet = {view: reference_path(character.name, view) for view in VIEWS}
    foreign = [ref for ref in character.references if ref not in sheet.values()]
    if foreign and not replace:
        raise PortraitsExist(f"{character.name} already has references: {', '.join(foreign)}", path=cast_path(project),
                           line=_character_line(project, index, "references"),
                           hint="pass --replace to make the sheet's picks their references instead (the old files "
                                "stay in refs/)")
    for candidate in by_view.values():
        if not (candidate.path / "still.png").is_file():
            raise RenderError(f"draw {candidate.id} has no still.png ({candidate.path})",
                              hint=f"draw the sheet again (drama cast sheet PROJECT {character.name!r}) and pick anew")
    for view, candidate in by_view.items():
        target = project.root / sheet[view]
        if target.exists() and sheet[view] not in character.references and \
                target.read_bytes() != (candidate.path / "still.png").read_bytes():
            raise ProjectError(f"{sheet[view]} is already there and is not {character.name}'s sheet", path=target,
                               hint="move that file aside (or rename it) and pick again")
    references = [sheet[view] for view in VIEWS if view in by_view or sheet[view] in character.references]
    text = set_references(_cast_text(project), index, references, path=cast_path(project))
    for view, candidate in by_view.items():
        write_bytes(project.root / sheet[view], (candidate.path / "still.png").read_bytes())
    write_text(cast_path(project), text)
    with StateStore(project) as store:
        for candidate in by_view.values():
            store.pick(candidate.shot_id, candidate.id)
    return references


def _value_end(lines: list[str], start: int, column: int) -> tuple[int, int]:
    """Where a TOML array that opens at lines[start][column] closes: (line, column just past its `]`). Strings and
    comments are skipped, so a `]` inside them does not close it."""
    depth, quote = 0, ""
    for number in range(start, len(lines)):
        line = lines[number]
        position = column if number == start else 0
        while position < len(line):
            char = line[position]
            if quote:
                if char == "\\" and quote == '"':
                    position += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return number, position + 1
            position += 1
    raise ValueError("the array does not close")


def set_references(text: str, index: int, references: list[str], *, path: Path) -> str:
    """cast.toml's text with the `references` of its `index`-th [[character]] set to `references`, by editing that
    one key's lines (or replacing the commented-out `# references = …` that `drama cast init` writes, or adding the
    key at the end of the table): every other line and comment stays as it was. The result is read back and must
    differ from the original in that key alone; otherwise a ProjectError says to edit by hand."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    value = f"references = [{', '.join(json.dumps(ref, ensure_ascii=False) for ref in references)}]"
    found = toml_line(text, ("character", index, "references"))
    header = toml_line(text, ("character", index))
    try:
        if found is not None and found != header:  # the key is there: its value (maybe several lines) is replaced
            first = found - 1
            line = lines[first]
            end, column = _value_end(lines, first, line.index("=") + 1)
            indent = line[: len(line) - len(line.lstrip())]
            lines[first: end + 1] = [indent + value + lines[end][column:]]
        else:
            if header is None:
                raise ValueError("the character's table is not there")
            table_end = next((n for n in range(header, len(lines)) if lines[n].lstrip().startswith("[")), len(lines))
            hint = next((n for n in range(header, table_end)
                         if lines[n].lstrip().startswith("#") and lines[n].lstrip("# \t").startswith("references")),
                        None)
            if hint is not None:
                lines[hint] = value + newline
            else:
                last = max((n for n in range(header - 1, table_end)
                            if lines[n].strip() and not lines[n].lstrip().startswith("#")), default=header - 1)
                if not lines[last].endswith(("\n", "\r")):
                    lines[last] += newline
                lines.insert(last + 1, value + newline)
        edited = "".join(lines)
        before, after = tomllib.loads(text), tomllib.loads(edited)
        before["character"][index]["references"] = references
        if before != after:
            raise ValueError("the edit changed more than the references")
    except (ValueError, KeyError, IndexError, tomllib.TOMLDecodeError) as error:
        raise ProjectError(f"cannot set the references of the character at [[character]] number {index + 1}: {error}",
                           path=path, line=found or header,
                           hint=f"write `{value}` in that [[character]] by hand") from None
    return edited
