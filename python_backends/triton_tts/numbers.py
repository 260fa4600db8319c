"""Numbers as a US English speaker reads them: cardinals, ordinals, years, decimals, digit strings.

num2words does the counting; this module adapts it to spoken American English (no "and", no commas:
a comma would make espeak-ng pause inside a number).
"""

from __future__ import annotations

from num2words import num2words

_DIGITS = "zero one two three four five six seven eight nine".split()
MAX_NUMBER = 10**15 - 1  # beyond this a number is read digit by digit


def _american(words: str) -> str:
    return words.replace(",", "").replace(" and ", " ")


def cardinal(n: int) -> str:
    """1234 -> 'one thousand two hundred thirty-four'; -5 -> 'minus five'; beyond MAX_NUMBER digit by digit
    (num2words overflows past 10**306, and nobody says "nine hundred ninety-nine quadrillion")."""
    if n < 0:
        return "minus " + cardinal(-n)
    return digits(str(n)) if n > MAX_NUMBER else _american(num2words(n))


def ordinal(n: int) -> str:
    """21 -> 'twenty-first'; beyond MAX_NUMBER the digits, the last one as an ordinal ('... nine ninth')."""
    if n > MAX_NUMBER:
        return f"{digits(str(n)[:-1])} {ordinal(n % 10)}"
    return _american(num2words(n, to="ordinal"))


def year(n: int) -> str:
    """1999 -> 'nineteen ninety-nine', 2013 -> 'twenty thirteen', 2005 -> 'two thousand five', 1905 -> 'nineteen oh five'."""
    return _american(num2words(n, to="year")).replace("oh-", "oh ")


def paired(n: int) -> str:
    """How model, room and catalogue numbers are said, in pairs: 747 -> 'seven forty-seven', 808 -> 'eight oh
    eight', 500 -> 'five hundred', 1200 -> 'twelve hundred', 1007 -> 'ten oh seven', 9000 -> 'nine thousand'."""
    if n % 1000 == 0:
        return cardinal(n)
    head, tail = divmod(n, 100)
    if tail == 0:
        return f"{cardinal(head)} hundred"
    return f"{cardinal(head)} {'oh ' if tail < 10 else ''}{cardinal(tail)}"


def digits(text: str) -> str:
    """'0451' -> 'zero four five one' (phone numbers, codes, long numbers)."""
    return " ".join(_DIGITS[int(d)] for d in text if d.isdigit())


def decimal(text: str) -> str:
    """'1,234.50' -> 'one thousand two hundred thirty-four point five zero'; too large: digit by digit."""
    whole, _, fraction = text.replace(",", "").partition(".")
    return cardinal(int(whole) if whole else 0) + (" point " + digits(fraction) if fraction else "")


def plural_ordinal(n: int) -> str:
    """3 -> 'thirds' (fractions: three quarters, five eighths); 2 -> 'halves', 4 -> 'quarters'."""
    return {2: "halves", 4: "quarters"}.get(n, ordinal(n) + "s")


def fraction(numerator: int, denominator: int) -> str:
    """1/2 -> 'one half', 3/4 -> 'three quarters', 5/8 -> 'five eighths'."""
    if numerator == 1:
        return "one " + {2: "half", 4: "quarter"}.get(denominator, ordinal(denominator))
    return f"{cardinal(numerator)} {plural_ordinal(denominator)}"
