"""The text frontend stage: validate a request, read SSML, apply the lexicon, normalize, split into
sentences, phonemize to ids.

Every problem a caller can fix raises InvalidRequest with a message that says what to change; the Triton
model turns it into that request's own INVALID_ARGUMENT error.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triton_tts.errors import InvalidRequest, shown
from triton_tts.lexicon import EMPTY_LEXICON, Lexicon
from triton_tts.limits import MAX_PHONEMES, MAX_TEXT_CHARS
from triton_tts.normalize import ABBREVIATIONS, SENTENCE_STARTERS, normalize
from triton_tts.phonemes import WordPosition, pieces_to_ids, pieces_to_ids_and_words
from triton_tts.ssml import is_ssml, parse_ssml
from triton_tts.utterance import Phonemes, Piece, Segment, piece_text
from triton_tts.voice_config import VoiceConfig

logger = logging.getLogger(__name__)
MIN_RATE, MAX_RATE = 0.5, 2.0
MAX_PAUSE_SECONDS = 60  # SSML breaks in one request, in all
# A sentence may end at . ! or ? (closing quotes and brackets after it stay with it) followed by a space.
_SENTENCE_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s)")
_INITIAL = re.compile(r"(?:^|[\s(\"“‘])(?:[A-HJ-Z]|(?:[A-Za-z]\.)+[A-Za-z])\.$")  # "J.", "B.B.", "U.S."; not "So did I."
_OPENING = "\"“‘'([("
# A line break ends a sentence when the line holds no end mark and is short (a list of titles, not a
# paragraph wrapped at 72 columns), or when a blank line follows.
_SHORT_LINE_BREAK = re.compile(r"(?m)^(?P<line>[^\n]{0,59}[^\W_])[ \t]*\n(?=\s*[A-Z0-9\"“‘(])|(?<=[^\s.!?;:,])[ \t]*\n[ \t]*\n")


@dataclass(frozen=True)
class PhonemizedRequest:
    """The frontend's output: ids of all sentences back to back, how many ids each sentence has, and each
    sentence's pace (RATE times an SSML prosody rate) and silence after it (SSML breaks, the voice's pause
    between sentences)."""

    ids: np.ndarray  # int64 (n,)
    segment_lengths: np.ndarray  # int64 (sentences,), sums to n
    speaker: int
    pace: float
    segment_paces: np.ndarray  # float32 (sentences,)
    segment_pause_frames: np.ndarray  # int64 (sentences,)
    words: tuple[str, ...] = ()  # written words, when word timestamps were asked for
    word_spans: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))  # (words, 2): first, last id


def _plain_character(c: str) -> str:
    """Control characters become spaces (newlines and tabs kept: SSML errors give line numbers); invisible
    format characters (soft hyphen, joiners, byte-order mark) go; full-width letters,
    ligatures and Roman numeral signs become the letters they look like ("Ｈｉ" -> "Hi", "Ⅳ" -> "IV")."""
    category = unicodedata.category(c)
    if category == "Cf":
        return " " if c == "\u200b" else ""  # a zero-width space still separates words
    if category.startswith("C"):
        return c if c in "\n\t" else " "
    if "\uff01" <= c <= "\uff5e" or "\u2160" <= c <= "\u217f" or "\ufb00" <= c <= "\ufb06":
        return unicodedata.normalize("NFKC", c)
    return c


def decode_text(raw: bytes) -> str:
    """UTF-8 text, each character made plain (_plain_character); InvalidRequest when empty, too long or not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"TEXT is not valid UTF-8 (bad byte at offset {exc.start}): send UTF-8 encoded text", "invalid_utf8") from exc
    text = "".join(_plain_character(c) for c in text).strip()
    if not text:
        raise InvalidRequest("TEXT is empty: send at least one word to speak", "empty_text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidRequest(
            f"TEXT has {len(text)} characters, more than the limit of {MAX_TEXT_CHARS}: split it into several requests",
            "text_too_long",
        )
    return text


def check_rate(rate: float | None) -> float:
    """RATE defaults to 1.0 (normal speed); it must be finite and in [MIN_RATE, MAX_RATE]."""
    if rate is None:
        return 1.0
    if not math.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidRequest(f"RATE must be a number from {MIN_RATE} to {MAX_RATE} (1.0 = normal speed), got {rate}", "bad_rate")
    return float(rate)


