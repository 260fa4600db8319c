"""Text normalization: write out what a listener expects to hear before espeak-ng reads the text.

Rules run in a fixed order, most specific first (an e-mail address before its dots, a phone number before its
dashes, a date before its slashes, a year before a plain number). Covered: URLs and e-mail addresses, phone
numbers, dates (and day names, "on 12/25", "12.05.2026"), abbreviations that depend on context ("No. 5" but
"I said No.", "St. Louis" but "Main St.", "Op. 67", "Vol.2"), "feat."/"ft."/"vs.", money (ranges, "$3m", "CA$20",
"¥", "¢"), clock times (24-hour, "7.30pm", ranges "9am-5pm"), track lengths ("1:02:33"), ratios ("3:1"),
numbers with units, heights and inches, decades ('90s, 1990s) and plural numbers ("45s", "#1s"), ranges,
years, version numbers, scientific notation, fractions, ratings ("8/10") and time signatures ("3/4 time"),
ordinals, roman numerals in titles (never the pronoun: "the part I love"; "Henry V"), "#1", names read in pairs
("Boeing 747", "TR-808", "Room 237", "K. 550"), ZIP codes, thousands grouped with spaces ("1 000 000"), starred-out words
("f***ing" is "bleeping"), emoji (dropped; a heart between words is "love"), plain numbers and symbols. A word a rule writes where a sentence starts is
capitalised, so the sentence splitter still sees the sentence start.
Numbers glued to letters ("2Pac", "MP3", "4K") are left to espeak-ng, which reads them well. Where a rule
guesses (a four-digit number is a year unless a counted noun follows), docs/voice.md says how.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Callable

from triton_tts.numbers import cardinal, decimal, digits, fraction, ordinal, paired, year

_MONTHS = "January February March April May June July August September October November December".split()
_MONTH_BY_PREFIX = {m[:3].lower(): m for m in _MONTHS}
_MONTH_NAME = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?"

# Titles before a name: never end a sentence. The others keep their period when they end one.
_TITLES = {"Mr.": "mister", "Mrs.": "missus", "Ms.": "miz", "Dr.": "doctor", "Prof.": "professor", "Mt.": "mount", "Sgt.": "sergeant",
           "Capt.": "captain", "Gen.": "general", "Lt.": "lieutenant", "Rev.": "reverend", "Gov.": "governor", "Sen.": "senator",
           "Rep.": "representative", "Pres.": "president", "Fr.": "father"}
_SUFFIXES = {
    "Jr.": "junior", "Sr.": "senior", "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is",
    "approx.": "approximately", "Inc.": "incorporated", "Ltd.": "limited", "Corp.": "corporation", "Co.": "company",
    "Bros.": "brothers", "Ave.": "avenue", "Rd.": "road", "Blvd.": "boulevard", "Vol.": "volume", "vol.": "volume",
    "Pt.": "part", "Ch.": "chapter", "Ep.": "episode", "min.": "minutes", "sec.": "seconds", "hr.": "hour",
    "Dept.": "department", "Univ.": "university", "est.": "established", "Est.": "established", "Op.": "opus",
    "Mvt.": "movement", "Sym.": "symphony", "ext.": "extension", "Ext.": "extension",
    **{f"{m[:3]}.": m for m in _MONTHS if len(m) > 3 and m[:3] not in ("Jan", "Dec")}, "Sept.": "September",  # "to Jan. Enjoy"
}
# Before a number or a Roman numeral, with the period ("Vol. 2", "Vol.2", "Pt. I"); without it only the
# capitalised ones that are no English word ("Vol 2"; not "No 1 like you", "a photo op 2 days ago").
_NUMBERED = {"Vol": "volume", "vol": "volume", "Pt": "part", "pt": "part", "Op": "opus", "op": "opus", "Mvt": "movement", "Sym": "symphony",
             "Ch": "chapter", "Ep": "episode"}
_NUMBERED_BARE = ("Vol", "Pt", "Op")
_DAYS = {d[:3]: d for d in "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()} | {"Tues": "Tuesday", "Thur": "Thursday", "Thurs": "Thursday"}
# After these words a day of the month needs no "the": "Happy 4th of July", "every 4th of July".
_DETERMINERS = {"the", "this", "that", "every", "each", "next", "last", "happy", "a", "our", "my", "your", "his", "her", "their", "its"}
# "10 June" is a date only after one of these (or first in its sentence): not in "Top 10 June releases".
_DATE_PREPOSITIONS = {"on", "by", "from", "until", "till", "since", "before", "after", "of", "between", "and", "to", "through", "thru", "due"}
# Denominators read as fractions ("three quarters"); "7/11" and "9/11" are names, read "seven eleven".
_FRACTION_DENOMINATORS = {2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20, 25, 32, 64, 100}
_SHORT_DATE_WORDS = {"on", "by", "until", "till", "through", "thru", "from", "due", "starting", "ending"}  # "on 9/11": a date
_TIME_PREPOSITIONS = {"at", "from", "until", "till", "by", "before", "after", "around", "to", "since"}  # "at 19:30"; not "Matthew 19:14"
_RATING_DENOMINATORS = {5, 10, 100}
# After "Part I" these words mean the numeral ("Book I is the best"); any other lowercase word, the pronoun.
_AFTER_TITLE_NUMERAL = {"of", "and", "or", "is", "was", "has", "had", "in", "on", "at", "to", "from", "with", "by", "for", "as", "will"}  # "8/10", "4/5 stars": "out of"
_COUNTED_NOUNS = "views|streams|plays|listeners|fans|followers|subscribers|downloads|copies|sales|users|people|records|albums|units|likes|hits|tickets"
_FORTS = "Lauderdale Worth Myers Collins Wayne Smith Pierce Knox Bragg Hood Lee Sill Dodge Benning Campbell Stewart Riley Bliss Sumter McHenry".split()
_CURRENCY_PREFIXES = {"CA": "Canadian", "C": "Canadian", "AU": "Australian", "A": "Australian", "NZ": "New Zealand", "US": "US", "HK": "Hong Kong", "S": "Singapore"}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"), "€": ("euro", "euros", "cent", "cents"),
               "¥": ("yen", "yen", "sen", "sen"), "₹": ("rupee", "rupees", "paisa", "paise")}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "M": "million", "m": "million", "B": "billion", "bn": "billion",
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
    "hr": ("hour", "hours"), "hrs": ("hours", "hours"), "h": ("hour", "hours"), "mins": ("minutes", "minutes"),
    "secs": ("seconds", "seconds"), "yr": ("year", "years"), "yrs": ("years", "years"), "wk": ("week", "weeks"), "wks": ("weeks", "weeks"),
    "bpm": ("beat per minute", "beats per minute"), "BPM": ("beat per minute", "beats per minute"),
    "dB": ("decibel", "decibels"), "%": ("percent", "percent"),
}
_REGNAL_NAMES = "Henry Louis Elizabeth George Charles Edward William Richard James John Pius Benedict Leo Gregory Clement Innocent Paul Victoria Mary Anne Philip Frederick Ludwig Peter Ivan Alexander Nicholas".split()
_ROMAN_CUES = "Part Chapter Volume Vol. Act Book Episode Season Phase Level Round War Bowl Title Apollo Rocky".split()
# Before these words a three- or four-digit number is a name read in pairs ("Boeing 747", "Room 237", "Highway 101",
# catalogue numbers: "K. 550", "BWV 1007"); some abbreviations are spoken as the word.
_PAIRED_CUES = ("Boeing Airbus Porsche Roland Technics Room Rm. Suite Flight Highway Hwy Route Interstate Gate Platform Apartment Apt. Bus "
                "BWV HWV RV KV K.").split()
_CUE_WORDS = {"Rm.": "Room", "Hwy": "Highway", "Apt.": "Apartment", "K.": "K"}
# Between a city and a ZIP code a state's abbreviation is read as its name ("Beverly Hills, CA 90210"; not
# "Order ID 12345" or "OK 50000 fans").
_US_STATES = {abbreviation: name.replace("_", " ") for abbreviation, name in (pair.split("=") for pair in (
    "AL=Alabama AK=Alaska AZ=Arizona AR=Arkansas CA=California CO=Colorado CT=Connecticut DE=Delaware "
    "DC=DC FL=Florida GA=Georgia HI=Hawaii ID=Idaho IL=Illinois IN=Indiana IA=Iowa KS=Kansas KY=Kentucky "
    "LA=Louisiana ME=Maine MD=Maryland MA=Massachusetts MI=Michigan MN=Minnesota MS=Mississippi MO=Missouri "
    "MT=Montana NE=Nebraska NV=Nevada NH=New_Hampshire NJ=New_Jersey NM=New_Mexico NY=New_York NC=North_Carolina "
    "ND=North_Dakota OH=Ohio OK=Oklahoma OR=Oregon PA=Pennsylvania RI=Rhode_Island SC=South_Carolina "
    "SD=South_Dakota TN=Tennessee TX=Texas UT=Utah VT=Vermont VA=Virginia WA=Washington WV=West_Virginia "
    "WI=Wisconsin WY=Wyoming").split())}
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_VALID_ROMAN = re.compile(r"^(?=[IVXLC])(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
# After a year, these words say it was a count ("1999 songs"): an "s"-word that is not a plural noun.
_NOT_PLURAL = {"was", "is", "has", "as", "this", "its", "his", "us", "does", "always", "plus", "minus", "bus", "yes", "thus", "across", "hers", "ours", "yours", "theirs", "whereas", "unless"}
SENTENCE_STARTERS = frozenset(
    "The He She It They We I You This That These Those But And So Then There Here A An In On At Now Next Up Coming "
    "Be Stay Tune Get Join Don't Let's What Who Why How When Where Thanks Thank Enjoy Check It's That's There's "
    "Here's We're You're I'm Our My Your Their His Her Its Also Plus Meanwhile Tonight Today Tomorrow Yesterday Later "
    "After Before If As For With Do Does Did Is Are Was Were Can Will Would Should Could Have Has Had Not No Yes "
    "Oh Well Hey Please Listen Remember Just Make Take Keep Let Go Come See Look".split()
)
# Abbreviations by their lowercase letters: in text without capitals their period is not a sentence's end.
ABBREVIATIONS = frozenset(
    {a.rstrip(".").lower() for a in [*_TITLES, *_SUFFIXES, *_NUMBERED]} | {d.lower() for d in _DAYS} | {m[:3].lower() for m in _MONTHS}
    | {"st", "feat", "ft", "vs", "v", "prod", "sept", "ave", "mt", "sgt", "vol", "pt", "op"}
) - {"no", "may", "mar", "sun", "sat", "wed", "min", "sec"}  # words, as often as abbreviations: "i said no. he left"
_SENTENCE_START = re.compile(r"\s+(?:" + "|".join(re.escape(w) for w in sorted(SENTENCE_STARTERS, key=len, reverse=True)) + r")(?![\w'’])")
_NOT_TITLES = {"The", "A", "An", "And", "Of", "In", "On", "At", "To", "For", "Is", "It", "My", "Our", "Your"}
_SYMBOLS = {"&": " and ", "%": " percent", "+": " plus ", "@": " at ", "=": " equals ", "°": " degrees", "×": " times ",
            "½": " one half", "¼": " one quarter", "¾": " three quarters", "*": " "}
_VULGAR = {"½": "a half", "¼": "a quarter", "¾": "three quarters"}
# Emoji, pictographs, dingbats, arrows and the joiners between them: dropped (espeak-ng reads their names:
# "smiling face with sunglasses"). A heart between words is read "love" ("I ❤️ NY").
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\uFE0F\u200D\u20E3\U000E0020-\U000E007F]+")
_ACCIDENTALS = re.compile("(?<=[A-G])[\u266d\u266f\u266e]")  # B♭, C♯: in the emoji range, but a key's name
_ACCIDENTAL_WORDS = {"\u266d": " flat", "\u266f": " sharp", "\u266e": " natural"}
_HEART = re.compile("(?<=\\w )[\u2764\u2665]\uFE0F?(?= \\w)")
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


def _slash_date(match: re.Match, day_first: bool = False) -> str:
    """m/d/y as in the US; d/m/y when the first number cannot be a month, or when `day_first` (12.05.2026)."""
    first, second = int(match[1]), int(match[2])
    if 1 <= first <= 12 and 1 <= second <= 31 and not (day_first and 1 <= second <= 12):
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


def _word_before(match: re.Match) -> str:
    """The word just before the match, lowercased ("" at the start of a sentence)."""
    window = match.string[max(0, match.start() - 40) : match.start()]  # a regex anchored at $ over all the text is quadratic
    before = re.search(r"([\w']+)[^\w.!?]*$", window)
    return before[1].lower() if before and not re.search(r"[.!?]\s*$", window) else ""


def _day_month(match: re.Match) -> str:
    """'on 5 May' -> 'on the fifth of May', 'Happy 4th of July' -> 'Happy fourth of July'; a bare '10 June'
    only after a preposition or first in a sentence ("Top 10 June releases" is a count)."""
    day = int(match["day"])
    before = _word_before(match)
    if not 1 <= day <= 31 or not (match["suffix"] or match["of"] or match["year"] or before in _DATE_PREPOSITIONS or not before):
        return match[0]
    article = "" if before in _DETERMINERS else "the "
    spoken = f"{article}{ordinal(day)} of {_month(match['month'])}"
    return spoken + (f", {year(int(match['year']))}" if match["year"] else "")


def _short_date(match: re.Match) -> str:
    """'on 12/25' -> 'on December twenty-fifth' (m/d after a preposition; d/m when the first cannot be a month).
    Not a part ("by 1/3", "after 2/3 of the votes", "from 1/4 to 1/2") unless the words say a day ("on", "due")."""
    first, second = int(match["first"]), int(match["second"])
    is_part = first < second <= 8 or re.match(r"\s+of\b", match.string[match.end():])
    if (first, second) == (24, 7) or is_part and match["before"].lower() not in ("on", "due", "until", "till"):
        return match[0]
    if 1 <= first <= 12 and 1 <= second <= 31:
        return f"{match['before']} {date_words(first, second, None)}"
    if 1 <= second <= 12 and 1 <= first <= 31:
        return f"{match['before']} {date_words(second, first, None)}"
    return match[0]


def _nine_eleven(match: re.Match) -> str:
    """'after 9/11' -> 'after nine eleven', the day the towers fell; a date to come after "on", "by", "until"."""
    return match[0] if _word_before(match) in _SHORT_DATE_WORDS else "nine eleven"


def _keep_sentence_end(match: re.Match, words: str) -> str:
    """A replaced abbreviation keeps its period when it ended the sentence: the text ends, or a word that
    starts sentences follows ("Jr. He"; but "Bros. Records" is one name)."""
    rest = match.string[match.end():]
    return words + "." if not rest.strip() or _SENTENCE_START.match(rest) else words


def _street_or_saint(match: re.Match) -> str:
    """'St. Louis' -> 'Saint Louis'; 'Main St.' and 'Main St. Then' -> 'Main Street'. A capitalised word
    before "St." names the street, unless it is the first word of its sentence ("Visit St. Louis")."""
    before = match.string[max(0, match.start() - 60) : match.start()]
    after = match.string[match.end():]
    street_name = re.search(r"[A-Z][\w'-]*\s+$", before) and not re.search(r"(?:^|[.!?]\s+)\S+\s+$", before)
    if re.match(r"\s+[A-Z]", after) and not street_name:
        return "Saint"
    return _keep_sentence_end(match, "Street")


def money_words(symbol: str, amount: str, scale: str | None = None, country: str = "") -> str:
    """'$', '3.50' -> 'three dollars and fifty cents'; with a scale ('M'): 'three point five million dollars';
    `country` ('Canadian') goes before the unit."""
    one, many, sub_one, sub_many = _CURRENCIES[symbol]
    if country:
        one, many = f"{country} {one}", f"{country} {many}"
    if scale:
        return f"{decimal(amount)} {_SCALE_WORDS[scale]} {many}"
    whole, _, cents_text = amount.partition(".")
    whole_value = int(whole.replace(",", "")) if whole else 0
    cents = int(cents_text.ljust(2, "0")[:2]) if cents_text else 0
    parts = []
    if whole_value or not cents:
        parts.append(f"{decimal(whole or '0')} {one if whole_value == 1 else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def _currency(match: re.Match) -> str:
    country = _CURRENCY_PREFIXES.get(match["country"] or "", "")
    return ("minus " if match["minus"] else "") + money_words(match["symbol"], match["amount"], match["scale"], country)


def _currency_range(match: re.Match) -> str:
    """'$5-10' and '$25-$40' -> 'five to ten dollars'; '$5-10M' -> 'five to ten million dollars'."""
    first = decimal(match["first"]) if "." not in match["first"] else money_words(match["symbol"], match["first"])
    return f"{first} to {money_words(match['symbol'], match['second'], match['scale'])}"


_CLOCK = re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s?(?P<ampm>[aApP]\.?[mM]\.?))?(?!\w|:\d)")


def _time(match: re.Match) -> str:
    """'10:30pm' -> 'ten thirty p m'; a 24-hour time the way a US listener hears it: '19:30' -> 'seven thirty p m'."""
    hours, minutes = int(match["h"]), int(match["m"])
    if hours > 23 or minutes > 59:
        return match[0]
    ampm = _am_pm(match["ampm"])
    if not ampm and (hours > 12 or match["h"] == "00") and _word_before(match) in _TIME_PREPOSITIONS:
        hours, ampm = (hours - 12, " p m") if hours > 12 else (12, " a m")
    spoken = cardinal(hours)
    if minutes == 0:
        spoken += "" if ampm else " o'clock"
    elif minutes < 10:
        spoken += " oh " + cardinal(minutes)
    else:
        spoken += " " + cardinal(minutes)
    return _keep_sentence_end(match, spoken + ampm) if match["ampm"] and match["ampm"].endswith(".") else spoken + ampm


def _ratio(match: re.Match) -> str:
    """'3:1 odds', 'won 2:1' -> 'three to one'; after a name it is a chapter and verse ("John 14:6"): as written."""
    if re.search(r"(?<![.!?]\s)\b[A-Z][a-z]+\s+$", match.string[max(0, match.start() - 30) : match.start()]):
        return match[0]
    return f"{cardinal(int(match['a']))} to {cardinal(int(match['b']))}"


def _inches(match: re.Match) -> str:
    """'a 12" single' -> 'a twelve-inch single'; not the closing quote of '"Take 5" remix'."""
    opened = match.string[: match.start()].count('"') % 2 or match.string[: match.start()].count("“") > match.string[: match.start()].count("”")
    return match[0] if opened else f"{cardinal(int(match['n']))}-inch "


def _duration(match: re.Match) -> str:
    """'1:02:33' (a track's length) -> 'one hour two minutes thirty-three seconds'."""
    parts = zip((int(match["h"]), int(match["m"]), int(match["s"])), ("hour", "minute", "second"))
    return " ".join(f"{cardinal(value)} {unit}{'s' if value != 1 else ''}" for value, unit in parts if value) or "zero seconds"


def clock_time(text: str) -> str | None:
    """'2:45' -> 'two forty-five', '10:30pm' -> 'ten thirty p m'; None when `text` is not a clock time."""
    match = _CLOCK.fullmatch(text.strip())
    spoken = _time(match) if match else None
    return spoken if spoken != text.strip() else None


def _hour(match: re.Match) -> str:
    """'9am' -> 'nine a m'; 'at 3 p.m. Next up' keeps the sentence's period."""
    spoken = cardinal(int(match["hour"])) + _am_pm(match["ampm"])
    return _keep_sentence_end(match, spoken) if match["ampm"].endswith(".") else spoken


def _numbered_roman(match: re.Match) -> str:
    """'Vol. II' -> 'volume two', 'Pt. I' -> 'part one'."""
    if not _VALID_ROMAN.match(match["numeral"]):
        return match[0]
    return f"{_NUMBERED[match['abbr']]} {cardinal(roman_value(match['numeral']))}"


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
    """'nineteen ninety' -> 'nineteen nineties'; 'six' -> 'sixes'."""
    return words[:-1] + "ies" if words.endswith("y") else words + "es" if words.endswith("x") else words + "s"


def _number_plural(match: re.Match) -> str:
    """'45s' -> 'forty-fives', '1000s of fans' -> 'thousands of fans', '#1s' -> 'number ones'."""
    value = int(match["n"].replace(",", ""))
    words = {100: "hundreds", 1000: "thousands", 10**6: "millions", 10**9: "billions"}.get(value) or _pluralize(cardinal(value))
    return ("number " if match["hash"] else "") + words


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
    """'3/4' -> 'three quarters', '8/10' -> 'eight out of ten' (a rating), '7/11' -> 'seven eleven'."""
    numerator, denominator = match["numerator"], int(match["denominator"])
    followed_by_of = re.match(r"\s+of\b", match.string[match.end():])
    if denominator in _RATING_DENOMINATORS and not followed_by_of and (float(numerator) > 1 or "." in numerator):
        return f"{decimal(numerator)} out of {cardinal(denominator)}"
    if "." not in numerator and 0 < int(numerator) < denominator and denominator in _FRACTION_DENOMINATORS:
        return fraction(int(numerator), denominator)
    return f"{decimal(numerator)} {cardinal(denominator)}"


def _mixed_number(match: re.Match) -> str:
    """'33 1/3' -> 'thirty-three and a third', '1½' -> 'one and a half'."""
    if match["vulgar"]:
        part = _VULGAR[match["vulgar"]]
    else:
        part = fraction(int(match["numerator"]), int(match["denominator"]))
        part = "a " + part[4:] if part.startswith("one ") else part
    return f"{cardinal(int(match['whole']))} and {part}"


def roman_value(numeral: str) -> int:
    """'XIV' -> 14 (numerals up to 399, as titles use them)."""
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _roman(match: re.Match) -> str:
    numeral = match["numeral"]
    if not _VALID_ROMAN.match(numeral) or match["name"] in _NOT_TITLES:
        return match[0]
    following = re.match(r"\s+([a-z]+)", match.string[match.end():])
    if numeral == "I" and (match["name"][0].islower() or following and following[1] not in _AFTER_TITLE_NUMERAL):
        return match[0]  # the pronoun: "the part I love", "this season I learned"; but "Season I of the show"
    value = roman_value(numeral)
    if match["name"] in _REGNAL_NAMES:
        return f"{match['name']} the {ordinal(value)}"
    return f"{match['name']} {cardinal(value)}"


# A word with letters starred out, one star a letter, that can only be a swear word ("f***ing", "s**t",
# "d*mn"): what radio says instead ("bleeping"). Other starred words keep their letters ("Un*x", "M*A*S*H"),
# and footnote stars ("Plan B**", "song*") or markdown ("**bold**") are not starred words.
_BLEEPED = {word: spoken for spoken, words in {
    "bleep": "fuck motherfucker shit bullshit damn goddamn bitch ass asshole bastard cunt dick dickhead piss crap cock prick "
             "twat wanker bollocks slut whore",
    "bleeps": "fucks motherfuckers shits bitches assholes bastards",
    "bleeping": "fucking fuckin shitty",
    "bleeped": "fucked pissed damned",
    "bleeper": "fucker",
    "bleepers": "fuckers",
}.items() for word in words.split()}
_STARRED = re.compile(r"(?<![\w*])(?P<head>[A-Za-z]{1,4})(?P<stars>\*{2,}|\*(?=[A-Za-z]))(?P<tail>[A-Za-z]{0,6})(?![\w*])")


def _bleep(match: re.Match) -> str:
    head, tail = match["head"].lower(), match["tail"].lower()
    length = len(head) + len(match["stars"]) + len(tail)
    spoken = next((s for w, s in _BLEEPED.items() if len(w) == length and w.startswith(head) and w.endswith(tail)), None)
    if spoken is None:
        return match[0]
    return spoken.capitalize() if match["head"][0].isupper() else spoken


def _monarch(match: re.Match) -> str:
    """'Henry V was king' -> 'Henry the fifth was king'. One letter after a name is often not a numeral: a
    middle initial ("Louis V. Gerstner"), the pronoun ("James I was wondering"), a name ("Richard X produced
    it"). So V or X only before a word a title takes ("was", "of", ...), a mark or the end, and a lone I only
    before "of", a mark or the end, unless a title comes first ("King James I was ...")."""
    after = match.string[match.end():]
    if re.match(r"\.\s+[A-Z][a-z]", after):
        return match[0]
    titled = re.search(r"\b(?:King|Queen|Pope|Emperor|Empress|Tsar|Czar|Saint|Prince|Princess)\s+$", match.string[max(0, match.start() - 12) : match.start()])
    following = re.match(r"\s+([a-z]+)", after)
    allowed = {"of"} if match["numeral"] == "I" and not titled else _AFTER_TITLE_NUMERAL
    if following and following[1] not in allowed:
        return match[0]
    return f"{match['name']} the {ordinal(roman_value(match['numeral']))}"


def _signed(text: str) -> str:
    """'-3.5' -> 'minus three point five'; leading zeros ('007') are read digit by digit."""
    sign, body = ("minus ", text[1:]) if text.startswith("-") else ("", text)
    if len(body) > 1 and body[0] == "0" and body[1].isdigit():
        return sign + digits(body)
    return sign + decimal(body)


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_END = r"(?![\w]|[.,]\d)"  # a number ends at a non-word character (a sentence's period is fine)
_AMPM = r"[aApP]\.?[mM]\.?"
_DAY_NAME = "|".join(sorted(_DAYS, key=len, reverse=True))
_SCALE = r"thousand|million|billion|trillion|bn|[kKMBm]"
_RULES: list[tuple[re.Pattern, Callable[[re.Match], str] | str]] = [
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), lambda m: _spell_address(m[0])),
    (re.compile(r"\b(?:https?://|www\.)[^\s]+?(?=[.,!?;:]?(?:\s|$))", re.IGNORECASE), _url),
    (re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|fm|co|uk|de|app|ai|dev|edu|gov|me|tv|ly)\b(?:/[^\s]*?)?(?=[.,!?;:]?(?:\s|$))", re.IGNORECASE), _url),
    (re.compile(r"(?<![\w+])(?:\+?1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]\d{2,4}){2,4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"(?<![\w.-])\d{3}-\d{4}(?!\w|[.-]\d)"), lambda m: phone_words(m[0])),
    (re.compile(r"\bBoeing\s+(?P<n>7\d7)-(?P<variant>[1-9]\d{0,2})(?!\w|[.,-]\d)"), lambda m: f"Boeing {paired(int(m['n']))} {paired(int(m['variant'])) if len(m['variant']) == 3 else cardinal(int(m['variant']))}"),
    (re.compile(r"\b(?P<cue>" + "|".join(re.escape(c) for c in _PAIRED_CUES) + r")\s*(?P<n>[1-9]\d{2,3})(?!\w|[.,-]\d)"),
     lambda m: f"{_CUE_WORDS.get(m['cue'], m['cue'])} {paired(int(m['n']))}"),
    (re.compile(r"\b(?P<model>[A-Z]{1,3})-(?P<n>[1-9]\d{2,3})(?!\w|[.,-]\d)"), lambda m: f"{m['model']} {paired(int(m['n']))}"),  # TR-808, I-405
    (re.compile(r"(?:(?<=\w, )(?P<state>" + "|".join(_US_STATES) + r")|\b(?P<cue>(?i:zip(?:\s?code)?|postcode)):?)\s+(?P<zip>\d{5})(?:-(?P<plus4>\d{4}))?(?!\w|[.,-]\d)"),
     lambda m: (_US_STATES.get(m["state"]) or m["cue"]) + " " + digits(m["zip"]) + (", " + digits(m["plus4"]) if m["plus4"] else "")),
    (re.compile(r"(?<![\w.,-])911(?!\w|[.,]\d)"), "nine one one"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _iso_date),
    (re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b"), _iso_date),
    (re.compile(r"(?<![\w.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\w|\.\d)"), lambda m: _slash_date(m, day_first=True)),
    (re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/])"), _slash_date),
    (re.compile(r"(?<![\w/.])9/11(?![\w/]|\.\d)"), _nine_eleven),
    (re.compile(r"\b(?P<before>(?i:on|by|until|till|through|thru|from|since|before|after|due|starting|ending))\s+(?P<first>\d{1,2})/(?P<second>\d{1,2})(?![\w/]|\.\d)"), _short_date),
    (re.compile(rf"\b(?P<first>{_DAY_NAME})\.?\s?[-–]\s?(?P<last>{_DAY_NAME})\b"), lambda m: f"{_DAYS[m['first']]} to {_DAYS[m['last']]}"),
    (re.compile(rf"\b(?P<day>{_DAY_NAME})(?:\.?(?P<comma>,)|\.)(?=\s+(?:{_MONTH_NAME}|\d))|\b(?P<bare>{_DAY_NAME})(?=\s+{_MONTH_NAME})"),
     lambda m: _DAYS[m["day"] or m["bare"]] + (m["comma"] or "")),
    (re.compile(rf"\b(?P<month>{_MONTH_NAME})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?"), _month_day),
    (re.compile(r"\b(?P<month>Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?\s+(?P<year>1\d{3}|20\d{2})\b"), lambda m: f"{_month(m['month'])} {year(int(m['year']))}"),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?P<suffix>st|nd|rd|th)?\s+(?P<of>of\s+)?(?P<month>{_MONTH_NAME})(?:,?\s+(?P<year>\d{{4}})\b)?"), _day_month),
    (re.compile(r"\b[Nn]o\.\s?(?=\d)"), "number "),
    (re.compile(r"\b(?P<abbr>" + "|".join(_NUMBERED) + r")\.\s?(?P<numeral>[IVXLC]+)\b(?!['’])"), _numbered_roman),
    (re.compile(r"\b(?P<abbr>" + "|".join(_NUMBERED) + r")\.\s?(?=\d)|\b(?P<bare>" + "|".join(_NUMBERED_BARE) + r")\s(?=\d)"),
     lambda m: _NUMBERED[m["abbr"] or m["bare"]] + " "),
    (re.compile(r"(?<![\w.])St\.(?=\s|$|[,;:!?])"), _street_or_saint),
    (re.compile(r"(?<=\d)\s+[Ff]t\.(?=\s+[A-Z])"), " featuring"),
    (re.compile(r"(?<![\w.])Ft\.?(?=\s+(?:" + "|".join(_FORTS) + r")\b)"), "Fort"),
    (re.compile(r"(?<![\w.])(?<!\d\s)(?:[Ff]eat\.|[Ff]t\.|[Ff]eat(?=\s+[A-Z]))(?=\s|$)"), "featuring"),
    (re.compile(r"(?<![\w.])(?:[Vv][Ss]\.?|v\.)(?=\s)"), "versus"),
    (re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in _TITLES) + r")(?=\s)"), lambda m: _TITLES[m[1]]),
    (re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in _SUFFIXES) + r")(?=\s|$|[,;:!?])"), lambda m: _keep_sentence_end(m, _SUFFIXES[m[1]])),
    (re.compile(rf"(?P<symbol>[$£€¥₹])(?P<first>{_NUMBER})\s?[-–—]\s?[$£€¥₹]?(?P<second>{_NUMBER})(?:\s?(?P<scale>{_SCALE})\b)?"), _currency_range),
    (re.compile(rf"(?:(?<!\w)(?P<minus>-))?(?:(?<![\w$])(?P<country>CA|C|AU|A|NZ|US|HK|S)(?=\$))?(?P<symbol>[$£€¥₹])\s?(?P<amount>{_NUMBER}|\.\d+)(?:\s?(?P<scale>{_SCALE})\b)?"), _currency),
    (re.compile(r"(?<![\w.])(?P<n>\d+)\s?¢"), lambda m: f"{cardinal(int(m['n']))} cent{'s' if m['n'] != '1' else ''}"),
    (re.compile(rf"(?P<a>\b\d{{1,2}}(?::\d{{2}})?\s?{_AMPM}|\b\d{{1,2}}:\d{{2}})\s?[-–—]\s?(?=\d{{1,2}}(?::\d{{2}})?(?:\s?{_AMPM})?(?!\w))"), r"\g<a> to "),
    (re.compile(r"(?<![\w:])(?P<h>\d{1,2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)(?![\w:])"), _duration),
    (re.compile(rf"(?<![\w.])(?P<h>\d{{1,2}})\.(?P<m>[0-5]\d)\s?(?P<ampm>{_AMPM})(?!\w)"), _time),
    (_CLOCK, _time),
    (re.compile(r"(?<![\w:.])(?P<a>\d{1,2}):(?P<b>\d)(?![\w:]|\.\d)"), _ratio),
    (re.compile(rf"(?<![\w.])(?P<first>-?(?:{_NUMBER}))\s?[-–—]\s?(?P<second>{_NUMBER})\s?%"), lambda m: f"{_signed(m['first'])} to {_signed(m['second'])} percent"),
    (re.compile(r"(?<![\w.])(?P<n>14|18|22|24)K(?=\s+(?:gold|white|rose|yellow|[A-Z]))"), lambda m: f"{cardinal(int(m['n']))} karat"),
    (re.compile(rf"(?<![\w.])(?P<amount>{_NUMBER})\s?m(?=\s+(?:{_COUNTED_NOUNS})\b)"), lambda m: f"{decimal(m['amount'])} million"),
    (re.compile(r"(?<![\w.])(?P<ft>[3-8])['’′]\s?(?P<inch>\d|1[01])(?:[\"”″]|'')"), lambda m: f"{cardinal(int(m['ft']))} foot {cardinal(int(m['inch']))}"),
    (re.compile(r"(?<![\w.])(?P<n>\d{1,2})[\"”″]\s?(?=(?:single|singles|vinyl|record|records|LP|EP|remix|screen|display|subwoofer|woofer|speakers?)\b)"), _inches),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))[xX](?![\w/])"), lambda m: f"{_signed(m['amount'])} times"),
    (re.compile(r"(?<=\d)\s?[x×*]\s?(?=\d)"), " times "),
    (_STARRED, _bleep),
    (re.compile(r"(?<=[A-Za-z])\*+(?=[A-Za-z])"), ""),  # other starred words: "Un*x", "M*A*S*H" read as their letters
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s?(?P<unit>{'|'.join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if u[0].isalpha())})(?!\w|/[A-Za-z])"), _number_with_unit),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s?(?P<unit>°[CF]?|%)"), _number_with_unit),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))(?P<scale>bn|[kKMB])(?!\w)"), _number_with_scale),
    (re.compile(rf"(?<![\w.])(?P<amount>-?(?:{_NUMBER}))\s(?P<scale>thousand|million|billion|trillion)\b"), _number_with_scale),
    (re.compile(r"(?<![\w.])(?P<whole>\d+)(?:\s(?P<numerator>[1-9])/(?P<denominator>[2-9]|1[0-6])|\s?(?P<vulgar>[½¼¾]))(?![\w/]|\.\d)"), _mixed_number),
    (re.compile(r"(?<![\w.])24\s?[-/]\s?7(?![\w/]|\.\d)"), "twenty-four seven"),
    (re.compile(r"(?<![\w.])(?:'|’)?(?P<decade>(?:1[1-9]|20)\d0|\d0)s\b"), _decade),
    (re.compile(r"(?<![\w.,])(?P<hash>#\s?)?(?P<n>\d{1,3}(?:,\d{3})+|\d{1,9})s\b"), _number_plural),
    (re.compile(r"(?<![\w.])(?P<year>1\d{3}|20\d{2})\s?[-–—]\s?(?=(?:present|now|today)\b)"), r"\g<year> to "),
    (re.compile(r"(?<![\w.\-/])(?P<first>\d{1,4})\s?[-–—]\s?(?P<second>\d{1,4})(?:\s?(?P<ampm>[aApP]\.?[mM]\.?)(?!\w))?(?![\w\-/]|[.,]\d)"), _range),
    (re.compile(rf"(?<![\w.:])(?P<hour>\d{{1,2}})\s?(?P<ampm>{_AMPM})(?!\w)"), _hour),
    (re.compile(r"(?<![\w.,$£€/-])(?:1\d\d\d|20\d\d)(?!\w|[.,:]\d)"), _year_or_count),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?!\w|\.\d)"), _version),
    (re.compile(r"(?<![\w.])(?P<mantissa>-?\d+(?:\.\d+)?)[eE](?P<exponent>[+-]?\d+)(?!\w)"), _scientific),
    (re.compile(r"(?<![\w/.])(?P<top>\d{1,2})/(?P<bottom>2|4|8|16)(?=\s+(?:time|meter|signature)\b)"), lambda m: f"{cardinal(int(m['top']))}-{cardinal(int(m['bottom']))}"),
    (re.compile(r"(?<![\w/.])(?P<numerator>\d{1,3}(?:\.\d)?)/(?P<denominator>\d{1,3})(?![\w/]|\.\d)"), _fraction),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE), lambda m: ordinal(int(m[1]))),
    (re.compile(r"\b(?P<name>(?i:" + "|".join(re.escape(c) for c in _ROMAN_CUES) + r"))\s+(?P<numeral>[IVXLC]+)\b(?!['’])"), _roman),
    (re.compile(r"\b(?P<name>[A-Z][a-z]+)\s+(?P<numeral>[IVXLC]{2,})\b(?!['’\-])"), _roman),
    (re.compile(r"\b(?P<name>" + "|".join(_REGNAL_NAMES) + r")\s+(?P<numeral>[IVX])\b(?!['’\-])"), _monarch),
    (re.compile(r"#\s?(\d+)\b"), lambda m: "number " + cardinal(int(m[1]))),
    (re.compile(r"~\s?(?=\d)"), "about "),
    (re.compile(r"(?<=\w)/(?=(?:month|mo|year|yr|week|wk|day|night|hour|hr|person|song|track)\b)"), " per "),
    (re.compile(r"#(?=[A-Za-z])"), "hashtag "),
    (re.compile(r"\b([A-G])#(?!\w)"), r"\1 sharp"),
    (re.compile(rf"(?<![\w.])(?:(?<=\s)-|^-)?(?:{_NUMBER}){_END}"), lambda m: _signed(m[0])),
]


