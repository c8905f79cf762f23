"""A small image engine for tests of stills (character sheets, keyframes on the review page): a figure in the
first character's colour on a seeded backdrop, posed by `options["view"]`. Every call is counted, so a test can
tell a cached rerun from a redraw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.api import ImageEngine, RenderRequest, Still
from engine.registry import register_engine

CALLS: list[RenderRequest] = []


@register_engine
class TestStills(ImageEngine):
    name = "test-stills"
    version = "1"

    def render(self, request: RenderRequest, out_dir: Path) -> Still:
        CALLS.append(request)
        rng = np.random.default_rng(request.seed)
        pixels = rng.integers(90, 160, (request.height, request.width, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        colour = request.characters[0].color if request.characters else "#888888"
        width = {"front": 0.36, "three_quarter": 0.28, "side": 0.18}.get(str(request.options.get("view")), 0.3)
        w, h = request.width, request.height
        draw.ellipse([w * (0.5 - width / 2), h * 0.2, w * (0.5 + width / 2), h * 0.9], fill=colour)
        path = out_dir / "picture.png"
        image.save(path)
        return Still(image=path, width=w, height=h, meta={"view": str(request.options.get("view", ""))})
