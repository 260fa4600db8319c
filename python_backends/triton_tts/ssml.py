"""An SSML subset (TEXT that starts with `<speak`), parsed with a hardened XML parser into segments.

Supported: <speak>, <p>, <s>, <break time|strength>, <prosody rate>, <say-as interpret-as> (characters,
spell-out, cardinal, ordinal, digits, date, time, telephone), <phoneme alphabet="ipa" ph>, <sub alias>.
Anything else (another element or attribute, a bad value, malformed XML, a DTD) is an InvalidRequest that
names the element and its line and column. defusedxml refuses DTDs, so entity expansion ("billion laughs")
and external entities never run.
"""

from __future__ import annotations

import re
import xml.sax
from dataclasses import dataclass, field

import defusedxml.sax
from defusedxml import DefusedXmlException

from triton_tts.errors import InvalidRequest, shown
from triton_tts.lexicon import unknown_symbols
from triton_tts.normalize import clock_time, date_words, phone_words
from triton_tts.numbers import cardinal, decimal, digits, ordinal
from triton_tts.utterance import Phonemes, Piece, Segment, Words

MAX_BREAK_MS = 10_000
STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 200, "medium": 400, "strong": 700, "x-strong": 1000}
PARAGRAPH_PAUSE_MS = STRENGTH_MS["medium"]
RATE_WORDS = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
MIN_PROSODY_RATE, MAX_PROSODY_RATE = 0.5, 2.0
DATE_FORMATS = ("mdy", "dmy", "ymd", "md", "dm", "my", "ym", "y")
# US English letter names as espeak-ng says a letter alone: spelled-out text must not read "A" as the article.
LETTER_IPA = {
    "A": "ˈeɪ", "B": "bˈiː", "C": "sˈiː", "D": "dˈiː", "E": "ˈiː", "F": "ˈɛf", "G": "dʒˈiː", "H": "ˈeɪtʃ",
    "I": "ˈaɪ", "J": "dʒˈeɪ", "K": "kˈeɪ", "L": "ˈɛl", "M": "ˈɛm", "N": "ˈɛn", "O": "ˈoʊ", "P": "pˈiː",
    "Q": "kjˈuː", "R": "ˈɑːɹ", "S": "ˈɛs", "T": "tˈiː", "U": "jˈuː", "V": "vˈiː", "W": "dˈʌbəljˌuː", "X": "ˈɛks",
    "Y": "wˈaɪ", "Z": "zˈiː",
}
_CHARACTER_NAMES = {"/": "slash", "-": "dash", ".": "dot", "&": "and", "$": "dollar", "@": "at", "#": "hash", "+": "plus", "_": "underscore", "!": "exclamation mark", "?": "question mark"}
_ATTRIBUTES = {
    "speak": {"version", "xml:lang", "xmlns", "xmlns:xsi", "xsi:schemaLocation"},
    "p": set(), "s": set(), "break": {"time", "strength"}, "prosody": {"rate"},
    "say-as": {"interpret-as", "format"}, "phoneme": {"alphabet", "ph"}, "sub": {"alias"},
}
_TEXT_ONLY = {"say-as", "phoneme", "sub"}


def is_ssml(text: str) -> bool:
    """TEXT is SSML when it starts like an XML document: <speak>, or an XML declaration, DTD or comment first."""
    return text.lstrip().startswith(("<speak", "<?xml", "<!DOCTYPE", "<!--"))


@dataclass
class _Element:
    tag: str
    attributes: dict[str, str]
    line: int
    column: int
    children: list["_Element | str"] = field(default_factory=list)

    def where(self) -> str:
        tag = self.tag if len(self.tag) <= 40 else self.tag[:39] + "…"
        return f"<{tag}> at line {self.line}, column {self.column}"

    def error(self, problem: str) -> InvalidRequest:
        return InvalidRequest(f"SSML {self.where()}: {problem}", "bad_ssml")

    def text(self) -> str:
        """The element's text; InvalidRequest if it has child elements (say-as, phoneme and sub hold text)."""
        if any(isinstance(child, _Element) for child in self.children):
            raise self.error("holds text only, no nested elements")
        return " ".join("".join(self.children).split())  # type: ignore[arg-type]


class _TreeBuilder(xml.sax.ContentHandler):
    """SAX events -> _Element tree with positions (ElementTree keeps no line numbers)."""

    def __init__(self) -> None:
        super().__init__()
        self.root: _Element | None = None
        self.stack: list[_Element] = []
        self.locator = None

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 (SAX API)
        self.locator = locator

    def startElement(self, name: str, attrs) -> None:  # noqa: N802
        element = _Element(name, dict(attrs), self.locator.getLineNumber(), self.locator.getColumnNumber() + 1)
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def endElement(self, name: str) -> None:  # noqa: N802
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].children.append(content)