def speakable(segments: list[list], max_phonemes: int, minimum: int = 1) -> list[list]:
    """The segments with at least `minimum` tokens; InvalidRequest when none is left or all are over the cap."""
    segments = [s for s in segments if len(s) >= minimum]
    if not segments:
        raise InvalidRequest("TEXT has nothing to speak (no letters or digits): send words", "nothing_to_speak")
    check_phoneme_count(sum(len(s) for s in segments), max_phonemes)
    return segments


def check_phoneme_count(count: int, max_phonemes: int) -> None:
    if count > max_phonemes:
        raise InvalidRequest(f"TEXT is {count} phonemes long; this deployment takes at most {max_phonemes}: split it", "too_many_phonemes")


def is_caseless(text: str) -> bool:
    """Text written without capitals (chat, "i love this song. it is so good"): there a lowercase word after
    a mark starts a sentence."""
    return not any(c.isupper() for c in text)


_LAST_WORD = re.compile(r"([\w.'’]+)[.!?]+$")


def _abbreviation_ends(text: str) -> bool:
    """`text` ends with an abbreviation's, an initial's or a dotted acronym's period ("mr.", "feat.", "e.",
    "u.s."; not the pronoun "i."), as text without capitals writes them."""
    last = _LAST_WORD.search(text)
    word = last[1].strip("'’") if last else ""
    return bool(word) and (word.lower() in ABBREVIATIONS or len(word) == 1 and word != "i" or "." in word)


def sentence_ends(text: str, following: str = "", caseless: bool = False) -> list[int]:
    """Where sentences of `text` end (after the mark and any closing quote); `following` is the text after it
    (the next pieces), for the last mark's decision. Not an end: a mark before a lowercase word ("Panic! at
    the Disco is next", "fun. is next"), or an initial's period before a word that does not start sentences
    ("J. Cole", "B.B. King", "in the U.S. and Canada"; but "Plan B. Then"). In `caseless` text (no capital
    anywhere) a mark before a lowercase word ends the sentence unless it is an ellipsis or an abbreviation's
    period ("mr. brightside", "the u.s. and canada", "e. e. cummings")."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        after = (text[match.end():] + following).lstrip().lstrip(_OPENING)
        next_word = after.split(maxsplit=1)[0].rstrip(",.;:!?\"”’')]") if after.strip() else ""
        if caseless:
            if ".." in match[0] and next_word[:1].islower() or match[0].startswith(".") and _abbreviation_ends(text[: match.start() + 1]):
                continue
        elif next_word[:1].islower():
            continue
        elif match[0].startswith(".") and _INITIAL.search(text[: match.start() + 1]) and next_word not in SENTENCE_STARTERS:
            continue
        ends.append(match.end())
    return ends


def split_sentences(text: str, caseless: bool | None = None) -> list[str]:
    """Sentences are synthesized as separate rows: attention stays short and each keeps its own intonation.
    `caseless`: whether the text as written had no capitals (by default judged from `text` itself)."""
    bounds = [0, *sentence_ends(text, caseless=is_caseless(text) if caseless is None else caseless), len(text)]
    return [text[a:b].strip() for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def split_piece_sentences(pieces: list[Piece], caseless: bool | None = None) -> list[list[Piece]]:
    """split_sentences across pieces: only written text ends a sentence; fixed pronunciations stay inside."""
    sentences: list[list[Piece]] = [[]]
    if caseless is None:
        caseless = is_caseless("".join(piece_text(p) for p in pieces))
    for index, piece in enumerate(pieces):
        if not isinstance(piece, str):
            sentences[-1].append(piece)
            continue
        following = "".join(piece_text(p) for p in pieces[index + 1 : index + 3])
        bounds = [0, *sentence_ends(piece, following, caseless), len(piece)]
        for number, (a, b) in enumerate(zip(bounds, bounds[1:])):
            if number:
                sentences.append([])
            if piece[a:b].strip():
                sentences[-1].append(piece[a:b] if number == 0 else piece[a:b].lstrip())
    return [s for s in sentences if s]


def end_short_lines(text: str) -> str:
    """Plain text's line breaks that end a sentence get a period: a list of titles is read as a list."""
    return _SHORT_LINE_BREAK.sub(lambda m: (m["line"] or "") + ".\n", text)


_NAME_STAND_IN = "Qzxname"  # a capitalised word no rule rewrites, in place of the lexicon name after a text piece


