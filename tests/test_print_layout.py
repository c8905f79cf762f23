"""The print layouts as data, before any PDF: where each element sits, how lines wrap, where pages break."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from drama.printing import boards, chinese, fountain
from drama.printing.text import NO_END, NO_START, measure, wrap
from drama.screenplay import parse_file, parse_text
from drama.storyboard.model import Shot, Storyboard
from drama.storyboard.vocabulary import ShotSize

SCRIPTS = Path(__file__).parent / "scripts"
INCH = 72.0


def _rows(page) -> dict[float, list]:
    rows = defaultdict(list)
    for run in page.runs:
        rows[run.y].append(run)
    return rows


def test_fountain_margins_and_widths():
    """Action at 1.5" within 60 columns, speech at 2.5" within 35, cues at 3.7", transitions right at 7.5",
    FADE IN: at the left margin."""
    pages = fountain.layout(parse_file(SCRIPTS / "feature.fountain"), [0])
    runs = [run for page in pages[1:] for run in page.runs]
    action = [r for r in runs if r.x == 1.5 * INCH and not r.bold]
    speech = [r for r in runs if r.x == 2.5 * INCH]
    cues = [r for r in runs if r.x == 3.7 * INCH]
    assert action and speech and cues
    assert max(len(r.text) for r in action) <= 60 and max(len(r.text) for r in speech) <= 35
    assert max(len(r.text) for r in speech) > 25  # filled, not wrapped early
    assert any(r.text == "TOMAS" for r in cues) and all(r.text == r.text.upper() for r in cues)
    right = [r for r in runs if r.align == "right" and r.x == 7.5 * INCH and not r.text.endswith(".")]
    assert {"CUT TO:", "SMASH CUT TO:"} <= {r.text for r in right}
    assert any(r.text == "FADE IN:" and r.x == 1.5 * INCH for r in runs)


def test_fountain_pages_hold_54_lines_and_headings_keep_with_what_follows():
    script = parse_text("\n\n".join(f"INT. ROOM {n} - DAY\n\nSomething happens in room {n}." for n in range(1, 40)),
                        source="rooms.fountain")
    pages = fountain.layout(script, [0])
    assert len(pages) > 1
    for page in pages:
        body = sorted({run.y for run in page.runs if run.y > INCH})
        assert len(body) <= 54 and max(body) <= 10 * INCH  # inside the 1" bottom margin
        last = [run for run in page.runs if run.y == max(body)]
        assert not any(run.bold for run in last)  # a heading never ends a page


def test_fountain_dual_dialogue_shares_rows():
    script = parse_text("INT. A - DAY\n\nANN\nYes.\n\nBEN ^\nNo, never, not in a hundred years.\n", source="d.fountain")
    [page] = fountain.layout(script, [0])
    rows = _rows(page)
    cue_row = next(runs for runs in rows.values() if {r.text for r in runs} == {"ANN", "BEN"})
    left, right = sorted(cue_row, key=lambda r: r.x)
    assert left.x < 4.3 * INCH < right.x  # one column each side of the middle
    speech_row = next(runs for runs in rows.values() if any(r.text == "Yes." for r in runs))
    assert any(r.text.startswith("No, never") for r in speech_row)


def test_chinese_wrap_keeps_punctuation_off_the_line_start():
    text = "我等了你三年，三年里每一天我都在想你会不会回来，可是你一封信都没有写过，（停顿）“一个电话都没有打过。”"
    for width in range(60, 240, 7):
        lines = wrap(text, width, 11)
        assert "".join(lines) == text
        assert all(line[0] not in NO_START for line in lines[1:])
        assert all(line[-1] not in NO_END for line in lines[:-1])
        # over the width only by the closing mark that was pulled up
        assert all(measure(line, 11) <= width or line[-1] in NO_START for line in lines)


def test_chinese_layout_hangs_dialogue_under_its_text():
    script = parse_text("1-1 日 内 客厅\n人物：林晚\n林晚：" + "我想了很久很久，" * 12 + "\n", source="x.txt")
    [page] = chinese.layout(script, [0])
    name = next(r for r in page.runs if r.text == "林晚：")
    after = [r for r in page.runs if r.y > name.y and r.text.startswith(("我", "很", "久", "想", "了"))]
    assert name.bold and after and all(r.x == name.x + measure("林晚：", chinese.SIZE) for r in after)


def _shot(index: int, kind: str = "dialogue") -> Shot:
    return Shot(id=f"s{index}", index=index, kind=kind, scene="1", size=ShotSize.MCU, duration=2.0, speaker="A",
                text=f"line {index}")


def test_boards_six_a_page_in_the_episode_aspect(tmp_path):
    vertical = Storyboard(project="p", episode="ep01", width=1080, height=1920, fps=30,
                          shots=[_shot(i) for i in range(13)])
    pages = boards.sheets(vertical, {})
    assert len(pages) == 3 and [len(page.frames) for page in pages] == [6, 6, 1]
    assert pages[0].width < pages[0].height
    frame = pages[0].frames[0]
    assert abs(frame.width / frame.height - 9 / 16) < 1e-6 and frame.image is None
    wide = vertical.model_copy(update={"width": 1920, "height": 1080})
    page = boards.sheets(wide, {"s0": tmp_path / "poster.png"})[0]
    assert page.width > page.height and abs(page.frames[0].width / page.frames[0].height - 16 / 9) < 1e-6
    assert page.frames[0].image == tmp_path / "poster.png" and page.frames[1].image is None
    # frames stay inside the page and do not overlap their captions' neighbours
    for frame in page.frames:
        assert 0 < frame.x and frame.x + frame.width < page.width and frame.y + frame.height < page.height


def test_fountain_blocks_longer_than_a_page_break_on_every_page():
    """A 150-line action paragraph and a 130-line speech: every page holds at most 54 lines, the speech is marked
    (MORE)/(CONT'D) at each of its breaks and no word is lost."""
    action = "\n".join(f"word{n:03d}" for n in range(150))  # a line each (the parser keeps a paragraph's lines)
    speech = "\n".join(f"say{n:03d}" for n in range(130))
    script = parse_text(f"INT. HALL - DAY\n\n{action}\n\nMAYA\n{speech}\n", source="long.fountain")
    pages = fountain.layout(script, [0])
    texts = []
    for page in pages:
        body = [run for run in page.runs if run.y > INCH]
        assert len({run.y for run in body}) <= 54
        texts += [run.text for run in sorted(body, key=lambda r: r.y)]
    words = " ".join(texts).split()
    assert [w for w in words if w.startswith("word")] == [f"word{n:03d}" for n in range(150)]
    assert [w for w in words if w.startswith("say")] == [f"say{n:03d}" for n in range(130)]
    mores, contds = texts.count("(MORE)"), texts.count("MAYA (CONT'D)")
    assert mores == contds >= 2  # 130 lines of speech: over three pages at least
    for page in pages:  # a (MORE) is the last line of its page, a CONT'D cue the first
        body = sorted((run for run in page.runs if run.y > INCH), key=lambda r: r.y)
        assert all(run.text != "(MORE)" for run in body[:-1])
        assert all(run.text != "MAYA (CONT'D)" for run in body[1:])


def test_fountain_speaker_continuing_after_action_is_contd():
    script = parse_text("INT. A - DAY\n\nMAYA\nOne.\n\nShe sits.\n\nMAYA\nTwo.\n\nJON\nThree.\n\nMAYA\nFour.\n\n"
                        "She stands.\n\nMAYA (V.O.)\nFive.\n\nMAYA (CONT'D)\nSix.\n\nCUT TO:\n\nMAYA\nSeven.\n",
                        source="c.fountain")
    [page] = fountain.layout(script, [0])
    cues = [run.text for run in sorted(page.runs, key=lambda r: r.y) if run.x == 3.7 * INCH]
    assert cues == ["MAYA", "MAYA (CONT'D)", "JON", "MAYA", "MAYA (V.O.) (CONT'D)", "MAYA (CONT'D)", "MAYA"]


def test_fountain_emphasis_is_kept_in_place():
    script = parse_text("INT. A - DAY\n\nShe **runs** to the _door_.\n\nADA\nWhy is the *light* on?\n", source="e.fountain")
    [page] = fountain.layout(script, [0])
    styled = {run.text: run for run in page.runs if run.bold or run.italic or run.underline}
    assert set(styled) == {"INT. A - DAY", "runs", "door", "light"}
    assert styled["runs"].bold and styled["door"].underline and styled["light"].italic
    column = 12 * 0.6  # a Courier 12 pt character is 7.2 pt wide
    assert styled["runs"].x == 1.5 * INCH + len("She ") * column
    assert styled["light"].x == 2.5 * INCH + len("Why is the ") * column
    assert "".join(r.text for r in sorted(page.runs, key=lambda r: r.x) if r.y == styled["light"].y) == "Why is the light on?"
