"""The sentence scorer: what a reader can tell about a candidate sentence (its features), and the
weights, fitted on question sets made from the training data (never a development set), that turn
them into the sentence's score.

The weights live in `scorer.json` beside this file (its card: `scorer.md`), written by
`assistant train scorer --data DIR` (`measure.training_sets` makes the sets, `measure.sentences`
fits them; see the docs, Benchmarks, "The sentence scorer"). They are a conditional logit (a
softmax over each question's sentences, so the fit learns which sentence of a question holds the
answer, not how many do),
then mapped linearly onto the scale of the hand-set score (`rules.sentence_score`: the same mean
and spread), so that the margins and the abstention threshold keep their meaning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..types import Hit
from .rules import SHORTLIST, TYPED_BONUS, about_else, coverage, negation_unmatched, sentence_score

FEATURES = ("dense", "coverage", "typed", "title_coverage", "context_coverage", "rank", "lede", "position",
            "age", "undated", "grounded", "negation", "length")
WEIGHTS = Path(__file__).with_name("scorer.json")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a passage, with what the reader knows of it before any embedding."""

    hit: int  # index of its passage among the hits
    start: int  # offsets inside the passage
    end: int
    terms: set[str]
    typed: float  # 1.0 when it holds the kind of thing asked (a figure, a date, a name, the reporter's report)
    previous: set[str]  # the terms of the sentence before it in the same passage


def lexical_order(covered: np.ndarray, typed: np.ndarray, hits: np.ndarray, n: int | None = SHORTLIST) -> np.ndarray:
    """The `n` lexically likeliest sentences (all for None), best first: the share of the
    question's terms each holds, plus a little when it holds the kind asked; ties go to the
    sentence of the better passage. Embedding costs the most: only these are embedded."""
    return np.lexsort((hits, -(np.asarray(covered) + TYPED_BONUS * np.asarray(typed))))[:n]


def newest_day(hits: list[Hit]) -> date | None:
    """The publication day of the newest dated passage."""
    days = [_day(h.published) for h in hits if h.published]
    return max((d for d in days if d), default=None)


def _day(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def feature_row(c: Candidate, dense: float, q_terms: set[str], title_terms: set[str], hits: list[Hit],
                question: str, query: str, text: str, newest: date | None) -> list[float]:
    """The candidate's features, in the order of FEATURES. `age` counts the days since the newest
    passage found was published (not since today), so an old archive scores as a new one does."""
    hit = hits[c.hit]
    day = _day(hit.published)
    days = (newest - day).days if day and newest else 0
    return [dense, coverage(q_terms, c.terms), c.typed, coverage(q_terms, c.terms | title_terms),
            coverage(q_terms, c.terms | c.previous | title_terms), float(c.hit),
            float(hit.start + c.start == 0), math.log1p((hit.start + c.start) / 100), math.log1p(max(days, 0)),
            float(day is None), float(about_else(query, f"{hit.title}\n{hit.passage}")),
            float(negation_unmatched(question, text)), math.log1p(len(text))]


@dataclass(frozen=True)
class Scorer:
    """Scores feature rows: a fitted linear model, or (without weights) the hand-set mix."""

    weights: np.ndarray | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    slope: float = 1.0  # the linear map from the model's logit onto the hand-set score's scale
    offset: float = 0.0

    def score(self, rows: np.ndarray) -> np.ndarray:
        if self.weights is None:
            return hand_set(rows)
        return self.slope * (((rows - self.mean) / self.scale) @ self.weights) + self.offset

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "weights": _rounded(self.weights), "mean": _rounded(self.mean),
                "scale": _rounded(self.scale), "slope": round(self.slope, 6), "offset": round(self.offset, 6)}

    @classmethod
    def from_dict(cls, data: dict) -> "Scorer":
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"the scorer's features {data['features']} are not {list(FEATURES)}; fit it again")
        return cls(np.asarray(data["weights"]), np.asarray(data["mean"]), np.asarray(data["scale"]),
                   float(data["slope"]), float(data["offset"]))


def hand_set(rows: np.ndarray) -> np.ndarray:
    """The hand-set score: similarity mixed with term coverage, plus a little for the kind asked."""
    i = FEATURES.index
    return sentence_score(rows[:, i("dense")], rows[:, i("coverage")] + TYPED_BONUS * rows[:, i("typed")])


def _rounded(a: np.ndarray | None) -> list[float] | None:
    return None if a is None else [round(float(v), 6) for v in a]


@lru_cache(maxsize=4)
def load_scorer(path: Path = WEIGHTS) -> Scorer:
    """The fitted scorer shipped with the assistant (the hand-set one when no file is there)."""
    if not path.is_file():
        return Scorer()
    return Scorer.from_dict(json.loads(path.read_text()))


def fit(questions: list[tuple[np.ndarray, np.ndarray]], scale_on: np.ndarray | None = None, l2: float = 0.01,
        steps: int = 300, rate: float = 0.3) -> Scorer:
    """A conditional logit over each question's sentences (rows, labels "holds the answer"), on
    standardised features by gradient descent; questions with no sentence holding it teach
    nothing and are left out. The logit is then mapped onto the hand-set score's scale: the same
    mean and spread over the rows `scale_on` (default: every sentence)."""
    asked = [(x, y / y.sum()) for x, y in questions if len(x) and y.sum() > 0]
    every = np.concatenate([x for x, _ in questions if len(x)])
    mean, scale = every.mean(axis=0), every.std(axis=0) + 1e-9
    z = [((x - mean) / scale, y) for x, y in asked]
    w = np.zeros(every.shape[1])
    for _ in range(steps):
        gradient = np.zeros_like(w)
        for zx, y in z:
            s = zx @ w
            p = np.exp(s - s.max())
            gradient += zx.T @ (p / p.sum() - y)
        w -= rate * (gradient / len(z) + l2 * w)
    rows = every if scale_on is None else scale_on
    logit, hand = ((rows - mean) / scale) @ w, hand_set(rows)
    slope = hand.std() / (logit.std() + 1e-9)
    return Scorer(w, mean, scale, float(slope), float(hand.mean() - slope * logit.mean()))
