"""The CJK font is installed by pip and draws Chinese; libass burns our ASS with it at a real weight."""

from __future__ import annotations

import os
import subprocess

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from drama.edit.subtitles import Cue, write_ass
from drama.fonts import CJK_FONT_FAMILY, cjk_font_path, fontconfig_env, pil_font


def _glyph(char: str, weight: str) -> np.ndarray:
    image = Image.new("L", (120, 120), 0)
    ImageDraw.Draw(image).text((10, 0), char, font=pil_font(96, weight), fill=255)
    return np.asarray(image) > 127


def test_font_is_installed_and_draws_distinct_chinese_glyphs():
    assert cjk_font_path().is_file() and cjk_font_path().stat().st_size > 10_000_000
    zhong, wen = _glyph("中", "Regular"), _glyph("文", "Regular")
    assert zhong.sum() > 300 and wen.sum() > 300 and (zhong != wen).sum() > 300
    assert pil_font(96, "Regular").getname() == (CJK_FONT_FAMILY, "Regular")
    assert _glyph("中", "Bold").sum() > 1.3 * zhong.sum()  # a real bold, not the Thin default instance


def test_ffmpeg_burns_the_ass_with_the_cjk_font(tmp_path):
    width, height = 540, 960
    cue = Cue(index=1, start=0.0, end=2.0, lines=["你怎么才回来？", "中文字幕"], shot_id="s1")
    write_ass([cue], tmp_path / "subs.ass", width, height)
    frame = tmp_path / "frame.png"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c=0x404040:s={width}x{height}",
               "-frames:v", "1", "-vf", "ass=subs.ass", "-y", str(frame)]
    subprocess.run(command, cwd=tmp_path, env={**os.environ, **fontconfig_env(tmp_path / "cache")}, check=True)
    pixels = np.asarray(Image.open(frame).convert("L")).astype(int)
    white = pixels > 220
    rows = np.flatnonzero(white.any(axis=1))
    assert rows.size, "no subtitle drawn"
    assert rows.max() < height * 0.88 + 2 and rows.min() > height * 0.6  # above the 12 % bottom margin
    # tofu (missing glyphs) draws hollow boxes: real glyphs give many distinct column profiles
    columns = white[rows.min():rows.max() + 1].sum(axis=0)
    assert len(set(columns[columns > 0].tolist())) > 15
