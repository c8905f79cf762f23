"""`check(PROJECT)`: every finding about a project's episodes, from the screenplay checks (script.py), the planner
(a storyboard is planned as `drama plan` would) and the warnings `drama plan` prints (drama/project/warnings.py),
plus the episode's length against the target of a short drama and the cast's descriptions.

Reads the project's files, writes nothing. A screenplay that cannot be parsed, a broken cast.toml or drama.toml
are findings too (errors), so an editor or CI gets every problem as data.
"""

from __future__ import annotations

import re
from pathlib import Path

from drama.check.finding import Finding, Severity, sort_key
from drama.check.script import check_script, unknown_speakers
from drama.errors import DramaError, ProjectError, ScreenplayError, did_you_mean
from drama.project import Project
from drama.project.config import Cast, Character
from drama.project.project import toml_line
from drama.screenplay import parse_file
from drama.screenplay.model import Script
from drama.storyboard.model import Storyboard
from drama.storyboard.planner import episode_id, plan

TARGET_SECONDS = (60.0, 180.0)  # a short-drama episode: one to three minutes
FAR = (30.0, 270.0)  # shorter or longer than this is far off the target: a warning, not a note
_SEVERITY: dict[str, Severity] = {"direction": "warning", "portrait": "warning", "camera": "warning",
                                  "music": "info", "voice": "info"}
_WHERE = re.compile(r"(?P<file>.*?):(?P<line>\d+)")


def _from_error(error: DramaError, kind: str = "parse") -> Finding:
    return Finding(severity="error", kind=kind, message=error.message, file=error.path, line=error.line,
                   fix=error.hint or "fix the line it names")


def _scripts(project: Project) -> tuple[dict[str, tuple[Script, int]], list[Finding]]:
    """Episode id -> (script, index) of every screenplay that parses; the ones that do not, as findings."""
    episodes: dict[str, tuple[Script, int]] = {}
    findings = []
    for path in project.screenplay_files():
        try:
            script = parse_file(path)
        except ScreenplayError as error:
            findings.append(_from_error(error))
            continue
        if not any(episode.scenes for episode in script.episodes):
            findings.append(Finding(severity="error", kind="no_heading", file=path, line=1,
                                    message="this screenplay has no scene heading: there is nothing to plan",
                                    fix="write a scene heading (1-1 日 内 客厅, or INT. ROOM - DAY) and what happens there"))
            continue
        for index in range(len(script.episodes)):
            key = episode_id(script, index)
            if key in episodes:
                findings.append(Finding(severity="error", kind="parse", file=path, line=1,
                                        message=f"two screenplays are episode {key!r}: "
                                                f"{episodes[key][0].source.name} and this one",
                                        fix="keep one of them in episodes/: rename or move the other"))
                continue
            episodes[key] = (script, index)
    return episodes, findings


def _length(storyboard: Storyboard, script: Script, index: int) -> list[Finding]:
    seconds = storyboard.duration
    low, high = TARGET_SECONDS
    if low <= seconds <= high:
        return []
    severity: Severity = "warning" if not FAR[0] <= seconds <= FAR[1] else "info"
    shorter = seconds < low
    return [Finding(
        severity=severity, kind="length", file=script.source, line=script.episodes[index].line or 1,
        message=f"episode {storyboard.episode} runs about {seconds:.0f} s at reading speed "
                f"({len(storyboard.shots)} shot{'s' if len(storyboard.shots) != 1 else ''}): {'shorter' if shorter else 'longer'} than a short drama's "
                f"{low / 60:.0f}–{high / 60:.0f} min",
        fix="write more scenes or lines" if shorter else "cut scenes, or split it into two episodes (# 第二集 / a second file)")]


