"""Generate the demo's original music bed: a suspenseful minor-key pad and pulse, made for the project.

Run `python tools/make_demo_music.py` to rewrite projects/demo/music/tension_bed.ogg (Opus). Everything is
synthesised here with numpy from a fixed seed, so the file is reproducible and free of third-party rights.
The piece is a whole number of bars and its tails wrap around to the start, so the edit can loop it seamlessly.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

RATE = 48_000
BPM = 84.0
BEAT = 60.0 / BPM
BAR = 4 * BEAT
# i – VI – iv – V in A minor (Am, F, Dm, E), two bars each, as MIDI notes of the pad voicing.
PROGRESSION = [(57, 60, 64), (53, 57, 60), (50, 53, 57), (52, 56, 59)]
BASS = [45, 41, 38, 40]
OSTINATO = [69, 72, 76, 72, 69, 72, 75, 72]  # A C E C A C D# C: the tritone gives the unease


def hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


def envelope(n: int, attack: float, release: float) -> np.ndarray:
    """Linear attack, exponential-ish release over n samples."""
    t = np.arange(n) / RATE
    env = np.minimum(1.0, t / max(attack, 1e-4))
    tail = np.clip((n / RATE - t) / max(release, 1e-4), 0.0, 1.0)
    return env * tail**2


def pad_voice(freq: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A warm detuned pad: three slightly detuned oscillators with a few soft harmonics."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for detune in (-0.004, 0.0, 0.005):
        f = freq * (1 + detune)
        phase = rng.uniform(0, 2 * np.pi)
        for harmonic, gain in ((1, 1.0), (2, 0.35), (3, 0.12), (4, 0.05)):
            out += gain * np.sin(2 * np.pi * f * harmonic * t + phase * harmonic)
    return out / 4.5


def pluck(freq: float, n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(2 * np.pi * 2 * freq * t)
    return tone * np.exp(-t * 6.0)


def heartbeat(n: int) -> np.ndarray:
    """A low thump: a fast downward pitch sweep, the pulse under the pad."""
    t = np.arange(n) / RATE
    freq = 38 + 70 * np.exp(-t * 30)
    return np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t * 9.0)


def compose(bars: int, seed: int = 7) -> np.ndarray:
    """The bed as a stereo float array, `bars` bars long (a multiple of 8 keeps the progression whole)."""
    rng = np.random.default_rng(seed)
    length = int(round(bars * BAR * RATE))
    left = np.zeros(length + 4 * RATE)
    right = np.zeros_like(left)

    def add(signal: np.ndarray, start: float, pan: float = 0.0) -> None:
        i = int(round(start * RATE))
        left[i : i + len(signal)] += signal * np.sqrt(0.5 * (1 - pan))
        right[i : i + len(signal)] += signal * np.sqrt(0.5 * (1 + pan))

    for bar in range(bars):
        chord = PROGRESSION[(bar // 2) % 4]
        section = bar / bars  # 0 → 1: intensity builds through the piece
        if bar % 2 == 0:
            n = int(2 * BAR * RATE)
            for k, note in enumerate(chord):
                voice = pad_voice(hz(note), n + RATE, rng) * envelope(n + RATE, 1.2, 1.6)
                add(voice * 0.16, bar * BAR, pan=(k - 1) * 0.5)
            sub = pad_voice(hz(BASS[(bar // 2) % 4]), n + RATE, rng) * envelope(n + RATE, 0.8, 1.2)
            add(sub * 0.18, bar * BAR)
        for beat in range(4):  # heartbeat pulse: "lub-dub" on beats 1 and 3
            if beat % 2 == 0:
                start = bar * BAR + beat * BEAT
                add(heartbeat(int(0.5 * RATE)) * 0.55, start)
                add(heartbeat(int(0.5 * RATE)) * 0.35, start + 0.22)
        if section >= 0.25:  # the ostinato enters after the first quarter, growing louder
            for step, note in enumerate(OSTINATO):
                start = bar * BAR + step * BEAT / 2
                gain = 0.05 + 0.07 * section
                add(pluck(hz(note), int(0.6 * RATE)) * gain, start, pan=0.6 if step % 2 else -0.6)
        if section >= 0.5:  # soft ticking noise on the off-beats
            for step in range(8):
                if step % 2:
                    tick = rng.standard_normal(int(0.03 * RATE)) * envelope(int(0.03 * RATE), 0.001, 0.03)
                    add(np.diff(tick, prepend=0.0) * 0.05, bar * BAR + step * BEAT / 2, pan=0.3)

    # Wrap the tails past the end onto the start, so looping the bed has no seam.
    left[: len(left) - length] += left[length:]
    right[: len(right) - length] += right[length:]
    stereo = np.stack([left[:length], right[:length]], axis=1)
    return stereo / np.max(np.abs(stereo)) * 0.7


def write_opus(samples: np.ndarray, path: Path, bitrate: str = "96k") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "2",
           "-i", "-", "-c:a", "libopus", "-b:a", bitrate, "-f", "ogg", str(tmp)]
    subprocess.run(cmd, input=samples.astype("<f4").tobytes(), check=True)
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=24, help="length in bars (24 bars at 84 bpm ≈ 69 s)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "projects/demo/music/tension_bed.ogg")
    args = parser.parse_args()
    samples = compose(args.bars)
    write_opus(samples, args.out)
    print(f"wrote {args.out} ({len(samples) / RATE:.1f} s, {args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
