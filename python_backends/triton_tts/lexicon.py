"""A deployment's pronunciation lexicon: words and phrases the voice must say a set way (artists, titles).

File format (UTF-8, one entry per line; `#` starts a comment line, blank lines are skipped):

    AC/DC<TAB>ˌeɪsˌiːdˈiːsˌiː
    Sade<TAB>ʃˈɑːdeɪ

The key is the text as written (a word or a phrase; punctuation inside it is literal, so `will.i.am` and
`Ke$ha` work). Case: a key with a capital letter matches only that spelling ("Sade" is the singer, "sade" is
left alone); an all-lowercase key matches any capitalisation. A key matches whole words only (not inside a
longer word) and the longest key wins ("Guns N' Roses" before "Roses"); "Sade's" is Sade's entry plus /z/. The value is IPA as espeak-ng writes
it (`espeak-ng -v en-us -q --ipa "shah day"` gives a starting point), words separated by spaces; every
symbol must be one the voice knows. A bad line stops the stage's start with a message naming the line.
Entries are applied before normalization and G2P, so the normalizer never rewrites a lexicon word.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterable

from triton_tts.utterance import Phonemes, Piece


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and line."""


def ipa_symbols(ipa: str) -> list[str]:
    """IPA as the voice's single-character symbols (decomposed, as Piper reads it); spaces stay word breaks."""
    return list(unicodedata.normalize("NFD", " ".join(ipa.split())))


def unknown_symbols(ipa: str, known: Iterable[str]) -> list[str]:
    """The symbols of `ipa` the voice does not have (none: it can be spoken as written)."""
    known = set(known)
    return sorted({s for s in ipa_symbols(ipa) if s != " " and s not in known})


def possessive_ending(ipa: str) -> str:
    """The sound of "'s" after a word: /ɪz/ after a sibilant, /s/ after another voiceless sound, else /z/."""
    last = ipa.rstrip()[-1:]
    return "ɪz" if last in "szʃʒ" else "s" if last in "ptkfθ" else "z"


class Lexicon:
    """Lexicon entries and the matcher that splits text into text and fixed-pronunciation pieces."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = {unicodedata.normalize("NFC", key): ipa for key, ipa in entries.items()}
        self._any_case = {key.lower(): key for key in self.entries if key == key.lower()}
        keys = sorted(self.entries, key=len, reverse=True)
        alternatives = "|".join(re.escape(k) if k != k.lower() else f"(?i:{re.escape(k)})" for k in keys)
        self._pattern = re.compile(rf"(?<!\w)(?P<key>{alternatives})(?P<possessive>['’]s)?(?!\w)") if keys else None

    def __len__(self) -> int:
        return len(self.entries)

    def _entry(self, written: str) -> str:
        return self.entries.get(written) or self.entries[self._any_case[written.lower()]]

    def split(self, text: str) -> list[Piece]:
        """`text` as pieces: lexicon matches become Phonemes, the rest stays text (unchanged)."""
        text = unicodedata.normalize("NFC", text)
        if self._pattern is None:
            return [text]
        pieces: list[Piece] = []
        position = 0
        for match in self._pattern.finditer(text):
            if match.start() > position:
                pieces.append(text[position : match.start()])
            ipa = self._entry(match["key"])
            pieces.append(Phonemes(ipa + possessive_ending(ipa) if match["possessive"] else ipa, match[0]))
            position = match.end()
        if position < len(text):
            pieces.append(text[position:])
        return pieces

    @classmethod
    def parse(cls, lines: Iterable[str], known_symbols: Iterable[str], source: str = "lexicon") -> "Lexicon":
        """Entries from lexicon lines; LexiconError naming `source` and the line for anything wrong."""
        known = set(known_symbols)
        entries: dict[str, str] = {}
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{source}, line {number}"
            fields = line.split("\t")
            if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
                raise LexiconError(f"{where}: expected 'word or phrase<TAB>IPA', got {line!r}")
            key, ipa = " ".join(fields[0].split()), fields[1].strip()
            if not re.search(r"\w", key):
                raise LexiconError(f"{where}: the key {key!r} has no letters or digits")
            missing = unknown_symbols(ipa, known)
            if missing:
                raise LexiconError(f"{where}: {key!r} uses symbols the voice does not have: {' '.join(missing)} (write IPA as espeak-ng does)")
            if key in entries:
                raise LexiconError(f"{where}: {key!r} is listed twice")
            entries[key] = ipa
        return cls(entries)

    @classmethod
    def load(cls, path: Path, known_symbols: Iterable[str]) -> "Lexicon":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LexiconError(f"cannot read the lexicon {path}: {exc}") from exc
        return cls.parse(text.splitlines(), known_symbols, str(path))


EMPTY_LEXICON = Lexicon({})
