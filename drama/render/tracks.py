"""What the state store's `shot_id` of a draw names: a shot's video draws (the shot id itself), the stills a shot's
video starts from (its keyframe track), or the views of a character sheet. Every track has candidates, a pick,
draws wanted, tasks and ledger rows exactly like a shot, so budgets, the ledger, picks and staleness serve the
keyframe stage and the character sheets unchanged.

A character sheet is one track per view ("cast/沈清/front", "cast/沈清/side"): each view has its own draws and
its own pick, and the picks together become the character's references (drama.render.sheets)."""

from __future__ import annotations

KEYFRAME = "/keyframe"  # shot "1-2"'s stills are the track "1-2/keyframe"
LIPSYNC = "/lipsync"  # shot "1-2"'s take with the mouth synced to its line is the track "1-2/lipsync"
EXTEND = "/extend"  # shot "1-2"'s take extended to the shot's length (Kling video-extend) is the track "1-2/extend"
SHEET = "cast/"  # the front view of 沈清's character sheet is the track "cast/沈清/front"
SHEET_EPISODE = "cast"  # the episode a sheet's draws are recorded under
SHOT_TRACKS = (KEYFRAME, LIPSYNC, EXTEND)  # the tracks a shot has beside its own video draws
VIEWS = ("front", "three_quarter", "side")  # a character sheet's views, in the order references list them


def keyframe_track(shot_id: str) -> str:
    return shot_id + KEYFRAME


def lipsync_track(shot_id: str) -> str:
    return shot_id + LIPSYNC


def extend_track(shot_id: str) -> str:
    return shot_id + EXTEND


def sheet_track(name: str, view: str) -> str:
    """The track of one view (one of VIEWS) of a character's sheet."""
    return f"{SHEET}{name}/{view}"


def is_shot(track: str) -> bool:
    """Whether `track` is a shot's own (video) track, not keyframes, a pass (lip-sync, extension) nor a sheet."""
    return not track.endswith(SHOT_TRACKS) and not track.startswith(SHEET)


def shot_of(track: str) -> str | None:
    """The shot a keyframe track belongs to, else None."""
    return track[: -len(KEYFRAME)] if track.endswith(KEYFRAME) else None


def owner_shot(track: str) -> str | None:
    """The shot a track of drawing belongs to — its own video, its keyframes, its lip-sync and extension passes —
    for what is counted per shot (the shot budget, the spend); None for a character sheet's track."""
    if track.startswith(SHEET):
        return None
    for suffix in SHOT_TRACKS:
        if track.endswith(suffix):
            return track[: -len(suffix)]
    return track


def view_of(track: str) -> str | None:
    """The view a sheet track draws ("front" of "cast/沈清/front"), else None."""
    head, _, view = track.rpartition("/")
    return view if track.startswith(SHEET) and view in VIEWS and len(head) > len(SHEET) else None


def character_of(track: str) -> str | None:
    """The character a sheet track belongs to, else None."""
    if not track.startswith(SHEET):
        return None
    view = view_of(track)
    return track[len(SHEET): -len(view) - 1] if view else track[len(SHEET):]
