"""Offline voice speed: eSpeak NG synthesis alone vs the full line (synthesis + ffmpeg resample to 48 kHz
+ trim + cache write), per line, on the demo episode's lines. Run: python bench/bench_voice_offline.py"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drama.project import Project  # noqa: E402
from drama.storyboard import plan_episode  # noqa: E402
from drama.voice import Speaker  # noqa: E402
from drama.voice.casting import spoken_lines  # noqa: E402
from drama.voice.espeak import ESpeak  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        shutil.copytree(Path(__file__).resolve().parent.parent / "projects" / "demo", root,
                        ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
        project = Project.load(root)
        board = plan_episode(project, "ep01")
        requests = spoken_lines(project, board)
        engine = ESpeak.get()
        synth_times, audio_seconds = [], 0.0
        for request in requests:
            start = time.perf_counter()
            pcm, _ = engine.synthesize(request.text, request.spec)
            synth_times.append(time.perf_counter() - start)
            audio_seconds += pcm.size / engine.sample_rate
        speaker = Speaker(project, "offline")
        start = time.perf_counter()
        lines = speaker.speak(board)
        full = time.perf_counter() - start
        start = time.perf_counter()
        Speaker(project, "offline").speak(board)
        cached = time.perf_counter() - start
    n = len(lines)
    print(f"{n} lines, {audio_seconds:.1f} s of speech")
    print(f"eSpeak synthesis only : {statistics.mean(synth_times) * 1000:7.1f} ms/line (baseline)")
    print(f"full line (48 kHz WAV): {full / n * 1000:7.1f} ms/line  ratio {full / sum(synth_times):.1f}x baseline, "
          f"{audio_seconds / full:.0f}x real time")
    print(f"second run (cache)    : {cached / n * 1000:7.1f} ms/line  ratio {cached / sum(synth_times):.2f}x baseline")


if __name__ == "__main__":
    main()
