"""A small ctypes binding to libespeak-ng: G2P by clause, and synthesis with exact phoneme timings.

espeak-ng keeps global state (current voice, callback), so every call holds one process-wide lock.
espeak-ng is GPL-3.0; it is loaded as a shared library at run time (see README, Licence).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import threading
from dataclasses import dataclass

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PHONEME_SEPARATOR = "|"
_MNEMONIC_MODE = ord(_PHONEME_SEPARATOR) << 8  # espeak-ng's ASCII mnemonics, separated by "|"
_IPA_MODE = 0x02  # espeakPHONEMES_IPA: UTF-8 IPA, no separator (as Piper calls it)
CLAUSE_TERMINATORS = ".,?!;:"
# A libespeak-ng outside the loader's path (serving.gpu_pack's); its data then comes from $ESPEAK_DATA_PATH,
# which espeak-ng itself reads.
LIBRARY_ENV = "ESPEAK_NG_LIBRARY"


# TextToPhonemes glues a pause ("_:") or a glottal-onset mark ("_!") to the next phoneme ("_:n", "_!w");
# synthesis events name the phoneme alone. Pauses become their own token; the glottal mark is dropped.
_GLUED_MARK = re.compile(r"^(_[:!]?)([^_:!].*)$")


def split_mnemonic(mnemonic: str) -> list[str]:
    match = _GLUED_MARK.match(mnemonic)
    if match is None:
        return [mnemonic]
    mark, phoneme = match.groups()
    return [phoneme] if mark == "_!" else [mark, phoneme]


MAX_RUN_WORDS = 60  # words per espeak-ng call: far below where it starts dropping a clause's words
# libespeak-ng 1.51 aborts the process ("stack smashing detected") on ~85 dotted lowercase letters in one
# clause ("a.k.a. " x 30, "a." x 85): a run holds at most this many, and a word with more than
# MAX_WORD_DOTS of them is read letter by letter ("a. k. a.").
MAX_RUN_DOTS = 40
MAX_WORD_DOTS = 8
_LETTER_DOT = re.compile(r"[^\W\d_]\.")
# Clause punctuation glued between letters ("hi,hi,hi"): espeak-ng does not end a clause there, and counts
# each mark against its per-clause limit.
_GLUED_PUNCTUATION = re.compile(r"(?<=[^\W\d_])([,;:!?\"()\[\]{}]+)(?=[^\W\d_])")


def espeak_runs(text: str, max_words: int = MAX_RUN_WORDS) -> list[str]:
    """`text` with a space after punctuation glued between letters, cut into runs of at most `max_words`
    words and MAX_RUN_DOTS dotted letters: after the last word in the run that ends a clause (".", ",", ...),
    else where the run is full."""
    words = [part for word in _GLUED_PUNCTUATION.sub(r"\1 ", text).split() for part in _unglue_dots(word)]
    runs = []
    while words:
        full, dots = 0, 0
        while full < min(len(words), max_words) and (dots := dots + len(_LETTER_DOT.findall(words[full]))) <= MAX_RUN_DOTS:
            full += 1
        if full == len(words):
            runs.append(" ".join(words))
            break
        full = max(full, 1)
        cut = next((i + 1 for i in range(full - 1, 0, -1) if words[i][-1] in CLAUSE_TERMINATORS), full)
        runs.append(" ".join(words[:cut]))
        words = words[cut:]
    return runs


def _unglue_dots(word: str) -> list[str]:
    """A word of more dotted letters than any abbreviation has, split after each period."""
    if len(_LETTER_DOT.findall(word)) <= MAX_WORD_DOTS:
        return [word]
    return re.sub(r"\.(?=\S)", ". ", word).split()


class EspeakError(RuntimeError):
    """libespeak-ng is missing or refused a call."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Clause:
    """One clause as espeak-ng splits text: words of phoneme mnemonics (with stress marks) and its terminator."""

    words: list[list[str]]
    terminator: str  # one of CLAUSE_TERMINATORS, or "" when espeak broke the clause without punctuation


