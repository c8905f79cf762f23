"""Camera conditioning: a camera path (one pose per frame) as per-pixel Plücker rays (direction d,
moment o × d), which describe every pixel's ray in the world independent of scene content.
A previz clip's camera path, a JSON file of poses, or a CameraMove can all give the path."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.api import CameraMove, CameraPose


def rotation(pan: float, tilt: float, roll: float) -> torch.Tensor:
    """World-from-camera rotation for pan (yaw, about y), tilt (pitch, about x), roll (about z), in degrees."""
    y, x, z = (math.radians(a) for a in (pan, tilt, roll))
    ry = torch.tensor([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = torch.tensor([[1, 0, 0], [0, math.cos(x), -math.sin(x)], [0, math.sin(x), math.cos(x)]])
    rz = torch.tensor([[math.cos(z), -math.sin(z), 0], [math.sin(z), math.cos(z), 0], [0, 0, 1]])
    return ry @ rx @ rz


def plucker_rays(poses: list[CameraPose], height: int, width: int) -> torch.Tensor:
    """[6, T, H, W] rays of a pinhole camera (y up, looking along +z) for each pose."""
    v, u = torch.meshgrid(torch.arange(height) + 0.5, torch.arange(width) + 0.5, indexing="ij")
    out = []
    for pose in poses:
        f = 0.5 * height / math.tan(math.radians(pose.fov) / 2)
        d = torch.stack([(u - width / 2) / f, -(v - height / 2) / f, torch.ones_like(u)], dim=-1)
        d = F.normalize(d @ rotation(pose.pan, pose.tilt, pose.roll).T, dim=-1)
        o = torch.tensor([pose.x, pose.y, pose.z]).expand_as(d)
        out.append(torch.cat([d, torch.linalg.cross(o, d)], dim=-1).permute(2, 0, 1))
    return torch.stack(out, dim=1)


def relative_path(poses: list[CameraPose]) -> list[CameraPose]:
    """The path as seen from its first pose: positions in the first camera's frame, angles less the first's, the
    lens kept. Where a shot happens to put the camera is the set's business; how it moves is the control's, so
    the model is trained on, and given, relative paths only."""
    if not poses:
        return []
    first = poses[0]
    inverse = rotation(first.pan, first.tilt, first.roll).T
    out = []
    for pose in poses:
        x, y, z = (inverse @ torch.tensor([pose.x - first.x, pose.y - first.y, pose.z - first.z])).tolist()
        out.append(CameraPose(x=x, y=y, z=z, pan=pose.pan - first.pan, tilt=pose.tilt - first.tilt, roll=pose.roll - first.roll, fov=pose.fov))
    return out


def camera_path_from_move(move: CameraMove, frames: int) -> list[CameraPose]:
    """A simple path for a named move, ending at the move's full amount (strength 1 = a moderate move)."""
    amount, sign = move.strength, move.direction
    poses = []
    for i in range(frames):
        s = i / max(frames - 1, 1) * amount
        kind = move.kind
        pose: dict[str, float] = {}
        if kind == "pan":
            pose["pan"] = 15 * s * sign
        elif kind == "tilt":
            pose["tilt"] = 10 * s * sign
        elif kind in ("truck", "follow"):
            pose["x"] = 0.5 * s * sign
        elif kind == "crane":
            pose["y"] = 0.5 * s * sign
        elif kind in ("dolly_in", "dolly_out"):
            pose["z"] = s * (1 if kind == "dolly_in" else -1)
        elif kind == "zoom":
            pose["fov"] = 40.0 / (1 + 0.5 * s) if sign > 0 else 40.0 * (1 + 0.5 * s)
        elif kind == "orbit":
            pose["pan"], pose["x"] = -20 * s * sign, math.sin(math.radians(20 * s)) * sign
        elif kind == "handheld":
            pose["pan"], pose["tilt"] = 0.6 * math.sin(1.7 * i) * amount, 0.4 * math.sin(2.3 * i + 1) * amount
        poses.append(CameraPose(**pose))
    return poses


def load_camera_path(path: Path) -> list[CameraPose]:
    """A JSON list of poses, or {"poses": [...]}, or a previz clip JSON with a `camera_path`, or a drama draw's
    candidate.json ({"clip": {"camera_path": [...]}}). (drama hands a previz draw's path over as its camera.json.)"""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("clip"), dict):
        data = data["clip"]
    if isinstance(data, dict):
        data = data.get("poses", data.get("camera_path"))
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a JSON list of camera poses (or a clip or candidate.json with a camera_path)")
    return [CameraPose.model_validate(p) for p in data]


def resample_path(poses: list[CameraPose], frames: int) -> list[CameraPose]:
    """Stretch or cut a path to `frames` poses (nearest pose)."""
    return [poses[min(len(poses) - 1, round(i * (len(poses) - 1) / max(frames - 1, 1)))] for i in range(frames)]


def to_latent_grid(x: torch.Tensor, time_factor: int, space_factor: int) -> torch.Tensor:
    """Average a pixel-grid signal [B, C, T, H, W] onto the VAE's latent grid: the first frame alone,
    then groups of `time_factor` frames; `space_factor`² pixels per cell (sizes already padded)."""
    first = x[:, :, :1]
    rest = x[:, :, 1:]
    b, c, t, h, w = rest.shape
    if t:
        rest = rest.reshape(b, c, t // time_factor, time_factor, h, w).mean(3)
        first = torch.cat([first, rest], dim=2)
    b, c, t, h, w = first.shape
    return F.avg_pool2d(first.transpose(1, 2).reshape(b * t, c, h, w), space_factor).reshape(b, t, c, h // space_factor, w // space_factor).transpose(1, 2)
