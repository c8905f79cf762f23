"""`drama print`: the screenplay and the storyboard as PDFs, read back with poppler (pdftotext, pdftoppm, pdfimages):
pages, scene numbers, (MORE)/(CONT'D) where a speech breaks, dual dialogue side by side, CJK text extracted,
posters of rendered shots and placeholders for the rest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import copy_demo
from drama.cli import main

SCRIPTS = Path(__file__).parent / "scripts"
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install poppler-utils")


def _project(root: Path, name: str, text: str, language: str) -> Path:
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / name).write_text(text, encoding="utf-8")
    (root / "drama.toml").write_text(f'title = "Printed"\nlanguage = "{language}"\n', encoding="utf-8")
    return root


def pages_text(pdf: Path, *, layout: bool = True) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    out = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


def page_images(pdf: Path, folder: Path) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(folder / "page")], check=True)
    return [Image.open(path).convert("L") for path in sorted(folder.glob("page-*.png"))]


LONG_SPEECH = ["Title: Long Night", "Author: A. Writer", "", "INT. KITCHEN - NIGHT #1#", ""]
for _beat in range(20):
    LONG_SPEECH += [f"Beat {_beat + 1}. The kettle ticks as it cools.", ""]
LONG_SPEECH += ["MAYA", "(quietly)", " ".join(f"Sentence number {i + 1} is said slowly." for i in range(20)), "",
                "JON", "Go on.", "", "MAYA", "I cannot.", "", "JON ^", "You must.", "", "EXT. PIER - DAY", "", "Gulls.", ""]


def test_fountain_speech_breaks_with_more_and_contd(tmp_path, capsys):
    """A title page, then 20 beats of action (two lines each with the blank) fill most of page 1: Maya's speech of 20
    sentences breaks onto page 2, (MORE) under its last line here and MAYA (CONT'D) atop the next page."""
    root = _project(tmp_path / "p", "ep01.fountain", "\n".join(LONG_SPEECH), "en")
    assert main(["print", str(root), "--script"]) == 0
    pdf = root / "exports" / "ep01-script.pdf"
    assert f"wrote {pdf} (3 pages)" in capsys.readouterr().out
    title, first, second = pages_text(pdf)
    assert "LONG NIGHT" in title and "A. Writer" in title and "Written by" in title
    assert re.search(r"^1 +INT\. KITCHEN - NIGHT +1$", first, re.M)  # the scene number at both margins
    assert first.rstrip().splitlines()[-1].strip() == "(MORE)"
    assert "Sentence number 1 is said slowly." in first and "Sentence number 20" not in first
    top = [line.strip() for line in second.splitlines() if line.strip()]
    assert top[0] == "2." and top[1] == "MAYA (CONT'D)"  # page numbers from the second page of the script
    assert top[2].startswith("Sentence number") and "Sentence number 20 is said slowly." in second
    # every sentence is printed once, across the break
    assert sum(len(re.findall(r"Sentence number \d+ is", page)) for page in (first, second)) == 20
    # the dual dialogue: both cues on one line, both speeches on the next
    assert re.search(r"^ +MAYA {10,}JON$", second, re.M) and re.search(r"^ +I cannot\. {10,}You must\.$", second, re.M)
    assert re.search(r"^2 +EXT\. PIER - DAY +2$", second, re.M)


def test_fountain_pages_are_letter_courier(tmp_path):
    root = _project(tmp_path / "p", "feature.fountain", (SCRIPTS / "feature.fountain").read_text(encoding="utf-8"), "en")
    assert main(["print", str(root), "--script"]) == 0
    pdf = root / "exports" / "feature-script.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size: +612 x 792 pts", info)  # US Letter
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Courier" in fonts
    text = pages_text(pdf)
    headings = re.findall(r"^(\S+) +(?:INT|EXT)[^\n]*? {2,}(\S+)$", "\n".join(text), re.M)
    assert headings and all(left == right for left, right in headings)  # numbered at both margins
    # #1# #2# #3# as written, the next (unnumbered) heading counted on, #4# as written again
    joined = "\n".join(text)
    assert [left for left, _ in headings[:4]] == ["1", "2", "3", "4"]
    assert re.search(r"^4 +INT\. LAMP ROOM - DAY +4$", joined, re.M)
    assert re.search(r"^4 +INT\./EXT\. LIGHTHOUSE GALLERY - NIGHT +4$", joined, re.M)
    images = page_images(pdf, tmp_path)
    assert len(images) == len(text) and all(image.width < image.height for image in images)
    # Courier 12 pt: the action starts 1.5" from the left edge (60 px at 40 dpi), text dark on white
    body = images[1]
    columns = [x for x in range(body.width) if min(body.getpixel((x, y)) for y in range(body.height)) < 128]
    assert 55 <= min(columns) <= 62 or 25 <= min(columns) <= 32  # action at 1.5", or a scene number at 0.75"


