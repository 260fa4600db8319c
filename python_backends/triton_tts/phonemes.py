"""The phoneme frontend shared by training and serving: text -> tokens -> ids.

A token sequence is `<s> word ␠ word <,> word ... <.> </s>`: phoneme mnemonics from espeak-ng (a vowel keeps its
stress mark, e.g. `'oU`), a space between words, the clause's punctuation between clauses (so the model
can learn pauses and question intonation) and sentence start/end marks that carry leading/trailing silence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from triton_tts import espeak

logger = logging.getLogger(__name__)

PAD = "<pad>"
BOS = "<s>"
EOS = "</s>"
WORD_BREAK = " "
# Brackets keep punctuation apart from espeak-ng mnemonics, some of which are ";" or end in ":".
CLAUSE_TOKENS = {mark: f"<{mark}>" for mark in espeak.CLAUSE_TERMINATORS}
BOUNDARY_TOKENS = frozenset({BOS, EOS, WORD_BREAK, *CLAUSE_TOKENS.values()})
STRESS_MARKS = "',%="


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

    def ids(self, tokens: list[str]) -> list[int]:
        """Map tokens to ids; an unseen stressed vowel falls back to its unstressed form, else it is dropped."""
        index = self._index  # type: ignore[attr-defined]
        ids = []
        for token in tokens:
            token_id = index.get(token, index.get(phoneme_name(token)))
            if token_id is None:
                logger.warning("phoneme %r is not in the voice's inventory; skipped", token)
                continue
            ids.append(token_id)
        return ids


def text_to_ids(text: str, espeak_voice: str, inventory: PhonemeInventory) -> list[int]:
    """The one frontend function training and serving share."""
    return inventory.ids(phonemize(text, espeak_voice))
