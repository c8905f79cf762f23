"""Flat layers at depths, projected through a camera pose and composited: the 2.5D core.

Each layer is pre-rendered once (a plate or a person) with a known pixels-per-metre and world
origin; per frame it needs only one affine (scale + shift + roll) that depends on its depth, so
near layers move more than far ones. Sampling is nearest-neighbour on images prepared at the
largest on-screen scale they reach, which keeps a frame to a few cheap C calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from engine.api import CameraPose

Affine = np.ndarray  # 3x3 forward matrix: layer pixel → screen pixel


@dataclass(frozen=True)
class View:
    """The output raster: size in pixels and the focal length in pixels for a pose's fov."""

    width: int
    height: int

    def focal(self, pose: CameraPose) -> float:
        return self.height / 2 / math.tan(math.radians(pose.fov / 2))

    def scaled(self, factor: float) -> "View":
        return View(max(2, int(round(self.width * factor / 2)) * 2), max(2, int(round(self.height * factor / 2)) * 2))


@dataclass
class Motion:
    """Per-frame animation of a layer in world units: shift, vertical scale about `anchor_y`, image state."""

    dx: np.ndarray
    dy: np.ndarray
    sy: np.ndarray
    state: np.ndarray
    anchor_y: float = 0.0


@dataclass
class Layer:
    name: str
    z: float  # depth of the plane (m)
    images: list[Image.Image]  # alternative states (e.g. mouth shapes), same geometry; RGB for the opaque base
    ppu: float  # pixels per metre on the plane
    origin: tuple[float, float]  # world (X, Y) of pixel (0, 0), the top-left corner
    depth: np.ndarray | float = 0.0  # world depth per image row (floors), or one value
    character: str | None = None  # whose mask this layer is
    motion: Motion | None = None
    bbox: tuple[int, int, int, int] = field(default=(0, 0, 0, 0))
    masks: list[Image.Image] | None = None  # 1-bit masks per state when the images are RGB (see `hardened`)

    def __post_init__(self) -> None:
        if self.bbox == (0, 0, 0, 0):
            image = self.images[0]
            self.bbox = (image.getbbox() if image.mode == "RGBA" else None) or (0, 0, *image.size)

    def affine(self, view: View, pose: CameraPose, frame: int) -> Affine:
        """Forward matrix mapping this layer's pixels to the screen for `pose` at `frame`."""
        f = view.focal(pose)
        k = f / max(1e-3, self.z - pose.z)
        x0, y0 = self.origin
        dx = dy = 0.0
        sy = 1.0
        anchor = 0.0
        if self.motion is not None:
            m = self.motion
            dx, dy, sy, anchor = float(m.dx[frame]), float(m.dy[frame]), float(m.sy[frame]), m.anchor_y
        top = anchor + (y0 - anchor) * sy + dy
        shift_x = f * math.tan(math.radians(pose.pan))
        shift_y = f * math.tan(math.radians(pose.tilt))
        forward = np.array(
            [
                [k / self.ppu, 0.0, view.width / 2 + k * (x0 + dx - pose.x) - shift_x],
                [0.0, k * sy / self.ppu, view.height / 2 - k * (top - pose.y) + shift_y],
                [0.0, 0.0, 1.0],
            ]
        )
        if pose.roll:
            r = math.radians(pose.roll)
            c, s = math.cos(r), math.sin(r)
            cx, cy = view.width / 2, view.height / 2
            rotate = np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy], [0.0, 0.0, 1.0]])
            forward = rotate @ forward
        return forward

    def image_at(self, frame: int) -> Image.Image:
        if self.motion is None or len(self.images) == 1:
            return self.images[0]
        return self.images[int(self.motion.state[frame])]

    def hardened(self) -> "Layer":
        """This layer with RGB images and 1-bit masks (alpha cut at half): pasting through a 1-bit mask
        is ~5x cheaper than blending through an 8-bit one, and sharp cut-outs lose little by it."""
        masks = [image.getchannel("A").point(lambda a: 255 if a >= 128 else 0).convert("1") for image in self.images]
        return replace(self, images=[image.convert("RGB") for image in self.images], masks=masks)

    def reduced(self, factor: float, images: list[Image.Image]) -> "Layer":
        """This layer with other images (side channels) at `factor` of its resolution."""
        depth = self.depth
        if isinstance(depth, np.ndarray):
            rows = images[0].size[1]
            depth = np.interp(np.linspace(0, len(depth) - 1, rows), np.arange(len(depth)), depth)
        x0, y0, x1, y1 = self.bbox
        bbox = (int(x0 * factor), int(y0 * factor), max(int(x0 * factor) + 1, math.ceil(x1 * factor)), max(int(y0 * factor) + 1, math.ceil(y1 * factor)))
        return replace(self, images=images, ppu=self.ppu * factor, depth=depth, bbox=bbox, masks=None)


