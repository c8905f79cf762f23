"""Shared helpers for the voice and subtitle tests: a tmp copy of the demo project and small storyboards."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_demo
from drama.project import Project
from drama.storyboard.model import Shot, Storyboard
from drama.storyboard.vocabulary import ShotSize


# (speaker, text, parenthetical, voiceover, kind)
ROWS = [
    ("旁白", "三年前的今晚，顾家少夫人沈清在这里坠江。", None, True, "establishing"),
    (None, None, None, False, "action"),
    (None, "三年后 · 顾家订婚宴", None, False, "title_card"),
    ("白薇", "承泽，过了今晚，顾太太就只有我一个了。", "娇笑", False, "dialogue"),
    ("顾承泽", "嗯。", "淡淡", False, "dialogue"),
    ("陈伯", "先生，门外有位小姐，说是来送贺礼的。", "压低声音", False, "dialogue"),
    ("沈清", "三年前那晚，桥上不止我一个人。这支笔，全都录下来了。我知道你们做了什么，谁也别想逃。", "冷笑", False, "dialogue"),
]


def demo_project(tmp_path: Path) -> Project:
    return Project.load(copy_demo(tmp_path / "demo", tiny=False, offline_voice=False))  # voice tests set the backend


def storyboard(rows=ROWS) -> Storyboard:
    shots = [Shot(id=f"shot{i}", index=i, kind=kind, scene="1-1", size=ShotSize.MS, duration=3.0, speaker=speaker,
                  text=text, parenthetical=parenthetical, voiceover=voiceover)
             for i, (speaker, text, parenthetical, voiceover, kind) in enumerate(rows)]
    return Storyboard(project="demo", episode="ep01", width=1080, height=1920, fps=30, shots=shots)
