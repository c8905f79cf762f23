"""`drama plan --watch`: the shot diff between two plans, and the command following a screenplay being edited."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

from conftest import copy_demo
from drama.project import Project
from drama.screenplay import parse_text
from drama.storyboard import plan
from drama.storyboard.diff import diff

SCENE = "1-1 日 内 客厅\n人物：林晚、周屿\n△ 林晚坐在沙发上。\n林晚：你回来了。\n周屿：嗯。\n林晚：吃饭了吗？\n"


def _storyboard(text: str, project: Project):
    return plan(parse_text(text, source="ep01.txt"), 0, project)


def test_diff_names_added_removed_and_changed_fields(tmp_path):
    (tmp_path / "drama.toml").write_text('title = "t"\n', encoding="utf-8")
    project = Project.load(tmp_path)
    before = _storyboard(SCENE, project)
    assert diff(before, _storyboard(SCENE, project)) == []  # the same script: nothing changed

    [edited] = diff(before, _storyboard(SCENE.replace("周屿：嗯。", "周屿：嗯，刚回来。"), project))
    assert edited.change == "changed" and edited.shot.speaker == "周屿"
    text = next(f for f in edited.fields if f.field == "text")
    assert (text.before, text.after) == ("嗯。", "嗯，刚回来。")

    [added] = diff(before, _storyboard(SCENE + "△ 周屿放下钥匙。\n", project))
    assert added.change == "added" and added.shot.action == "周屿放下钥匙。" and added.shot.index == len(before.shots)

    [removed] = diff(before, _storyboard(SCENE.replace("林晚：吃饭了吗？\n", ""), project))
    assert removed.change == "removed" and removed.shot.text == "吃饭了吗？"


def _reader(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)


def _until(lines: queue.Queue, text: str, timeout: float) -> tuple[list[str], float]:
    """Lines up to the first containing `text`, and when it came."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return seen, time.monotonic()
    raise AssertionError(f"{text!r} not printed within {timeout} s; got:\n{''.join(seen)}")


def test_watch_replans_on_save_and_survives_a_broken_script(tmp_path):
    root = copy_demo(tmp_path / "demo")
    script = root / "episodes" / "ep01.txt"
    process = subprocess.Popen([sys.executable, "-m", "drama", "plan", str(root), "--watch"], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "160"})
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        _until(lines, "planned in", 30)
        script.write_text(script.read_text(encoding="utf-8").replace("顾承泽：（淡淡）嗯。", "顾承泽：（淡淡）嗯，知道了。"),
                          encoding="utf-8")
        saved = time.monotonic()
        seen, when = _until(lines, "re-planned", 10)
        assert when - saved < 1.5  # within a second of the save (and the poll), on a shared machine
        seen += _until(lines, "嗯。 → 嗯，知道了。", 2)[0]
        assert any("re-planned" in line and "1 changed" in line for line in seen)
        script.write_text(script.read_text(encoding="utf-8").replace("陈伯：（压低声音）", "陈波：（压低声音）"),
                          encoding="utf-8")
        seen, _ = _until(lines, "still watching", 10)
        assert any("unknown character '陈波'" in line for line in seen)
        assert process.poll() is None  # still running
        script.write_text(script.read_text(encoding="utf-8").replace("陈波：", "陈伯："), encoding="utf-8")
        _until(lines, "re-planned", 10)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0  # Ctrl-C ends the watch, not as a failure
    _until(lines, "stopped watching", 5)
