"""Export speed: `export_episode` on a 60-second 1080×1920 episode vs a bare ffmpeg H.264 encode of the same frames.

Run: python bench/export_speed.py [--seconds 60] [--width 1080 --height 1920] [--graph] [--moviepy]
The baseline decodes the finished export and re-encodes its frames with the same x264 settings (no audio, no
filters): the least any export of these frames can cost. --graph also times the alternative design, one ffmpeg
filter graph over every take (scale + concat + subtitles, no dissolves or title cards), for comparison.
--moviepy times moviepy 2.x doing the cut: a VideoFileClip per take, resized, composited with the timeline's
dissolves and fades, voice lines and the looped music bed mixed by moviepy (no ducking, loudness, subtitles or
card text), written with the same x264 settings and AAC.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_episode import synthetic_timeline  # noqa: E402
from drama.edit.export import export_episode  # noqa: E402
from drama.fonts import fontconfig_env  # noqa: E402
from engine.video import ffmpeg_exe  # noqa: E402


def bare_encode(source: Path, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-map", "0:v", "-c:v", "libx264",
                    "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(target)], check=True)
    return time.perf_counter() - started


def graph_export(timeline, ass: Path, target: Path, env: dict[str, str]) -> float:
    """The one-big-filter-graph alternative: every take an ffmpeg input, scaled and concatenated in one process."""
    clips = [s for s in timeline.segments if s.take]
    args = [ffmpeg_exe(), "-v", "error", "-y"]
    for segment in clips:
        args += ["-i", str(segment.take.video)]
    chains = [f"[{i}:v]trim=end_frame={s.frames},setpts=PTS-STARTPTS,scale={timeline.width}:{timeline.height},"
              f"setsar=1[v{i}]" for i, s in enumerate(clips)]
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(clips))) + \
        f"concat=n={len(clips)}:v=1:a=0,ass={ass.name}[v]"
    script = ass.parent / "graph.txt"
    script.write_text(graph, encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([*args, "-/filter_complex", str(script), "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", "-pix_fmt", "yuv420p", str(target)], check=True, cwd=ass.parent,
                   env={**os.environ, **env})
    return time.perf_counter() - started


def moviepy_export(timeline, target: Path) -> float:
    """The moviepy 2.x way to make the same cut: every frame and audio block goes through numpy compositing."""
    from moviepy import AudioFileClip, CompositeAudioClip, CompositeVideoClip, VideoFileClip, afx, vfx

    started = time.perf_counter()
    fps, opened, layers = timeline.fps, [], []
    try:
        for segment in (s for s in timeline.segments if s.take):
            source = VideoFileClip(str(segment.take.video), audio=False)
            opened.append(source)
            transition = segment.transition_in.frames / fps
            kind = segment.transition_in.kind
            effects = [vfx.CrossFadeIn(transition)] if kind == "dissolve" else [vfx.FadeIn(transition)] \
                if kind == "fade" else []
            effects += [vfx.FadeOut(segment.fade_out / fps)] if segment.fade_out else []
            layers.append(source.subclipped(0, min(segment.frames / fps, source.duration))
                          .resized((timeline.width, timeline.height)).with_start(segment.start / fps)
                          .with_effects(effects))
        sounds = [AudioFileClip(str(line.audio)).with_start(line.start) for line in timeline.dialogue]
        if timeline.music:
            sounds.append(AudioFileClip(str(timeline.music.path)).with_effects(
                [afx.AudioLoop(duration=timeline.duration), afx.MultiplyVolume(10 ** (timeline.music.gain_db / 20))]))
        opened += sounds
        video = CompositeVideoClip(layers, size=(timeline.width, timeline.height)).with_duration(timeline.duration)
        video.with_audio(CompositeAudioClip(sounds).with_duration(timeline.duration)).write_videofile(
            str(target), fps=fps, codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "20"],
            pixel_format="yuv420p", audio_codec="aac", audio_fps=48_000, temp_audiofile_path=str(target.parent))
    finally:
        for clip in opened:
            clip.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--width", type=int, default=1080)
    parser.add_argument("--height", type=int, default=1920)
    parser.add_argument("--graph", action="store_true", help="also time the single-filter-graph alternative")
    parser.add_argument("--moviepy", action="store_true", help="also time moviepy 2.x making the same cut")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        project, timeline = synthetic_timeline(root, args.seconds, width=args.width, height=args.height)
        print(f"episode: {timeline.duration:.1f}s, {timeline.frames} frames at {timeline.width}x{timeline.height}, "
              f"{len(timeline.segments)} shots, {len(timeline.dialogue)} lines")
        result = export_episode(project, timeline, force=True)
        # the machine is shared: time the baseline twice around a second export, and compare the means
        first = bare_encode(result.mp4, Path(tmp) / "bare.mp4")
        again = export_episode(project, timeline, force=True, incremental=False)  # every segment encoded again
        baseline = (first + bare_encode(result.mp4, Path(tmp) / "bare.mp4")) / 2
        result = result.model_copy(update={"seconds": (result.seconds + again.seconds) / 2})
        print(f"export_episode:       {result.seconds:6.1f}s  ({timeline.frames / result.seconds:5.1f} fps)  "
              f"loudness {result.loudness.integrated:.1f} LUFS, true peak {result.loudness.true_peak:.1f} dBTP")
        print(f"bare H.264 encode:    {baseline:6.1f}s  ({timeline.frames / baseline:5.1f} fps)")
        print(f"ratio export / bare:  {result.seconds / baseline:6.2f}x  (budget 1.5x)")
        if args.graph:
            ass = Path(tmp) / "episode.ass"
            ass.write_bytes(result.ass.read_bytes())
            seconds = graph_export(timeline, ass, Path(tmp) / "graph.mp4", fontconfig_env(project.cache_dir))
            print(f"single ffmpeg graph:  {seconds:6.1f}s  (video only, cuts only)  ratio {seconds / baseline:.2f}x")
        if args.moviepy:
            seconds = moviepy_export(timeline, Path(tmp) / "moviepy.mp4")
            print(f"moviepy 2.x:          {seconds:6.1f}s  ({timeline.frames / seconds:5.1f} fps)  "
                  f"ratio vs bare {seconds / baseline:.2f}x, vs export_episode {seconds / result.seconds:.2f}x")


if __name__ == "__main__":
    main()
