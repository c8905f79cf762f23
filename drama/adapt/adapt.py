"""`adapt(STORY, PROJECT)`: a story drafted into episode screenplays by a chat model, each draft parsed and checked
by drama and sent back with its findings for a bounded number of repairs.

An episode whose draft passes (no errors; warnings are reported) is written to episodes/epNN.txt (.fountain in an
English project). One that still fails after the repairs is kept, never thrown away: episodes/epNN.txt.draft (out
of the pipeline's way: `drama make` reads .txt, not .draft) with epNN.findings.json beside it. New characters are
appended to cast.toml. Nothing is overwritten unless `force`; the targets are checked before the first request, so
a refusal costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from drama.adapt.cast import add_to_cast, propose
from drama.adapt.llm import ChatClient, LLMError, Message
from drama.adapt.prompts import episode_messages, repair_message
from drama.adapt.story import StoryPart, read_story, split_story
from drama.adapt.verdict import Verdict, judge
from drama.atomic import write_json, write_text
from drama.check.finding import SEVERITIES, Finding
from drama.errors import DramaError
from drama.project import Project
from drama.project.config import Cast, Character

SUFFIX = {"zh": ".txt", "en": ".fountain"}
PREVIOUS_LINES = 30  # of the last scene of the episode before, given as context for the next


class Outputs(BaseModel):
    """Where one episode goes: the screenplay when it passes, else the draft and its findings."""

    episode: Path
    draft: Path
    findings: Path

    @classmethod
    def of(cls, project: Project, number: int, width: int) -> "Outputs":
        stem = f"ep{number:0{width}d}"
        episode = project.episodes_dir / f"{stem}{SUFFIX[project.config.language]}"
        return cls(episode=episode, draft=episode.with_name(episode.name + ".draft"),
                   findings=episode.with_name(f"{stem}.findings.json"))

    @property
    def existing(self) -> list[Path]:
        return [path for path in (self.episode, self.draft, self.findings) if path.exists()]


class EpisodeResult(BaseModel):
    part: StoryPart
    outputs: Outputs
    verdict: Verdict
    attempts: int  # requests made: the first draft and the repairs

    @property
    def saved(self) -> Path:
        return self.outputs.episode if self.verdict.passed else self.outputs.draft


class AdaptReport(BaseModel):
    episodes: list[EpisodeResult] = []
    new_characters: list[str] = []
    cast_file: Path | None = None

    @property
    def failed(self) -> list[EpisodeResult]:
        return [result for result in self.episodes if not result.verdict.passed]


Step = Callable[[StoryPart, str], None]  # progress: the part being worked on and what is happening


def plan_outputs(project: Project, parts: list[StoryPart], start: int, force: bool) -> list[Outputs]:
    """Each part's files; refuses (before any request is made) when one exists and `force` is not given."""
    width = max(2, len(str(start + len(parts) - 1)))
    outputs = [Outputs.of(project, start + part.number - 1, width) for part in parts]
    taken = [path for output in outputs for path in output.existing]
    if taken and not force:
        shown = ", ".join(str(path.relative_to(project.root)) for path in taken[:4]) + (" …" if len(taken) > 4 else "")
        raise DramaError(f"would overwrite {shown}", path=project.episodes_dir,
                         hint="pass --force to replace them, or --start N to number the new episodes after them")
    return outputs


def _previous(verdict: Verdict | None) -> str:
    """The last scene of an episode's screenplay, as the next episode's context."""
    if verdict is None or verdict.script is None:
        return ""
    scenes = [scene for episode in verdict.script.episodes for scene in episode.scenes if scene.heading]
    lines = verdict.text.splitlines()
    first = scenes[-1].heading.line - 1 if scenes else max(0, len(lines) - PREVIOUS_LINES)
    return "\n".join(lines[first:first + PREVIOUS_LINES]).strip()


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.line or 0))