_DECLARED_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _parse_tree(text: str) -> _Element:
    declared = _DECLARED_ENCODING.match(text)
    if declared and declared[1].strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        # TEXT arrives as UTF-8; parsed as another encoding, every accented letter would be misspoken
        raise InvalidRequest(f"SSML declares encoding {shown(declared[1])}, but TEXT is UTF-8: declare encoding=\"UTF-8\" or leave it out", "bad_ssml")
    builder = _TreeBuilder()
    try:
        defusedxml.sax.parseString(text.encode("utf-8"), builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except xml.sax.SAXParseException as exc:
        raise InvalidRequest(f"SSML is not well-formed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber() + 1}: {exc.getMessage()}", "bad_ssml") from exc
    except DefusedXmlException as exc:
        raise InvalidRequest(f"SSML must not contain a DTD or entity declarations ({type(exc).__name__}): remove the <!DOCTYPE ...>", "bad_ssml") from exc
    assert builder.root is not None
    if builder.root.tag != "speak":
        raise builder.root.error("the root element must be <speak>")
    return builder.root


def _break_ms(element: _Element) -> int:
    if "time" in element.attributes:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", element.attributes["time"])
        if not match:
            raise element.error(f"time={shown(element.attributes['time'])} must be like '500ms' or '1.5s'")
        milliseconds = float(match[1]) * (1 if match[2] == "ms" else 1000)
        if milliseconds > MAX_BREAK_MS:
            raise element.error(f"time={shown(element.attributes['time'])} is longer than the limit of {MAX_BREAK_MS} ms")
        return round(milliseconds)
    strength = element.attributes.get("strength", "medium")
    if strength not in STRENGTH_MS:
        raise element.error(f"strength={shown(strength)} must be one of {', '.join(STRENGTH_MS)}")
    return STRENGTH_MS[strength]


def _prosody_rate(element: _Element) -> float:
    value = element.attributes.get("rate", "medium").strip()
    if value in RATE_WORDS:
        return RATE_WORDS[value]
    relative = re.fullmatch(r"([+-])(\d+(?:\.\d+)?)%", value)
    absolute = re.fullmatch(r"(\d+(?:\.\d+)?)(%?)", value)
    if relative:
        rate = 1 + (1 if relative[1] == "+" else -1) * float(relative[2]) / 100
    elif absolute:
        rate = float(absolute[1]) / (100 if absolute[2] else 1)
    else:
        raise element.error(f"rate={shown(value)} must be a word ({', '.join(RATE_WORDS)}), a percentage ('150%', '+20%') or a multiple ('1.2')")
    if not MIN_PROSODY_RATE <= rate <= MAX_PROSODY_RATE:
        raise element.error(f"rate={shown(value)} is {rate:g}x; it must be from {MIN_PROSODY_RATE}x to {MAX_PROSODY_RATE}x")
    return rate


def _spell(text: str) -> list[Piece]:
    """Characters one by one: letters by their names (fixed IPA), digits and symbols as words."""
    pieces: list[Piece] = []
    for character in text:
        if character.upper() in LETTER_IPA:
            pieces.append(Phonemes(LETTER_IPA[character.upper()], character))
        elif character.isdigit():
            pieces.append(Words(digits(character)))
        elif character in _CHARACTER_NAMES:
            pieces.append(Words(_CHARACTER_NAMES[character]))
    return pieces


def _date(element: _Element, text: str) -> str:
    date_format = element.attributes.get("format", "mdy")
    if date_format not in DATE_FORMATS:
        raise element.error(f"format={shown(date_format)} must be one of {', '.join(DATE_FORMATS)}")
    numbers = re.findall(r"\d+", text)
    if len(numbers) != len(date_format) or not re.fullmatch(r"\d+(?:[-/.]\d+)*", text):
        raise element.error(f"{shown(text)} is not a date in the format {date_format!r} (numbers separated by - / or .)")
    parts = dict(zip(date_format, numbers))
    month, day, year_text = int(parts.get("m", "1")), int(parts.get("d", "1")), parts.get("y")
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise element.error(f"{shown(text)} has no month {month} or day {day}")
    return date_words(month if "m" in parts else None, day if "d" in parts else None, year_text)


def _say_as(element: _Element) -> list[Piece]:
    kind, text = element.attributes.get("interpret-as"), element.text()
    number = text.replace(",", "")
    if kind in ("characters", "spell-out"):
        return _spell(text)
    if kind == "cardinal" and re.fullmatch(r"-?\d+(?:\.\d+)?", number):
        return [Words(("minus " if number.startswith("-") else "") + decimal(number.lstrip("-")))]
    if kind == "ordinal" and re.fullmatch(r"\d+(?:st|nd|rd|th)?", number):
        return [Words(ordinal(int(re.sub(r"\D", "", number))))]
    if kind == "digits" and re.fullmatch(r"[\d\s]+", text):
        return [Words(digits(text))]
    if kind == "date":
        return [Words(_date(element, text))]
    if kind == "time" and (spoken := clock_time(text)):
        return [Words(spoken)]
    if kind == "telephone" and re.fullmatch(r"\+?[\d\s().-]+", text) and re.search(r"\d", text):
        return [Words(phone_words(text))]
    if kind in ("cardinal", "ordinal", "digits", "time", "telephone"):
        raise element.error(f"{shown(text)} cannot be read as interpret-as={kind!r}")
    raise element.error(f"interpret-as={shown(kind)} is not supported: use characters, spell-out, cardinal, ordinal, digits, date, time or telephone")


class _Reader:
    """Walks the tree and cuts it into segments: a new one at every break, rate change and sentence element."""

    def __init__(self, known_symbols: frozenset[str]) -> None:
        self.known_symbols = known_symbols
        self.segments: list[Segment] = [Segment()]
        self.rates = [1.0]

    def new_segment(self, pause_ms: int = 0, has_break: bool = False, sentence_end: bool = False) -> None:
        """End the current segment, `pause_ms` after it (after the last words so far: a break before any
        words is dropped); the next one speaks at the current rate. `has_break`, `sentence_end`: see Segment."""
        current = self.segments[-1]
        if current.pieces:
            ended = current
            self.segments.append(Segment(rate=self.rates[-1]))
        elif len(self.segments) > 1:
            ended = self.segments[-2]
            current.rate = self.rates[-1]
        else:
            current.rate = self.rates[-1]
            return
        ended.pause_ms += pause_ms
        ended.has_break |= has_break
        ended.sentence_end |= sentence_end

    def read(self, element: _Element) -> None:
        unknown = set(element.attributes) - _ATTRIBUTES.get(element.tag, set())
        if element.tag not in _ATTRIBUTES:
            raise element.error(f"is not supported; supported elements: {', '.join('<' + t + '>' for t in _ATTRIBUTES)}")
        if unknown:
            raise element.error(f"has no attribute {shown(sorted(unknown)[0])} here; allowed: {', '.join(sorted(_ATTRIBUTES[element.tag])) or 'none'}")
        handler = getattr(self, "_" + element.tag.replace("-", "_"), None)
        if handler is not None:
            handler(element)
        else:
            self.children(element)

    def children(self, element: _Element) -> None:
        for child in element.children:
            if isinstance(child, str):
                if child.strip():
                    self.segments[-1].pieces.append(child)
            else:
                self.read(child)

    def _speak(self, element: _Element) -> None:
        if element is not self.root:
            raise element.error("<speak> cannot be nested")
        self.children(element)

    def _break(self, element: _Element) -> None:
        if element.children:
            raise element.error("must be empty: <break time=\"500ms\"/>")
        self.new_segment(_break_ms(element), has_break=True)

    def _prosody(self, element: _Element) -> None:
        self.rates.append(self.rates[-1] * _prosody_rate(element))
        self.new_segment()
        self.children(element)
        self.rates.pop()
        self.new_segment()

    def _s(self, element: _Element) -> None:
        self.new_segment()
        self.children(element)
        self.new_segment(sentence_end=True)

    def _p(self, element: _Element) -> None:
        self.new_segment()
        self.children(element)
        self.new_segment(PARAGRAPH_PAUSE_MS, sentence_end=True)

    def _say_as(self, element: _Element) -> None:
        self.segments[-1].pieces.extend(_say_as(element))

    def _phoneme(self, element: _Element) -> None:
        alphabet = element.attributes.get("alphabet", "ipa")
        if alphabet != "ipa":
            raise element.error(f"alphabet={shown(alphabet)} is not supported: write the pronunciation in IPA (alphabet=\"ipa\")")
        ipa = element.attributes.get("ph", "").strip()
        if not ipa:
            raise element.error("needs ph=\"...\" with the pronunciation in IPA")
        missing = unknown_symbols(ipa, self.known_symbols)
        if missing:
            raise element.error(f"ph={shown(ipa)} uses symbols this voice does not have: {' '.join(missing[:20])} (write IPA as espeak-ng does)")
        self.segments[-1].pieces.append(Phonemes(ipa, element.text()))

    def _sub(self, element: _Element) -> None:
        alias = element.attributes.get("alias", "").strip()
        if not alias:
            raise element.error("needs alias=\"...\" with the text to say")
        element.text()
        self.segments[-1].pieces.append(alias)

    def parse(self, root: _Element) -> list[Segment]:
        self.root = root
        self.read(root)
        return [s for s in self.segments if s.pieces]


def parse_ssml(text: str, known_symbols: frozenset[str]) -> list[Segment]:
    """Segments of an SSML document; InvalidRequest naming the element and position for anything unsupported.
    `known_symbols`: the voice's phoneme symbols, which a <phoneme ph> may use."""
    return _Reader(known_symbols).parse(_parse_tree(text))
