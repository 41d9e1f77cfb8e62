"""Checked answers: the extractive answerer's likeliest sentences, each judged by a language model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..prompts import render
from ..retrieval.when import TimeSense
from ..types import Hit
from .base import Claim, Draft, Generator, close_to_best
from .rules import FOLLOW_MARGIN


class CheckedGenerator:
    """Another generator's likeliest sentences, each checked by a language model on its own.

    The model reads one candidate sentence (and its article's title) with the question and is
    asked whether it states the answer; a sentence's support becomes a mix of its extractive
    score and the model's P(Yes). The best-supported sentence is quoted, with the runner-up when
    it is nearly as well supported; the draft's support is the best one's. The inner draft's own
    answer, when it quotes several sentences, is judged as one text too (a figure in one
    sentence often needs its neighbour to say whose it is) and kept when it is the better
    supported. Whatever could not reach `threshold`, nor be quoted beside what is already chosen,
    even with a certain Yes is not shown to the model at all. The model never writes the answer:
    every word of it is still a quote, so every citation still holds.
    """

    def __init__(self, inner: Generator, model, weight: float = 0.6, threshold: float = 0.0,
                 max_claims: int = 2, follow_margin: float = FOLLOW_MARGIN):
        self.inner = inner
        self.model = model
        self.weight = weight
        self.threshold = threshold
        self.max_claims = max_claims
        self.follow_margin = follow_margin

    def draft(self, question: str, query: str, hits: list[Hit], query_vector: np.ndarray,
              time: TimeSense | None = None) -> Draft:
        draft = self.inner.draft(question, query, hits, query_vector, time)
        judged: list[Claim] = []
        for c in sorted(draft.candidates or draft.claims[:1], key=lambda c: -c.score):
            # Only what could still be quoted (best, or runner-up within the margin) is asked about.
            need = max((j.score for j in judged), default=0.0) - self.follow_margin
            judged.append(replace(c, score=self._supported([c], c.score, query, hits, need)))
        judged.sort(key=lambda c: -c.score)
        if not judged:
            return Draft([], 0.0)
        claims, support = close_to_best(judged, self.max_claims, self.follow_margin), judged[0].score
        if len(draft.claims) > 1:
            together = self._supported(draft.claims, draft.support, query, hits, support)
            if together > support:
                claims, support = draft.claims, together
        return Draft(claims, support, judged)

    def _supported(self, evidence: list[Claim], score: float, query: str, hits: list[Hit],
                   need: float = 0.0) -> float:
        """`score` mixed with the model's belief that the evidence, read as one text, states the
        answer; the model is not asked when even a certain Yes would not reach the threshold or
        `need`."""
        yes = 0.0  # what an unasked model counts as
        if self._support(score, 1.0) >= max(self.threshold, need):
            prompt = render("check", title=evidence[0].hit.title or "untitled",
                            evidence=" ".join(c.text for c in evidence), question=query).strip()
            yes = self.model.yes_probability(prompt)
        return self._support(score, yes)

    def _support(self, score: float, yes: float) -> float:
        return (1 - self.weight) * score + self.weight * yes
