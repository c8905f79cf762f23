"""Rain is weather: exteriors only, and only when the words say so (a prompt's "film grain" is not rain)."""

from engine.api import SceneContext
from engine.previz.backdrop import is_raining


def test_rain_needs_an_exterior_and_a_whole_word():
    outside, inside = SceneContext(interior=False), SceneContext(interior=True)
    assert is_raining(outside, "暴雨如注，车灯一闪而过")
    assert is_raining(outside, "Heavy rain falls on the bridge")
    assert not is_raining(outside, "cinematic, fine film grain, photorealistic")
    assert not is_raining(inside, "a woman soaked by rain walks into the banquet hall")