_AFTER_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*\s+[\"“‘(\[]*$")


def _spoken(replacement: Callable[[re.Match], str] | str, match: re.Match) -> str:
    """A rule's words for `match`, capitalised where a sentence starts ("2015 was great." -> "Twenty fifteen
    was great."): the sentence splitter reads a lowercase word after a period as the same sentence going on."""
    spoken = replacement(match) if callable(replacement) else match.expand(replacement)
    if spoken[:1].islower() and not match[0][:1].islower() and _AFTER_SENTENCE_END.search(match.string[max(0, match.start() - 12) : match.start()]):
        return spoken[0].upper() + spoken[1:]
    return spoken


# Thousands grouped with spaces: a narrow no-break or thin space always groups ("12\u202f345"); a plain or
# no-break space only when the last group is 000 ("1 000 000", "5 000", "1 500 000"), since numbers side by
# side are common ("Top 10 500 hits", "+34 912 345 678", "scores 279 300 257", "Agent 7 007").
_SPACE_GROUPED = re.compile(r"(?<![\w.,+])(?<!\d[ \u00a0])[1-9]\d{0,2}(?:(?:[\u202f\u2009]\d{3})+|(?:[ \u00a0]\d{3})*[ \u00a0]000)(?!\w|[.,]\d|[ \u00a0\u202f\u2009]\d)")


def normalize(text: str) -> str:
    """Rewrite numbers, dates, money, times, addresses, abbreviations and symbols as words; collapse whitespace."""
    text = _SPACE_GROUPED.sub(lambda m: ",".join(m[0].split()), text)
    text = " ".join(text.split())
    text = _ACCIDENTALS.sub(lambda m: _ACCIDENTAL_WORDS[m[0]], text)
    text = _EMOJI.sub(" ", _HEART.sub("love", text))
    for pattern, replacement in _RULES:
        text = pattern.sub(partial(_spoken, replacement), text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return " ".join(text.split())
