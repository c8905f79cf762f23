"""The lip-sync pass: for a dialogue shot whose speaker is on screen and faces the camera, the shot's pick is sent with
the line's audio to Kling's lip-sync, and the synced take becomes a draw of the shot's lip-sync track
(`drama.render.tracks.lipsync_track`, "1-2/lipsync").

The pass is a remote job on the `kling-lipsync` engine, run through drama's task queue (drama.render.remote by way
of the executor's `render_jobs`): it is recorded before it is waited on, resumed after a crash, booked against the
budget, written to the ledger and cached. Its key hashes the take's video and the line's audio (their bytes), so a
new pick or a re-voiced line is a new pass and an unchanged one costs nothing.

Kling syncs only videos it made, named by their Kling `video_id`: a pick drawn on another engine is skipped and says
so. The previz draws its own mouth shapes and needs no pass. The edit and the export cut the synced take in place of
the pick while it is the pass over that very pick with the line's audio as it is now (`synced_take`).
"""

from __future__ import annotations

from drama.pipeline import PreparedEpisode
from drama.project import Project
from drama.render.executor import render_jobs
from drama.render.jobs import Job
from drama.render.passes import PassResult, check_shot_ids, made_from, pass_job, read_clip, read_record
from drama.render.request import renderable
from drama.render.state import Candidate, StateStore
from drama.render.tracks import lipsync_track
from drama.storyboard.model import Shot
from drama.voice.model import VoiceLine
from engine.api import RenderRequest

ENGINE = "kling-lipsync"


def skip_reason(shot: Shot) -> str | None:
    """Why a shot's line cannot be lip-synced from the picture alone, else None: no line, a voice-over, dual dialogue
    (two mouths at once), the speaker off screen or facing away."""
    if not shot.speaker or not shot.text:
        return "no line in this shot"
    if shot.voiceover:
        return f"{shot.speaker}'s line is a voice-over: no mouth on screen to sync"
    if shot.dual is not None:
        return "dual dialogue: two lines spoken at once, Kling syncs one voice"
    on_screen = next((character for character in shot.characters if character.name == shot.speaker), None)
    if on_screen is None:
        return f"the speaker {shot.speaker} is off screen"
    if on_screen.facing == "away":
        return f"the speaker {shot.speaker} faces away from the camera"
    return None


def take_reason(pick: Candidate | None, clip: dict) -> str | None:
    """Why the pick cannot be synced on Kling, else None: no take yet, or one Kling did not draw."""
    if pick is None:
        return "no take drawn yet: run `drama render` first"
    if not clip.get("meta", {}).get("video_id"):
        return (f"the take {pick.id} was drawn on {pick.engine}, not on Kling: lip-sync needs a Kling-drawn take "
                "(the previz draws its own mouth shapes)")
    return None


def lipsync_job(project: Project, episode: str, shot: Shot, pick: Candidate, clip: dict, line: VoiceLine) -> Job:
    """The pass over `pick` with `line`'s audio, as one job on the shot's lip-sync track."""
    options = {**project.engine_options(ENGINE, pixels_only=True), "video_id": str(clip["meta"]["video_id"])}
    request = RenderRequest(prompt=shot.prompt or shot.text or "", width=int(clip["width"]),
                            height=int(clip["height"]), fps=float(clip["fps"]), num_frames=int(clip["num_frames"]),
                            source_video=pick.video, audio=line.audio, options=options)
    return pass_job(project, ENGINE, episode, lipsync_track(shot.id), 0, request)


def lipsync_episode(project: Project, prepared: PreparedEpisode, *, shot_ids: list[str] | None = None,
                    store: StateStore | None = None) -> list[PassResult]:
    """Run the pass over every shot of the episode that has a line (or the given shots): one job per shot that
    can be synced, one skip with its reason per shot that cannot."""
    storyboard = prepared.storyboard
    check_shot_ids(storyboard, shot_ids)
    lines = {line.shot_id: line for line in prepared.lines}
    own_store = store is None
    store = store or StateStore(project)
    results: dict[str, PassResult] = {}
    jobs: list[tuple[str, Candidate, Job]] = []
    try:
        for shot in storyboard.shots:
            if not renderable(shot) or (shot_ids and shot.id not in shot_ids) or (not shot_ids and not shot.text):
                continue
            reason = skip_reason(shot)
            if reason is None and shot.id not in lines:
                reason = "the line is not voiced yet: run `drama voice` first"
            pick = store.pick_for(shot.id) if reason is None else None
            clip = read_clip(pick) if pick is not None else {}
            reason = reason or take_reason(pick, clip)
            if reason is not None or pick is None:
                results[shot.id] = PassResult(shot_id=shot.id, status="skipped", reason=reason or "")
                continue
            jobs.append((shot.id, pick, lipsync_job(project, storyboard.episode, shot, pick, clip, lines[shot.id])))
        for _, _, job in jobs:
            store.mark_stale(job.shot_id, job.shot_key)  # a pass over an earlier pick or voice is stale now
        done = render_jobs(project, [job for _, _, job in jobs], store=store) if jobs else []
        for (shot_id, pick, job), result in zip(jobs, done, strict=True):
            status = "done" if result.status == "rendered" else result.status
            results[shot_id] = PassResult(shot_id=shot_id, status=status, reason=result.error or "", take=pick.id,
                                       key=job.key, score=result.score)
    finally:
        if own_store:
            store.close()
    return [results[shot.id] for shot in storyboard.shots if shot.id in results]


def synced_take(store: StateStore, shot_id: str, pick: Candidate, line: VoiceLine | None) -> Candidate | None:
    """The lip-synced take the edit cuts in place of `pick`: a current draw of the shot's lip-sync track made from
    this pick's video with the line's audio as it is now (a later pick or a re-voiced line leaves it out until the
    pass runs again); None when there is none."""
    synced = made_from(store.candidates(lipsync_track(shot_id)), pick) if line is not None else None
    if synced is None or read_record(synced)["request"].get("audio") != str(line.audio):
        return None
    return synced
