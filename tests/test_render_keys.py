"""Cache keys stay put when the request model grows a field, and move when the field is used."""

from __future__ import annotations

import hashlib
import json

from PIL import Image

from drama.render.jobs import KEY_LENGTH, shot_key
from engine.api import RenderRequest


def key_before_last_frame(request: RenderRequest) -> str:
    """The key as drama 0.1 made it (the request's fields, paths as content hashes, seed aside), for a request
    with no paths: what every draw rendered before `last_frame`, `source_video`, `audio`, `scene.props` and
    `scene.extras` existed is stored under."""
    fields = request.model_dump(mode="json", exclude={"seed": True, "last_frame": True, "source_video": True, "audio": True, "scene": {"props", "extras"}})
    payload = {"engine": "previz", "version": "3", "request": fields}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:KEY_LENGTH]


def test_a_new_field_at_its_default_leaves_old_keys_valid():
    request = RenderRequest(prompt="rain on the window", width=72, height=128, fps=12, num_frames=24)
    assert shot_key("previz", "3", request) == key_before_last_frame(request)


def test_an_end_frame_changes_the_key_by_its_contents(tmp_path):
    request = RenderRequest(prompt="rain on the window", width=72, height=128, fps=12, num_frames=24)
    frame = tmp_path / "end.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(frame)
    ending = request.model_copy(update={"last_frame": frame})
    first = shot_key("previz", "3", ending)
    assert first != shot_key("previz", "3", request)
    Image.new("RGB", (8, 8), (0, 0, 200)).save(frame)
    assert shot_key("previz", "3", ending) != first


def test_props_and_extras_change_the_key_once_used():
    request = RenderRequest(prompt="under the hoop", width=72, height=128, fps=12, num_frames=24)
    plain = shot_key("previz", "3", request)
    with_ball = request.model_copy(update={"scene": request.scene.model_copy(update={"props": ("ball",)})})
    crowd = request.model_copy(update={"scene": request.scene.model_copy(update={"extras": 3})})
    assert len({plain, shot_key("previz", "3", with_ball), shot_key("previz", "3", crowd)}) == 3
