"""The online neural voice: edge-tts. Streams MP3 chunks and WordBoundary events (offsets in 100 ns)."""

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


def synthesize(text: str, spec: VoiceSpec, tries: int = 2) -> tuple[bytes, list[WordTiming]]:
    """MP3 bytes and word timings; raises one of UNREACHABLE after `tries` failed attempts."""
    run = lambda: asyncio.run(asyncio.wait_for(_stream(text, spec), TIMEOUT))  # noqa: E731
    for _ in range(tries - 1):
        try:
            return run()
        except UNREACHABLE:
            continue
    return run()
