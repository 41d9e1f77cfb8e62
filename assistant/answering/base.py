"""The answering seams: a `Generator` drafts the claims an answer could make from the passages
found; an `Answerer` turns a question and its passages into the answer's growing parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

import numpy as np

from ..retrieval.when import TimeSense
from ..types import Citation, Hit


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the passage span it rests on."""

    text: str
    hit: Hit  # the passage it rests on
    start: int  # offsets of the supporting span inside hit.passage
    end: int
    score: float
    phrase: str | None = None  # the words of `text` the reader found answering the question


@dataclass(frozen=True)
class Draft:
    claims: list[Claim]
    support: float  # how well the best evidence answers the question, 0..1
    # The likeliest single sentences, best first, each scored as if it alone were the answer.
    candidates: list[Claim] = field(default_factory=list)
    # Nearly as likely sentences of other articles that give another figure for the same thing.
    disagreeing: list[Claim] = field(default_factory=list)


class Generator(Protocol):
    def draft(self, question: str, query: str, hits: list[Hit], query_vector: np.ndarray,
              time: TimeSense | None = None) -> Draft: ...


def close_to_best(ranked: list, n: int, margin: float) -> list:
    """The first `n` of a best-first list whose score is within `margin` of the best's."""
    return [x for x in ranked[:n] if x.score >= ranked[0].score - margin]




@dataclass(frozen=True)
class Asked:
    """What an answerer is given: the question (without the dates the search already filtered
    on), the passages found, the question's time, and what quoted sentences are read against:
    the question's own words when it says enough on its own, else the query a follow-up was
    rewritten into (`rules.coverage_terms`), with its vector."""

    question: str
    query: str
    hits: list[Hit]
    vector: np.ndarray
    time: TimeSense


@dataclass(frozen=True)
class Part:
    """The answer as it stands after one more step; `abstained` parts carry no text of their own
    (the assistant says what it looked for)."""

    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    support: float = 0.0
    abstained: bool = False
    how: str = ""  # how it was made, when not the answerer's own mode ("written, fell back to quotes")
    dropped: tuple[str, ...] = ()  # written sentences the check withheld, and why


class Answerer(Protocol):
    mode: str  # extractive, checked or written
    model: object | None  # the language model it uses (a ChatModel), if any

    def answer(self, asked: Asked) -> Iterator[Part]: ...

    def warm_up(self) -> None: ...
