"""The phoneme frontend shared by training and serving: text -> tokens -> ids, in one of two phonemizers.

`piper_ipa` (the default voice): the symbols a Piper voice reads, made the way Piper makes them: espeak-ng IPA
per clause, decomposed (NFD) into single characters, the clause's punctuation after it, `^` first, `$` last
and the blank `_` after every symbol. The student reads the same symbols its Piper teacher read.

`espeak_mnemonics` (the retired espeak-distilled voices): a token sequence is `<s> word ␠ word <,> word ... <.> </s>`: phoneme mnemonics from espeak-ng (a vowel keeps its
stress mark, e.g. `'oU`), a space between words, the clause's punctuation between clauses (so the model
can learn pauses and question intonation) and sentence start/end marks that carry leading/trailing silence.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, partial

from triton_tts import espeak
from triton_tts.lexicon import ipa_symbols
from triton_tts.limits import MAX_SEGMENT_TOKENS
from triton_tts.utterance import Phonemes, Piece, piece_text
from triton_tts.word_alignment import align

logger = logging.getLogger(__name__)

PAD = "<pad>"
BOS = "<s>"
EOS = "</s>"
WORD_BREAK = " "
# Brackets keep punctuation apart from espeak-ng mnemonics, some of which are ";" or end in ":".
CLAUSE_TOKENS = {mark: f"<{mark}>" for mark in espeak.CLAUSE_TERMINATORS}
BOUNDARY_TOKENS = frozenset({BOS, EOS, WORD_BREAK, *CLAUSE_TOKENS.values()})
STRESS_MARKS = "',%="


PIPER_BOS, PIPER_EOS, PIPER_BLANK = "^", "$", "_"
PHONEMIZERS = ("piper_ipa", "espeak_mnemonics")
# Piper writes a clause's punctuation after its phonemes; a pause mark gets a space, as between words.
_PIPER_TERMINATORS = {".": ".", "?": "?", "!": "!", ",": ", ", ":": ": ", ";": "; "}
_LANGUAGE_SWITCH = re.compile(r"\([a-z-]+\)")  # espeak-ng's "(fr)" around words it reads in another language


def phonemize_ipa(text: str, espeak_voice: str) -> list[str]:
    """Piper's symbol sequence for one sentence; [] when there is nothing to speak."""
    return phonemize_pieces([text], espeak_voice)


_LEADING_PUNCTUATION = re.compile(r"^[\s,;:.!?]*")


def phonemize_pieces(pieces: list[Piece], espeak_voice: str) -> list[str]:
    """Piper's symbol sequence for one sentence given as pieces: text through espeak-ng by clause, fixed
    pronunciations (Phonemes) as their IPA, words joined by spaces. For one text piece this is exactly
    what Piper makes of the sentence (the teacher's training data)."""
    return _tokens(_sentence_symbols(pieces, espeak_voice).symbols)


@dataclass(frozen=True)
class SpokenWord:
    """Written word(s) and the tokens that speak them: [first_token, last_token] of the sentence's tokens."""

    text: str
    first_token: int
    last_token: int


def phonemize_with_words(pieces: list[Piece], espeak_voice: str) -> tuple[list[str], list[SpokenWord]]:
    """phonemize_pieces, and which tokens speak which written words (triton_tts.word_alignment)."""
    sentence = _sentence_symbols(pieces, espeak_voice)
    words = []
    for written, spoken in sentence.piece_words:
        lengths = [end - start for start, end in spoken]
        for group in align(lengths, written, partial(_spoken_length, espeak_voice)):
            text = " ".join(written[group.written_start : group.written_end])
            first, last = spoken[group.spoken_start][0], spoken[group.spoken_end - 1][1] - 1
            if text:
                words.append(SpokenWord(text, _token_index(first), _token_index(last)))
    return _tokens(sentence.symbols), words


# A written word: punctuation around it is not part of it, periods inside are ("U.S", "A.B.C" as espeak-ng
# speaks them: one word).
_WRITTEN_WORD = re.compile(r"\w(?:[^\s,;:!?\"()]*\w)?")


@dataclass
class _Sentence:
    symbols: list[str]
    # per piece: its written words and its spoken words as [start, end) ranges of `symbols`
    piece_words: list[tuple[list[str], list[tuple[int, int]]]]


