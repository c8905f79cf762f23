"""engine.remote.media: images sent byte for byte within a provider's limits, conformed otherwise, and reference
images in one order for every engine."""

from __future__ import annotations

import base64
import io
import random
from pathlib import Path

from PIL import Image

from engine.api import CharacterRef, RenderRequest, SceneContext
from engine.remote.media import ImageLimits, data_uri, image_bytes, raw_base64, reference_images

KLING_LIKE = ImageLimits(min_side=300, max_aspect=2.5, max_bytes=10 * 1024 * 1024)


def picture(path: Path, size: tuple[int, int], fmt: str = "PNG") -> Path:
    Image.new("RGB", size, (200, 120, 40)).save(path, format=fmt)
    return path


def size_of(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return str(image.format), image.size


def test_an_image_within_the_limits_goes_byte_for_byte(tmp_path: Path) -> None:
    jpeg = picture(tmp_path / "a.jpg", (360, 640), "JPEG")
    assert image_bytes(jpeg, KLING_LIKE) == (jpeg.read_bytes(), "image/jpeg")
    assert data_uri(jpeg) == "data:image/jpeg;base64," + base64.b64encode(jpeg.read_bytes()).decode()
    assert base64.b64decode(raw_base64(jpeg, KLING_LIKE)) == jpeg.read_bytes()


def test_other_images_are_conformed(tmp_path: Path) -> None:
    small = picture(tmp_path / "small.png", (144, 256))
    assert size_of(image_bytes(small, KLING_LIKE)[0]) == ("PNG", (300, 533))  # scaled up to 300 px a side
    wide = picture(tmp_path / "wide.png", (1000, 300))
    assert size_of(image_bytes(wide, KLING_LIKE)[0]) == ("PNG", (750, 300))  # centre-cropped to 5:2
    webp = picture(tmp_path / "a.webp", (32, 32), "WEBP")
    assert image_bytes(webp)[1] == "image/png" and size_of(image_bytes(webp)[0]) == ("PNG", (32, 32))
    noisy = tmp_path / "noisy.png"
    Image.frombytes("RGB", (400, 400), random.Random(0).randbytes(400 * 400 * 3)).save(noisy)  # ~480 kB
    data, mime = image_bytes(noisy, ImageLimits(max_bytes=100_000, formats=("JPEG",)))
    assert mime == "image/jpeg" and size_of(data) == ("JPEG", (400, 400))  # PNG too big: JPEG


def test_reference_images_take_every_characters_first_then_the_location(tmp_path: Path) -> None:
    a1, a2, a3, b1, b2, place = (tmp_path / f"{name}.png" for name in ("a1", "a2", "a3", "b1", "b2", "place"))
    request = RenderRequest(prompt="p", characters=(CharacterRef(name="A", reference_images=(a1, a2, a3)),
                                                    CharacterRef(name="B", reference_images=(b1, b2)),
                                                    CharacterRef(name="C")),
                            scene=SceneContext(location_image=place))
    assert reference_images(request, 9) == [a1, b1, a2, b2, a3]
    assert reference_images(request, 9, location=True) == [a1, b1, a2, b2, a3, place]
    assert reference_images(request, 3, location=True) == [a1, b1, a2]
    assert reference_images(RenderRequest(prompt="p", scene=SceneContext(location_image=place)), 4,
                            location=True) == [place]
