"""Where each shot's video draws start (`RenderRequest.first_frame`), and continuity between shots
(`[render] continuity = "chain"`, docs/keyframes.md).

A shot's video draws start from, in this order:
1. the last frame of the shot it continues, when it is chained (`continues`): the draw of that shot in use (the
   creator's pick, else its best current draw), its last frame extracted once to .drama/cache/frames/<key>-last.png
   (drama.render.keyframes.extract_frame; addressed by that name in cache keys). A chained shot does not use a keyframe of its own, so none is drawn for it;
2. else, with `[render] keyframes`, the shot's keyframe in use (drama.render.keyframes);
3. else nothing: the prompt alone.
Engines that take no first frame (`"first_frame"` not in their `features`, e.g. previz) are given none, and then
nothing is chained either. The image's bytes are in each draw's cache key, so a different pick upstream (a
keyframe, or the draw of the shot continued) makes exactly the draws that started from the old one stale, and
`stale_reason` says so. Chained shots are drawn after the shots they continue (`Starts.waves`).

Everything here reads, except a render's `Starts(extract=True)`, which extracts a missing last frame.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from rich.progress import Progress

from drama.project import Project
from drama.render.controls import stored_controls
from drama.render.damage import CANDIDATE_FILE
from drama.render.executor import JobResult, draw_jobs, plan_jobs, resolve_engine
from drama.render.jobs import ID_LENGTH, current_shot_key
from drama.render.keyframes import (STILL, extract_frame, frame_file, image_engine, keyframe_engine, keyframe_in_use,
                                    still_of, take_in_use)
from drama.render.request import renderable
from drama.render.state import Candidate, StateStore, WantedDraws
from drama.storyboard.model import Shot, Storyboard
from drama.storyboard.vocabulary import ShotSize

LAST = "-last.png"  # the name's end of a chain frame in .drama/cache/frames/


# How close each framing is: a chained shot opens on the last picture of the shot before, so it continues only
# framings one step apart at most (an over-the-shoulder shot frames its speaker about as a medium shot does).
FRAMING = {ShotSize.EWS: 0, ShotSize.WS: 1, ShotSize.FS: 2, ShotSize.MS: 3, ShotSize.OTS: 3, ShotSize.MCU: 4,
           ShotSize.CU: 5, ShotSize.ECU: 6}


def camera_side(shot: Shot) -> dict[str, str]:
    """Who the shot looks at and which way each faces in frame (a shoulder in the foreground aside). The planner keeps
    the camera on one side of the scene's line, so the facings tell a shot from its reverse angle."""
    return {person.name: person.facing for person in shot.characters if not person.foreground}


def continues(before: Shot, shot: Shot) -> bool:
    """Whether `shot` picks up where `before`, the shot just before it, ends: both drawn (no title card), joined by a
    cut (a dissolve, fade or dip lets time pass), neither an insert (a cutaway to an object), the same scene, place
    and inside/outside, framings at most a step apart (`FRAMING`), and the same camera side — the people both show
    face the same way in frame, and they show at least one person in common (or both show none). So a reverse
    angle, a cutaway to a listener, the shot after a cutaway and a jump from wide to close start afresh."""
    if not (renderable(before) and renderable(shot)) or shot.transition_in != "cut":
        return False
    if "insert" in (before.kind, shot.kind) or abs(FRAMING[before.size] - FRAMING[shot.size]) > 1:
        return False
    if (before.scene, before.location, before.interior) != (shot.scene, shot.location, shot.interior):
        return False
    ours, theirs = camera_side(shot), camera_side(before)
    common = ours.keys() & theirs.keys()
    if not ours and not theirs:
        return True
    return bool(common) and all(ours[name] == theirs[name] for name in common)


class Start(BaseModel):
    """Where a shot's video draws start now."""

    kind: Literal["none", "keyframe", "chain"] = "none"
    image: Path | None = None  # the first frame they are given; None for none, or while it cannot be given yet
    source: Candidate | None = None  # the keyframe, or the draw of the shot continued, the image comes from
    after: str | None = None  # chain: the shot continued
    missing: str | None = None  # why the draws cannot be given their first frame yet

    def describe(self) -> str:
        if self.source is None:
            return "its prompt alone" if self.kind == "none" else self.missing or "nothing yet"
        return f"keyframe {self.source.id}" if self.kind == "keyframe" else \
            f"shot {self.after}'s draw {self.source.id}"


