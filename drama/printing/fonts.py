"""The CJK font of a printed page: Noto Sans CJK SC (drama.fonts) as a small static TrueType font holding only the
characters the document uses, at one weight.

The shipped file is a variable CFF2 collection of some 65,000 glyphs: PDF libraries either cannot embed it or take
minutes instantiating it whole. Drawing the few hundred glyphs a script needs at the weight asked, through
fontTools' pens (cubic outlines to quadratic), takes about a second and embeds as an ordinary subset.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from drama.fonts import CJK_FONT_INDEX, cjk_font_path

WEIGHTS = {"Regular": 400, "Bold": 700}


@functools.lru_cache(maxsize=1)
def source_font() -> TTFont:
    """The SC face of the shipped collection, read lazily (only the glyphs drawn are decoded)."""
    return TTFont(str(cjk_font_path()), fontNumber=CJK_FONT_INDEX, lazy=True)


def cjk_font(characters: str, weight: str, path: Path) -> Path:
    """Write to `path` a TrueType font with `characters` (those the CJK font has) at `weight`; return `path`."""
    source = source_font()
    cmap = source.getBestCmap()
    wanted = {ord(c): cmap[ord(c)] for c in set(characters) if ord(c) in cmap}
    names = [".notdef", *sorted(set(wanted.values()) - {".notdef"})]
    glyph_set = source.getGlyphSet(location={"wght": WEIGHTS[weight]})
    glyphs, metrics = {}, {}
    for name in names:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
        glyphs[name].recalcBounds(None)
        metrics[name] = (glyph_set[name].width, getattr(glyphs[name], "xMin", 0))
    os2, hhea = source["OS/2"], source["hhea"]
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(wanted)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    builder.setupNameTable({"familyName": "Noto Sans CJK SC", "styleName": weight})
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent)
    builder.setupPost()
    builder.save(str(path))
    return path
