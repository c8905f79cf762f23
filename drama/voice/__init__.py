"""Voice: every line spoken in its character's voice (edge-tts online, Kokoro-82M or eSpeak NG offline, or a TTS
server, cloning from a reference clip); the audio's length sets the shot durations (`apply_timing`). Once an episode
is exported each character keeps their voice for the series (drama.voice.lock) until recast."""

from drama.voice.model import VoiceLine, WordTiming
from drama.voice.speak import Speaker, cached_lines, speak_storyboard
from drama.voice.timing import apply_timing

__all__ = ["Speaker", "VoiceLine", "WordTiming", "apply_timing", "cached_lines", "speak_storyboard"]
