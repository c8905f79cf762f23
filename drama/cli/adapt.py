"""`drama adapt STORY PROJECT`: draft episode screenplays from a story with an OpenAI-compatible chat model
(DRAMA_LLM_BASE, DRAMA_LLM_MODEL, DRAMA_LLM_KEY from the environment). Exit 0 when every episode passes drama check,
1 when some were kept as drafts with their findings, 2 for an error drama explains (the server, the files)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text}: give 0 to 10")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 200:
        raise argparse.ArgumentTypeError(f"{text}: give 1 to 200")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adapt", help="draft episode screenplays from a story, outline or chapter with an LLM (checked and repaired)",
        description="Adapt a story into the project's screenplay format with any OpenAI-compatible chat API. "
                    "Set DRAMA_LLM_BASE (e.g. https://api.deepseek.com/v1, http://localhost:11434/v1), "
                    "DRAMA_LLM_MODEL, and DRAMA_LLM_KEY if the server needs one. Each draft is parsed and checked; "
                    "errors go back to the model for repair. Exit status: 0 all episodes pass, 1 some kept as "
                    "drafts with findings, 2 an error.")
    parser.add_argument("story", type=Path, help="the story, outline or novel chapter (a text file)")
    parser.add_argument("project", type=Path, help="the project folder (holds drama.toml; `drama new NAME` makes one)")
    parser.add_argument("--episodes", type=_positive, help="how many episodes (default: by the story's length, "
                                                           "or its 第N集 / Episode N markers)")
    parser.add_argument("--start", type=_positive, default=1, help="the number of the first episode written (default 1)")
    parser.add_argument("--repairs", type=_count, default=2, help="repair requests per episode while drama finds "
                                                                  "errors (default 2)")
    parser.add_argument("--force", action="store_true", help="replace episodes, drafts and findings already there")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drama.adapt import ChatClient, ChatSettings, adapt
    from drama.cli import console, err_console
    from drama.cli.common import progress_bar
    from drama.project import Project
    from drama.project.secrets import load_secrets

    load_secrets(Project.load(args.project))
    settings = ChatSettings.from_env()
    progress = progress_bar()  # shown once the episodes are known (a refusal to overwrite shows none)
    task = progress.add_task(f"adapting with {escape(settings.model)}", total=None)

    def known(parts: list) -> None:
        progress.update(task, total=len(parts))
        progress.start()

    def step(part, what: str) -> None:  # noqa: ANN001 - a StoryPart
        progress.update(task, completed=part.number - 1, description=f"episode {part.number}: {escape(what)}")

    with ChatClient(settings) as client:
        try:
            report = adapt(args.story, args.project, client, episodes=args.episodes, start=args.start,
                           repairs=args.repairs, force=args.force, step=step, parts_known=known)
            progress.update(task, completed=len(report.episodes), description="done")
        finally:
            progress.stop()
    for result in report.episodes:
        verdict = result.verdict
        counts = {s: sum(f.severity == s for f in verdict.findings) for s in ("error", "warning", "info")}
        tries = _plural(result.attempts, "request")
        if verdict.passed:
            console.print(f"[green]wrote[/] {escape(str(result.saved))} ({tries}; {_plural(counts['warning'], 'warning')}, "
                          f"{_plural(counts['info'], 'note')}: drama check shows them)", highlight=False, soft_wrap=True)
        else:
            err_console.print(f"[red]kept as a draft[/] {escape(str(result.saved))} ({tries}; {_plural(counts['error'], 'error')} "
                              f"left) with its findings in {escape(str(result.outputs.findings))}",
                              highlight=False, soft_wrap=True)
            for finding in verdict.errors[:5]:
                err_console.print(f"  line {finding.line or '?'}: {escape(finding.message)}\n    fix: {escape(finding.fix)}",
                                  highlight=False, soft_wrap=True)
    if report.new_characters:
        console.print(f"[green]new characters[/] added to {escape(str(report.cast_file))}: "
                      f"{escape('、'.join(report.new_characters))} — describe their looks there", highlight=False, soft_wrap=True)
    if report.failed:
        err_console.print("fix the drafts' findings, rename each .draft to its screenplay name and run "
                          "[bold]drama check[/]; or run again with --force for new drafts", highlight=False, soft_wrap=True)
        return 1
    console.print(f"next: [bold]drama check {escape(str(args.project))}[/], then [bold]drama plan[/]", highlight=False, soft_wrap=True)
    return 0
