"""Framing and camera paths in scene units (metres, degrees).

The world: X right, Y up, Z away from the camera's start; people stand on Y = 0 at depth
`Framing.distance`. A shot size fixes how much of the subject the frame holds (so the distance),
an angle fixes height, tilt and roll, and a move animates the pose frame by frame with an
ease-in-out whose start and end are seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.api import CameraMove, CameraPose

FOV = 40.0  # vertical field of view at rest, degrees

# shot size → (frame height at the subject in metres, frame top above the top of the head in metres)
SHOT_FRAMES: dict[str, tuple[float, float]] = {
    "ECU": (0.30, -0.03),  # forehead to chin
    "CU": (0.48, 0.05),  # head and shoulders
    "MCU": (0.68, 0.06),  # chest up
    "MS": (0.9, 0.08),  # waist up
    "OTS": (0.8, 0.08),
    "FS": (2.25, 0.28),  # the whole body
    "WS": (5.0, 2.6),  # small in the place
    "EWS": (14.0, 10.3),
}
ANGLES: dict[str, tuple[float, float]] = {  # angle → (tilt degrees, roll degrees); dutch's sign is seeded
    "eye": (0.0, 0.0), "high": (-20.0, 0.0), "low": (17.0, 0.0), "overhead": (-62.0, 0.0), "dutch": (0.0, 11.0),
}


@dataclass(frozen=True)
class Framing:
    shot: str
    distance: float  # camera to subject plane at rest (m)
    height: float  # camera height at rest (m)
    tilt: float  # degrees, + looks up
    roll: float  # degrees
    fov: float
    offset_x: float  # camera x at rest: the seeded composition offset (m)

    @property
    def frame_height_m(self) -> float:
        """Height of the frame at the subject's depth."""
        return 2 * self.distance * math.tan(math.radians(self.fov / 2))


def frame_subject(shot: str, angle: str, head_top: float, aspect: float, rng: np.random.Generator) -> Framing:
    """Where the camera stands for `shot` of a subject whose head top is `head_top` metres high."""
    visible, top_margin = SHOT_FRAMES[shot]
    visible *= rng.uniform(0.95, 1.06)
    distance = visible / (2 * math.tan(math.radians(FOV / 2)))
    centre = head_top + top_margin - visible / 2 + rng.uniform(-0.03, 0.03) * visible
    tilt, roll = ANGLES.get(angle, (0.0, 0.0))
    if angle == "dutch":
        roll *= float(rng.choice((-1.0, 1.0)))
    # tilting keeps the subject framed: rise (or sink) by the distance times the tilt's tangent
    height = centre - distance * math.tan(math.radians(tilt))
    height = max(0.12, height)
    return Framing(shot, distance, height, tilt, roll, FOV, rng.uniform(-0.03, 0.03) * visible * aspect)


def ease(t: np.ndarray) -> np.ndarray:
    """Ease-in-out (smootherstep) on [0, 1]."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * t * (t * (t * 6 - 15) + 10)


def camera_path(framing: Framing, move: CameraMove, num_frames: int, fps: float, aspect: float, rng: np.random.Generator) -> list[CameraPose]:
    """One pose per frame. pan/truck/orbit +1 = right, tilt/crane +1 = up, zoom +1 = in."""
    n = num_frames
    t = np.arange(n) / max(1, n - 1)
    start, end = rng.uniform(0.0, 0.12), rng.uniform(0.88, 1.0)
    e = ease((t - start) / (end - start))
    s, d = move.strength, move.direction
    hm = framing.frame_height_m
    wm = hm * aspect
    x = np.full(n, framing.offset_x)
    y = np.full(n, framing.height)
    z = np.zeros(n)
    pan = np.zeros(n)
    tilt = np.full(n, framing.tilt)
    roll = np.full(n, framing.roll)
    fov = np.full(n, framing.fov)
    kind = move.kind
    if kind == "pan":
        pan += d * s * 9.0 * e
    elif kind == "tilt":
        tilt += d * s * 7.0 * e
    elif kind in ("dolly_in", "dolly_out"):
        grow = 1 + 0.4 * s * (e if kind == "dolly_in" else 1 - e)
        z += framing.distance * (1 - 1 / grow)
    elif kind == "truck":
        x += d * s * 0.35 * wm * e
    elif kind == "follow":
        x += d * s * 0.9 * wm * e
    elif kind == "crane":
        # The camera rises from the framing, or comes down to it from above (never through the floor), looking
        # level: everything slides down (up), the near more than the far. Tilting to hold the subject would
        # swing whatever stands beyond twice its distance (the skyline of a wide shot) the other way, which
        # reads as a tilt, not a crane.
        y += s * 0.35 * hm * (e if d > 0 else 1 - e)
    elif kind == "zoom":
        grow = 1 + 0.4 * s * (e if d > 0 else 1 - e)
        fov = 2 * np.degrees(np.arctan(math.tan(math.radians(framing.fov / 2)) / grow))
    elif kind == "orbit":
        phi = np.radians(d * s * 18.0 * e)
        x += framing.distance * np.sin(phi)
        z += framing.distance * (1 - np.cos(phi))
        pan -= np.degrees(phi)
    elif kind == "handheld":
        seconds = np.arange(n) / fps
        for axis, amp in ((pan, 0.35), (tilt, 0.3), (roll, 0.35)):
            for _ in range(3):
                axis += amp * s / 3 * np.sin(2 * math.pi * rng.uniform(0.25, 1.6) * seconds + rng.uniform(0, 2 * math.pi))
    return [
        CameraPose(x=float(x[i]), y=float(y[i]), z=float(z[i]), pan=float(pan[i]), tilt=float(tilt[i]), roll=float(roll[i]), fov=float(fov[i]))
        for i in range(n)
    ]
