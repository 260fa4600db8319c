"""Text normalization: write out what a listener expects to hear before espeak-ng reads the text.

Covered: cardinals, decimals, ordinals (1st, 22nd), currency ($, £, €, with cents/pence), percentages,
clock times (3:45, 10:30pm), common abbreviations (Dr., Mr., St., etc.), symbols (&, %, +, @).
Not covered yet: dates (12/05/2026), phone numbers, roman numerals, units (km, kg), years read as pairs
("1999" is read as a cardinal), acronyms, URLs and e-mail addresses (espeak-ng spells what it can).
"""

from __future__ import annotations

import re

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
               "€": ("euro", "euros", "cent", "cents")}
_ABBREVIATIONS = {
    "Mr.": "mister", "Mrs.": "missus", "Ms.": "miz", "Dr.": "doctor", "Prof.": "professor", "St.": "saint",
    "Jr.": "junior", "Sr.": "senior", "Mt.": "mount", "vs.": "versus", "etc.": "et cetera", "e.g.": "for example",
    "i.e.": "that is", "approx.": "approximately", "No.": "number", "Inc.": "incorporated", "Ltd.": "limited",
}
_SYMBOLS = {"&": " and ", "%": " percent", "+": " plus ", "@": " at ", "=": " equals "}
MAX_NUMBER = 10**15 - 1


def cardinal(n: int) -> str:
    """1234 -> 'one thousand two hundred thirty-four'."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{cardinal(head)} {name}" + (f" {cardinal(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    """21 -> 'twenty-first'."""
    words = cardinal(n)
    stem, sep, last = words.rpartition("-") if "-" in words.split()[-1] else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return stem + sep + last


def _number(text: str) -> str:
    """'1,234.5' -> words; digits after the point are read one by one."""
    whole, _, fraction = text.replace(",", "").partition(".")
    value = int(whole) if whole else 0
    if value > MAX_NUMBER:
        return " ".join(_ONES[int(d)] for d in whole)
    words = cardinal(value)
    if fraction:
        words += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return words


def _currency(match: re.Match) -> str:
    one, many, sub_one, sub_many = _CURRENCIES[match["symbol"]]
    whole = int(match["whole"].replace(",", ""))
    cents = int((match["cents"] or "0").ljust(2, "0")[:2])
    parts = []
    if whole or not cents:
        parts.append(f"{_number(str(whole))} {one if whole == 1 else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    scale = f" {match['scale']}" if match["scale"] else ""
    return " and ".join(parts) if not scale else f"{_number(match['whole'] + ('.' + match['cents'] if match['cents'] else ''))}{scale} {many}"


def _time(match: re.Match) -> str:
    hours, minutes = int(match["h"]), int(match["m"])
    if hours > 23 or minutes > 59:
        return match[0]
    spoken = cardinal(hours)
    if minutes == 0:
        spoken += "" if match["ampm"] else " o'clock"
    elif minutes < 10:
        spoken += " oh " + cardinal(minutes)
    else:
        spoken += " " + cardinal(minutes)
    if match["ampm"]:
        spoken += " " + " ".join(match["ampm"].replace(".", "").lower())
    return spoken


_CURRENCY_RE = re.compile(
    r"(?P<symbol>[$£€])(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?(?:\s?(?P<scale>million|billion|thousand)\b)?"
)
_TIME_RE = re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s?(?P<ampm>[aApP]\.?[mM]\.?))?(?![\w:])")
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"(?<![\w.])-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
_ABBREVIATION_RE = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?=\s|$)")


def normalize(text: str) -> str:
    """Rewrite numbers, money, times, ordinals, abbreviations and symbols as words; collapse whitespace."""
    text = " ".join(text.split())
    text = _ABBREVIATION_RE.sub(lambda m: _ABBREVIATIONS[m[1]], text)
    text = _CURRENCY_RE.sub(_currency, text)
    text = _TIME_RE.sub(_time, text)
    text = _ORDINAL_RE.sub(lambda m: ordinal(int(m[1])), text)
    text = _NUMBER_RE.sub(lambda m: ("minus " if m[0].startswith("-") else "") + _number(m[1] + (m[2] or "")), text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return " ".join(text.split())
