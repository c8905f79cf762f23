"""Loudness: two-pass EBU R128 normalisation with ffmpeg's loudnorm, and measuring a finished file.

Pass one analyses the audio mix alone (cheap: no video) and prints JSON; pass two, inside the export's
single encode, applies the measured values linearly, so the level is exact and the dynamics untouched.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

from pydantic import BaseModel

from engine.video import ffmpeg_exe
from drama.errors import DramaError

LRA_TARGET = 11.0
AAC_HEADROOM = 0.5  # dB the limiter aims under the true-peak ceiling: AAC encoding overshoots by about this much
SILENCE_LUFS = -70.0  # below this there is nothing to normalise


class Loudness(BaseModel):
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU
    threshold: float = -70.0
    offset: float = 0.0  # loudnorm's suggested offset gain (pass one only)


def parse_loudnorm_json(stderr: str) -> Loudness:
    """The JSON block loudnorm prints at the end of a `print_format=json` run."""
    blocks = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not blocks:
        raise DramaError("ffmpeg loudnorm printed no measurement", hint=stderr.strip().splitlines()[-1] if stderr else None)
    data = {key: float(value) for key, value in json.loads(blocks[-1]).items() if key != "normalization_type"}
    return Loudness(integrated=data["input_i"], true_peak=data["input_tp"], lra=data["input_lra"],
                    threshold=data["input_thresh"], offset=data["target_offset"])


def analysis_filter(target_lufs: float, true_peak_db: float) -> str:
    return f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={LRA_TARGET}:print_format=json"


def normalise_filter(target_lufs: float, true_peak_db: float, measured: Loudness) -> str:
    """Pass two. loudnorm works at 192 kHz internally, hence the resample back to 48 kHz. Silence passes through."""
    if not math.isfinite(measured.integrated) or measured.integrated < SILENCE_LUFS:
        return "anull"
    lra = min(50.0, max(LRA_TARGET, math.ceil(measured.lra) + 1.0))  # a target LRA below the input's forbids linear mode
    return (f"loudnorm=I={target_lufs}:TP={true_peak_db - AAC_HEADROOM}:LRA={lra}:measured_I={measured.integrated:.2f}:"
            f"measured_TP={max(measured.true_peak, -99):.2f}:measured_LRA={measured.lra:.2f}:"
            f"measured_thresh={measured.threshold:.2f}:offset={measured.offset:.2f}:linear=true,aresample=48000")


def measure_file(path: Path) -> Loudness:
    """Integrated loudness, true peak and loudness range of a file's audio (ffmpeg ebur128, BS.1770)."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-vn",
                             "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = result.stderr[result.stderr.rfind("Summary:"):]
    found = [re.search(pattern, summary) for pattern in
             (r"I:\s+(-?[\d.]+|-inf) LUFS", r"Peak:\s+(-?[\d.]+|-inf) dBFS", r"LRA:\s+(-?[\d.]+) LU")]
    if result.returncode or not all(found):
        raise DramaError("could not measure loudness", path=path, hint=result.stderr.strip()[-300:])
    integrated, true_peak, lra = (float(match.group(1)) for match in found)
    return Loudness(integrated=integrated, true_peak=true_peak, lra=lra)
