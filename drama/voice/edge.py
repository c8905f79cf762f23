"""The online neural voice: edge-tts. Streams MP3 chunks and WordBoundary events (offsets in 100 ns).

The service answers a voice it does not have by sending no audio (edge-tts raises NoAudioReceived), as it does when
it is overloaded; the voice list it publishes tells the two apart.
"""

from __future__ import annotations

import asyncio

import aiohttp
import edge_tts
import edge_tts.exceptions

from drama.voice.model import VoiceSpec, WordTiming

# What "the service is unreachable or refused us" looks like: DNS/connection errors are OSError
# subclasses (aiohttp.ClientConnectorDNSError), a 403 is aiohttp.ClientResponseError.
UNREACHABLE = (aiohttp.ClientError, OSError, asyncio.TimeoutError, edge_tts.exceptions.EdgeTTSException)
TICKS_PER_SECOND = 10_000_000
TIMEOUT = 30.0  # seconds for one line, end to end


class UnknownVoice(Exception):
    """edge-tts sent no audio, and its list of voices has no such voice."""

    def __init__(self, voice: str):
        super().__init__(f"unknown edge-tts voice {voice!r}")
        self.voice = voice


async def _stream(text: str, spec: VoiceSpec) -> tuple[bytes, list[WordTiming]]:
    communicate = edge_tts.Communicate(text, spec.edge_voice, rate=spec.rate, volume=spec.volume, pitch=spec.pitch,
                                       boundary="WordBoundary", connect_timeout=5, receive_timeout=20)
    audio, words = bytearray(), []
    async for chunk in communicate.stream():
        if chunk["type"] == "audio":
            audio.extend(chunk["data"])
        elif chunk["type"] == "WordBoundary":
            start = chunk["offset"] / TICKS_PER_SECOND
            words.append(WordTiming(text=chunk["text"], start=start, end=start + chunk["duration"] / TICKS_PER_SECOND))
    return bytes(audio), words


def _listed(voice: str) -> bool:
    """Whether the service's voice list has `voice`; True when the list cannot be fetched (nothing to tell then)."""
    try:
        voices = asyncio.run(asyncio.wait_for(edge_tts.list_voices(), TIMEOUT))
    except (*UNREACHABLE, ValueError):  # ValueError: a list that is not JSON
        return True
    return any(entry.get("ShortName") == voice for entry in voices)


def _attempt(text: str, spec: VoiceSpec) -> tuple[bytes, list[WordTiming]]:
    try:
        return asyncio.run(asyncio.wait_for(_stream(text, spec), TIMEOUT))
    except edge_tts.exceptions.NoAudioReceived:
        if not _listed(spec.edge_voice):
            raise UnknownVoice(spec.edge_voice) from None
        raise


def synthesize(text: str, spec: VoiceSpec, tries: int = 2) -> tuple[bytes, list[WordTiming]]:
    """MP3 bytes and word timings; raises UnknownVoice, or one of UNREACHABLE after `tries` failed attempts."""
    for _ in range(tries - 1):
        try:
            return _attempt(text, spec)
        except UNREACHABLE:
            continue
    return _attempt(text, spec)
