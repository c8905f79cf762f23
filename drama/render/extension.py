"""Long shots on Kling: a shot longer than its Kling take (Kling draws 5 or 10 s) is extended by Kling's
video-extend, each call adding up to 5 s to the whole video, until the take covers the shot (3 minutes at most).

Each extension is a draw of the shot's extension track ("1-2/extend", drama.render.tracks), the k-th working on the
(k-1)-th's video (the first on the pick), through drama's task queue: recorded before it is waited on, resumed,
budgeted, booked, cached. The edit cuts the last extension of the chain that starts from the pick in use
(`extended_take`); a new pick starts a new chain. Local engines need no pass: a draw longer than the engine's
longest is drawn in parts there and then (drama.render.extend).
"""

from __future__ import annotations

from drama.pipeline import PreparedEpisode
from drama.project import Project
from drama.render.executor import render_jobs
from drama.render.passes import PassResult, check_shot_ids, made_from, pass_job, read_clip
from drama.render.request import renderable
from drama.render.state import Candidate, StateStore
from drama.render.tracks import extend_track
from drama.storyboard.model import Shot
from engine.api import RenderRequest

ENGINE = "kling-extend"
LONGEST = 180.0  # seconds: Kling extends a video to 3 minutes at most
SLACK = 0.1  # seconds a take may fall short of its shot before it is extended (the edit holds its last frame)


def seconds_of(clip: dict) -> float:
    return int(clip["num_frames"]) / float(clip["fps"])


def covers(shot: Shot, clip: dict) -> bool:
    return seconds_of(clip) >= shot.duration - SLACK


def extension_reason(shot: Shot, pick: Candidate | None, clip: dict) -> str | None:
    """Why the take of a shot longer than it can get no extension, else None."""
    if pick is None:
        return "no take drawn yet: run `drama render` first"
    if not clip.get("meta", {}).get("video_id"):
        return (f"the take {pick.id} was drawn on {pick.engine}, not on Kling: video-extend works on Kling's own "
                "videos (local engines draw long shots in parts when they draw them)")
    if shot.duration > LONGEST:
        return f"the shot is {shot.duration:.0f} s; Kling extends a video to {LONGEST:.0f} s at most"
    return None


def extend_request(project: Project, shot: Shot, source: Candidate, clip: dict) -> RenderRequest:
    options = {**project.engine_options(ENGINE, pixels_only=True), "video_id": str(clip["meta"]["video_id"])}
    return RenderRequest(prompt=shot.prompt, negative_prompt=shot.negative_prompt, width=int(clip["width"]),
                         height=int(clip["height"]), fps=float(clip["fps"]), num_frames=int(clip["num_frames"]),
                         source_video=source.video, options=options)


def extended_take(store: StateStore, shot_id: str, pick: Candidate) -> Candidate | None:
    """The last extension of the chain that starts from `pick` (each made from the one before), else None."""
    candidates = store.candidates(extend_track(shot_id))
    last, source = None, pick
    while (following := made_from(candidates, source)) is not None:
        last = source = following
    return last


def extend_episode(project: Project, prepared: PreparedEpisode, *, shot_ids: list[str] | None = None,
                   store: StateStore | None = None) -> list[PassResult]:
    """Extend the take of every shot longer than it (or of the given shots): one chain of extensions per shot,
    each job waiting for the one before; one skip with its reason per shot that needs or gets none."""
    storyboard = prepared.storyboard
    check_shot_ids(storyboard, shot_ids)
    own_store = store is None
    store = store or StateStore(project)
    results: list[PassResult] = []
    try:
        for shot in storyboard.shots:
            if not renderable(shot) or (shot_ids and shot.id not in shot_ids):
                continue
            pick = store.pick_for(shot.id)
            clip = read_clip(pick) if pick is not None else {}
            if pick is not None and covers(shot, clip):  # the usual case: said only of shots asked for by name
                if shot_ids:
                    results.append(PassResult(shot_id=shot.id, status="skipped", reason=f"the take covers the shot "
                                              f"({seconds_of(clip):.1f} s of {shot.duration:.1f} s)"))
                continue
            reason = extension_reason(shot, pick, clip)
            if reason is not None or pick is None:
                results.append(PassResult(shot_id=shot.id, status="skipped", reason=reason or ""))
                continue
            results.append(_extend(project, store, storyboard.episode, shot, pick, clip))
    finally:
        if own_store:
            store.close()
    return results


def _extend(project: Project, store: StateStore, episode: str, shot: Shot, pick: Candidate, clip: dict) -> PassResult:
    """Extend `pick` until it covers `shot`: cached extensions of this chain cost nothing, new ones one task each."""
    source, statuses, draw = pick, set(), 0
    while not covers(shot, clip):
        job = pass_job(project, ENGINE, episode, extend_track(shot.id), draw, extend_request(project, shot, source, clip))
        [result] = render_jobs(project, [job], store=store)
        if result.status != "rendered" and result.status != "cached":
            return PassResult(shot_id=shot.id, status=result.status, reason=result.error or "", take=pick.id,
                              key=job.key)
        statuses.add(result.status)
        source = next(c for c in store.candidates(extend_track(shot.id)) if c.key == job.key)
        clip, draw = read_clip(source), draw + 1
    return PassResult(shot_id=shot.id, status="done" if "rendered" in statuses else "cached", take=pick.id,
                      key=source.key, score=source.score,
                      reason=f"{draw} extension(s): {seconds_of(clip):.1f} s for a {shot.duration:.1f} s shot")
