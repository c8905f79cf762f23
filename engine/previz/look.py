"""The light of a scene: time of day as sky colours, ambient and key light, with seeded variation of
the key's side and strength, the exposure, the colour temperature and the sky, so that draws of one
shot differ in mood, not in meaning (a day stays a day, a night a night)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.previz.color import RGB, mix

Light = tuple[float, float, float]


@dataclass(frozen=True)
class Look:
    time: str
    sky_top: RGB
    sky_horizon: RGB
    haze: RGB  # distant things fade to this
    ambient: Light  # multiplier for lit surfaces and people
    key: Light  # extra light on the key side
    key_side: int  # -1 from the left, +1 from the right
    night: bool
    lamps: bool  # practical lights on (lamps, lit windows, street lights)
    sun: RGB | None  # sun or moon disc colour
    places: float = 1.0  # walls, streets and furniture take this much of the ambient (night sets are darker than faces)


_BASE: dict[str, dict] = {
    "day": dict(sky_top=(92, 150, 222), sky_horizon=(200, 224, 242), haze=(190, 208, 222), ambient=(1.0, 1.0, 1.0),
                key=(0.16, 0.15, 0.12), night=False, lamps=False, sun=(255, 250, 225)),
    "morning": dict(sky_top=(120, 170, 225), sky_horizon=(240, 228, 205), haze=(222, 220, 210), ambient=(1.0, 0.97, 0.92),
                    key=(0.2, 0.16, 0.1), night=False, lamps=False, sun=(255, 240, 200)),
    "dawn": dict(sky_top=(90, 104, 160), sky_horizon=(246, 184, 160), haze=(200, 170, 176), ambient=(0.82, 0.76, 0.82),
                 key=(0.22, 0.14, 0.1), night=False, lamps=True, sun=(255, 210, 170)),
    "dusk": dict(sky_top=(58, 60, 120), sky_horizon=(250, 150, 90), haze=(190, 130, 120), ambient=(0.86, 0.7, 0.62),
                 key=(0.3, 0.16, 0.06), night=False, lamps=True, sun=(255, 170, 90)),
    "evening": dict(sky_top=(28, 30, 70), sky_horizon=(120, 80, 110), haze=(90, 70, 96), ambient=(0.62, 0.56, 0.62),
                    key=(0.3, 0.2, 0.08), night=True, lamps=True, sun=None, places=0.8),
    "night": dict(sky_top=(6, 10, 26), sky_horizon=(30, 40, 70), haze=(34, 40, 62), ambient=(0.46, 0.5, 0.64),
                  key=(0.34, 0.24, 0.1), night=True, lamps=True, sun=(226, 230, 240), places=0.6),
}


def look_for(time_of_day: str, rng: np.random.Generator) -> Look:
    """The look of one draw: the time of day's palette with a seeded key side and strength (×0.5–1.6),
    exposure (±7 %), temperature (±8 %, warm or cool) and a sky between its zenith and haze colours."""
    base = _BASE.get(time_of_day, _BASE["day"])
    warm = rng.uniform(-0.08, 0.08)
    exposure = rng.uniform(0.93, 1.07)
    temp = (exposure * (1 + warm), exposure, exposure * (1 - warm))
    ambient = tuple(a * t for a, t in zip(base["ambient"], temp, strict=False))
    sky_shift = rng.uniform(-0.1, 0.3)
    strength = rng.uniform(0.5, 1.6)
    return Look(
        time=time_of_day,
        sky_top=mix(base["sky_top"], base["sky_horizon"], max(0.0, sky_shift)),
        sky_horizon=mix(base["sky_horizon"], base["haze"], rng.uniform(0.0, 0.5)),
        haze=base["haze"],
        ambient=ambient,  # type: ignore[arg-type]
        key=tuple(k * strength for k in base["key"]),  # type: ignore[arg-type]
        key_side=int(rng.choice((-1, 1))),
        night=base["night"],
        lamps=base["lamps"],
        sun=base["sun"],
        places=base.get("places", 1.0),
    )


def light_gain(width: int, look: Look, key_strength: float = 1.0) -> np.ndarray:
    """Per-column RGB gain (width x 3): the ambient everywhere, plus the key towards its side."""
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)
    if look.key_side < 0:
        ramp = ramp[::-1]
    return np.asarray(look.ambient, np.float32)[None, :] + ramp[:, None] ** 1.5 * np.asarray(look.key, np.float32)[None, :] * key_strength


def light_pixels(rgb: np.ndarray, look: Look, key_strength: float = 1.0, columns: tuple[int, int] | None = None) -> np.ndarray:
    """Light HxWx3 uint8 surface colours (integer maths: this runs on every plate of every draw). `columns`
    (first column, whole width) says where `rgb` sits in a wider image, whose width the key spreads over."""
    left, width = columns or (0, rgb.shape[1])
    gain = light_gain(width, look, key_strength)[left : left + rgb.shape[1]]
    gain = np.round(np.minimum(gain, 1.99) * 128).astype(np.uint16)
    return np.minimum((rgb.astype(np.uint16) * gain[None]) >> 7, 255).astype(np.uint8)  # 255 * 255 fits 16 bits
