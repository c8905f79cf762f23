"""Title cards (【字幕：…】, "TITLE: …"): centred text in the CJK font, on black or over a darkened blur of
the frame before it. Drawn once with PIL; the assembler fades the text in and out."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from drama.edit.subtitles import break_lines
from drama.fonts import pil_font

TEXT_WIDTH = 0.8  # of the frame width
DARKEN = 0.35  # brightness kept of the blurred background


def card_background(width: int, height: int, previous: np.ndarray | None) -> np.ndarray:
    """Black, or the previous frame (HxWx3 RGB) blurred and darkened, so the card feels continuous with the cut."""
    if previous is None:
        return np.zeros((height, width, 3), dtype=np.uint8)
    image = Image.fromarray(previous).resize((width, height)).filter(ImageFilter.GaussianBlur(radius=width / 30))
    return (np.asarray(image, dtype=np.float32) * DARKEN).astype(np.uint8)


def draw_card(text: str, background: np.ndarray) -> np.ndarray:
    """The card with its text: bold white lines, centred, sized to the frame width, with a soft shadow."""
    height, width = background.shape[:2]
    size = max(12, round(min(width, height) / 13))
    font = pil_font(size, "Bold")
    lines = [line for paragraph in text.splitlines() for line in break_lines(paragraph, TEXT_WIDTH * width / size)]
    image = Image.fromarray(background).convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    spacing = round(size * 0.45)
    boxes = [draw.textbbox((0, 0), line, font=font) for line in lines]
    total = sum(box[3] - box[1] for box in boxes) + spacing * (len(lines) - 1)
    y = (height - total) / 2
    for line, box in zip(lines, boxes, strict=False):
        x = (width - (box[2] - box[0])) / 2 - box[0]
        draw.text((x + size * 0.06, y - box[1] + size * 0.06), line, font=font, fill=(0, 0, 0, 160))
        draw.text((x, y - box[1]), line, font=font, fill=(255, 255, 255, 255))
        y += box[3] - box[1] + spacing
    return np.asarray(Image.alpha_composite(image, layer).convert("RGB"))
