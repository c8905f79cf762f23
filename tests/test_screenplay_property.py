"""Whatever a writer (or a cat on the keyboard) types, parsing returns a Script or raises DramaError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drama.errors import DramaError
from drama.screenplay import parse_text
from drama.screenplay.model import Script

# Fragments that steer random text into the parser's interesting branches.
MARKUP = ["INT. ", "EXT. ", ".", "@", "!", "^", "~", ">", "<", "===", "#", "=", "[[", "]]", "/*", "*/", "*", "**",
          "_", "\\", "(", ")", "（", "）", ":", "：", "TO:", "FADE IN:", "Title:", "    ", "\t", "\n", "\n\n", "\r\n",
          "1-1 日 外 ", "第十二集：", "△", "【字幕：", "【镜头：", "】", "人物：", "旁白：", "林晚（OS）：", "大纲：",
          "人物小传：", "《", "》", "切至：", "BOB", "#1A#", " - NIGHT", "  \n"]
text = st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=12)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=text, dialect=st.sampled_from([None, "fountain", "zh"]))
def test_parse_never_crashes(text, dialect):
    try:
        script = parse_text(text, dialect=dialect, source="random.fountain")
    except DramaError as error:
        assert error.line is None or error.line >= 1
        return
    assert isinstance(script, Script) and script.episodes
    Script.model_validate_json(script.model_dump_json())  # and it round-trips as JSON


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_decode_or_raise_drama_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "ep.txt"
    path.write_bytes(data)
    from drama.screenplay import parse_file

    try:
        assert isinstance(parse_file(path), Script)
    except DramaError:
        pass
