"""The new characters of the drafts, added to cast.toml as `drama cast init` proposes characters: described as the
draft introduces them, sex and age read from the drafts' evidence (drama.project.cast_init), colours distinct from
the cast's, a portrait when refs/ has one by that name. The characters already in cast.toml, and every byte of the
file, are kept: the new entries are appended under a comment saying where they came from."""

from __future__ import annotations

from pathlib import Path

from drama.atomic import write_text
from drama.project.cast_init import PALETTE, Proposal, assign, collect, decide, gather, render
from drama.project.config import Character
from drama.screenplay.model import Script


def propose(scripts: list[Script], characters: list[Character], refs_dir: Path, existing: int) -> list[Proposal]:
    """Proposals for `characters` (new to a cast of `existing` entries), with the evidence of `scripts`."""
    proposals = collect(scripts)
    gather(scripts, proposals)
    by_name = {proposal.name.casefold(): proposal for proposal in proposals}
    chosen = []
    for character in characters:
        proposal = by_name.get(character.name.casefold()) or Proposal(name=character.name)
        proposal.description = character.description or proposal.description
        decide(proposal)
        chosen.append(proposal)
    assign(chosen, refs_dir, {})
    for index, proposal in enumerate(chosen):
        proposal.color = PALETTE[(existing + index) % len(PALETTE)]
    return chosen


def add_to_cast(path: Path, proposals: list[Proposal], story: Path) -> None:
    """Append the proposals to cast.toml (or write it, when there is none)."""
    if not proposals:
        return
    entries = render(proposals).split("\n\n", 1)[1]  # without `drama cast init`'s header
    old = f"{path.read_text(encoding='utf-8-sig').rstrip()}\n\n" if path.exists() else ""
    write_text(path, f"{old}# Added by `drama adapt {story.name}`: new characters of the drafts. Edit the descriptions into "
                     f"appearances (they go into every prompt); add portraits to refs/.\n\n{entries}")
