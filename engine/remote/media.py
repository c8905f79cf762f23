"""Images as remote engines send them: one file → the bytes a provider takes (as a data URI or raw base64), and
a request's reference images in one documented order."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from engine.api import RenderRequest


@dataclass(frozen=True)
class ImageLimits:
    """What a provider's image inputs take: formats (Pillow's names), the shorter side, the aspect ratio (longer
    side over shorter) and the file size. The default takes any size of PNG or JPEG."""

    formats: tuple[str, ...] = ("PNG", "JPEG")
    min_side: int = 1
    max_aspect: float = math.inf
    max_bytes: int | None = None


def image_bytes(path: Path, limits: ImageLimits = ImageLimits()) -> tuple[bytes, str]:
    """The bytes to send for an image file, and their MIME type. A file within `limits` goes as it is (the provider
    sees the exact pixels); any other is re-encoded: centre-cropped to the aspect limit, scaled up to the shorter
    side, PNG (JPEG when the PNG is over the size limit)."""
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if (image.format in limits.formats and min(width, height) >= limits.min_side
                and max(width, height) <= limits.max_aspect * min(width, height)
                and (limits.max_bytes is None or len(data) <= limits.max_bytes)):
            return data, Image.MIME[image.format]
        return conform(image, limits)


def conform(image: Image.Image, limits: ImageLimits) -> tuple[bytes, str]:
    picture = image.convert("RGB")
    width, height = picture.size
    if width > limits.max_aspect * height:
        keep = int(limits.max_aspect * height)
        picture = picture.crop(((width - keep) // 2, 0, (width - keep) // 2 + keep, height))
    elif height > limits.max_aspect * width:
        keep = int(limits.max_aspect * width)
        picture = picture.crop((0, (height - keep) // 2, width, (height - keep) // 2 + keep))
    width, height = picture.size
    if min(width, height) < limits.min_side:
        scale = limits.min_side / min(width, height)
        size = (max(limits.min_side, round(width * scale)), max(limits.min_side, round(height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    if limits.max_bytes is None or buffer.tell() <= limits.max_bytes:
        return buffer.getvalue(), "image/png"
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), "image/jpeg"


def data_uri(path: Path, limits: ImageLimits = ImageLimits()) -> str:
    """An image as a `data:<mime>;base64,…` URI (Ark, MiniMax and fal take these wherever they take an image URL)."""
    data, mime = image_bytes(path, limits)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def raw_base64(path: Path, limits: ImageLimits = ImageLimits()) -> str:
    """An image as plain base64 without a `data:` prefix (Kling's form)."""
    return base64.b64encode(image_bytes(path, limits)[0]).decode("ascii")


def reference_images(request: RenderRequest, limit: int, *, location: bool = False) -> list[Path]:
    """At most `limit` reference images: the first image of every character (in cast order) before anyone's
    second, and so on, so that every character is represented first; then, when `location` (the provider's
    input takes places as well as people), the location's image."""
    rounds = max((len(c.reference_images) for c in request.characters), default=0)
    images = [c.reference_images[i] for i in range(rounds) for c in request.characters if i < len(c.reference_images)]
    if location and request.scene.location_image is not None:
        images.append(request.scene.location_image)
    return images[:limit]
