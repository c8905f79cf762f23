"""The CJK font for subtitles and title cards: Noto Sans CJK (SIL OFL), installed by pip with the
`manimgx-fonts-cjk` wheel, so nothing is downloaded at run time.

The file is a variable-font collection (faces JP, KR, SC, TC, HK; weights Thin…Black). Its default
instance is Thin, so callers pick a named weight: PIL through `pil_font`, libass through fontconfig
(`fontconfig_env`), which exposes the named instances; libass's own `fontsdir=` loader does not.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

from drama import atomic
from drama.errors import DramaError

CJK_FONT_FAMILY = "Noto Sans CJK SC"
CJK_FONT_INDEX = 2  # the SC face of the collection (0 JP, 1 KR, 2 SC, 3 TC, 4 HK)


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK collection file installed with the package."""
    try:
        import manimgx_fonts_cjk
    except ImportError:
        raise DramaError("the CJK font package is not installed",
                         hint="pip install manimgx-fonts-cjk (a dependency of drama: reinstall drama)") from None
    path = Path(manimgx_fonts_cjk.__file__).parent / "NotoSansCJK-VF.otf.ttc"
    if not path.is_file():
        raise DramaError("the CJK font file is missing from its package", path=path,
                         hint="pip install --force-reinstall manimgx-fonts-cjk")
    return path


@functools.lru_cache(maxsize=32)
def pil_font(size: int, weight: str = "Bold") -> ImageFont.FreeTypeFont:
    """The SC face at a named weight (Thin, Light, Regular, Medium, Bold, Black …) for drawing with PIL."""
    font = ImageFont.truetype(str(cjk_font_path()), size, index=CJK_FONT_INDEX)
    names = [name.decode() if isinstance(name, bytes) else name for name in font.get_variation_names()]
    if weight not in names:
        raise DramaError(f"unknown font weight {weight!r}", hint=f"choose one of {', '.join(names)}")
    font.set_variation_by_name(weight)
    return font


def line_height_ratio(weight: str = "Bold") -> float:
    """Line height (ascent + descent) per em: libass sizes a font by its line height, not by its em,
    so a style that wants characters N pixels wide asks for N × this ratio."""
    return sum(pil_font(100, weight).getmetrics()) / 100


def fontconfig_env(cache_dir: Path) -> dict[str, str]:
    """Environment for an ffmpeg that burns ASS subtitles: a fontconfig file that adds our font's folder
    to the system fonts, so libass finds "Noto Sans CJK SC" with real Regular and Bold weights."""
    folder = Path(cache_dir).resolve() / "fontconfig"
    conf = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{cjk_font_path().parent}</dir>\n"
        f"  <cachedir>{folder / 'cache'}</cachedir>\n"
        "</fontconfig>\n"
    )
    if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
        atomic.write_text(conf, text)
    return {"FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(folder)}
