"""Text normalization: write out what a listener expects to hear before espeak-ng reads the text.

Rules run in a fixed order, most specific first (an e-mail address before its dots, a phone number before its
dashes, a date before its slashes, a year before a plain number). Covered: URLs and e-mail addresses, phone
numbers, dates, abbreviations that depend on context ("No. 5" but "I said No.", "St. Louis" but "Main St."),
"feat."/"ft."/"vs.", money, clock times, numbers with units, decades ('90s, 1990s), ranges, years, version
numbers, scientific notation, fractions, ordinals, roman numerals in titles, "#1", plain numbers and symbols.
Numbers glued to letters ("2Pac", "MP3", "4K") are left to espeak-ng, which reads them well. Where a rule
guesses (a four-digit number is a year unless a counted noun follows), docs/voice.md says how.
"""

from __future__ import annotations

import re
from typing import Callable

from triton_tts.numbers import cardinal, decimal, digits, fraction, ordinal, year

_MONTHS = "January February March April May June July August September October November December".split()
_MONTH_BY_PREFIX = {m[:3].lower(): m for m in _MONTHS}
_MONTH_NAME = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?"

# Titles before a name: never end a sentence. The others keep their period when they end one.
_TITLES = {"Mr.": "mister", "Mrs.": "missus", "Ms.": "miz", "Dr.": "doctor", "Prof.": "professor", "Mt.": "mount", "Sgt.": "sergeant", "Capt.": "captain", "Gen.": "general", "Lt.": "lieutenant"}
_SUFFIXES = {
    "Jr.": "junior", "Sr.": "senior", "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is",
    "approx.": "approximately", "Inc.": "incorporated", "Ltd.": "limited", "Corp.": "corporation", "Co.": "company",
    "Bros.": "brothers", "Ave.": "avenue", "Rd.": "road", "Blvd.": "boulevard", "Vol.": "volume", "vol.": "volume",
    "Pt.": "part", "Ch.": "chapter", "Ep.": "episode", "min.": "minutes", "sec.": "seconds", "hr.": "hour",
    "Dept.": "department", "Univ.": "university", "est.": "established", "Est.": "established",
}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"), "€": ("euro", "euros", "cent", "cents")}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "M": "million", "B": "billion", "bn": "billion",
                "thousand": "thousand", "million": "million", "billion": "billion", "trillion": "trillion"}
