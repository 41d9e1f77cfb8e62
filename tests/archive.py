"""A made-up news archive of any size, for tests where size matters (hundreds of chunks).

Every article is about one invented town and states facts no other article states, so a
question about it has one right answer; the words are drawn from small lists by a seeded
generator, so the archive is the same on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SYLLABLES = ["bar", "ven", "tol", "mira", "dun", "kes", "lor", "ana", "pel", "quin", "sor", "tam",
             "ul", "vik", "wen", "zar", "hol", "ith", "mor", "cal"]
TOPICS = [
    ("harbour", "the harbour authority", "fishing boats"),
    ("library", "the library board", "reading rooms"),
    ("railway", "the regional railway", "night trains"),
    ("hospital", "the district hospital", "surgical beds"),
    ("festival", "the festival committee", "music stages"),
    ("school", "the school council", "new classrooms"),
    ("bridge", "the public works office", "steel girders"),
    ("market", "the market traders' union", "covered stalls"),
]
FILLER = [
    "Residents gathered in the square to hear the announcement.",
    "Officials said the plan had been discussed for several months.",
    "Local shopkeepers welcomed the news but asked for clearer timetables.",
    "The opposition called for an independent review of the costs.",
    "A spokesperson promised regular updates on the town website.",
    "Weather delays earlier in the year had pushed the schedule back.",
    "Neighbouring towns are watching the project closely.",
    "Volunteers handed out leaflets explaining the changes.",
    "The mayor thanked the staff who had worked through the winter.",
    "Critics argued that the money could have been spent on roads.",
]


@dataclass(frozen=True)
class Fact:
    town: str
    topic: str
    count: int
    budget: int

    @property
    def question(self) -> str:
        return f"How many {TOPICS_BY_NAME[self.topic][2]} does {self.town} plan to add?"

    @property
    def answer(self) -> str:
        return f"{self.count} {TOPICS_BY_NAME[self.topic][2]}"


TOPICS_BY_NAME = {t[0]: t for t in TOPICS}


def town_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def article(rng: random.Random, n: int, day: date) -> tuple[str, Fact]:
    town = town_name(rng) + f"{'aeiou'[n % 5]}n"  # the suffix keeps invented towns apart
    topic, body, thing = TOPICS[n % len(TOPICS)]
    fact = Fact(town, topic, rng.randint(11, 95), rng.randint(2, 90))
    lines = [f"{town} {topic} plan approved", "",
             f"{town} will add {fact.count} {thing} under a plan approved by {body} on Tuesday.",
             f"The {topic} project in {town} is budgeted at {fact.budget} million euros."]
    lines += [" ".join(rng.sample(FILLER, 4)) for _ in range(10)]
    lines.append(f"Work in {town} is expected to start on {day + timedelta(days=30):%d %B %Y}.")
    return "---\n" + f"date: {day.isoformat()}\n---\n" + "\n".join(lines) + "\n", fact


def write_archive(folder: Path, articles: int, seed: int = 1, prefix: str = "town") -> list[Fact]:
    """`articles` markdown articles in `folder` (about four chunks each); returns their facts."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    facts = []
    for n in range(articles):
        text, fact = article(rng, n, date(2024, 1, 1) + timedelta(days=n % 60))
        (folder / f"{prefix}-{seed}-{n:04d}.md").write_text(text, encoding="utf-8")
        facts.append(fact)
    return facts