def _normalize_inside(text: str, name_follows: bool = False) -> str:
    """normalize() that keeps one space at either end: it separates a sentence's end from a lexicon word.
    With `name_follows` the rules see a name after the text, as they would without the lexicon ("Ms. Lauryn
    Hill", "Nas vs. Jay-Z", "St. Khalid")."""
    before = " " if text[:1].isspace() else ""
    after = " " if text[-1:].isspace() else ""
    if name_follows and after:
        spoken = normalize(text + _NAME_STAND_IN)
        if spoken.endswith(" " + _NAME_STAND_IN):
            return before + spoken[: -len(_NAME_STAND_IN) - 1] + after
    return before + normalize(text) + after


class TextFrontend:
    """Turns (TEXT, VOICE, RATE) into phoneme ids for one voice artifact."""

    def __init__(self, config: VoiceConfig, default_speaker: str | None = None, max_phonemes: int = MAX_PHONEMES,
                 lexicon: Lexicon = EMPTY_LEXICON) -> None:
        """`max_phonemes` caps a request's phoneme ids (lower on the GPU variant: the engines' shape range)."""
        self.config = config
        self.max_phonemes = max_phonemes
        self.lexicon = lexicon
        self.default_speaker = default_speaker or next(iter(config.speakers))
        self.known_symbols = frozenset(config.inventory.tokens)
        self.frames_per_ms = config.mel.sample_rate / config.mel.hop_length / 1000
        config.speaker_id(self.default_speaker)  # fail at start-up, not per request
        if len(lexicon) and config.phonemizer != "piper_ipa":
            raise ValueError(f"a lexicon needs a voice that reads IPA (phonemizer piper_ipa), not {config.phonemizer}")

    def speaker(self, raw: bytes | None) -> str:
        if raw is None or not raw.strip():
            return self.default_speaker
        name = raw.decode("utf-8", errors="replace").strip()
        available = ", ".join(self.config.speakers)
        if name in self.config.retired_speakers:
            raise InvalidRequest(f"VOICE {shown(name)} was retired ({self.config.retired_speakers[name]}); available voices: {available}", "unknown_voice")
        if name not in self.config.speakers:
            raise InvalidRequest(f"unknown VOICE {shown(name)}; available voices: {available}", "unknown_voice")
        return name

    def segments(self, text: str) -> list[Segment]:
        """SSML (text starting with <speak) or plain text as segments, before the lexicon and normalizer."""
        if not is_ssml(text):
            return [Segment([end_short_lines(text)])]
        if self.config.phonemizer != "piper_ipa":
            raise InvalidRequest(f"SSML needs a voice that reads IPA; this voice's phonemizer is {self.config.phonemizer}", "bad_ssml")
        return parse_ssml(text, self.known_symbols)

    def written(self, pieces: list[Piece]) -> list[Piece]:
        """Lexicon words cut out of the written text, the rest normalized; spoken-form pieces unchanged."""
        parts = [part for piece in pieces for part in (self.lexicon.split(piece) if isinstance(piece, str) else [piece])]
        return [
            _normalize_inside(part, isinstance(following, Phonemes)) if isinstance(part, str) else part
            for part, following in zip(parts, [*parts[1:], None])
        ]

    def process(self, text: bytes, voice: bytes | None = None, rate: float | None = None, word_timestamps: bool = False) -> PhonemizedRequest:
        """The request's rows of ids; with `word_timestamps`, also where each written word's ids are."""
        speaker = self.speaker(voice)
        pace = check_rate(rate)
        espeak_voice = self.config.speakers[speaker]
        rows = _Rows()
        segments = self.segments(decode_text(text))
        # As written, markup aside: the normalizer capitalises what it writes at a sentence start.
        caseless = is_caseless(" ".join(piece_text(p) for segment in segments for p in segment.pieces))
        sentence_pause = round(self.config.sentence_pause_ms * self.frames_per_ms)
        previous, closed = None, False  # the last sentence's text while a sentence pause may follow it; </s> after it
        for segment in segments:
            segment_pace = min(MAX_RATE, max(MIN_RATE, pace * segment.rate))
            for index, sentence in enumerate(split_piece_sentences(self.written(segment.pieces), caseless)):
                sentence_text = "".join(piece_text(p) for p in sentence)
                if previous is not None and (index or closed or _sentence_break(previous, sentence_text, caseless)):
                    rows.sentence_pause(sentence_pause)
                if word_timestamps and self.config.phonemizer == "piper_ipa":
                    rows.add_sentence(*pieces_to_ids_and_words(sentence, espeak_voice, self.config.inventory), segment_pace)
                else:
                    rows.add_sentence(pieces_to_ids(sentence, espeak_voice, self.config.inventory, self.config.phonemizer), [], segment_pace)
                check_phoneme_count(rows.id_count, self.max_phonemes)  # refused before the rest is read
                previous = sentence_text
            if segment.pause_ms or segment.has_break:
                rows.pause(round(segment.pause_ms * self.frames_per_ms))
                previous = None  # an SSML break (even strength "none") or paragraph takes the pause's place
            closed = segment.sentence_end
        pause_seconds = rows.break_frames / self.frames_per_ms / 1000
        if pause_seconds > MAX_PAUSE_SECONDS:
            raise InvalidRequest(f"the SSML breaks add up to {pause_seconds:.1f} s; at most {MAX_PAUSE_SECONDS} s per request: shorten them", "bad_ssml")
        segments = speakable(rows.ids, self.max_phonemes)
        return PhonemizedRequest(
            ids=np.concatenate([np.asarray(s, dtype=np.int64) for s in segments]),
            segment_lengths=np.asarray([len(s) for s in segments], dtype=np.int64),
            speaker=self.config.speaker_id(speaker),
            pace=pace,
            segment_paces=np.asarray(rows.paces, dtype=np.float32),
            segment_pause_frames=np.asarray(rows.pauses, dtype=np.int64),
            words=tuple(text for text, _, _ in rows.words),
            word_spans=rows.word_spans(),
        )


