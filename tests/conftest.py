"""Fixtures shared across test files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "projects" / "demo"
GENERATED = (".drama", "renders", "exports")


def copy_demo(target: Path, *, width: int = 144, height: int = 256, fps: int = 12, draws: int = 2) -> Path:
    """A copy of projects/demo at a tiny size with the offline voice, so whole-pipeline tests run in seconds."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(*GENERATED))
    config = target / "drama.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in (("width", width), ("height", height), ("fps", fps), ("draws", draws)):
        text = re.sub(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
    text = re.sub(r'(?m)^backend\s*=.*$', 'backend = "offline"', text)
    config.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def tiny_demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run several times faster on one thread than on two contended cores."""
    from open_weights_tiny import one_torch_thread as single_thread

    with single_thread():
        yield
