"""`drama parse`: outline, JSON for tools, forced dialect, and errors without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from drama.cli import main

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).parent.parent


def test_json_document(capsys):
    assert main(["parse", str(SCRIPTS / "series_zh.txt"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["title"] == "重逢在雨季" and len(document["episodes"]) == 3
    scene = document["episodes"][0]["scenes"][1]
    assert scene["heading"]["text"] == "1-2 日 内 老书店"
    dialogue = next(e for e in scene["elements"] if e["type"] == "dialogue")
    assert {"character", "parenthetical", "text"} <= dialogue.keys()
    assert (dialogue["character"], dialogue["parenthetical"], dialogue["text"]) == ("陈姨", "惊喜", "晚晚？真的是你！")


def test_outline_shows_structure(capsys):
    assert main(["parse", str(SCRIPTS / "feature.fountain")]) == 0
    out = capsys.readouterr().out
    assert "THE KEEPER" in out and "EXT. HARBOR - DAWN" in out and "TOMAS" in out and "fade_in" in out


def test_forced_dialect(capsys):
    assert main(["parse", str(SCRIPTS / "short_zh.txt"), "--json", "--dialect", "fountain"]) == 0
    assert json.loads(capsys.readouterr().out)["dialect"] == "fountain"


def test_errors_print_without_traceback(tmp_path):
    bad = tmp_path / "bad.fountain"
    bad.write_text("INT. A - DAY\n\n/* never closed\n")
    result = subprocess.run([sys.executable, "-m", "drama", "parse", str(bad)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"{bad}:3" in result.stderr and "*/" in result.stderr
