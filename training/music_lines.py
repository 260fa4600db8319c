"""Generated music-host lines: what an AI DJ says between tracks, with the numbers and names it says them with.

Artists, titles and figures are drawn from small word lists by a seeded generator, so the same seed gives the
same lines. The lines are invented (no real charts); they exist to give the voice the words, names, years,
positions, counts, times and symbols of its job, beside the fortune-file prose.
"""

from __future__ import annotations

import random

_FIRST = ("Maya Leo Nina Oscar Ruby Felix Iris Jonah Clara Theo Ava Miles Zoe Hugo Lena Omar Sofia Elliot Hazel "
          "Dante Aria Jasper Nora Rafael Ines Kofi Yuki Priya Mateo Freya Idris Camila Soren Leila Tobias").split()
_LAST = ("Rivers Stone Vega Hart Okafor Lindqvist Moreau Castillo Bennett Nakamura Ferreira O'Brien Kowalski "
         "Delacroix Haddad Albright Sorensen Mbeki Quinn Calloway Everly Novak Santos Whitfield Adeyemi").split()
_BAND_A = ("Velvet Neon Silver Midnight Paper Golden Electric Hollow Crystal Wild Broken Northern Lunar Static "
           "Crimson Glass Honey Arctic Lucky Quiet").split()
_BAND_B = ("Tigers Echoes Lanterns Harbors Machines Foxes Ghosts Satellites Rivers Parade Hearts Kites Wolves "
           "Pilots Orchards Monarchs Strangers Saints Comets Radios").split()
_TITLE = ("Summer Rain|Lost in the Static|Gold on the Ceiling|Run Away Tonight|Paper Planes|Heartbeat City|"
          "Call Me Later|Falling Slowly|Neon Lights|Ocean Drive|Stay With Me|Back to Zero|Midnight Train|"
          "Electric Love|Dancing on My Own|Never Let Go|Good Days|Velvet Morning|Under Pressure Again|"
          "Shadows and Light|The Long Way Home|Brighter Now|Fever Dream|Borderline|Satellite Heart|"
          "Second Chances|Sweet Disposition|Blue Monday Morning|Here Comes the Rain|Wildfire").split("|")
_ALBUM = ("Night Drive|Afterglow|Small Hours|Northern Lights|Paper Moon|Side B|Glass House|Open Water|"
          "Late Bloomer|Future Nostalgia|Low Tide|Parallel Lines|Wide Awake|Golden Hour|City of Stars").split("|")
_GENRE = ("indie pop|synthwave|soul|jazz|hip hop|drum and bass|country|folk|techno|R and B|punk rock|"
          "bossa nova|lo-fi beats|classic rock|disco|reggae|ambient|afrobeats|k-pop|blues").split("|")
_CITY = ("Lisbon|Chicago|Seoul|Lagos|Berlin|Nashville|Melbourne|Toronto|Manchester|Austin|Reykjavik|"
         "Mexico City|Osaka|Cape Town|Marseille|Dublin|Detroit|Bristol|Montreal|New Orleans").split("|")
_DAY = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTH = "January February March April May June July August September October November December".split()

_TEMPLATES = (
    "That was {title} by {artist}, from their {year} album {album}.",
    "Up next, {artist} with {title}, number {position} on this week's chart.",
    "{title} has been played {count} times this week alone.",
    "Here's {artist} feat. {artist2} with {title}.",
    "Coming up at {time}, an hour of {genre} from {city}.",
    "{artist} released {album} on {month} {day_of_month}, {year}.",
    "This one spent {weeks} weeks at number one back in {year}.",
    "You're listening to {genre} radio, and that was {artist} & {artist2}.",
    "Fun fact: {title} was recorded in just {hours} hours in {city}.",
    "{artist} plays {city} on {weekday}, and tickets start at ${price}.",
    "A classic from the {decade}: {title} by {artist}.",
    "{artist} vs. {artist2}: which version of {title} do you prefer?",
    "That track is {minutes}:{seconds:02d} long, and every second counts.",
    "Their {ordinal} single, {title}, climbed {climb} places to number {position}.",
    "Over {millions} million streams for {title} since it came out in {year}.",
    "Next, the {ordinal} track from {album}, called {title}.",
    "It's {clock} on a {weekday} morning, and here's some {genre} to wake you up.",
    "{artist} is up {percent}% in listens this month.",
    "Still to come: {artist}, {artist2}, and a brand new song from {artist3}.",
    "This is {title}, a {genre} cover of a song from {year}.",
    "Turn it up! {title} by {artist}!",
    "Did you know {artist} started out busking in {city}?",
    "Here's a request from a listener in {city}: {title}, by {artist}.",
    "We're {percent} percent through the countdown, with {remaining} songs to go.",
    "{album} turns {anniversary} this year, so here's {title}.",
    "The {decade} called, and they want {title} back.",
    "Straight out of {city}, it's {artist} with {title}.",
    "That's {count} plays and counting for {artist} today.",
    "Chart position {position}, up from {position2} last week: {title}.",
    "Stay tuned, the top {top} countdown starts at {clock}.",
)


def _artist(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if kind < 0.85:
        return f"The {rng.choice(_BAND_A)} {rng.choice(_BAND_B)}"
    return f"{rng.choice(_BAND_A)} {rng.choice(_BAND_B)}"


def _fields(rng: random.Random) -> dict[str, object]:
    year = rng.choice([rng.randint(1955, 1999), rng.randint(2000, 2026)])
    return {
        "artist": _artist(rng), "artist2": _artist(rng), "artist3": _artist(rng),
        "title": rng.choice(_TITLE), "album": rng.choice(_ALBUM), "genre": rng.choice(_GENRE),
        "city": rng.choice(_CITY), "year": year, "position": rng.randint(1, 100), "position2": rng.randint(1, 100),
        "count": f"{rng.randint(1000, 9_999_999):,}", "weeks": rng.randint(2, 19), "hours": rng.randint(2, 72),
        "time": f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])}{rng.choice(['am', 'pm'])}",
        "clock": f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}", "month": rng.choice(_MONTH),
        "day_of_month": rng.randint(1, 28), "weekday": rng.choice(_DAY), "price": f"{rng.randint(15, 120)}.{rng.choice(['00', '50', '99'])}",
        "decade": f"{rng.choice(['60', '70', '80', '90'])}s" if rng.random() < 0.5 else f"19{rng.choice(['60', '70', '80', '90'])}s",
        "minutes": rng.randint(1, 9), "seconds": rng.randint(0, 59),
        "ordinal": rng.choice(["1st", "2nd", "3rd", "4th", "5th", "11th", "12th", "21st"]),
        "climb": rng.randint(2, 40), "millions": f"{rng.randint(1, 900)}.{rng.randint(1, 9)}",
        "percent": rng.randint(5, 95), "remaining": rng.randint(3, 40), "anniversary": rng.randint(10, 50),
        "top": rng.choice([10, 20, 40, 100]),
    }


def music_lines(count: int, seed: int) -> list[str]:
    """`count` distinct lines, the same for the same seed."""
    rng = random.Random(seed)
    lines: dict[str, None] = {}
    while len(lines) < count:
        lines[rng.choice(_TEMPLATES).format(**_fields(rng))] = None
    return list(lines)
