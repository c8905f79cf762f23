"""What a printed page is made of, before any PDF: runs of text placed in points, and the drawing of them.

The layouts (fountain.py, chinese.py) are pure functions from a screenplay to pages; `draw` is the one place that
writes a PDF (fpdf2), embedding the CJK font (fonts.py) with exactly the characters the pages use.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from drama import atomic
from drama.printing.fonts import cjk_font, source_font

Face = Literal["courier", "cjk"]


class Run(BaseModel):
    """A piece of text on one line: `x` is its left edge, or its right edge when `align` is "right", or its centre."""

    x: float  # points from the page's left edge
    y: float  # points from the page's top to the baseline
    text: str
    face: Face = "courier"
    size: float = 12.0
    bold: bool = False
    italic: bool = False
    underline: bool = False
    align: Literal["left", "right", "center"] = "left"
    grey: bool = False


class Frame(BaseModel):
    """A storyboard frame: the picture fitted into the box, or a grey placeholder crossed through when there is none."""

    x: float
    y: float
    width: float
    height: float
    image: Path | None = None


class Page(BaseModel):
    width: float  # points
    height: float
    runs: list[Run] = []
    frames: list[Frame] = []


# typewriter forms of typographic punctuation, as screenplays are typed: "--" for a dash, straight quotes
TYPEWRITER = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "—": "--", "–": "-", "…": "...",
                            "\u00a0": " "})


def courier_safe(text: str) -> bool:
    """Whether Courier (a PDF base font: Latin-1 in fpdf2) can show `text` once typed on a typewriter."""
    try:
        text.translate(TYPEWRITER).encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _segments(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, courier can show it) runs, so a CJK name in an English script is still printed."""
    pieces: list[tuple[str, bool]] = []
    for char in text:
        safe = courier_safe(char)
        if pieces and pieces[-1][1] == safe:
            pieces[-1] = (pieces[-1][0] + char, safe)
        else:
            pieces.append((char, safe))
    return pieces


def draw(pages: list[Page], path: Path, *, title: str | None = None) -> list[str]:
    """Write the pages as a PDF at `path` (atomically), the CJK font embedded as a subset; return the characters no
    font has (emoji, rare scripts): they are left blank."""
    import logging

    from fpdf import FPDF

    characters = "".join(run.text for page in pages for run in page.runs if run.face == "cjk" or not courier_safe(run.text))
    cmap = source_font().getBestCmap()
    missing = sorted({c for c in characters if ord(c) not in cmap and not c.isspace()})
    logging.getLogger("fpdf").setLevel(logging.ERROR)  # its missing-glyph notice: said once, by the caller, instead
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    if title:
        pdf.set_title(title)
    pdf.set_creator("drama")
    with tempfile.TemporaryDirectory() as folder:
        for style, weight in (("", "Regular"), ("B", "Bold")):
            pdf.add_font("cjk", style, str(cjk_font(characters + " ", weight, Path(folder) / f"cjk-{weight}.ttf")))
        for page in pages:
            pdf.add_page(format=(page.width, page.height))
            for frame in page.frames:
                _frame(pdf, frame)
            for run in page.runs:
                _run(pdf, run)
        data = bytes(pdf.output())
    atomic.write_bytes(path, data)
    return missing


def _run(pdf, run: Run) -> None:  # noqa: ANN001 - an fpdf.FPDF
    pieces = _segments(run.text) if run.face == "courier" else [(run.text, False)]
    fonts = []
    for piece, safe in pieces:
        text = piece.translate(TYPEWRITER) if safe else piece
        face = "Courier" if safe else "cjk"
        style = ("B" if run.bold else "") + ("I" if run.italic and safe else "")
        pdf.set_font(face, style, run.size)
        fonts.append((text, face, style, pdf.get_string_width(text)))
    total = sum(width for *_, width in fonts)
    x = run.x - total if run.align == "right" else run.x - total / 2 if run.align == "center" else run.x
    pdf.set_text_color(110 if run.grey else 0)
    for text, face, style, width in fonts:
        pdf.set_font(face, style + ("U" if run.underline else ""), run.size)
        pdf.text(x, run.y, text)
        x += width


def _frame(pdf, frame: Frame) -> None:  # noqa: ANN001 - an fpdf.FPDF
    if frame.image is not None:
        from PIL import Image

        with Image.open(frame.image) as image:
            scale = min(frame.width / image.width, frame.height / image.height)
        width, height = image.width * scale, image.height * scale
        pdf.set_fill_color(0)
        pdf.rect(frame.x, frame.y, frame.width, frame.height, style="F")
        pdf.image(str(frame.image), x=frame.x + (frame.width - width) / 2, y=frame.y + (frame.height - height) / 2,
                  w=width, h=height)
    else:
        pdf.set_fill_color(236)
        pdf.set_draw_color(190)
        pdf.rect(frame.x, frame.y, frame.width, frame.height, style="DF")
        pdf.line(frame.x, frame.y, frame.x + frame.width, frame.y + frame.height)
        pdf.line(frame.x + frame.width, frame.y, frame.x, frame.y + frame.height)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.6)
    pdf.rect(frame.x, frame.y, frame.width, frame.height)
