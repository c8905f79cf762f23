"""Screenplay → storyboard: the shots of an episode, with stable ids and prompts.

`plan()` is the pure core; `plan_episode()` and `episode_ids()` read the project's screenplays.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


from drama.errors import DramaError, ScreenplayError, did_you_mean
from drama.project import Project
from drama.screenplay import parse_file
from drama.screenplay.model import Script
from drama.storyboard.model import Shot, ShotCharacter, Storyboard
from drama.storyboard.planner import episode_id, plan
from drama.storyboard.vocabulary import Angle, Move, ShotSize

__all__ = ["Angle", "Move", "Shot", "ShotCharacter", "ShotSize", "Storyboard", "episode_ids", "episode_script", "plan", "plan_episode", "select_episodes"]


@lru_cache(maxsize=64)
def _parse(path: Path, mtime_ns: int, size: int) -> Script:
    """Parsed once per process while the file is unchanged (listing episodes and planning one both need it)."""
    return parse_file(path)


def _scripts(project: Project) -> list[Script]:
    return [_parse(path, (stat := path.stat()).st_mtime_ns, stat.st_size) for path in project.screenplay_files()]


def _episodes(project: Project) -> dict[str, tuple[Script, int]]:
    """Episode id -> (script, index). A screenplay without a scene, or two files that are one episode, are errors:
    planning either would silently drop what the creator wrote."""
    found: dict[str, tuple[Script, int]] = {}
    for script in _scripts(project):
        if not any(episode.scenes for episode in script.episodes):
            raise ScreenplayError("this screenplay has no scene", path=script.source,
                                  hint="write a scene heading (1-1 日 内 客厅, or INT. ROOM - DAY) and what happens there")
        for index in range(len(script.episodes)):
            key = episode_id(script, index)
            if key in found:
                first = found[key][0].source
                raise ScreenplayError(f"two screenplays are episode {key!r}: {first.name if first else '?'} and this one",
                                      path=script.source, hint="keep one of them in episodes/: rename or move the other")
            found[key] = (script, index)
    return found


def episode_ids(project: Project) -> list[str]:
    """Every episode of the project in file order: "<stem>" or "<stem>-<n>" for files holding several."""
    return list(_episodes(project))


def select_episodes(project: Project, episode_id: str | None) -> list[str]:
    """The episode a command names (checked, with a did-you-mean), or every episode when it names none."""
    known = episode_ids(project)
    if not known:
        raise DramaError("no screenplays found", path=project.episodes_dir,
                         hint="put an episode in episodes/ (ep01.txt or ep01.fountain)")
    if episode_id is None:
        return known
    if episode_id not in known:
        raise DramaError(f"no episode {episode_id!r}", path=project.episodes_dir,
                         hint=did_you_mean(episode_id, known) or f"episodes: {', '.join(known)}")
    return [episode_id]


def episode_script(project: Project, episode_id: str) -> tuple[Script, int]:
    """The parsed screenplay an episode is in, and the episode's index in it."""
    select_episodes(project, episode_id)
    return _episodes(project)[episode_id]


def plan_episode(project: Project, episode_id: str) -> Storyboard:
    """Parse the project's screenplays and plan one episode of them."""
    return plan(*episode_script(project, episode_id), project)