def test_chinese_script_extracts_cjk(tmp_path):
    root = copy_demo(tmp_path / "demo")
    assert main(["print", str(root), "--script", "--to", str(tmp_path / "out")]) == 0
    pdf = tmp_path / "out" / "ep01-script.pdf"
    text = pages_text(pdf, layout=False)
    assert len(text) == 2
    whole = "".join(text)
    for line in ("1-1 夜 外 跨江大桥", "人物：沈清", "顾承泽：（淡淡）嗯。", "【字幕：三年后 · 顾家订婚宴】"):
        assert line in whole
    assert re.search(r"—\s*1\s*—", text[0]) and re.search(r"—\s*2\s*—", text[1])  # page numbers at the foot
    assert "归来" in text[1]  # the title heads the pages after the first
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"NotoSansCJKSC +CID TrueType +Identity-H +yes +yes +yes", fonts)  # embedded, subset, unicode
    source = (root / "episodes" / "ep01.txt").read_text(encoding="utf-8")
    body = source.split("第1集", 1)[1]  # the 人物小传 above it are printed too, in their own block
    said = [line.split("：", 1)[1] for line in body.splitlines() if re.match(r"^[\u4e00-\u9fff]{2,3}：", line)]
    assert "人物小传" in whole and "陈伯：60岁，顾家管家" in whole
    flat = whole.replace("\n", "")
    assert said and all(line.replace("（", "").replace("）", "") in flat.replace("（", "").replace("）", "")
                        for line in said)  # every line of dialogue, wrapped or not


def test_boards_with_posters_and_placeholders(tmp_path, capsys):
    """Two shots rendered (previz), the rest not: their frames hold the posters, the others say "not rendered"."""
    root = copy_demo(tmp_path / "demo", width=72, height=128, fps=6, draws=1)
    assert main(["plan", str(root), "--json"]) == 0
    shots = json.loads(capsys.readouterr().out)["shots"]
    drawn = [shot["id"] for shot in shots if shot["kind"] != "title_card"][:2]
    assert main(["render", str(root), "--shots", ",".join(drawn)]) == 0
    assert main(["print", str(root), "--boards"]) == 0
    pdf = root / "exports" / "ep01-boards.pdf"
    pages = pages_text(pdf, layout=False)
    assert len(pages) == -(-len(shots) // 6)  # six frames a page
    whole = "".join(pages)
    cards = sum(shot["kind"] == "title_card" for shot in shots)
    assert whole.count("not rendered") == len(shots) - len(drawn) - cards
    assert whole.count("title card 字幕") == cards
    assert re.search(r"^1 +scene 1-1 +[\d.]+ s$", pages[0], re.M) and "EWS 大远景" in pages[0]
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 == len(drawn)  # one picture per rendered shot
    [first, *_] = page_images(pdf, tmp_path)
    assert first.width < first.height  # portrait for a 9:16 episode


def test_print_needs_something_to_print(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    assert main(["print", str(root)]) == 2
    assert "--script, --boards, or both" in capsys.readouterr().err
    assert main(["print", str(root), "ep9", "--script"]) == 2
    assert "no episode 'ep9'" in capsys.readouterr().err


def test_fountain_with_typographic_punctuation_and_cjk(tmp_path):
    """Courier shows what a typewriter could (an em dash as --, straight quotes); CJK words go to the CJK font."""
    script = ("INT. 茶馆 - NIGHT\n\nLIN (林晚) pours tea — “slowly”. The sign reads 茶。\n\n"
              "LIN\n你好，世界。 Hello…\n")
    root = _project(tmp_path / "p", "ep01.fountain", script, "en")
    assert main(["print", str(root), "--script"]) == 0
    [page] = pages_text(root / "exports" / "ep01-script.pdf")
    assert re.search(r"^1 +INT\. 茶馆 - NIGHT +1$", page, re.M)
    assert 'LIN (林晚) pours tea -- "slowly". The sign reads 茶。' in page
    assert re.search(r"^ +你好，世界。 Hello\.\.\.$", page, re.M)


def test_characters_no_font_has_are_named(tmp_path, capsys):
    root = _project(tmp_path / "p", "ep01.txt", "1-1 日 内 客厅\n人物：林晚\n林晚：你好😀。\n", "zh")
    assert main(["print", str(root), "--script"]) == 0
    captured = capsys.readouterr()
    assert "warning: no font has 😀: left blank in ep01-script.pdf" in captured.err
    assert "林晚：你好" in "".join(pages_text(root / "exports" / "ep01-script.pdf", layout=False))
