"""The normalizer, table-driven: what a listener should hear for each written form, and texts it must not touch."""

import pytest

from triton_tts.normalize import normalize
from triton_tts.numbers import cardinal, fraction, ordinal, year

SPOKEN = [
    ('I said No.', 'I said No.'),
    ('the 90s', 'the nineties'),
    ("the '90s", 'the nineties'),
    ('the ’80s', 'the eighties'),
    ('the 1990s', 'the nineteen nineties'),
    ('the 1900s', 'the nineteen hundreds'),
    ('the 2000s', 'the two thousands'),
    ('the 2010s', 'the twenty tens'),
    ('in the 60s', 'in the sixties'),
    ('version 2.0.1', 'version two point zero point one'),
    ('macOS 10.15.7', 'macOS ten point fifteen point seven'),
    ('1e5', 'one times ten to the fifth'),
    ('2.5e-3', 'two point five times ten to the minus third'),
    ('Main St.', 'Main Street.'),
    ('I went to Main St. Then I left.', 'I went to Main Street. Then I left.'),
    ('St. Vincent played St. Louis.', 'Saint Vincent played Saint Louis.'),
    ('Visit St. Louis today.', 'Visit Saint Louis today.'),
    ('No. 5 on the chart', 'number five on the chart'),
    ('No.1 hit', 'number one hit'),
    ('#1 hit', 'number one hit'),
    ('chart #12', 'chart number twelve'),
    ('Released in 1999.', 'Released in nineteen ninety-nine.'),
    ('In 2013 they split.', 'In twenty thirteen they split.'),
    ('It came out in 2005.', 'It came out in two thousand five.'),
    ('Back in 2000 we danced.', 'Back in two thousand we danced.'),
    ('in 1066', 'in ten sixty-six'),
    ('1999 songs', 'one thousand nine hundred ninety-nine songs'),
    ('2000 people', 'two thousand people'),
    ('Rocky II', 'Rocky two'),
    ('Henry VIII', 'Henry the eighth'),
    ('Louis XIV', 'Louis the fourteenth'),
    ('Elizabeth II', 'Elizabeth the second'),
    ('World War II', 'World War two'),
    ('Final Fantasy VII', 'Final Fantasy seven'),
    ('Super Bowl LVII', 'Super Bowl fifty-seven'),
    ('Part I', 'Part one'),
    ('Chapter IV', 'Chapter four'),
    ('Star Wars Episode IV', 'Star Wars Episode four'),
    ('2:45', 'two forty-five'),
    ('at 10:30pm', 'at ten thirty p m'),
    ('at 7:05 a.m.', 'at seven oh five a m'),
    ('at 12:00', "at twelve o'clock"),
    ('at 9:00 PM', 'at nine p m'),
    ('$5', 'five dollars'),
    ('$5M', 'five million dollars'),
    ('$3.50', 'three dollars and fifty cents'),
    ('$0.99', 'ninety-nine cents'),
    ('$1', 'one dollar'),
    ('$1,250', 'one thousand two hundred fifty dollars'),
    ('$2.5 billion', 'two point five billion dollars'),
    ('£1', 'one pound'),
    ('£20', 'twenty pounds'),
    ('€2.5 billion', 'two point five billion euros'),
    ('€10.05', 'ten euros and five cents'),
    ('call 555-123-4567', 'call five five five, one two three, four five six seven'),
    ('(555) 123-4567', 'five five five, one two three, four five six seven'),
    ('+44 20 7946 0958', 'plus four four, two zero, seven nine four six, zero nine five eight'),
    ('+1 555 123 4567', 'plus one, five five five, one two three, four five six seven'),
    ('dial 867-5309', 'dial eight six seven, five three zero nine'),
    ('2026-11-27', 'November twenty-seventh, twenty twenty-six'),
    ('12/05/2026', 'December fifth, twenty twenty-six'),
    ('25/12/2026', 'December twenty-fifth, twenty twenty-six'),
    ('1/2/99', 'January second, nineteen ninety-nine'),
    ('March 3rd, 2019', 'March third, twenty nineteen'),
    ('March 3, 2019', 'March third, twenty nineteen'),
    ('on 5 May 2020', 'on the fifth of May, twenty twenty'),
    ('the 4th of July', 'the fourth of July'),
    ('Nov 27', 'November twenty-seventh'),
    ('Jan. 1, 2000', 'January first, two thousand'),
    ('1990-1995', 'nineteen ninety to nineteen ninety-five'),
    ('1990-95', 'nineteen ninety to ninety-five'),
    ('pages 5-10', 'pages five to ten'),
    ('from 3–7 pm', 'from three to seven p m'),
    ('https://open.spotify.com/track/abc', 'open dot spotify dot com slash track slash abc'),
    ('www.example.com.', 'w w w dot example dot com.'),
    ('Visit spotify.com today.', 'Visit spotify dot com today.'),
    ('mail me@example.com', 'mail me at example dot com'),
    ('write to dj.mike@radio.fm', 'write to dj dot mike at radio dot fm'),
    ('Song feat. Drake', 'Song featuring Drake'),
    ('Song ft. Drake', 'Song featuring Drake'),
    ('Song Feat Drake', 'Song featuring Drake'),
    ('Kanye vs. Taylor', 'Kanye versus Taylor'),
    ('Kanye vs Taylor', 'Kanye versus Taylor'),
    ('6 ft. tall', 'six feet tall'),
    ('120 BPM', 'one hundred twenty beats per minute'),
    ('128 bpm', 'one hundred twenty-eight beats per minute'),
    ('5 km', 'five kilometers'),
    ('1 km', 'one kilometer'),
    ('100%', 'one hundred percent'),
    ('3.5%', 'three point five percent'),
    ('-5 degrees', 'minus five degrees'),
    ('30°C', 'thirty degrees Celsius'),
    ('70°F', 'seventy degrees Fahrenheit'),
    ('90°', 'ninety degrees'),
    ('1/2 cup', 'one half cup'),
    ('3/4', 'three quarters'),
    ('2/3', 'two thirds'),
    ('24/7', 'twenty-four seven'),
    ('50/50', 'fifty fifty'),
    ('21st century', 'twenty-first century'),
    ('the 1st', 'the first'),
    ('the 2nd', 'the second'),
    ('the 3rd', 'the third'),
    ('the 101st', 'the one hundred first'),
    ('#tbt', 'hashtag tbt'),
    ('C# minor', 'C sharp minor'),
    ('F# major', 'F sharp major'),
    ('3.14', 'three point one four'),
    ('1,234,567', 'one million two hundred thirty-four thousand five hundred sixty-seven'),
    ('1000000', 'one million'),
    ('007', 'zero zero seven'),
    ('0', 'zero'),
    ('Blink-182', 'Blink-one hundred eighty-two'),
    ('Maroon 5', 'Maroon five'),
    ('Sum 41', 'Sum forty-one'),
    ('10K', 'ten thousand'),
    ('2.5B streams', 'two point five billion streams'),
    ('1.2M views', 'one point two million views'),
    ('R&B', 'R and B'),
    ('AT&T', 'AT and T'),
    ('rock & roll', 'rock and roll'),
    ('2 x 3', 'two times three'),
    ('5 min', 'five minutes'),
    ('3 hrs', 'three hours'),
    ('44.1 kHz', 'forty-four point one kilohertz'),
    ('320 kbps', 'three hundred twenty kilobits per second'),
    ('2 GB', 'two gigabytes'),
    ('500 MB', 'five hundred megabytes'),
    ('85 dB', 'eighty-five decibels'),
    ('10 ms', 'ten milliseconds'),
    ('5 kg', 'five kilograms'),
    ('12 oz', 'twelve ounces'),
    ('3 mi', 'three miles'),
    ('60 mph', 'sixty miles per hour'),
    ('it costs 5 dollars', 'it costs five dollars'),
    ('room 101', 'room one hundred one'),
    ('Track 7', 'Track seven'),
    ('Mr. Smith', 'mister Smith'),
    ('Mrs. Jones', 'missus Jones'),
    ('Dr. Dre', 'doctor Dre'),
    ('Prof. X', 'professor X'),
    ('Martin Luther King Jr.', 'Martin Luther King junior.'),
    ('Warner Bros. Records', 'Warner brothers Records'),
    ('etc.', 'et cetera.'),
    ('e.g. this', 'for example this'),
    ('Apple Inc.', 'Apple incorporated.'),
    ('Mt. Everest', 'mount Everest'),
    ('the Beatles vs. the Stones', 'the Beatles versus the Stones'),
    ('Top 40', 'Top forty'),
    ('over 9000', 'over nine thousand'),
    ('-3', 'minus three'),
    ('+5', 'plus five'),
    ('x = 5', 'x equals five'),
    ('~5 minutes', 'about five minutes'),
    ('½ hour', 'one half hour'),
    ('the 70s and 80s', 'the seventies and eighties'),
    ('1.5 million', 'one point five million'),
    ('3 billion plays', 'three billion plays'),
    ('$4.99/month', 'four dollars and ninety-nine cents per month'),
    ('10:30', 'ten thirty'),
    ('released 09/15/2023', 'released September fifteenth, twenty twenty-three'),
    ('on 4 July', 'on the fourth of July'),
    ('at 7 pm', 'at seven p m'),
    ('3-5pm', 'three to five p m'),
    ('9am', 'nine a m'),
    ('Nov. 3', 'November third'),
    ('May 5, 1985', 'May fifth, nineteen eighty-five'),
    ('in the 1980s', 'in the nineteen eighties'),
    ('1980s-era', 'nineteen eighties-era'),
    ('0.5', 'zero point five'),
    ('5 Mbps', 'five megabits per second'),
    ('2.5K', 'two point five thousand'),
]

