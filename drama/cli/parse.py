"""`drama parse FILE`: show how drama reads a screenplay — a readable outline, or the AST as JSON for tools."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.markup import escape
from rich.tree import Tree

from drama.screenplay import DIALECTS, parse_file
from drama.screenplay.model import Element, Scene, Script

_PREVIEW = 72  # characters of an element shown in the outline


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse", help="parse a screenplay and show its outline (or --json)",
        description="Parse a Fountain or Chinese short-drama screenplay and show episodes, scenes and elements.",
    )
    parser.add_argument("file", type=Path, help="the screenplay file (.fountain, .txt, …)")
    parser.add_argument("--json", action="store_true", help="print the parsed screenplay as JSON")
    parser.add_argument("--dialect", choices=DIALECTS, help="force the dialect instead of detecting it from the text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from drama.cli import console

    script = parse_file(args.file, dialect=args.dialect)
    if args.json:
        sys.stdout.write(json.dumps(script.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(outline(script))
    return 0


def outline(script: Script) -> Tree:
    """A tree a writer can check against the script: episodes → scenes → elements, each with its line."""
    scenes = [scene for episode in script.episodes for scene in episode.scenes]
    lines = sum(element.type == "dialogue" for scene in scenes for element in scene.elements)
    name = script.title or (script.source.name if script.source else "screenplay")
    root = Tree(f"[bold]{escape(name)}[/]  [dim]{script.dialect} · {len(script.episodes)} episode(s) · "
                f"{len(scenes)} scene(s) · {lines} line(s) of dialogue[/]")
    for key, value in script.title_page.items():
        if key.lower() != "title":
            root.add(f"[dim]{escape(key)}:[/] {escape(_preview(value))}")
    if script.synopsis:
        root.add(f"[dim]synopsis:[/] {escape(_preview(script.synopsis))}")
    if script.characters:
        cast = root.add("[dim]characters[/]")
        for bio in script.characters:
            age = f" ({escape(bio.age)})" if bio.age else ""
            cast.add(f"[bold cyan]{escape(bio.name)}[/]{age} {escape(_preview(bio.description))}")
    for episode in script.episodes:
        label = f"Episode {episode.number}" if episode.number is not None else "Episode"
        node = root.add(f"[bold]{label}[/]" + (f": {escape(episode.title)}" if episode.title else ""))
        for scene in episode.scenes:
            _scene(node, scene)
    return root


def _scene(parent: Tree, scene: Scene) -> None:
    heading = scene.heading
    if heading is None:
        node = parent.add("[dim](before the first scene heading)[/]")
    else:
        when = f" · {heading.time_of_day}" if heading.time_of_day != "unknown" else ""
        node = parent.add(f"[dim]L{heading.line}[/] [bold yellow]{escape(heading.text)}[/]  "
                          f"[dim]{heading.setting or '—'} · {escape(heading.location or '—')}{when}[/]")
    if scene.characters:
        node.add(f"[dim]characters:[/] {escape('、'.join(scene.characters))}")
    for element in scene.elements:
        node.add(f"[dim]L{element.line}[/] {_element(element)}")


def _element(element: Element) -> str:
    notes = f" [green]✎ {escape(_preview(' · '.join(element.notes)))}[/]" if element.notes else ""
    match element.type:
        case "dialogue":
            extension = f" ({escape(element.extension)})" if element.extension else ""
            delivery = f" [italic]({escape(element.parenthetical)})[/]" if element.parenthetical else ""
            dual = " [dim]^dual[/]" if element.dual else ""
            text = escape(_preview(element.text)) if element.text else "[dim](no words)[/]"
            return f"[bold cyan]{escape(element.character)}[/]{extension}{delivery}{dual}: {text}{notes}"
        case "transition":
            return f"[magenta]→ {escape(element.text)}[/] [dim]{element.kind}[/]{notes}"
        case "title_card":
            return f"[yellow]▣ {escape(_preview(element.text))}[/]{notes}"
        case "note":
            mark = "camera" if element.camera else "note"
            return f"[green]✎ {mark}: {escape(_preview(element.text))}[/]{notes}"
        case "lyrics":
            return f"♪ {escape(_preview(element.text))}{notes}"
        case "page_break":
            return "[dim]─── page break ───[/]"
        case "section":
            return f"[bold]{'#' * element.level} {escape(element.text)}[/]{notes}"
        case "synopsis":
            return f"[dim]= {escape(_preview(element.text))}[/]{notes}"
        case _:
            return f"{escape(_preview(element.text))}{notes}"


def _preview(text: str) -> str:
    flat = " ⏎ ".join(part.strip() for part in text.strip().split("\n") if part.strip())
    return flat if len(flat) <= _PREVIEW else flat[:_PREVIEW - 1] + "…"