def _is_translation(m: Affine) -> bool:
    return abs(m[0, 0] - 1) < 1e-6 and abs(m[1, 1] - 1) < 1e-6 and abs(m[0, 1]) < 1e-9 and abs(m[1, 0]) < 1e-9


Patch = tuple[Image.Image, Image.Image | None, tuple[int, int]]  # image, alpha, top-left on the canvas


def warp(image: Image.Image, forward: Affine, bbox: tuple[int, int, int, int], size: tuple[int, int], mask: Image.Image | None = None) -> Patch | None:
    """The `bbox` part of `image` resampled through `forward`, cut to a canvas of `size` (None if off it).
    Alpha comes from `mask` when given, else from the image."""
    x0, y0, x1, y1 = bbox
    if _is_translation(forward):
        ox, oy = int(round(forward[0, 2])), int(round(forward[1, 2]))
        box = (max(x0, -ox), max(y0, -oy), min(x1, size[0] - ox), min(y1, size[1] - oy))  # only what lands on the canvas
        if box[2] <= box[0] or box[3] <= box[1]:
            return None
        whole = box == (0, 0, *image.size)
        patch = image if whole else image.crop(box)
        alpha = _alpha(patch) if mask is None else mask if whole else mask.crop(box)
        return patch, alpha, (ox + box[0], oy + box[1])
    corners = forward @ np.array([[x0, x1, x0, x1], [y0, y0, y1, y1], [1, 1, 1, 1]], dtype=float)
    bx0 = max(0, int(math.floor(corners[0].min())))
    by0 = max(0, int(math.floor(corners[1].min())))
    bx1 = min(size[0], int(math.ceil(corners[0].max())))
    by1 = min(size[1], int(math.ceil(corners[1].max())))
    if bx1 <= bx0 or by1 <= by0:
        return None
    inverse = np.linalg.inv(forward) @ np.array([[1.0, 0, bx0], [0, 1.0, by0], [0, 0, 1]])
    coeffs = tuple(inverse[:2].ravel())
    patch = image.transform((bx1 - bx0, by1 - by0), Image.AFFINE, coeffs, Image.NEAREST)
    alpha = _alpha(patch) if mask is None else mask.transform(patch.size, Image.AFFINE, coeffs, Image.NEAREST)
    return patch, alpha, (bx0, by0)


def place(canvas: Image.Image, image: Image.Image, forward: Affine, bbox: tuple[int, int, int, int], mask: Image.Image | None = None) -> None:
    """Draw `image` (its `bbox` part) onto `canvas` through `forward`, over what is there."""
    patch = warp(image, forward, bbox, canvas.size, mask)
    if patch is not None:
        canvas.paste(patch[0], patch[2], patch[1])


def snap(forward: Affine, bbox: tuple[int, int, int, int]) -> tuple[tuple[int, ...], Affine]:
    """Round a matrix so the layer's on-screen size changes by whole pixels and it moves by whole
    pixels: frames whose layer looks the same share one key (and one resampled patch)."""
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    sx, sy = round(forward[0, 0] * w) / w, round(forward[1, 1] * h) / h
    snapped = forward.copy()
    snapped[0, 0], snapped[1, 1] = sx, sy
    snapped[0, 2], snapped[1, 2] = round(forward[0, 2]), round(forward[1, 2])
    key = (round(sx * w), round(sy * h), round(forward[0, 1] * 1e4), round(forward[1, 0] * 1e4), int(snapped[0, 2]), int(snapped[1, 2]))
    return key, snapped


def _alpha(image: Image.Image) -> Image.Image | None:
    return image if image.mode == "RGBA" else image.getchannel("A") if image.mode == "LA" else None


def base_frame(base: Layer, view: View, forward: Affine, frame: int) -> Image.Image:
    """The opaque base layer resampled to the whole frame."""
    image = base.image_at(frame)
    if _is_translation(forward):
        ox, oy = int(round(forward[0, 2])), int(round(forward[1, 2]))
        return image.crop((-ox, -oy, -ox + view.width, -oy + view.height))
    inverse = np.linalg.inv(forward)
    return image.transform((view.width, view.height), Image.AFFINE, tuple(inverse[:2].ravel()), Image.NEAREST)


