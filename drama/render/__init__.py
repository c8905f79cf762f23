"""Render: shots → jobs (shot × seed) → engine → scored candidates under renders/<key>/ → picks.

`render_shots` makes sure each shot has its draws; `StateStore` keeps candidates, picks and overrides.
"""

from drama.render.executor import JobResult, RenderReport, render_shots
from drama.render.state import Candidate, ShotOverride, StateStore

__all__ = ["Candidate", "JobResult", "RenderReport", "ShotOverride", "StateStore", "render_shots"]
