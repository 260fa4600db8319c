"""What the text frontend builds before G2P: segments of pieces, each piece text or a fixed pronunciation.

Plain text is one segment of one text piece. The lexicon cuts fixed pronunciations out of text pieces; SSML
adds spoken-form words (say-as), pronunciations (<phoneme>), rates (<prosody>) and pauses (<break>).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Phonemes:
    """Words spoken with the given IPA instead of G2P (a lexicon entry or SSML <phoneme>)."""

    ipa: str
    text: str  # what was written


@dataclass(frozen=True)
class Words:
    """Words already in spoken form (SSML say-as): neither the lexicon nor the normalizer touches them."""

    text: str


# str: written text, which the lexicon and the normalizer rewrite before G2P.
Piece = Union[str, Words, Phonemes]


@dataclass
class Segment:
    """Pieces spoken at one rate (a multiple of the request's RATE), then `pause_ms` of silence. `has_break`:
    an SSML break set that silence (even strength "none": no pause); `sentence_end`: an </s> closed it."""

    pieces: list[Piece] = field(default_factory=list)
    rate: float = 1.0
    pause_ms: int = 0
    has_break: bool = False
    sentence_end: bool = False


def piece_text(piece: Piece) -> str:
    """The written text of a piece."""
    return piece if isinstance(piece, str) else piece.text
