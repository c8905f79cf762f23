"""What the state store's `shot_id` of a draw names: a shot's video draws (the shot id itself), the stills a shot's
video starts from (its keyframe track), or the views of a character sheet. Every track has candidates, a pick,
draws wanted, tasks and ledger rows exactly like a shot, so budgets, the ledger, picks and staleness serve the
keyframe stage and the character sheets unchanged."""

from __future__ import annotations

KEYFRAME = "/keyframe"  # shot "1-2"'s stills are the track "1-2/keyframe"
SHEET = "cast/"  # 沈清's character sheet is the track "cast/沈清"
SHEET_EPISODE = "cast"  # the episode a sheet's draws are recorded under


def keyframe_track(shot_id: str) -> str:
    return shot_id + KEYFRAME


def sheet_track(name: str) -> str:
    return SHEET + name


def is_shot(track: str) -> bool:
    """Whether `track` is a shot's own (video) track, not keyframes nor a sheet."""
    return not track.endswith(KEYFRAME) and not track.startswith(SHEET)


def shot_of(track: str) -> str | None:
    """The shot a keyframe track belongs to, else None."""
    return track[: -len(KEYFRAME)] if track.endswith(KEYFRAME) else None


def character_of(track: str) -> str | None:
    """The character a sheet track belongs to, else None."""
    return track[len(SHEET):] if track.startswith(SHEET) else None