class Starts:
    """The starts and cache keys of the shots of one episode's video draws on `engine`, worked out once each, in
    storyboard order (a chained shot's key depends on its predecessor's draw in use, which depends on its key …).
    `extract` (renders only) writes a chain frame that is missing; reading needs none to know the keys."""

    def __init__(self, project: Project, storyboard: Storyboard | None, store: StateStore | None, engine: str, *,
                 extract: bool = False):
        self.project, self.store, self.engine, self.extract = project, store, engine, extract
        cls = resolve_engine(engine, project)
        self.version, self.takes_first = cls.version, "first_frame" in cls.features
        self.keyframes = keyframe_engine(project)
        if self.keyframes is not None:
            image_engine(project, self.keyframes)  # a misspelt or video engine is said once, at its line of drama.toml
        shots = storyboard.shots if storyboard is not None else []
        scenes = set(project.config.render.chain_scenes)
        self._asked = {shot.id: "chain" if shot.scene in scenes and shot.continuity == "auto" else shot.continuity
                       for shot in shots}
        # whether any shot may be chained: by the rule, a scene the creator named, or a shot's own call
        self.chain = project.config.render.continuity == "chain" or bool(scenes) or "chain" in self._asked.values()
        self._before = {shot.id: before for before, shot in zip(shots, shots[1:], strict=False)}
        self._starts: dict[str, Start] = {}
        self._keys: dict[str, str | None] = {}

    @property
    def active(self) -> bool:
        """Whether any draw on the engine starts from an image."""
        return self.takes_first and (self.keyframes is not None or self.chain)

    def chained_to(self, shot: Shot) -> Shot | None:
        """The shot `shot` continues, if it is chained: by the creator's call (the shot's `continuity`, or its
        scene in `[render] chain_scenes`), whenever both are drawn shots of one scene; else by `continues` when
        `[render] continuity = "chain"`."""
        before = self._before.get(shot.id)
        if before is None or not self.takes_first:
            return None
        asked = self._asked.get(shot.id, shot.continuity)
        if asked == "chain":
            return before if renderable(before) and renderable(shot) and before.scene == shot.scene else None
        if asked == "cut" or self.project.config.render.continuity != "chain":
            return None
        return before if continues(before, shot) else None

    def start(self, shot: Shot) -> Start:
        if shot.id not in self._starts:
            self._starts[shot.id] = self._start(shot)
        return self._starts[shot.id]

    def _start(self, shot: Shot) -> Start:
        if not self.active:
            return Start()
        assert self.store is not None
        before = self.chained_to(shot)
        if before is not None:
            take = self.in_use(before)
            if take is None:
                return Start(kind="chain", after=before.id, missing=f"shot {before.id}, which it continues, has no "
                                                                    "current draw")
            image = frame_file(self.project, take.key, "last")
            if self.extract:
                try:
                    extract_frame(self.project, take.key, take.video, "last")
                except ValueError as error:  # an unreadable video: the next render sets the draw aside
                    return Start(kind="chain", source=take, after=before.id,
                                 missing=f"the video of shot {before.id}'s draw {take.id} cannot be read: {error}")
            return Start(kind="chain", image=image, source=take, after=before.id)
        if self.keyframes is not None:
            take = keyframe_in_use(self.project, self.store, shot, self.keyframes)
            if take is None:
                return Start(kind="keyframe", missing="it has no keyframe yet (drama render --stage keyframes)")
            image = still_of(take)
            if not image.is_file():
                return Start(kind="keyframe", source=take, missing=f"keyframe {take.id} has no {STILL} "
                                                                   f"({take.path}): run drama render again")
            return Start(kind="keyframe", image=image, source=take)
        return Start()

    def key(self, shot: Shot) -> str | None:
        """The cache key of the shot's video draws now; None while it cannot be known (its previz control, or the
        image it starts from, is not there yet)."""
        if shot.id not in self._keys:
            controls = stored_controls(self.project, shot, self.engine)
            start = self.start(shot) if controls is not None else None
            self._keys[shot.id] = None if start is None or (start.kind != "none" and start.image is None) else \
                current_shot_key(self.project, shot, self.engine, self.version, controls, start.image)
        return self._keys[shot.id]

    def in_use(self, shot: Shot) -> Candidate | None:
        """The shot's draw a chained successor continues: the creator's pick, else its best current draw."""
        assert self.store is not None
        return take_in_use(self.store, shot.id, self.key(shot))

    def waves(self, shots: list[Shot]) -> list[list[Shot]]:
        """`shots` (in storyboard order) in the order they can be drawn: a chained shot one wave after the shot it
        continues, when that is drawn too."""
        depth: dict[str, int] = {}
        for shot in shots:
            before = self.chained_to(shot)
            depth[shot.id] = depth[before.id] + 1 if before is not None and before.id in depth else 0
        return [[shot for shot in shots if depth[shot.id] == wave] for wave in range(max(depth.values(), default=-1) + 1)]


