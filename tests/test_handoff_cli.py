"""`drama export PROJECT --format X --to DIR` on a rendered copy of the demo: the hand-off is written where asked,
the MP4 export is left alone, and a wrong --to is said plainly."""

from __future__ import annotations

import json
import re

import opentimelineio as otio
import pytest

from conftest import copy_demo
from drama.cli import main
from drama.cli.make import HANDOFF_FORMATS
from drama.edit.handoff import FORMATS


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The demo at 24 fps (FCP 7 XML and EDL count SMPTE frames), one draw per shot, rendered but not exported."""
    root = copy_demo(tmp_path_factory.mktemp("handoff") / "demo", fps=24, draws=1)
    assert main(["render", str(root), "--draws", "1"]) == 0
    return root


def test_the_cli_offers_every_format():
    assert HANDOFF_FORMATS == FORMATS


@pytest.mark.parametrize("fmt, written", [("fcp7", ["ep01.srt", "ep01.xml"]), ("otioz", ["ep01.otioz"]),
                                          ("jianying", ["归来 ep01"])])
def test_export_format_writes_the_hand_off_where_asked(rendered, tmp_path, capsys, fmt, written):
    if fmt == "jianying":
        pytest.importorskip("pyJianYingDraft")
    assert main(["export", str(rendered), "--format", fmt, "--to", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == written
    assert "handed off" in out and fmt in out
    assert not (rendered / "exports" / "ep01.mp4").exists()  # the hand-off encodes nothing
    voices = sorted((rendered / "exports" / "media" / "ep01" / "voice").iterdir())
    assert voices and all(path.suffix == ".wav" for path in voices)  # the lines now live in the project
    if fmt == "fcp7":
        cut = otio.adapters.read_from_file(str(tmp_path / "out" / "ep01.xml"))
        assert len(cut.video_tracks()[0].find_clips()) >= 10
        assert re.search(r"note ep01: \d+ ?alternate|note ep01: subtitles", out)
    if fmt == "jianying":
        content = json.loads((tmp_path / "out" / "归来 ep01" / "draft_content.json").read_text(encoding="utf-8"))
        assert {track["name"] for track in content["tracks"]} >= {"video", "voice", "subtitles"}


def test_a_file_given_as_to_is_refused_with_what_to_do(rendered, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert main(["export", str(rendered), "--format", "otio", "--to", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "a file is where the hand-off folder belongs" in err and "Traceback" not in err
    assert blocker.read_text() == "x"


def test_hand_off_options_without_a_format_are_refused(rendered, capsys):
    assert main(["export", str(rendered), "--alternates"]) == 2
    assert "--alternates goes with --format" in capsys.readouterr().err
    assert not (rendered / "exports" / "ep01.mp4").exists()


def test_a_to_that_cannot_be_made_is_said(rendered, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", str(rendered), "--format", "edl", "--to", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert str(blocker / "sub") in err and "bug" not in err