def _descriptions(project: Project, storyboard: Storyboard) -> list[Finding]:
    """Characters of the episode whose cast entry has no description: the prompts draw them from nothing."""
    seen = dict.fromkeys([c.name for shot in storyboard.shots for c in shot.characters]
                         + [shot.speaker for shot in storyboard.shots if shot.speaker])
    path = project.root / "cast.toml"
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    findings = []
    for index, character in enumerate(project.cast.character):
        if character.name in seen and not character.description.strip():
            findings.append(Finding(
                severity="warning", kind="description", file=path, episode=storyboard.episode,
                line=toml_line(text, ("character", index, "name")),
                message=f"{character.name} has no description: every engine draws them from their name alone",
                fix=f'add description = "…" to {character.name}: age, build, hair, clothes (it goes into every prompt)'))
    return findings


def _planner_warnings(project: Project, storyboard: Storyboard) -> list[Finding]:
    """What `drama plan` warns about (drama.project.warnings), as findings (camera checks need draws: none here)."""
    from drama.project.warnings import episode_warnings

    findings = []
    for warning in episode_warnings(project, storyboard):
        where = _WHERE.fullmatch(warning.where)
        findings.append(Finding(
            severity=_SEVERITY[warning.kind], kind=warning.kind, message=warning.message, fix=warning.hint,
            file=Path(where["file"] if where else warning.where.rstrip("/")), line=int(where["line"]) if where else None,
            episode=storyboard.episode))
    return findings


def _planned_as_cast(project: Project, names: set[str]) -> Project:
    """The project with unknown speakers added to the cast (no description, no portrait), so one misspelt cue does
    not hide what the rest of the storyboard would say."""
    extra = [Character(name=name) for name in sorted(names)]
    return Project(project.root, project.config, Cast(character=[*project.cast.character, *extra]))


def check_episode(project: Project, episode: str, script: Script, index: int, *, planner_warnings: bool) -> list[Finding]:
    """Every finding about one episode. `planner_warnings` only when every screenplay of the project parses (the
    warnings read them all)."""
    findings = check_script(script, script.episodes[index], project.cast)
    unknown = unknown_speakers(script.episodes[index], project.cast)
    try:
        storyboard = plan(script, index, _planned_as_cast(project, unknown) if unknown else project)
    except DramaError as error:
        findings.append(_from_error(error))
    else:
        findings += _length(storyboard, script, index) + _descriptions(project, storyboard)
        if planner_warnings:  # an unknown speaker is an error already: not also a cast entry with no portrait
            findings += [f for f in _planner_warnings(project, storyboard)
                         if not (f.kind == "portrait" and f.message.split(" ", 1)[0] in unknown)]
    for finding in findings:
        finding.episode = episode
    return findings


def check(root: Path, episode: str | None = None) -> list[Finding]:
    """Every finding about the project at `root` (one episode, or all), sorted by file and line. A missing project
    folder or an unknown episode raise (the command was mistyped); everything else is a finding."""
    try:
        project = Project.load(root)
    except ProjectError as error:
        if not (Path(root) / "drama.toml").is_file() or error.path is None:
            raise  # not a project: the command was mistyped
        return [_from_error(error, "parse")]
    episodes, findings = _scripts(project)
    if not episodes and not findings:
        raise DramaError("no screenplays found", path=project.episodes_dir,
                         hint="put an episode in episodes/ (ep01.txt or ep01.fountain)")
    if episode is not None and episode not in episodes:
        raise DramaError(f"no episode {episode!r}", path=project.episodes_dir,
                         hint=did_you_mean(episode, episodes) or f"episodes: {', '.join(episodes) or 'none that parse'}")
    parsed = not findings
    for key, (script, index) in episodes.items():
        if episode is None or key == episode:
            findings += check_episode(project, key, script, index, planner_warnings=parsed)
    return sorted(_unique(findings), key=sort_key)


def _unique(findings: list[Finding]) -> list[Finding]:
    """Once each: the music warning is the same for every episode."""
    return list({(f.kind, f.message, f.where): f for f in findings}.values())