@dataclass(frozen=True)
class PhonemeEvent:
    """A phoneme espeak-ng spoke, starting at an exact sample of the audio."""

    name: str
    sample: int


@dataclass(frozen=True)
class Synthesis:
    """espeak-ng audio (int16 at `sample_rate`) with the phoneme events of the same call."""

    audio: np.ndarray
    sample_rate: int
    events: list[PhonemeEvent]


class _Espeak:
    """The loaded library; one per process."""

    def __init__(self) -> None:
        path = os.environ.get(LIBRARY_ENV) or ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(path)
        except OSError as exc:
            raise EspeakError(f"cannot load libespeak-ng ({exc}); install the Debian package espeak-ng") from exc
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise EspeakError("espeak_Initialize failed: is espeak-ng-data installed?")
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lock = threading.Lock()
        self._voice = ""
        self._audio: list[np.ndarray] = []
        self._events: list[PhonemeEvent] = []
        self._callback = _SynthCallback(self._on_synth)  # keep a reference: espeak holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_PHONEME:
                name = events[i].id.string.decode("ascii", errors="replace")
                self._events.append(PhonemeEvent(name, events[i].sample))
            i += 1
        return 0

    def set_voice(self, voice: str) -> None:
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice

    def clause_strings(self, text: str, voice: str, phoneme_mode: int) -> list[tuple[str, str]]:
        """(phonemes, terminator) per clause; `phoneme_mode` is espeak_TextToPhonemes' (mnemonics or IPA).
        The text goes in runs of whole words (espeak_runs): espeak-ng drops the rest of a clause past ~300
        words and punctuation marks, without a word of warning."""
        return [clause for run in espeak_runs(text) for clause in self._run_clauses(run, voice, phoneme_mode)]

    def _run_clauses(self, text: str, voice: str, phoneme_mode: int) -> list[tuple[str, str]]:
        with self.lock:
            self.set_voice(voice)
            data = text.encode("utf-8")
            buffer = ctypes.create_string_buffer(data)
            base = ctypes.addressof(buffer)
            pointer = ctypes.c_void_p(base)
            found, start = [], 0
            while pointer.value:
                phonemes = self.lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, phoneme_mode)
                end = pointer.value - base if pointer.value else len(data)
                # espeak reads one character past the clause, so the terminator is the last punctuation consumed.
                consumed = data[start:end].decode("utf-8", errors="replace")
                start = end
                terminator = next((c for c in reversed(consumed) if c in CLAUSE_TERMINATORS), "")
                found.append((phonemes.decode("utf-8", errors="replace"), terminator))
            return found

    def synthesize(self, text: str, voice: str) -> Synthesis:
        with self.lock:
            self.set_voice(voice)
            self._audio, self._events = [], []
            data = text.encode("utf-8")
            status = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if status != 0:
                raise EspeakError(f"espeak_Synth failed with status {status}")
            audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)
            return Synthesis(audio, self.sample_rate, list(self._events))


_instance: _Espeak | None = None


def espeak() -> _Espeak:
    """The process-wide espeak-ng binding, loaded on first use."""
    global _instance
    if _instance is None:
        _instance = _Espeak()
    return _instance


def clauses(text: str, voice: str) -> list[Clause]:
    """Split `text` into clauses of phoneme mnemonics, as espeak-ng voice `voice` pronounces it."""
    found = []
    for mnemonics, terminator in espeak().clause_strings(text, voice, _MNEMONIC_MODE):
        words = [[t for m in w.split(_PHONEME_SEPARATOR) for t in split_mnemonic(m)] for w in mnemonics.split()]
        if words:
            found.append(Clause(words, terminator))
    return found


def ipa_clauses(text: str, voice: str) -> list[tuple[str, str]]:
    """(IPA phonemes, terminator) per clause, words separated by spaces: the phonemes Piper voices read."""
    return [(ipa, terminator) for ipa, terminator in espeak().clause_strings(text, voice, _IPA_MODE) if ipa.strip()]


def synthesize(text: str, voice: str) -> Synthesis:
    """Speak `text` with espeak-ng; audio and phoneme events come from the same call."""
    return espeak().synthesize(text, voice)
