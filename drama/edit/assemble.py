"""Assembling the cut: picture frames streamed in order, the dialogue stem, the encodes and the join.

Why not one ffmpeg filter graph over every take: each input keeps a decoder and its frame queues alive
for the whole run (measured: ~25 MB per input, 3.1 GB RSS for 120 shots), so long episodes blow the memory
budget. Here takes are decoded one at a time with PyAV (libavcodec + swscale, in C), dissolves and fades
are blended only on the frames they touch, and raw I420 frames stream into ffmpeg, one process per segment of
the cut (drama.edit.segments), which burns the subtitles and encodes H.264. A last ffmpeg joins the segments
without re-encoding them, mixes music under the dialogue, normalises loudness and encodes the AAC.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import ImageColor

from drama.edit.music import music_chain
from drama.edit.timeline import DialogueClip, Timeline, VideoSegment
from drama.edit.titles import card_background, draw_card
from drama.errors import DramaError
from engine.video import ffmpeg_exe

SAMPLE_RATE = 48_000
TITLE_TEXT_FADE = 0.4  # seconds the title text takes to appear and to go


# --- picture ---------------------------------------------------------------------------------------------

def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuv420p").to_ndarray().reshape(-1)


def i420_to_rgb(buffer: np.ndarray, width: int, height: int) -> np.ndarray:
    return av.VideoFrame.from_ndarray(buffer.reshape(height * 3 // 2, width), format="yuv420p").to_ndarray(format="rgb24")


def solid(color: str, width: int, height: int) -> np.ndarray:
    """A flat I420 frame of a "#rrggbb" colour (the colour a fade or a dip passes through)."""
    return rgb_to_i420(np.full((height, width, 3), ImageColor.getrgb(color)[:3], np.uint8))


def mix(a: np.ndarray, b: np.ndarray, amount: float) -> np.ndarray:
    """`amount` of b over a (a cross-dissolve step)."""
    return np.rint(a.astype(np.float32) * (1.0 - amount) + b.astype(np.float32) * amount).astype(np.uint8)


def fit(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """Scale a decoded frame to cover width×height (draft renders are scaled up) and centre-crop the rest."""
    scale = max(width / frame.width, height / frame.height)
    scaled_w, scaled_h = max(width, 2 * round(frame.width * scale / 2)), max(height, 2 * round(frame.height * scale / 2))
    image = frame.reformat(width=scaled_w, height=scaled_h, format="yuv420p", interpolation="BICUBIC").to_ndarray()
    if (scaled_w, scaled_h) == (width, height):
        return image.reshape(-1)
    flat = image.reshape(-1)
    x0, y0 = (scaled_w - width) // 4 * 2, (scaled_h - height) // 4 * 2
    luma = scaled_w * scaled_h
    planes = [(flat[:luma].reshape(scaled_h, scaled_w), 1),
              (flat[luma: luma * 5 // 4].reshape(scaled_h // 2, scaled_w // 2), 2),
              (flat[luma * 5 // 4:].reshape(scaled_h // 2, scaled_w // 2), 2)]
    return np.concatenate([plane[y0 // step:(y0 + height) // step, x0 // step:(x0 + width) // step].reshape(-1)
                           for plane, step in planes])


def clip_frames(segment: VideoSegment, width: int, height: int, fps: float, skip: int = 0) -> Iterator[np.ndarray]:
    """Exactly `segment.frames` frames of the picked take from its start, sampled at the timeline's rate by
    timestamp (a 24 fps take keeps its speed in a 30 fps cut); a short take holds its last frame. The first
    `skip` frames are decoded past, not yielded (nor scaled)."""
    take = segment.take
    assert take is not None
    try:
        container = av.open(str(take.video))
    except (OSError, av.error.FFmpegError) as error:
        raise DramaError(f"cannot read take {take.id} of shot {segment.shot_id}: {error}", path=take.video,
                         hint="re-render the shot (drama render) or pick another take (drama pick)") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        decoded = container.decode(stream)
        upcoming = next(decoded, None)
        if upcoming is None:
            raise DramaError(f"take {take.id} of shot {segment.shot_id} has no frames", path=take.video,
                             hint="re-render the shot (drama render) or pick another take (drama pick)")
        origin = upcoming.time or 0.0
        current, fitted = None, None
        for k in range(segment.frames):
            due = origin + (k + 0.5) / fps  # the source frame showing in the middle of output frame k
            while upcoming is not None and (current is None or (upcoming.time or 0.0) <= due + 1e-6):
                current, upcoming, fitted = upcoming, next(decoded, None), None
            if k < skip:
                continue
            if fitted is None:
                fitted = fit(current, width, height)
            yield fitted


def card_frames(segment: VideoSegment, width: int, height: int, fps: float,
                previous: np.ndarray | None, skip: int = 0) -> Iterator[np.ndarray]:
    """A title card: the background, the text fading in, holding, fading out (from frame `skip` on)."""
    background_rgb = card_background(width, height, previous if segment.background == "blur" else None)
    background = rgb_to_i420(background_rgb)
    card = rgb_to_i420(draw_card(segment.text or "", background_rgb))
    ramp = max(1, min(round(TITLE_TEXT_FADE * fps), segment.frames // 3))
    for k in range(skip, segment.frames):
        visible = min(1.0, k / ramp, (segment.frames - 1 - k) / ramp)
        yield card if visible >= 1.0 else mix(background, card, visible)


def segment_frames(segment: VideoSegment, width: int, height: int, fps: float,
                   previous: np.ndarray | None, skip: int = 0) -> Iterator[np.ndarray]:
    """A shot's frames from frame `skip` on, with its fades applied: in from its transition's colour, out to its
    fade-out colour (black, or the colour of the dip into the next shot)."""
    source = (card_frames(segment, width, height, fps, previous, skip) if segment.kind == "title_card"
              else clip_frames(segment, width, height, fps, skip))
    fade_in = segment.transition_in.frames if segment.transition_in.kind == "fade" else 0
    start_from = solid(segment.transition_in.color, width, height) if fade_in else None
    end_in = solid(segment.fade_out_color, width, height) if segment.fade_out else None
    for k, frame in enumerate(source, start=skip):
        if k < fade_in:
            yield mix(start_from, frame, k / fade_in)
        elif segment.fade_out and k >= segment.frames - segment.fade_out:
            yield mix(end_in, frame, (segment.frames - 1 - k) / segment.fade_out)
        else:
            yield frame


def depends_from(segments: Sequence[VideoSegment], index: int) -> int:
    """The first shot whose frames shot `index`'s frames depend on (up to the next shot's start): the shot itself,
    the one before when it dissolves in (that shot's tail is mixed in) or is a title card over a blur of the
    frame before, and the one before that when that shot is itself a card over a blur (its background is the
    blur of its own previous frame). A dissolve takes at most a third of either shot, so the tail and the last
    frame of a shot never depend on the shot before it, and the chain ends there."""
    shot = segments[index]
    if index == 0 or not (shot.transition_in.kind == "dissolve" or (shot.kind == "title_card" and shot.background == "blur")):
        return index
    before = segments[index - 1]
    return index - 2 if before.kind == "title_card" and before.background == "blur" else index - 1


def video_frames(timeline: Timeline, first: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """The frames of the cut, in order, as flat I420 arrays, from the first frame of shot `first` up to the first
    of shot `stop` (a dissolve's overlap belongs to the shot dissolving in); by default every frame. The shots
    before `first` that these frames depend on (`depends_from`) are decoded for just their last frames. Only a
    dissolve's frames are held in memory."""
    width, height = timeline.width, timeline.height
    held: list[np.ndarray] = []  # the previous segment's tail, to dissolve from
    previous_rgb: np.ndarray | None = None
    segments = timeline.segments
    for i in range(depends_from(segments, first), len(segments) if stop is None else stop):
        segment = segments[i]
        following = segments[i + 1] if i + 1 < len(segments) else None
        hold = following.transition_in.frames if following and following.transition_in.kind == "dissolve" else 0
        skip = segment.frames - max(hold, 1) if i < first else 0  # before `first`: only its tail and last frame
        tail: list[np.ndarray] = []
        frame = None
        for k, frame in enumerate(segment_frames(segment, width, height, timeline.fps, previous_rgb, skip), start=skip):
            if k < len(held):
                frame = mix(held[k], frame, (k + 1) / (len(held) + 1))
            if k >= segment.frames - hold:
                tail.append(frame)
            elif i >= first:
                yield frame
        held = tail
        previous_rgb = i420_to_rgb(frame, width, height) if following and following.kind == "title_card" else None


# --- sound ------------------------------------------------------------------------------------------------

def read_audio(path: Path) -> np.ndarray:
    """A voice file as mono float32 at 48 kHz, whatever its format and rate."""
    try:
        container = av.open(str(path))
    except (OSError, av.error.FFmpegError) as error:
        raise DramaError(f"cannot read voice audio: {error}", path=path, hint="run `drama make` again to re-voice it") from None
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks = []
    with container:
        for frame in container.decode(audio=0):
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def write_dialogue_stem(dialogue: Sequence[DialogueClip], duration: float, path: Path) -> None:
    """All lines on one mono float32 track (raw f32le, 48 kHz), each starting on its exact sample.

    Streams: memory holds one line at a time, however long the episode."""
    total = round(duration * SAMPLE_RATE)
    written = 0
    pending = np.zeros(0, np.float32)  # samples from `written` on that lines have already touched
    silence = np.zeros(SAMPLE_RATE, np.float32)

    def flush(until: int, handle) -> None:
        nonlocal written, pending
        until = min(until, total)
        take = min(len(pending), max(0, until - written))
        handle.write(pending[:take].tobytes())
        pending = pending[take:]
        written += take
        while written < until:
            chunk = silence[: until - written]
            handle.write(chunk.tobytes())
            written += len(chunk)

    with path.open("wb") as handle:
        for clip in sorted(dialogue, key=lambda c: c.start):
            start = round(clip.start * SAMPLE_RATE)
            flush(start, handle)
            audio = read_audio(clip.audio)
            offset = start - written
            if offset < 0:  # starts past the end of the episode
                continue
            needed = offset + len(audio)
            if needed > len(pending):
                pending = np.concatenate([pending, np.zeros(needed - len(pending), np.float32)])
            pending[offset:needed] += audio
        flush(total, handle)


def audio_inputs(timeline: Timeline, stem: Path) -> list[str]:
    """ffmpeg input arguments for the sound: the dialogue stem, then the looped music bed if any."""
    args = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", str(stem)]
    if timeline.music:
        args += ["-stream_loop", "-1", "-i", str(timeline.music.path)]
    return args


def audio_graph(timeline: Timeline, first_input: int, loudness: str) -> str:
    """Filter graph from the audio inputs to [a]: dialogue upmixed, music ducked under it, loudness filter."""
    dialogue = f"[{first_input}:a]aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE},pan=stereo|c0=c0|c1=c0"
    if timeline.music is None:
        return f"{dialogue},{loudness}[a]"
    bed = timeline.music
    chain = music_chain(timeline.duration, bed.gain_db, bed.duck_db, bed.fade_in, bed.fade_out,
                        [(clip.start, clip.end) for clip in timeline.dialogue])
    return (f"{dialogue}[dia];[{first_input + 1}:a]{chain}[mus];"
            f"[dia][mus]amix=inputs=2:normalize=0:duration=first,{loudness}[a]")


def analyse_audio(timeline: Timeline, stem: Path, analysis: str, workdir: Path) -> str:
    """Loudness pass one over the mix (no video); returns ffmpeg's log with loudnorm's JSON."""
    script = workdir / "analysis.graph"
    script.write_text(audio_graph(timeline, 0, analysis), encoding="utf-8")
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-y", *audio_inputs(timeline, stem),
                             "-/filter_complex", str(script), "-map", "[a]", "-f", "null", "-"],
                            capture_output=True, text=True, cwd=workdir)
    if result.returncode:
        raise DramaError("ffmpeg could not analyse the episode's audio", hint=result.stderr.strip()[-500:])
    return result.stderr


