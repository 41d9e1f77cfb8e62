"""The answerer adapters behind the `Answerer` seam: quoted answers (extractive, or checked by a
language model) and written ones (a model writes from the quotes; every sentence is checked).

Both start the same way: the generator drafts the claims, `verify` keeps those the passages back,
and an answer whose support is below the threshold is an abstention."""

from __future__ import annotations

import re
from typing import Iterator

from .base import Answerer, Asked, Claim, Draft, Generator, Part
from .compose import WrittenText, compose, compose_disagreement, compose_overview, compose_timeline
from .rules import MODEL_DOUBT, explaining, overview
from .spans import leading
from .verify import verified
from .written import WrittenAnswerer, arrange

# A question asking for a thing (a name, a figure, a day, a place, a span of time), not why or how.
THING_ASKED = re.compile(r"^\W*(?:and\s+|so\s+)?(?:who|whom|whose|what|which|when|where|how\s+(?:many|much|long|old|"
                         r"far|big|large|often|tall|high|deep|soon|fast))\b", re.I)
PHRASE_WORDS = 8  # a longer phrase is no answer of its own: the quote says it


def lead_of(question: str, claims: list[Claim]) -> tuple[str, Claim] | None:
    """The phrase the answer leads with and the claim it is part of: the reader's phrase in the
    best claim, when the question asks for a thing and the phrase is short; else the first phrase
    the span rules find (`spans.leading`); None when neither has one."""
    best = claims[0]
    phrase = (best.phrase or "").strip(" ,.;:\"'“”")
    if phrase and THING_ASKED.search(question) and not explaining(question) and \
            len(phrase.split()) <= PHRASE_WORDS and phrase != best.text.strip():
        return phrase, best
    lead = leading(question, [c.text for c in claims])
    return (lead[1], claims[lead[0]]) if lead else None


def drafted(generator: Generator, asked: Asked) -> Draft:
    """The generator's draft, its sentences read against `asked.query`."""
    if not asked.hits:
        return Draft([], 0.0)
    return generator.draft(asked.question, asked.query, asked.hits, asked.vector, asked.time)


def supported(generator: Generator, asked: Asked, threshold: float) -> tuple[Draft, list]:
    """The draft and the claims of it the passages back; none when the draft's support is below
    the threshold (that is an abstention)."""
    draft = drafted(generator, asked)
    claims = verified(draft.claims, asked.hits)
    return draft, claims if claims and draft.support >= threshold else []


class QuotingAnswerer:
    """The draft's claims, quoted: as they stand in their passages, with the report's date for a
    question about the latest state, in date order for how a story developed, or newest first
    when the passages give different figures for what was asked."""

    def __init__(self, generator: Generator, threshold: float, mode: str = "extractive", model=None):
        self.generator, self.threshold, self.mode, self.model = generator, threshold, mode, model

    def warm_up(self) -> None:
        pass

    def answer(self, asked: Asked) -> Iterator[Part]:
        draft, claims = supported(self.generator, asked, self.threshold)
        if not claims:
            yield Part(support=draft.support, abstained=True)
            return
        others = verified(draft.disagreeing, asked.hits)
        if others:
            parts = compose_disagreement(claims, others)
        elif asked.time.developed and len({c.hit.article_id for c in claims}) > 1:
            parts = compose_timeline(claims)
        elif overview(asked.question) and len({c.hit.article_id for c in claims}) > 1:
            parts = compose_overview(claims)
        else:
            parts = compose(claims, asked.hits, dated=asked.time.latest or asked.time.earliest,
                            lead=lead_of(asked.question, claims))
        for text, citations in parts:
            yield Part(text, citations, draft.support)


class WritingAnswerer:
    """A language model writes from the draft's likeliest sentences; each sentence is shown as
    soon as it passed its check. When none did, the quote is given instead (it passed the
    threshold), with less support when the model found no answer in the evidence (below the
    threshold, that is an abstention)."""

    mode = "written"

    def __init__(self, generator: Generator, writer: WrittenAnswerer, threshold: float):
        self.generator, self.writer, self.threshold = generator, writer, threshold
        self.model = writer.model

    def warm_up(self) -> None:
        self.writer.warm_up()

    def answer(self, asked: Asked) -> Iterator[Part]:
        draft, claims = supported(self.generator, asked, self.threshold)
        if not claims:
            yield Part(support=draft.support, abstained=True)
            return
        evidence = arrange(draft.candidates or claims)
        text, dropped, doubted = WrittenText(evidence), [], False
        for sentence in self.writer.write(asked.question, evidence):
            if sentence.dropped:
                dropped.append(f"{sentence.text} ({sentence.dropped})")
                doubted = doubted or sentence.dropped == "the model found no answer"
                continue
            shown, citations = text.add(sentence.text, sentence.cites)
            yield Part(shown, citations, draft.support, dropped=tuple(dropped))
        if text.text:
            yield Part(text.text, text.citations, draft.support, dropped=tuple(dropped))
            return
        support = draft.support * (MODEL_DOUBT if doubted else 1.0)
        if support < self.threshold:
            yield Part(support=support, abstained=True, dropped=tuple(dropped))
            return
        last = None
        for shown, citations in compose(claims, asked.hits):
            last = Part(shown, citations, support, how="written, fell back to quotes", dropped=tuple(dropped))
        yield last


__all__ = ["Answerer", "QuotingAnswerer", "WritingAnswerer"]