# Ordinary prose, words that contain an abbreviation's letters, and mixed letters and digits espeak-ng reads
# well on its own: the normalizer must leave all of these exactly as written (whitespace aside).
LEFT_ALONE = [
    "I said No.",
    "Hello world.",
    "A great feat of engineering.",
    "Paint it on canvas.",
    "Turn left.",
    "Is it a feature or a bug?",
    "2Pac and U2 on MP3.",
    "Watch it in 4K.",
    "R2D2 and C3PO",
    "The XX",
    "I am here.",
    "It's a DJ set, isn't it?",
    "No way, no how.",
    "Street art in the city.",
    "Saint Etienne",
    "Vivid colours, vast spaces.",
    "Ft Worth",
    "Use the hashtag",
    "Mix it up, mister.",
    "I love you.",
    "This is number one.",
    "He said: wait; then go!",
    "Up next, a classic.",
    "Who's that?",
    "Stay tuned.",
]


@pytest.mark.parametrize(("written", "spoken"), SPOKEN)
def test_spoken_form(written, spoken):
    assert normalize(written) == spoken


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_left_alone(text):
    assert normalize(text) == text


def test_tables_are_large_enough():
    assert len(SPOKEN) >= 150 and len({w for w, _ in SPOKEN}) == len(SPOKEN)


def test_number_words():
    assert cardinal(1234) == "one thousand two hundred thirty-four"
    assert cardinal(-7) == "minus seven"
    assert ordinal(22) == "twenty-second"
    assert year(1905) == "nineteen oh five" and year(2013) == "twenty thirteen" and year(2009) == "two thousand nine"
    assert fraction(1, 3) == "one third" and fraction(5, 8) == "five eighths"


@pytest.mark.parametrize("written", ["The " + "9" * 400 + "th place.", "1e" + "9" * 400, "#" + "9" * 400, "9" * 400 + " fans"])
def test_numbers_past_what_words_can_say_are_read_digit_by_digit(written):
    """num2words overflows past 10**306 (a batch's requests all failed with it): digits instead."""
    spoken = normalize(written)
    assert spoken.count("nine") >= 399 and not any(c.isdigit() for c in spoken)


def test_whitespace_collapses_and_output_has_no_digits():
    assert normalize("  In   1999,\tabout  3.5%  ") == "In nineteen ninety-nine, about three point five percent"
    for written, _ in SPOKEN:
        spoken = normalize(written)
        assert not any(c.isdigit() for c in spoken), (written, spoken)