# --- the encodes --------------------------------------------------------------------------------------------

# The picture's encoder settings: every segment is encoded with these, so segments join without re-encoding.
VIDEO_CODEC = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
               "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m")


def frame_rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def encode_picture(timeline: Timeline, frames: Iterable[np.ndarray], ass: Path | None, output: Path, log: Path,
                   env: dict[str, str], on_frame: Callable[[], None] | None = None) -> None:
    """One segment of the picture: raw frames on stdin → (subtitles burned from `ass`) → H.264 in an MP4 of its own.
    A fresh encode starts on an IDR frame, and its time scale is the rate's numerator (a frame lasts a whole
    `rate.denominator` ticks), so joined segments keep exact frame times."""
    rate = frame_rate(timeline.fps)
    command = [ffmpeg_exe(), "-hide_banner", "-nostats", "-y",
               "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{timeline.width}x{timeline.height}",
               "-framerate", str(rate), "-i", "pipe:0", "-vf", f"ass={ass.name}" if ass is not None else "null",
               *VIDEO_CODEC, "-an", "-video_track_timescale", str(rate.numerator), "-f", "mp4", str(output)]
    _run(command, log, "encode a segment of the episode", env, frames, on_frame)


def join(timeline: Timeline, parts: Sequence[Path], stem: Path, loudnorm: str, output: Path, workdir: Path) -> None:
    """The episode: the picture's segments joined by stream copy (ffmpeg's concat demuxer), the sound mixed by the
    audio graph in one pass and encoded AAC, moov at the front."""
    listing = workdir / "segments.txt"
    listing.write_text("".join("file '{}'\n".format(str(part).replace("'", "'\\''")) for part in parts),
                       encoding="utf-8")
    script = workdir / "sound.graph"
    script.write_text(audio_graph(timeline, 1, loudnorm), encoding="utf-8")
    command = [ffmpeg_exe(), "-hide_banner", "-nostats", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
               *audio_inputs(timeline, stem), "-/filter_complex", str(script), "-map", "0:v", "-map", "[a]",
               "-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-ar", str(SAMPLE_RATE), "-movflags", "+faststart",
               "-f", "mp4", str(output)]
    _run(command, workdir / "join.log", "join the episode's segments and its sound", {}, None, None)


def _run(command: list[str], log: Path, doing: str, env: dict[str, str], frames: Iterable[np.ndarray] | None,
         on_frame: Callable[[], None] | None) -> None:
    """Run one ffmpeg (feeding `frames` to its stdin, if any) with its log in `log`; a failure names the log."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.PIPE if frames is not None else subprocess.DEVNULL,
                                   stderr=stderr, cwd=log.parent, env={**os.environ, **env})
        try:
            if frames is not None:
                for frame in frames:
                    process.stdin.write(frame.data)
                    if on_frame:
                        on_frame()
                process.stdin.close()
            code = process.wait()
        except BrokenPipeError:
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if code:
        tail = log.read_text(encoding="utf-8", errors="replace").strip()[-800:]
        raise DramaError(f"ffmpeg failed to {doing} (exit {code})", path=log, hint=tail)
