"""Reading files: encodings writers really save in, and malformed markup, all as clear DramaErrors."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from drama.errors import DramaError
from drama.screenplay import parse_file, parse_text

SCRIPTS = Path(__file__).parent / "scripts"
ZH = (SCRIPTS / "series_zh.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gbk", b""), ("gb18030", b""), ("utf-16", b""),
])
def test_encodings_read_the_same(tmp_path, encoding, prefix):
    path = tmp_path / "ep.txt"
    path.write_bytes(prefix + ZH.encode(encoding))
    script = parse_file(path)
    assert script.title == "重逢在雨季" and script.source == path
    assert script.model_dump(exclude={"source"}) == parse_text(ZH).model_dump(exclude={"source"})


def test_crlf_gbk_file_keeps_line_numbers(tmp_path):
    path = tmp_path / "ep.txt"
    path.write_bytes(ZH.replace("\n", "\r\n").encode("gbk"))
    script = parse_file(path)
    assert script.episodes[0].scenes[0].heading.line == 22


def test_undecodable_file_names_file_line_and_fix(tmp_path):
    path = tmp_path / "latin1.fountain"
    path.write_bytes("INT. CAFÉ - DAY\n\nOlé.\n".encode("latin-1"))
    with pytest.raises(DramaError) as caught:
        parse_file(path)
    error = caught.value
    assert error.path == path and error.line == 1 and "UTF-8" in error.hint
    assert "latin1.fountain:1" in str(error)


def test_binary_and_missing_files(tmp_path):
    binary = tmp_path / "image.fountain"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(DramaError, match="binary"):
        parse_file(binary)
    with pytest.raises(DramaError, match="no such screenplay file"):
        parse_file(tmp_path / "missing.fountain")
    with pytest.raises(DramaError, match="folder"):
        parse_file(tmp_path)


def test_unclosed_boneyard_points_at_its_opening_line():
    with pytest.raises(DramaError) as caught:
        parse_text("INT. A - DAY\n\nAction.\n\n/* cut from here\n\nBOB\nHi.\n", source="ep.fountain")
    assert caught.value.line == 5 and "*/" in caught.value.hint and str(caught.value.path) == "ep.fountain"


def test_unclosed_note_points_at_its_opening_line():
    with pytest.raises(DramaError) as caught:
        parse_text("INT. A - DAY\n\nBOB\nHi [[remember to\nfix this\n\nMore action.\n", source="ep.fountain")
    assert caught.value.line == 4 and "blank line 6" in caught.value.message and "]]" in caught.value.hint
    with pytest.raises(DramaError) as at_end:
        parse_text("1-1 日 内 客厅\n林晚：你好 [[待定", dialect="zh")
    assert at_end.value.line == 2 and "end of the file" in at_end.value.message


def test_boneyard_across_paragraphs_keeps_later_lines_true():
    script = parse_text("/* a\n\nb\n\nc */\nINT. A - DAY\n\nBOB\nHi.\n")
    scene = script.episodes[0].scenes[0]
    assert scene.heading.line == 6 and scene.elements[0].line == 8
