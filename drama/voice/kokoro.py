"""The offline neural voice: Kokoro-82M (ONNX) through onnxruntime, from a local folder.

The folder ($DRAMA_KOKORO_DIR, else `[voice] kokoro_dir`) holds the model (one `*.onnx`: kokoro-v1.0.onnx or its
int8/fp16 versions) and the voice packs (`voices-v1.0.bin` or any `*.npz`: name -> (510, 1, 256) style vectors).
Text becomes phonemes the way Kokoro was trained: Mandarin through misaki's zh G2P (jieba words, pypinyin, misaki's
pinyin-to-IPA), English through eSpeak NG with misaki's phoneme mapping (misaki's own English G2P needs spaCy and a
model downloaded at first use, so it cannot run offline). The model's predicted durations (an output the graph
computes and drama exposes: 600 samples a unit) give the word timings.
"""

from __future__ import annotations

import json
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from drama.errors import VoiceError, did_you_mean
from drama.voice.model import WordTiming

SAMPLE_RATE = 24_000
FRAME = 600  # samples per unit of the predicted durations
MAX_TOKENS = 510  # the voice packs have one style per length up to 510 phonemes; longer text is cut at clauses
ENV = "DRAMA_KOKORO_DIR"
RELEASE = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0"
DURATIONS = "durations"  # the name drama gives the exposed duration output
# Kokoro v1.0's phoneme vocabulary (config.json of the model), used when the folder has no config.json.
VOCAB_FILE = Path(__file__).with_name("kokoro_vocab.json")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECE = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<latin>[A-Za-z0-9\u00C0-\u024F]+(?:['’\-][A-Za-z0-9\u00C0-\u024F]+)*)"
                    rf"|(?P<other>[^{_HAN}A-Za-z0-9\u00C0-\u024F]+)")
_BLEND = re.compile(r"([a-z]{2}_[a-z0-9]+)(?:\((\d+(?:\.\d+)?)\))?")


def download_hint(folder: str) -> str:
    return (f"download Kokoro-82M there: mkdir -p {folder} && cd {folder} && curl -LO {RELEASE}/kokoro-v1.0.int8.onnx "
            f"&& curl -LO {RELEASE}/voices-v1.0.bin (then set {ENV} or [voice] kokoro_dir to that folder)")


def model_folder(root: Path, configured: str | None) -> Path | None:
    """Where the model should be: $DRAMA_KOKORO_DIR, else `[voice] kokoro_dir` (relative to the project); None if
    neither is set."""
    name = os.environ.get(ENV, "").strip() or configured
    if not name:
        return None
    folder = Path(name).expanduser()
    return folder if folder.is_absolute() else root / folder


def missing(folder: Path | None) -> str | None:
    """Why Kokoro cannot speak from `folder` (said with the download command), or None when it can."""
    if folder is None:
        return f"no Kokoro model folder is set; {download_hint('~/models/kokoro')}"
    if not folder.is_dir():
        return f"the Kokoro model folder {folder} is not there; {download_hint(str(folder))}"
    if not list(folder.glob("*.onnx")):
        return f"the Kokoro model folder {folder} has no .onnx model; {download_hint(str(folder))}"
    if not _voice_files(folder):
        return f"the Kokoro model folder {folder} has no voice packs (voices-v1.0.bin); {download_hint(str(folder))}"
    try:
        import misaki.zh  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as error:
        return f"Kokoro needs the `kokoro` extra ({error.name} is missing): pip install -e '.[kokoro]'"
    return None


def _voice_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.suffix in (".bin", ".npz") and zipfile.is_zipfile(path))


def _model_file(folder: Path) -> Path:
    """The model: the full-precision kokoro-v1.0.onnx when it is there, else the first .onnx by name."""
    return min(folder.glob("*.onnx"), key=lambda path: (path.name != "kokoro-v1.0.onnx", path.name))


@dataclass
class Piece:
    """A stretch of a line: a spoken word (its text and phonemes) or punctuation (no text)."""

    text: str
    phonemes: str


@cache
def _english(british: bool):
    from misaki.espeak import EspeakFallback

    return EspeakFallback(british=british)


def phonemize(text: str, language: str, british: bool = False) -> list[Piece]:
    """A line as words and punctuation with Kokoro phonemes: Chinese runs as jieba words through misaki's zh G2P,
    Latin words through eSpeak NG (misaki's mapping); Arabic numbers in Chinese text are read as Chinese."""
    import cn2an
    import jieba
    from misaki.zh import ZHG2P

    if language == "zh":
        text = cn2an.transform(text, "an2cn")
    pieces = []
    for match in _PIECE.finditer(text):
        if match.group("han"):
            pieces += [Piece(word, ZHG2P.word2ipa(word).replace("\u032f", "")) for word in jieba.lcut(match.group("han"))]
        elif match.group("latin"):
            word = match.group("latin")
            phonemes = _english(british)(_Token(word))[0] or ""
            pieces.append(Piece(word, phonemes))
        else:
            marks = re.sub(r"[^;:,.!?—…\"()“”]", "", ZHG2P.map_punctuation(match.group("other")))
            if marks:
                pieces.append(Piece("", marks))
    return pieces


@dataclass
class _Token:  # what misaki's EspeakFallback reads of a token
    text: str