def merge_rigid(layers: Sequence[Layer], view: View, poses: Sequence[CameraPose], tolerance: float = 2.0) -> list[Layer]:
    """Fold into the base every still layer that stays within `tolerance` screen pixels of a fixed
    relation to it through the whole path (no parallax: static, pan, tilt, zoom, handheld; or too
    little to see), so a frame costs one resample for all of them."""
    base, rest = layers[0], list(layers[1:])
    kept: list[Layer] = []
    merged = base.images[0]
    for layer in rest:
        if layer.motion is not None or len(layer.images) > 1 or kept:
            kept.append(layer)  # stay in depth order: once a layer stays apart, all nearer ones do too
            continue
        x0, y0, x1, y1 = layer.bbox
        corners = np.array([[x0, x1, x0, x1], [y0, y0, y1, y1], [1, 1, 1, 1]], dtype=float)
        first = np.linalg.inv(base.affine(view, poses[0], 0)) @ layer.affine(view, poses[0], 0)
        drift = 0.0
        for i, pose in enumerate(poses):
            to_base = base.affine(view, pose, i)
            exact = layer.affine(view, pose, i) @ corners
            drift = max(drift, float(np.abs((to_base @ first @ corners) - exact)[:2].max()))
        if drift <= tolerance:
            if merged is base.images[0]:
                merged = merged.copy()
            place(merged, layer.images[0], first, layer.bbox, layer.masks[0] if layer.masks else None)
        else:
            kept.append(layer)
    return [replace(base, images=[merged]), *kept]


class Compositor:
    """Renders frames of layers (far to near, the first opaque) along a camera path, reusing a layer's
    resampled patch whenever it looks the same as in an earlier frame (static shots, breathing)."""

    def __init__(self, layers: Sequence[Layer], view: View, poses: Sequence[CameraPose]):
        self.view = view
        self.poses = poses
        self.layers = merge_rigid(layers, view, poses)
        base = self.layers[0]
        self._base = [snap(base.affine(view, pose, i), base.bbox) for i, pose in enumerate(poses)]
        self._background: tuple[tuple[int, ...], Image.Image] | None = None
        self._patches: list[dict[tuple, Patch | None]] = [{} for _ in self.layers]

    def frame(self, index: int) -> Image.Image:
        pose = self.poses[index]
        key, forward = self._base[index]
        if self._background is not None and self._background[0] == key:
            canvas = self._background[1].copy()
        else:
            canvas = base_frame(self.layers[0], self.view, forward, index)
            if index + 1 < len(self._base) and self._base[index + 1][0] == key:  # keep a clean copy only if reused
                self._background = (key, canvas.copy())
        size = canvas.size
        for layer, cache in zip(self.layers[1:], self._patches[1:], strict=False):
            state = int(layer.motion.state[index]) if layer.motion is not None and len(layer.images) > 1 else 0
            key, forward = snap(layer.affine(self.view, pose, index), layer.bbox)
            key = (state, *key)
            if key not in cache:
                if len(cache) > 24:
                    cache.pop(next(iter(cache)))
                cache[key] = warp(layer.images[state], forward, layer.bbox, size, layer.masks[state] if layer.masks else None)
            patch = cache[key]
            if patch is not None:
                canvas.paste(patch[0], patch[2], patch[1])
        return canvas


def coverage(z: float, view: View, poses: Sequence[CameraPose], margin: float = 0.03) -> tuple[tuple[float, float, float, float], float]:
    """The world rectangle (x0, y0, x1, y1; y up) a plane at depth `z` must cover for every pose, and
    the most screen pixels per metre it reaches there (the resolution to pre-render it at)."""
    xs: list[float] = []
    ys: list[float] = []
    density = 0.0
    w, h = view.width, view.height
    for pose in poses:
        f = view.focal(pose)
        dist = max(1e-3, z - pose.z)
        density = max(density, f / dist)
        r = math.radians(pose.roll)
        c, s = math.cos(r), math.sin(r)
        for u, v in ((0, 0), (w, 0), (0, h), (w, h)):
            du, dv = u - w / 2, v - h / 2
            u0, v0 = c * du + s * dv, -s * du + c * dv  # undo the roll
            xs.append(pose.x + (u0 + f * math.tan(math.radians(pose.pan))) * dist / f)
            ys.append(pose.y - (v0 - f * math.tan(math.radians(pose.tilt))) * dist / f)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return (x0 - mx, y0 - my, x1 + mx, y1 + my), density
