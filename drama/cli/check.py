"""`drama check PROJECT [EPISODE]`: lint the screenplays. Each finding with its severity, file:line and a fix;
`--json` for editors and CI. Exit 1 when there are errors (the episode cannot be parsed or planned), 0 otherwise
(warnings and notes included); 2 for a mistyped command (no such project or episode). Only reads."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from rich.markup import escape

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="lint the screenplays: speakers, 人物 lines, long lines, headings, directions, transitions, length",
        description="Check an episode's screenplay (or every episode's) the way the storyboard and the edit will read "
                    "it. Exit status: 1 when there are errors, 0 otherwise.")
    parser.add_argument("project", type=Path, help="the project folder (holds drama.toml)")
    parser.add_argument("episode", nargs="?", help="episode id (file stem, e.g. ep01); every episode when omitted")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON (for editors and CI)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drama.check import check
    from drama.cli import console

    findings = check(args.project, args.episode)
    counts = Counter(finding.severity for finding in findings)
    if args.json:
        data = {"findings": [{**f.model_dump(mode="json"), "where": f.where} for f in findings],
                "counts": {severity: counts[severity] for severity in ("error", "warning", "info")}}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        for finding in findings:
            console.print(f"{escape(finding.where)}: [{_STYLE[finding.severity]}]{finding.severity}[/] "
                          f"[dim]({finding.kind}{f' · {finding.episode}' if finding.episode else ''})[/] {escape(finding.message)}\n  [dim]fix:[/] {escape(finding.fix)}",
                          highlight=False, soft_wrap=True)
        summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in ("error", "warning", "info"))
        console.print(f"[bold]{summary}[/]" if findings else "[green]no findings[/]", highlight=False)
    return 1 if counts["error"] else 0