class Kokoro:
    """One loaded model and its voice packs (shared by the process: loading takes a second or two)."""

    _lock = threading.Lock()

    def __init__(self, folder: Path):
        import onnxruntime

        self.folder = folder
        config = folder / "config.json"
        self.vocab: dict[str, int] = json.loads((config if config.is_file() else VOCAB_FILE).read_text("utf-8"))["vocab"]
        self.voices: dict[str, np.ndarray] = {}
        for path in _voice_files(folder):
            with np.load(path) as archive:
                self.voices.update({name: archive[name].reshape(-1, 256).astype(np.float32) for name in archive.files})
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(_with_durations(_model_file(folder)), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.inputs = {node.name for node in self.session.get_inputs()}
        self.has_durations = DURATIONS in {node.name for node in self.session.get_outputs()}

    @classmethod
    def get(cls, folder: Path) -> Kokoro:
        with cls._lock:
            return _loaded(folder.resolve())

    def style(self, voice: str) -> np.ndarray:
        """A voice's style table (510 × 256): one pack, or the weighted mean of a blend `a(2)+b(1)` (`a+b`: equal)."""
        parts = [(name, float(weight or 1)) for name, weight in _BLEND.findall(voice)]
        for name, _ in parts:
            if name not in self.voices:
                raise UnknownVoice(name, self.voices)
        total = sum(weight for _, weight in parts)
        return sum(self.voices[name] * (weight / total) for name, weight in parts)

    def synthesize(self, text: str, voice: str, language: str, speed: float = 1.0) -> tuple[np.ndarray, list[WordTiming]]:
        """float32 samples at 24 kHz and word timings (from the model's durations when it gives them)."""
        style = self.style(voice)
        pieces = phonemize(text, language, british=voice.startswith("b"))
        audio, words, offset = [], [], 0
        for chunk in _chunks([(piece, self._tokens(piece)) for piece in pieces]):
            samples, spans = self._run(chunk, style, speed)
            audio.append(samples)
            words += [WordTiming(text=word, start=(offset + start) / SAMPLE_RATE, end=(offset + end) / SAMPLE_RATE)
                      for word, start, end in spans]
            offset += samples.size
        if not audio:
            raise VoiceError(f"Kokoro found nothing to say in {text!r}", hint="the line has no words it can read")
        return np.concatenate(audio), words if self.has_durations else []

    def _tokens(self, piece: Piece) -> list[int]:
        return [self.vocab[char] for char in piece.phonemes if char in self.vocab]

    def _run(self, chunk: list[tuple[Piece, list[int]]], style: np.ndarray,
             speed: float) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
        """One pass of the model over ≤ MAX_TOKENS phonemes: the samples and each word's (text, start, end) in samples."""
        tokens, ranges = [], []
        space = self.vocab[" "]
        for piece, ids in chunk:
            if piece.text and tokens:
                tokens.append(space)
            ranges.append((piece.text, len(tokens), len(tokens) + len(ids)))
            tokens += ids
        feeds = {"tokens" if "tokens" in self.inputs else "input_ids": np.array([[0, *tokens, 0]], dtype=np.int64),
                 "style": style[min(len(tokens), len(style)) - 1].reshape(1, 256),
                 "speed": np.array([speed], dtype=np.float32)}
        outputs = self.session.run(None, feeds)
        samples = np.asarray(outputs[0], dtype=np.float32).ravel()
        if not self.has_durations:
            return samples, []
        frames = np.concatenate([[0], np.cumsum(np.asarray(outputs[-1]).ravel())]) * FRAME  # token i starts at frames[i]
        return samples, [(text, int(frames[1 + start]), int(frames[1 + end])) for text, start, end in ranges
                         if text and end > start]


def _chunks(pieces: list[tuple[Piece, list[int]]]) -> list[list[tuple[Piece, list[int]]]]:
    """Pieces in runs of at most MAX_TOKENS phonemes (a space between words), cut after punctuation where possible."""
    chunks: list[list[tuple[Piece, list[int]]]] = [[]]
    size = 0
    for piece, ids in pieces:
        if not ids:
            continue
        if chunks[-1] and size + len(ids) + 1 > MAX_TOKENS:
            cut = max((i + 1 for i, (p, _) in enumerate(chunks[-1]) if not p.text), default=len(chunks[-1]))
            chunks[-1], rest = chunks[-1][:cut], chunks[-1][cut:]
            chunks.append(rest)
            size = sum(len(i) + 1 for _, i in rest)
        chunks[-1].append((piece, ids[:MAX_TOKENS]))
        size += len(ids) + 1
    return [chunk for chunk in chunks if chunk]


def _with_durations(model: Path) -> bytes | str:
    """The model with its predicted phoneme durations as a second output, `durations`: the `Clip` after the `Round`
    of the duration predictor in Kokoro's export (round(duration / speed) clamped to ≥ 1). A model whose graph has
    no such node (or without the `onnx` package) is used as it is, and word timings are estimated from the text."""
    try:
        import onnx
    except ImportError:
        return str(model)
    graph_model = onnx.load(str(model))
    graph = graph_model.graph
    rounded = {node.output[0] for node in graph.node if node.op_type == "Round"}
    clips = [node for node in graph.node if node.op_type == "Clip" and node.input[0] in rounded]
    if len(clips) != 1:
        return str(model)
    graph.node.append(onnx.helper.make_node("Identity", [clips[0].output[0]], [DURATIONS]))
    graph.output.append(onnx.helper.make_tensor_value_info(DURATIONS, onnx.TensorProto.FLOAT, None))
    return graph_model.SerializeToString()


@cache
def _loaded(folder: Path) -> Kokoro:
    return Kokoro(folder)


class UnknownVoice(Exception):
    """A voice the folder's packs do not have."""

    def __init__(self, voice: str, known: dict[str, np.ndarray]):
        close = did_you_mean(voice, known)
        super().__init__(f"the Kokoro voice packs have no voice {voice!r}"
                         + (f" ({close})" if close else f"; they have {', '.join(sorted(known)[:12])}"))
        self.voice = voice