def _save_draft(verdict: Verdict, outputs: Outputs, attempts: int, story: Path, part: StoryPart) -> None:
    """A draft that does not pass, kept with its findings (paths pointing at the draft file)."""
    write_text(outputs.draft, verdict.text)
    findings = [{**finding.model_dump(mode="json"), "file": str(outputs.draft) if finding.file == outputs.episode
                 else str(finding.file) if finding.file else None} for finding in verdict.findings]
    write_json(outputs.findings, {"draft": str(outputs.draft), "episode": str(outputs.episode), "attempts": attempts,
                                  "story": str(story), "story_line": part.line,
                                  "counts": {s: sum(f.severity == s for f in verdict.findings) for s in SEVERITIES},
                                  "findings": findings})


def _ask(client: ChatClient, messages: list[Message], project: Project, outputs: Outputs, dialect: str) -> Verdict:
    reply = client.complete(messages)
    return judge(reply.content, project, outputs.episode, dialect, cut_off=reply.finish_reason == "length")


def draft_episode(client: ChatClient, project: Project, part: StoryPart, outputs: Outputs, *, total: int,
                  previous: str, repairs: int, story: Path, step: Step) -> EpisodeResult:
    """One episode: a draft, then up to `repairs` repairs while drama finds errors in it. Written as soon as done;
    a draft that fails (or a server that fails mid-repair) is saved with its findings."""
    dialect = "zh" if project.config.language == "zh" else "fountain"
    messages = episode_messages(dialect, part, total, project.config.title, project.cast.character, previous)
    step(part, "drafting")
    verdict = _ask(client, messages, project, outputs, dialect)
    attempts = 1
    try:
        while not verdict.passed and attempts <= repairs:
            step(part, f"repair {attempts}/{repairs}: {len(verdict.errors)} error{'s' if len(verdict.errors) != 1 else ''}")
            messages += [Message(role="assistant", content=verdict.text),
                         repair_message(dialect, _ordered(verdict.to_repair))]
            verdict = _ask(client, messages, project, outputs, dialect)
            attempts += 1
    except LLMError:
        _save_draft(verdict, outputs, attempts, story, part)
        raise
    for stale in outputs.existing:  # reached only with --force (or files of this run)
        stale.unlink()
    if verdict.passed:
        write_text(outputs.episode, verdict.text)
    else:
        _save_draft(verdict, outputs, attempts, story, part)
    return EpisodeResult(part=part, outputs=outputs, verdict=verdict, attempts=attempts)


def adapt(story: Path, root: Path, client: ChatClient, *, episodes: int | None = None, start: int = 1,
          repairs: int = 2, force: bool = False, step: Step = lambda part, what: None,
          parts_known: Callable[[list[StoryPart]], None] = lambda parts: None) -> AdaptReport:
    """Adapt the story at `story` into the project at `root`, episode by episode."""
    story = Path(story)
    project = Project.load(root)
    parts = split_story(read_story(story), episodes)
    outputs = plan_outputs(project, parts, start, force)
    parts_known(parts)
    project.episodes_dir.mkdir(exist_ok=True)
    report = AdaptReport()
    new: list[Character] = []
    previous: Verdict | None = None
    try:
        for part, output in zip(parts, outputs, strict=True):
            working = Project(project.root, project.config, Cast(character=[*project.cast.character, *new]))
            result = draft_episode(client, working, part, output, total=len(parts), previous=_previous(previous),
                                   repairs=repairs, story=story, step=step)
            report.episodes.append(result)
            new += result.verdict.new_characters
            previous = result.verdict
    finally:
        if new:
            scripts = [r.verdict.script for r in report.episodes if r.verdict.script is not None]
            proposals = propose(scripts, new, project.root / "refs", len(project.cast.character))
            report.cast_file = project.root / "cast.toml"
            add_to_cast(report.cast_file, proposals, story)
            report.new_characters = [proposal.name for proposal in proposals]
    return report
