"""Draw the demo project's reference portraits from its cast file (the previz figure code, so the
portraits and the engine's stand-ins are one drawing): projects/demo/refs/<pinyin>.png, RGBA with a
transparent background and a `drama.anatomy` text chunk saying where the head and mouth are.

    python tools/make_demo_portraits.py [--project projects/demo] [--size 768x1536]
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

from PIL import PngImagePlugin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.previz.figure import ANATOMY_KEY, draw_figure, spec_from_text  # noqa: E402


def portrait_file(character: dict) -> str:
    """refs/<pinyin>.png: the cast's own reference if it names one, else from the Latin alias ("Shen Qing")."""
    if character.get("references"):
        return character["references"][0]
    latin = next((a for a in character.get("aliases", []) if a.isascii()), None)
    if latin is None:
        raise SystemExit(f"{character['name']}: no Latin alias to name the portrait file after; add references = [...]")
    return f"refs/{re.sub(r'[^a-z0-9]', '', latin.lower())}.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=ROOT / "projects" / "demo")
    parser.add_argument("--size", default="768x1536", help="WIDTHxHEIGHT of each portrait")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    cast = tomllib.loads((args.project / "cast.toml").read_text(encoding="utf-8"))
    for character in cast.get("character", []):
        spec = spec_from_text(character["name"], character.get("description", ""), character.get("color", "#888888"))
        image, anatomy = draw_figure(spec, height, width=width, supersample=3)
        info = PngImagePlugin.PngInfo()
        info.add_text(ANATOMY_KEY, anatomy.to_json())
        info.add_text("Description", f"{character['name']}: {character.get('description', '')}")
        path = args.project / portrait_file(character)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, pnginfo=info, optimize=True)
        print(f"{character['name']}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({width}x{height})")


if __name__ == "__main__":
    main()