def _sentence_symbols(pieces: list[Piece], espeak_voice: str) -> _Sentence:
    sentence = _Sentence([], [])
    symbols = sentence.symbols
    open_word = False  # the last symbols are a word with no clause punctuation after it yet
    for piece_index, piece in enumerate(pieces):
        last_piece = piece_index == len(pieces) - 1
        if isinstance(piece, Phonemes):
            if open_word:
                symbols.append(" ")
            start = len(symbols)
            symbols.extend(ipa_symbols(piece.ipa))
            sentence.piece_words.append(([piece.text], [(start, len(symbols))]))
            open_word = True
            continue
        text = piece if isinstance(piece, str) else piece.text
        # espeak-ng gives a clause's punctuation to the clause after it: text that starts with punctuation
        # (", they rock" after a fixed pronunciation) closes the previous clause here.
        leading = _LEADING_PUNCTUATION.match(text)[0]
        terminator = next((c for c in reversed(leading) if c in _PIPER_TERMINATORS), "")
        if terminator and symbols:
            symbols.extend(_PIPER_TERMINATORS[terminator])
            open_word = False
        clauses = espeak.ipa_clauses(text[len(leading):], espeak_voice)
        spoken: list[tuple[int, int]] = []
        for index, (ipa, terminator) in enumerate(clauses):
            if open_word:
                symbols.append(" ")
            start = len(symbols)
            symbols.extend(unicodedata.normalize("NFD", _LANGUAGE_SWITCH.sub("", ipa)).strip())
            spoken += _word_ranges(symbols, start)
            is_last = index == len(clauses) - 1
            if terminator:
                symbols.extend(_PIPER_TERMINATORS[terminator])
            elif is_last and last_piece:
                symbols.append(".")
            elif not is_last:
                symbols.append(" ")
            open_word = not terminator and is_last and not last_piece
        sentence.piece_words.append((_WRITTEN_WORD.findall(text), spoken))
    if open_word:
        symbols.append(".")
    return sentence


def _word_ranges(symbols: list[str], start: int) -> list[tuple[int, int]]:
    """[start, end) of each space-separated word in symbols[start:]."""
    ranges, begin = [], None
    for position in range(start, len(symbols) + 1):
        is_space = position == len(symbols) or symbols[position] == " "
        if not is_space and begin is None:
            begin = position
        elif is_space and begin is not None:
            ranges.append((begin, position))
            begin = None
    return ranges


@lru_cache(maxsize=65536)
def _spoken_length(espeak_voice: str, word: str) -> int:
    """How many symbols espeak-ng speaks `word` with, alone (the alignment's expected length)."""
    return sum(len(unicodedata.normalize("NFD", ipa).replace(" ", "")) for ipa, _ in espeak.ipa_clauses(word, espeak_voice))


def _token_index(symbol_index: int) -> int:
    """Where symbol k sits among the tokens `^ _ s0 _ s1 _ ... $`."""
    return 2 + 2 * symbol_index


def _tokens(symbols: list[str]) -> list[str]:
    if not symbols:
        return []
    tokens = [PIPER_BOS, PIPER_BLANK]
    for symbol in symbols:
        tokens += [symbol, PIPER_BLANK]
    return tokens + [PIPER_EOS]


_CLAUSE_SYMBOLS = frozenset(",;:.!?")


def split_long(tokens: list[str], max_tokens: int = MAX_SEGMENT_TOKENS) -> list[list[str]]:
    """A Piper sequence cut into sequences of at most `max_tokens`: after clause punctuation where there is
    one, else after a word, else anywhere; each piece gets its own `^ _` ... `$`, as a sentence would."""
    if len(tokens) <= max_tokens:
        return [tokens]
    body, room = tokens[2:-1], (max_tokens - 3) // 2 * 2  # (symbol, blank) pairs between "^ _" and "$"
    pieces = []
    while len(body) > room:
        symbols = range(0, room, 2)
        cut = next((i + 2 for i in reversed(symbols) if body[i] in _CLAUSE_SYMBOLS), None)
        cut = cut or next((i + 2 for i in reversed(symbols) if body[i] == " "), room)
        if cut < room and body[cut] == " ":  # Piper writes ", " after a clause: the space ends this piece
            cut += 2
        pieces.append(body[:cut])
        body = body[cut:]
    pieces.append(body)
    return [[PIPER_BOS, PIPER_BLANK, *piece, PIPER_EOS] for piece in pieces if piece]


def phonemize(text: str, espeak_voice: str) -> list[str]:
    """Turn text into the token sequence the acoustic model reads, as espeak-ng voice `espeak_voice` says it."""
    clauses = espeak.clauses(text, espeak_voice)
    tokens = [BOS]
    for index, clause in enumerate(clauses):
        for word_index, word in enumerate(clause.words):
            if word_index:
                tokens.append(WORD_BREAK)
            tokens.extend(word)
        is_last = index == len(clauses) - 1
        tokens.append(CLAUSE_TOKENS[clause.terminator or ("." if is_last else ",")])
    tokens.append(EOS)
    return tokens