def render_video(project: Project, storyboard: Storyboard, shots: list[Shot], *, engine: str, draws: int,
                 wanted: dict[str, WantedDraws], store: StateStore, progress: Progress | None = None,
                 workers: int | None = None, cluster: str | None = None, notes: list[str],
                 undrawn: dict[str, str]) -> list[JobResult]:
    """The video draws of `shots`, each starting where `Starts` says, wave by wave. A shot whose first frame
    cannot be given (no keyframe, nothing drawn of the shot it continues) is not drawn: `undrawn` says why."""
    starts = Starts(project, storyboard, store, engine)
    if not starts.takes_first and (starts.keyframes is not None or starts.chain):
        notes.append(f"{engine} takes no first frame: its draws start from the prompt alone"
                     + (", not from the keyframes" if starts.keyframes else "") + (", and no shot is chained"
                                                                                  if starts.chain else ""))
    results: list[JobResult] = []
    for wave in starts.waves(shots):
        starts = Starts(project, storyboard, store, engine, extract=True)  # the draws of the wave before count now
        first: dict[str, Path] = {}
        for shot in wave:
            start = starts.start(shot)
            if start.missing is not None:
                undrawn[shot.id] = start.missing
            elif start.image is not None:
                first[shot.id] = start.image
        ready = [shot.id for shot in wave if shot.id not in undrawn]
        if ready:
            jobs = plan_jobs(project, storyboard, draws=draws, shot_ids=ready, engine=engine, wanted=wanted,
                             store=store, first_frames=first)
            results += draw_jobs(project, jobs, engine, store=store, progress=progress, workers=workers,
                                 cluster=cluster, notes=notes)
    return results


def _storyboard_of(project: Project, shot_id: str) -> Storyboard | None:
    """The current storyboard of the episode that holds `shot_id` (reading only), or None."""
    from drama.pipeline import prepare_episode
    from drama.storyboard import episode_ids, plan_episode

    for episode in episode_ids(project):
        if any(shot.id == shot_id for shot in plan_episode(project, episode).shots):
            return prepare_episode(project, episode).storyboard
    return None


@contextmanager
def starts_for(project: Project, shot: Shot, engine: str, store: StateStore | None = None) -> Iterator[Starts]:
    """`Starts` for one shot when the caller has none at hand: its episode is planned (reading only) when chaining
    needs it, the state store opened when none is given and a start needs it."""
    bare = Starts(project, None, None, engine)
    chained = bare.chain or shot.continuity == "chain"  # a shot's own call is seen only with its episode
    if not (bare.active or (bare.takes_first and chained)):
        yield bare
        return
    storyboard = _storyboard_of(project, shot.id) if chained else None
    if store is not None:
        yield Starts(project, storyboard, store, engine)
        return
    with StateStore(project) as own:
        yield Starts(project, storyboard, own, engine)


def drawn_from(candidate: Candidate) -> tuple[Literal["none", "keyframe", "chain", "other"], str | None]:
    """What a video draw started from, by its candidate.json: nothing, a keyframe or the last frame of a draw (with
    that draw's key), or an image drama did not give it. OSError or ValueError when the record cannot be read."""
    record = json.loads((candidate.path / CANDIDATE_FILE).read_text(encoding="utf-8"))
    first = record["request"].get("first_frame")
    if not first:
        return "none", None
    path = Path(first)
    if path.name == STILL:
        return "keyframe", path.parent.name  # renders/<key>/still.png
    if path.name.endswith(LAST):
        return "chain", path.name[: -len(LAST)]  # .drama/cache/frames/<key>-last.png
    return "other", None


def stale_reason(project: Project, store: StateStore, shot: Shot, candidate: Candidate, *,
                 starts: Starts | None = None, engine: str | None = None) -> str | None:
    """Why the video draw `candidate` of `shot` no longer starts where the shot's draws start now — e.g. "drawn from
    keyframe 3f2a…; the keyframe pick is now 9c1d…" or "chained from shot 1-1's draw ab12…; 1-1's pick is now
    cd34…" — or what is missing to know it; None when it starts where they start now (if it is stale, the shot
    itself changed). Reads only. `starts` (the episode's, on the engine the draw's key is for) saves planning the
    episode again for each card."""
    try:
        kind, key = drawn_from(candidate)
    except (OSError, ValueError, KeyError, TypeError):
        return f"the record of draw {candidate.id} ({candidate.path / CANDIDATE_FILE}) cannot be read"
    if kind == "other":
        return None
    if starts is not None:
        now = starts.start(shot)
    else:
        with starts_for(project, shot, engine or candidate.engine, store) as around:
            now = around.start(shot)
    if kind == now.kind and key == (now.source.key if now.source else None):
        return now.missing
    drawn = key[:ID_LENGTH] if key else None
    continued = None
    if kind == "keyframe":
        was = f"drawn from keyframe {drawn}"
    elif kind == "chain":
        continued = store.candidate(drawn) if drawn else None
        was = f"chained from shot {continued.shot_id if continued else '(a draw no longer recorded)'}'s draw {drawn}"
    else:
        was = "drawn from its prompt alone"
    if kind == now.kind == "keyframe":
        return f"{was}; the keyframe pick is now {now.source.id}" if now.source else f"{was}; {now.missing}"
    if kind == now.kind == "chain" and continued is not None and continued.shot_id == now.after:
        return f"{was}; {now.after}'s pick is now {now.source.id}" if now.source else f"{was}; {now.missing}"
    return f"{was}; the shot now starts from {now.describe()}"
