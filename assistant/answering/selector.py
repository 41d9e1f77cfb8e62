"""The language model as a chooser, not a writer: it reads the reader's likeliest sentences,
numbered, with the question, and the probability it gives each number as the first token of its
reply is mixed into the sentences' scores. One read of one prompt; no text is written, so every
word of the answer is still a quote."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..models.base import LLMError
from ..prompts import render
from ..types import Hit

SELECT_CANDIDATES = 5  # sentences shown to the model, the reader's best first
SELECT_WEIGHT = 0.3  # how far a sentence the model does not choose falls behind the one it does
MAX_WORDS = 60  # a shown sentence is cut to this many words (the prompt stays short)


def numbered(sentences: Sequence[tuple[str, str]]) -> str:
    """The sentences as the prompt lists them: "1. (Title) text", the text cut at `MAX_WORDS`."""
    lines = []
    for n, (title, text) in enumerate(sentences, 1):
        words = text.split()
        shown = " ".join(words[:MAX_WORDS]) + (" ..." if len(words) > MAX_WORDS else "")
        lines.append(f"{n}. ({title.strip() or 'untitled'}) {shown}")
    return "\n".join(lines)


def select_prompt(question: str, sentences: Sequence[tuple[str, str]]) -> str:
    return render("select", sentences=numbered(sentences), question=question.strip()).strip()


def mixed(scores: Sequence[float], shares: Sequence[float], weight: float) -> list[float]:
    """Each shown sentence's score moved by the model's share: the chosen one keeps its score,
    another falls behind by `weight` times how much less the model gave it. Sentences not shown
    (beyond `shares`) fall behind as one given nothing."""
    top = max(shares, default=0.0)
    return [s + weight * ((shares[i] if i < len(shares) else 0.0) - top) for i, s in enumerate(scores)]


class Selector:
    """Shows the `candidates` best-scored sentences to `model` (a ChatModel) in one prompt and
    re-ranks every sentence by the mix (`mixed`); the abstention threshold still reads a
    sentence's own score, which the model can lower but never raise."""

    def __init__(self, model, weight: float = SELECT_WEIGHT, candidates: int = SELECT_CANDIDATES):
        self.model, self.weight, self.candidates = model, weight, candidates

    def shares(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[float]:
        """The model's share for each (title, text), in order."""
        if len(sentences) < 2:
            return [1.0] * len(sentences)
        choose = getattr(self.model, "choice_shares", None)
        if choose is None:
            raise LLMError(f"{getattr(self.model, 'name', type(self.model).__name__)} cannot choose among "
                           "sentences (it has no choice_shares); use ASSISTANT_ANSWERER=checked or extractive")
        labels = [str(n) for n in range(1, len(sentences) + 1)]
        return list(choose(select_prompt(question, sentences), labels))

    def reranked(self, question: str, scored: list, hits: list[Hit]) -> list:
        """`scored` (best first; each with .hit, .start, .end, .score) re-scored and re-sorted."""
        shown = scored[: self.candidates]
        shares = self.shares(question, [(hits[x.hit].title or "", hits[x.hit].passage[x.start:x.end])
                                        for x in shown])
        scores = mixed([x.score for x in scored], shares, self.weight)
        return sorted((replace(x, score=s) for x, s in zip(scored, scores)), key=lambda x: -x.score)