def phoneme_name(token: str) -> str:
    """The espeak-ng phoneme a token stands for: its mnemonic without stress marks."""
    return token.lstrip(STRESS_MARKS)


def is_pause(name: str) -> bool:
    """espeak-ng names its pauses `_`, `_:`, `_!` ..."""
    return name.startswith("_")


@dataclass(frozen=True)
class PhonemeInventory:
    """The fixed token -> id table of a voice; id 0 is padding."""

    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.tokens or self.tokens[0] != PAD:
            raise ValueError(f"a phoneme inventory starts with the padding token {PAD!r}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a phoneme inventory has no duplicate tokens")
        object.__setattr__(self, "_index", {token: i for i, token in enumerate(self.tokens)})

    @classmethod
    def from_token_sequences(cls, sequences) -> "PhonemeInventory":
        """Build the inventory of every token seen, sorted so that the same data gives the same ids."""
        seen = set().union(*map(set, sequences)) - {PAD}
        return cls((PAD, *sorted(seen)))

    def __len__(self) -> int:
        return len(self.tokens)

    def token_id(self, token: str) -> int | None:
        """The token's id; an unseen stressed vowel falls back to its unstressed form; None if unknown."""
        index = self._index  # type: ignore[attr-defined]
        return index.get(token, index.get(phoneme_name(token)))

    def ids(self, tokens: list[str]) -> list[int]:
        """Map tokens to ids, dropping (with a warning) those the voice does not know."""
        ids = []
        for token in tokens:
            token_id = self.token_id(token)
            if token_id is None:
                logger.warning("phoneme %r is not in the voice's inventory; skipped", token)
                continue
            ids.append(token_id)
        return ids


def tokenize(text: str, espeak_voice: str, phonemizer: str) -> list[str]:
    """One sentence as the named phonemizer's tokens (see PHONEMIZERS)."""
    if phonemizer == "piper_ipa":
        return phonemize_ipa(text, espeak_voice)
    if phonemizer == "espeak_mnemonics":
        return phonemize(text, espeak_voice)
    raise ValueError(f"unknown phonemizer {phonemizer!r}; one of {', '.join(PHONEMIZERS)}")


def text_to_ids(text: str, espeak_voice: str, inventory: PhonemeInventory, phonemizer: str) -> list[list[int]]:
    """The one frontend function training and serving share: one sentence's ids, as rows of the acoustic model
    (one row unless the sentence is longer than MAX_SEGMENT_TOKENS; the retired mnemonic voices are never cut)."""
    return pieces_to_ids([text], espeak_voice, inventory, phonemizer)


@dataclass(frozen=True)
class WordPosition:
    """Written word(s) spoken by ids [first, last] of a sentence's rows, as (row, index in the row's ids)."""

    text: str
    first: tuple[int, int]
    last: tuple[int, int]


def pieces_to_ids_and_words(pieces: list[Piece], espeak_voice: str, inventory: PhonemeInventory) -> tuple[list[list[int]], list[WordPosition]]:
    """pieces_to_ids (piper_ipa) and where each written word's ids are (for word timestamps)."""
    tokens, words = phonemize_with_words(pieces, espeak_voice)
    rows = split_long(tokens) if tokens else [tokens]
    where: dict[int, tuple[int, int]] = {}  # sentence token index -> (row, id index in the row)
    body_offset = 0
    for row_index, row in enumerate(rows):
        kept = 0
        for position, token in enumerate(row):
            if 2 <= position < len(row) - 1:
                where[2 + body_offset + position - 2] = (row_index, kept)
            kept += inventory.token_id(token) is not None
        body_offset += max(0, len(row) - 3)
    positions = [WordPosition(w.text, where[w.first_token], where[w.last_token]) for w in words]
    return [inventory.ids(row) for row in rows], positions


def pieces_to_ids(pieces: list[Piece], espeak_voice: str, inventory: PhonemeInventory, phonemizer: str) -> list[list[int]]:
    """text_to_ids for a sentence given as pieces (fixed pronunciations need the piper_ipa phonemizer)."""
    if phonemizer == "piper_ipa":
        tokens = phonemize_pieces(pieces, espeak_voice)
        rows = split_long(tokens) if tokens else [tokens]
    else:
        if any(isinstance(piece, Phonemes) for piece in pieces):
            raise ValueError(f"fixed pronunciations need the piper_ipa phonemizer, not {phonemizer}")
        rows = [tokenize(" ".join(piece_text(piece) for piece in pieces), espeak_voice, phonemizer)]
    return [inventory.ids(row) for row in rows]