# unit -> (singular, plural); matched only right after a number.
_UNITS = {
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"), "lbs": ("pounds", "pounds"), "oz": ("ounce", "ounces"), "mi": ("mile", "miles"),
    "mph": ("mile per hour", "miles per hour"), "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"), "ft": ("foot", "feet"), "ft.": ("foot", "feet"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "kbps": ("kilobit per second", "kilobits per second"), "Mbps": ("megabit per second", "megabits per second"),
    "KB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "hr": ("hour", "hours"), "hrs": ("hours", "hours"), "h": ("hour", "hours"),
    "bpm": ("beat per minute", "beats per minute"), "BPM": ("beat per minute", "beats per minute"),
    "dB": ("decibel", "decibels"), "%": ("percent", "percent"), "x": ("times", "times"),
}
_REGNAL_NAMES = "Henry Louis Elizabeth George Charles Edward William Richard James John Pius Benedict Leo Gregory Clement Innocent Paul Victoria Mary Anne Philip Frederick Ludwig Peter Ivan Alexander Nicholas".split()
_ROMAN_CUES = "Part Chapter Volume Vol. Act Book Episode Season Phase Level Round War Bowl Title Apollo Rocky".split()
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_VALID_ROMAN = re.compile(r"^(?=[IVXLC])(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
# After a year, these words say it was a count ("1999 songs"): an "s"-word that is not a plural noun.
_NOT_PLURAL = {"was", "is", "has", "as", "this", "its", "his", "us", "does", "always", "plus", "minus", "bus", "yes", "thus", "across", "hers", "ours", "yours", "theirs", "whereas", "unless"}
_SENTENCE_START = re.compile(r"\s+(?:The|He|She|It|They|We|I|You|This|That|These|Those|But|And|So|Then|There|Here|A|An|In|On|At|Now|Next|Up|Coming)\b")
_NOT_TITLES = {"The", "A", "An", "And", "Of", "In", "On", "At", "To", "For", "Is", "It", "My", "Our", "Your"}
_SYMBOLS = {"&": " and ", "%": " percent", "+": " plus ", "@": " at ", "=": " equals ", "°": " degrees", "×": " times ",
            "½": " one half", "¼": " one quarter", "¾": " three quarters"}
_URL_SPOKEN = {".": " dot ", "/": " slash ", "-": " dash ", "_": " underscore ", ":": " colon ", "?": " question mark ",
               "=": " equals ", "&": " and ", "~": " tilde ", "#": " hash ", "@": " at ", "+": " plus "}


def _spell_address(text: str) -> str:
    """'open.spotify.com/track' -> 'open dot spotify dot com slash track'; digit runs digit by digit."""
    spoken = re.sub(r"[./\-_:?=&~#@+]", lambda m: _URL_SPOKEN[m[0]], text)
    spoken = re.sub(r"\bwww\b", "w w w", spoken, flags=re.IGNORECASE)
    return re.sub(r"\d+", lambda m: " " + digits(m[0]) + " ", spoken)


def _url(match: re.Match) -> str:
    return _spell_address(re.sub(r"^https?://", "", match[0], flags=re.IGNORECASE).rstrip("/"))


def phone_words(text: str) -> str:
    """Digits in their groups, a short pause (comma) between groups: 'five five five, one two three, ...'."""
    spoken = ", ".join(digits(group) for group in re.findall(r"\d+", text))
    return ("plus " if text.lstrip().startswith("+") else "") + spoken


def _month(name: str) -> str:
    return _MONTH_BY_PREFIX[name.rstrip(".").lower()[:3]]


def date_words(month: int | None, day: int | None, year_text: str | None) -> str:
    """'November twenty-seventh, twenty twenty-six'; any part may be missing. A two-digit year is 20xx
    below 50, else 19xx."""
    spoken = " ".join(part for part in (month and _MONTHS[month - 1], day and ordinal(day)) if part)
    if year_text:
        value = int(year_text)
        if len(year_text) == 2:
            value += 2000 if value < 50 else 1900
        spoken += (", " if spoken and day else " " if spoken else "") + year(value)
    return spoken


def _iso_date(match: re.Match) -> str:
    y, m, d = int(match[1]), int(match[2]), int(match[3])
    return date_words(m, d, match[1]) if 1 <= m <= 12 and 1 <= d <= 31 else match[0]


def _slash_date(match: re.Match) -> str:
    """m/d/y as in the US; d/m/y when the first number cannot be a month."""
    first, second = int(match[1]), int(match[2])
    if 1 <= first <= 12 and 1 <= second <= 31:
        return date_words(first, second, match[3])
    if 1 <= second <= 12 and 1 <= first <= 31:
        return date_words(second, first, match[3])
    return match[0]


def _month_day(match: re.Match) -> str:
    day = int(match["day"])
    if not 1 <= day <= 31:
        return match[0]
    spoken = f"{_month(match['month'])} {ordinal(day)}"
    return spoken + (f", {year(int(match['year']))}" if match["year"] else "")


def _day_month(match: re.Match) -> str:
    day = int(match["day"])
    if not 1 <= day <= 31:
        return match[0]
    article = "" if re.search(r"\bthe\s+$", match.string[: match.start()], re.IGNORECASE) else "the "
    spoken = f"{article}{ordinal(day)} of {_month(match['month'])}"
    return spoken + (f", {year(int(match['year']))}" if match["year"] else "")


def _keep_sentence_end(match: re.Match, words: str) -> str:
    """A replaced abbreviation keeps its period when it ended the sentence: the text ends, or a word that
    starts sentences follows ("Jr. He"; but "Bros. Records" is one name)."""
    rest = match.string[match.end():]
    return words + "." if not rest.strip() or _SENTENCE_START.match(rest) else words


def _street_or_saint(match: re.Match) -> str:
    """'St. Louis' -> 'Saint Louis'; 'Main St.' and 'Main St. Then' -> 'Main Street'. A capitalised word
    before "St." names the street, unless it is the first word of its sentence ("Visit St. Louis")."""
    before = match.string[: match.start()]
    after = match.string[match.end():]
    street_name = re.search(r"[A-Z][\w'-]*\s+$", before) and not re.search(r"(?:^|[.!?]\s+)\S+\s+$", before)
    if re.match(r"\s+[A-Z]", after) and not street_name:
        return "Saint"
    return _keep_sentence_end(match, "Street")


def _currency(match: re.Match) -> str:
    one, many, sub_one, sub_many = _CURRENCIES[match["symbol"]]
    if match["scale"]:
        return f"{decimal(match['amount'])} {_SCALE_WORDS[match['scale']]} {many}"
    whole, _, cents_text = match["amount"].partition(".")
    whole_value = int(whole.replace(",", ""))
    cents = int(cents_text.ljust(2, "0")[:2]) if cents_text else 0
    parts = []
    if whole_value or not cents:
        parts.append(f"{decimal(whole)} {one if whole_value == 1 else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


_CLOCK = re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s?(?P<ampm>[aApP]\.?[mM]\.?))?(?![\w:])")


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
    return spoken + _am_pm(match["ampm"])


def clock_time(text: str) -> str | None:
    """'2:45' -> 'two forty-five', '10:30pm' -> 'ten thirty p m'; None when `text` is not a clock time."""
    match = _CLOCK.fullmatch(text.strip())
    spoken = _time(match) if match else None
    return spoken if spoken != text.strip() else None


def _number_with_unit(match: re.Match) -> str:
    amount = match["amount"]
    singular, plural = _UNITS[match["unit"]]
    return f"{_signed(amount)} {singular if amount.lstrip('-') == '1' else plural}"


def _number_with_scale(match: re.Match) -> str:
    """'2.5B' -> 'two point five billion'; a single digit with K ('4K', '5K') is a resolution or a race: as written."""
    if match["scale"] in "kK" and len(match["amount"].lstrip("-")) == 1:
        return match[0]
    return f"{_signed(match['amount'])} {_SCALE_WORDS[match['scale']]}"


def _pluralize(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties'."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _decade(match: re.Match) -> str:
    """'90s / '90s -> 'nineties'; 1990s -> 'nineteen nineties'; 1900s -> 'nineteen hundreds'; 2000s -> 'two thousands'."""
    value = int(match["decade"])
    return _pluralize(year(value) if value >= 1000 else cardinal(value) if value else "two thousand")


def _is_year(value: int) -> bool:
    return 1000 <= value <= 2099


def _am_pm(text: str | None) -> str:
    return " " + " ".join(text.replace(".", "").lower()) if text else ""


def _range(match: re.Match) -> str:
    first, second = int(match["first"]), int(match["second"])
    both_years = _is_year(first) and (_is_year(second) or len(match["second"]) == 2 and len(match["first"]) == 4)
    read: Callable[[int], str] = year if both_years else cardinal
    return f"{read(first)} to {year(second) if both_years and _is_year(second) else cardinal(second)}{_am_pm(match['ampm'])}"


def _year_or_count(match: re.Match) -> str:
    value = int(match[0])
    following = re.match(r"\s+([a-z]+)", match.string[match.end():])
    counted = following is not None and following[1].endswith("s") and following[1] not in _NOT_PLURAL
    return cardinal(value) if counted else year(value)


def _version(match: re.Match) -> str:
    return " point ".join(cardinal(int(part)) if len(part) == 1 or part[0] != "0" else digits(part) for part in match[0].split("."))


def _scientific(match: re.Match) -> str:
    exponent = int(match["exponent"])
    power = f"to the {ordinal(exponent)}" if exponent > 0 else f"to the minus {ordinal(-exponent)}"
    return f"{_signed(match['mantissa'])} times ten {power}"


def _fraction(match: re.Match) -> str:
    numerator, denominator = int(match[1]), int(match[2])
    if 0 < numerator < denominator <= 100:
        return fraction(numerator, denominator)
    return f"{cardinal(numerator)} {cardinal(denominator)}"


def roman_value(numeral: str) -> int:
    """'XIV' -> 14 (numerals up to 399, as titles use them)."""
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _roman(match: re.Match) -> str:
    numeral = match["numeral"]
    if not _VALID_ROMAN.match(numeral) or match["name"] in _NOT_TITLES:
        return match[0]
    value = roman_value(numeral)
    if match["name"] in _REGNAL_NAMES:
        return f"{match['name']} the {ordinal(value)}"
    return f"{match['name']} {cardinal(value)}"


def _signed(text: str) -> str:
    """'-3.5' -> 'minus three point five'; leading zeros ('007') are read digit by digit."""
    sign, body = ("minus ", text[1:]) if text.startswith("-") else ("", text)
    if len(body) > 1 and body[0] == "0" and body[1].isdigit():
        return sign + digits(body)
    return sign + decimal(body)


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_END = r"(?![\w]|[.,]\d)"  # a number ends at a non-word character (a sentence's period is fine)
_RULES: list[tuple[re.Pattern, Callable[[re.Match], str] | str]] = [
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), lambda m: _spell_address(m[0])),
    (re.compile(r"\b(?:https?://|www\.)[^\s]+?(?=[.,!?;:]?(?:\s|$))", re.IGNORECASE), _url),
    (re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|fm|co|uk|de|app|ai|dev|edu|gov|me|tv|ly)\b(?:/[^\s]*?)?(?=[.,!?;:]?(?:\s|$))", re.IGNORECASE), _url),
    (re.compile(r"(?<![\w+])(?:\+?1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]\d{2,4}){2,4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"(?<![\w.-])\d{3}-\d{4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _iso_date),
    (re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/])"), _slash_date),
    (re.compile(rf"\b(?P<month>{_MONTH_NAME})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?"), _month_day),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAME})(?:,?\s+(?P<year>\d{{4}})\b)?"), _day_month),
    (re.compile(r"\b[Nn]o\.\s?(?=\d)"), "number "),
    (re.compile(r"(?<![\w.])St\.(?=\s|$|[,;:!?])"), _street_or_saint),
    (re.compile(r"(?<![\w.])(?<!\d\s)(?:[Ff]eat\.|[Ff]t\.|[Ff]eat(?=\s+[A-Z]))(?=\s|$)"), "featuring"),
    (re.compile(r"(?<![\w.])(?:[Vv][Ss]\.?|v\.)(?=\s)"), "versus"),
    (re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in _TITLES) + r")(?=\s)"), lambda m: _TITLES[m[1]]),
    (re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in _SUFFIXES) + r")(?=\s|$|[,;:!?])"), lambda m: _keep_sentence_end(m, _SUFFIXES[m[1]])),
    (re.compile(rf"(?P<symbol>[$£€])(?P<amount>{_NUMBER})(?:\s?(?P<scale>thousand|million|billion|trillion|bn|[kKMB])\b)?"), _currency),
    (_CLOCK, _time),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s?(?P<unit>{'|'.join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if u[0].isalpha())})(?![\w/])"), _number_with_unit),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s?(?P<unit>°[CF]?|%)"), _number_with_unit),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))(?P<scale>bn|[kKMB])(?!\w)"), _number_with_scale),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s(?P<scale>thousand|million|billion|trillion)\b"), _number_with_scale),
    (re.compile(r"(?<![\w.])(?:'|’)?(?P<decade>(?:1[1-9]|20)\d0|\d0)s\b"), _decade),
    (re.compile(r"(?<![\w.\-/])(?P<first>\d{1,4})\s?[-–—]\s?(?P<second>\d{1,4})(?:\s?(?P<ampm>[aApP]\.?[mM]\.?)(?!\w))?(?![\w\-/]|[.,]\d)"), _range),
    (re.compile(r"(?<![\w.:])(?P<hour>\d{1,2})\s?(?P<ampm>[aApP]\.?[mM]\.?)(?!\w)"), lambda m: cardinal(int(m["hour"])) + _am_pm(m["ampm"])),
    (re.compile(r"(?<![\w.,$£€/-])(?:1\d\d\d|20\d\d)(?!\w|[.,:]\d)"), _year_or_count),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?!\w|\.\d)"), _version),
    (re.compile(r"(?<![\w.])(?P<mantissa>-?\d+(?:\.\d+)?)[eE](?P<exponent>[+-]?\d+)(?!\w)"), _scientific),
    (re.compile(r"(?<![\w/.])(\d{1,3})/(\d{1,3})(?![\w/]|\.\d)"), _fraction),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE), lambda m: ordinal(int(m[1]))),
    (re.compile(r"\b(?P<name>(?i:" + "|".join(re.escape(c) for c in _ROMAN_CUES) + r"))\s+(?P<numeral>[IVXLC]+)\b"), _roman),
    (re.compile(r"\b(?P<name>[A-Z][a-z]+)\s+(?P<numeral>[IVXLC]{2,})\b(?!['’\-])"), _roman),
    (re.compile(r"#\s?(\d+)\b"), lambda m: "number " + cardinal(int(m[1]))),
    (re.compile(r"~\s?(?=\d)"), "about "),
    (re.compile(r"(?<=\w)/(?=(?:month|mo|year|yr|week|wk|day|night|hour|hr|person|song|track)\b)"), " per "),
    (re.compile(r"#(?=[A-Za-z])"), "hashtag "),
    (re.compile(r"\b([A-G])#(?!\w)"), r"\1 sharp"),
    (re.compile(rf"(?<![\w.])(?:(?<=\s)-|^-)?(?:{_NUMBER}){_END}"), lambda m: _signed(m[0])),
]


def normalize(text: str) -> str:
    """Rewrite numbers, dates, money, times, addresses, abbreviations and symbols as words; collapse whitespace."""
    text = " ".join(text.split())
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return " ".join(text.split())
