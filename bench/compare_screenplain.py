"""Dev-time check: compare drama's Fountain parser with screenplain (a mature reference) on a script.

screenplain is NOT a dependency; install it somewhere apart and point PYTHONPATH at it:
    pip install --target /tmp/screenplain_ref screenplain
    PYTHONPATH=/tmp/screenplain_ref python bench/compare_screenplain.py tests/scripts/feature.fountain
Prints the element sequences side by side where they differ and the share that agrees. Intended
differences: drama reads `FADE IN:` as a transition, keeps notes and lyrics as elements, and files a
synopsis as its own element (screenplain drops notes and attaches synopses to headings).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from drama.screenplay import parse_file


def ours(path: Path) -> list[str]:
    kinds: list[str] = []
    for episode in parse_file(path, dialect="fountain").episodes:
        for scene in episode.scenes:
            if scene.heading:
                kinds.append(f"heading {scene.heading.text}")
            previous = None
            for element in scene.elements:
                if element.type == "dialogue":
                    cue = f"dialogue {element.character}{' dual' if element.dual else ''}"
                    if previous != (element.character, element.extension, element.dual):
                        kinds.append(cue)
                    previous = (element.character, element.extension, element.dual)
                    continue
                previous = None
                if element.type in ("note", "synopsis"):
                    continue
                text = getattr(element, "text", "").split("\n")[0].strip()
                kind = {"title_card": "centered", "lyrics": "action"}.get(element.type, element.type)
                kinds.append(f"{kind} {text}".strip() if kind != "section" else f"section {element.text}")
    return kinds


def reference(path: Path) -> list[str]:
    from screenplain.parsers import fountain

    with path.open(encoding="utf-8-sig") as stream:
        screenplay = fountain.parse(stream)
    kinds: list[str] = []
    for paragraph in screenplay:
        name = type(paragraph).__name__
        if name == "Slug":
            kinds.append(f"heading {paragraph.line.to_plain() if hasattr(paragraph.line, 'to_plain') else paragraph.line}")
        elif name == "Dialog":
            kinds.append(f"dialogue {_plain(paragraph.character).split('(')[0].strip()}")
        elif name == "DualDialog":
            kinds.append(f"dialogue {_plain(paragraph.left.character).split('(')[0].strip()}")
            kinds.append(f"dialogue {_plain(paragraph.right.character).split('(')[0].strip().rstrip('^').strip()} dual")
        elif name == "Action":
            kinds.append(f"{'centered' if paragraph.centered else 'action'} {_plain(paragraph.lines[0]).strip()}")
        elif name == "Transition":
            kinds.append(f"transition {_plain(paragraph.line)}")
        elif name == "PageBreak":
            kinds.append("page_break")
        elif name == "Section":
            kinds.append(f"section {_plain(paragraph.text)}")
    return kinds


def _plain(rich) -> str:
    return rich.to_plain() if hasattr(rich, "to_plain") else str(rich)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/scripts/feature.fountain")
    a, b = ours(path), reference(path)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            print(f"{tag:8} drama: {a[i1:i2]}\n         screenplain: {b[j1:j2]}")
    same = sum(block.size for block in matcher.get_matching_blocks())
    print(f"{path}: drama {len(a)} elements, screenplain {len(b)}; {same} agree "
          f"({same / max(len(a), len(b)):.0%} of the longer sequence)")


if __name__ == "__main__":
    main()
