"""The previz as an image engine: the shot's keyframe is the first frame the previz video engine draws for the same
request (the same staging, engine/previz/shot.py), composited once and saved as a PNG: no video, no encoder."""

from __future__ import annotations

from pathlib import Path

from engine.api import ImageEngine, RenderRequest, Still
from engine.previz.layers import Compositor
from engine.previz.shot import build_scene, plan_shot

# `options["view"]` (a character sheet's view) → (the view drawn, the way every character faces). The previz's people
# are flat front-facing cut-outs (a portrait or a drawn stand-in) that it can only squeeze and mirror: the three-quarter
# view is the cut-out turned to the right, and a profile is beyond it, so the side view is drawn as the three-quarter
# one (the sheet's full shot still shows the build) and the still's meta says so.
VIEWS: dict[str, tuple[str, str]] = {"front": ("front", "front"), "three_quarter": ("three_quarter", "right"),
                                     "side": ("three_quarter", "right")}


class PrevizImageEngine(ImageEngine):
    """Option (per request): `view` ("front", "three_quarter"; "side" is drawn as "three_quarter", see VIEWS) turns
    every character that way (a character sheet's views); without it they face as placed. The camera's move and the
    request's frame count matter only as they do to the video's first frame (its plates are prepared for the whole
    path), so the still is that frame, pixel for pixel."""

    name = "previz-image"
    version = "1"
    features = ("text", "references", "seed")

    def render(self, request: RenderRequest, out_dir: Path) -> Still:
        asked = request.options.get("view")
        if asked is not None and asked not in VIEWS:
            raise ValueError(f"unknown view {asked!r} in the request's options; use one of {', '.join(VIEWS)}")
        view, facing = VIEWS[str(asked)] if asked is not None else ("", "")
        scene = build_scene(plan_shot(turned(request, facing) if facing else request))
        frame = Compositor(scene.layers, scene.plan.view, scene.plan.poses).frame(0)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        image = out_dir / "still.png"
        frame.save(image, compress_level=1)
        return Still(image=image, width=frame.width, height=frame.height,
                     meta={"engine": f"{self.name}-{self.version}", **scene.meta(), "view": view,
                           "view_asked": str(asked or "")})


def turned(request: RenderRequest, facing: str) -> RenderRequest:
    """The request with every character facing `facing` (a Placement.facing)."""
    characters = tuple(c.model_copy(update={"placement": c.placement.model_copy(update={"facing": facing})})
                       for c in request.characters)
    return request.model_copy(update={"characters": characters})