def _sentence_break(before: str, after: str, caseless: bool) -> bool:
    """Whether the text `before` an SSML element ends a sentence, given the text after it ("Panic! <prosody>at
    the Disco" does not, as plain text would not)."""
    before = before.rstrip()
    ends = sentence_ends(before + " ", after, caseless)
    return bool(ends) and ends[-1] >= len(before)


class _Rows:
    """A request's acoustic rows as they are built: ids, pace and pause after each, and word positions."""

    def __init__(self) -> None:
        self.ids: list[list[int]] = []
        self.paces: list[float] = []
        self.pauses: list[int] = []
        self.words: list[tuple[str, tuple[int, int], tuple[int, int]]] = []  # (text, (row, id), (row, id))
        self.id_count = 0
        self.break_frames = 0  # of SSML breaks, which MAX_PAUSE_SECONDS bounds

    def add_sentence(self, rows: list[list[int]], words: list[WordPosition], pace: float) -> None:
        """A sentence's rows; those with nothing but the start and end marks are left out (they hold no word)."""
        new_index = {}
        for index, ids in enumerate(rows):
            if len(ids) >= 3:
                new_index[index] = len(self.ids)
                self.ids.append(ids)
                self.id_count += len(ids)
                self.paces.append(pace)
                self.pauses.append(0)
        for word in words:
            self.words.append((word.text, (new_index[word.first[0]], word.first[1]), (new_index[word.last[0]], word.last[1])))

    def pause(self, frames: int) -> None:
        """An SSML break's silence after the last row so far (a break before any words is dropped)."""
        if self.ids and frames:
            self.pauses[-1] += frames
            self.break_frames += frames

    def sentence_pause(self, frames: int) -> None:
        """The voice's silence between two sentences, after the last row so far."""
        if self.ids:
            self.pauses[-1] += frames

    def word_spans(self) -> np.ndarray:
        """(words, 2) int64: each word's first and last id in the request's concatenated ids."""
        offsets = np.concatenate([[0], np.cumsum([len(ids) for ids in self.ids])]).astype(np.int64)
        spans = [(offsets[first[0]] + first[1], offsets[last[0]] + last[1]) for _, first, last in self.words]
        return np.asarray(spans, dtype=np.int64).reshape(-1, 2)


def load_frontend(config: VoiceConfig, lexicon_path: Path | None, max_phonemes: int = MAX_PHONEMES) -> TextFrontend:
    """The frontend with the deployment's lexicon (LexiconError naming the bad line stops the model's start).
    A retired voice that reads espeak-ng mnemonics cannot use IPA entries: it is served without them."""
    if lexicon_path and config.phonemizer != "piper_ipa":
        logger.warning("voice phonemizer %s reads no IPA: the lexicon %s is not used", config.phonemizer, lexicon_path)
        lexicon_path = None
    lexicon = Lexicon.load(lexicon_path, config.inventory.tokens) if lexicon_path else EMPTY_LEXICON
    frontend = TextFrontend(config, max_phonemes=max_phonemes, lexicon=lexicon)
    frontend.process(b"Warm up.")
    return frontend
