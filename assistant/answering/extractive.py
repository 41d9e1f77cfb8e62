"""The default generator: the passages' sentences that best answer the question, quoted; no language model."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from ingest.encoders import Encoder
from ingest.text import sentence_spans, term_set, term_sets

from ..retrieval.when import TimeSense
from ..types import Hit
from .actors import others_act, reporter_asked, reports
from .base import Claim, Draft, close_to_best
from .rules import (
    ANCHORED_BONUS,
    ENDS_SENTENCE,
    EXPLAIN_CLAIMS,
    EXPLAIN_MARGIN,
    FOLLOW_MARGIN,
    LATEST_MARGIN,
    NUMBER,
    OTHER_REPORT_MARGIN,
    READ_PASSAGES,
    READER_SHORTLIST,
    REDUNDANT,
    SHORTLIST,
    TIMELINE_REPORTS,
    TYPED_MARGIN,
    answer_type,
    coverage,
    explaining,
    grounded_score,
    has_type,
    overview,
    quotable,
    quotable_spans,
)
from .scorer import FEATURES, Candidate, Scorer, feature_row, lexical_order, load_scorer, newest_day
from .selector import Selector
from .sources import counted, counts_something_else, disagrees, tracked_measure
from .spans import anchored, answer_span, kind_asked, names_new, refers_back


@dataclass
class ScoredSentence:
    hit: int
    start: int
    end: int
    score: float
    typed: bool  # holds the kind of thing the question asks for
    phrase: tuple[int, int] | None = None  # where the reader found the answer's phrase, in the sentence


class ExtractiveGenerator:
    """Quotes the passage sentences that best match the question, best first, up to `max_claims`.

    A sentence's score weighs its features (`scorer.FEATURES`: embedding similarity to the
    question, the share of the question's terms it holds, alone and with its title and the
    sentence before it, whether it holds the kind of thing asked for, its place in the passage
    and the article's, the article's age) by the fitted `scorer`; the best sentence's score is
    the draft's `support`, halved when
    its passage is about something else (`rules.about_else`), and once more for each of the
    other rules of `rules.grounded_score` (a negation asked and not said, an event counted and
    not told, the opposite of the question's word said). The draft also lists the
    `candidates` best sentences, each scored (and halved) as if it alone were the answer. With a
    `selector`, a language model's choice among the best sentences re-ranks them first.
    """

    def __init__(self, embedder: Encoder, passages: int = READ_PASSAGES, max_claims: int = 2, candidates: int = 0,
                 scorer: Scorer | None = None, selector: Selector | None = None, reader=None):
        self.embedder = embedder
        self.reader = reader  # the trained reader (`reader.reading.CachedReader`); None: the fitted scorer
        self.selector = selector
        self.scorer = scorer or load_scorer()
        self.candidates = candidates
        self.passages = passages
        self.max_claims = max_claims

    def draft(self, question: str, query: str, hits: list[Hit], query_vector: np.ndarray,
              time: TimeSense | None = None) -> Draft:
        hits = hits[: self.passages]
        scored = self.ranked(question, query, hits, query_vector)
        if not scored:
            return Draft([], 0.0)
        if self.selector is not None:
            scored = self.selector.reranked(question, scored, hits)
        wants = answer_type(question)
        claims = [self._claim(x, hits) for x in self._pick(scored, hits, question, wants)]  # the first is scored[0]
        if explaining(question):
            claims = self._explained(scored, hits, reporter_asked(question))
        if time is not None and time.developed:
            claims = self._timeline(scored, hits) or claims
        elif overview(question):
            claims = self._timeline(scored, hits) or claims
        elif time is not None and (time.latest or time.earliest):
            claims = self._newest(scored, hits, wants is not None, oldest=time.earliest) or claims
        claims = [self._named(question, c) for c in claims]
        grounded = [self._grounded(question, query, self._claim(x, hits))
                    for x in scored[:max(1, self.candidates)]]
        disagreeing = self._disagreeing(question, claims, scored, hits) if wants is NUMBER else []
        support = grounded[0].score
        if anchored(question, grounded[0].text):
            support += ANCHORED_BONUS
        return Draft(claims, support, grounded[:self.candidates], disagreeing)

    def ranked(self, question: str, query: str, hits: list[Hit], query_vector: np.ndarray) -> list[ScoredSentence]:
        """The shortlisted sentences of the passages, scored, best first."""
        if self.reader is not None:
            return self.read(question, query, hits)
        candidates, rows = self.features(question, query, hits, query_vector)
        return sorted((ScoredSentence(c.hit, c.start, c.end, float(s), bool(c.typed))
                       for c, s in zip(candidates, self.scorer.score(rows))), key=lambda x: -x.score)

    def read(self, question: str, query: str, hits: list[Hit]) -> list[ScoredSentence]:
        """The passages' sentences (the `READER_SHORTLIST` lexically likeliest), each scored by the
        reader's probability that it holds the answer, best first."""
        candidates = self._shortlisted(question, query, hits, READER_SHORTLIST)
        readings = self.reader.read(question, [hits[c.hit].passage[c.start:c.end] for c in candidates])
        return sorted((ScoredSentence(c.hit, c.start, c.end, r.holds, bool(c.typed), r.phrase)
                       for c, r in zip(candidates, readings)), key=lambda x: -x.score)

    def _newest(self, scored: list[ScoredSentence], hits: list[Hit], typed: bool, oldest: bool = False) -> list[Claim]:
        """For a question about the latest state: of the sentences nearly as likely as the best
        (holding what is asked, when it asks for a figure, date or name), the newest report's
        (with `oldest`, for a question about the first report, the oldest's); an undated article
        never wins over a dated one."""
        near = [x for x in scored if x.score >= scored[0].score - LATEST_MARGIN and (x.typed or not typed)
                and hits[x.hit].published]
        if not near:
            return []
        if oldest:
            return [self._claim(min(near, key=lambda x: (hits[x.hit].published, -x.score)), hits)]
        return [self._claim(max(near, key=lambda x: (hits[x.hit].published, x.score)), hits)]

    def _explained(self, scored: list[ScoredSentence], hits: list[Hit], who: set[str]) -> list[Claim]:
        """For a why, how or position question: the best sentence and up to two more, nearly as
        likely, from any passage, each saying something the others do not; when the question asks
        what someone says (`who`), none more that gives its acts to others only ("the French
        authorities had always rejected ..." under "What does the junta say?")."""
        picked: list[ScoredSentence] = []
        said: set[str] = set()
        for x in scored:
            if len(picked) == EXPLAIN_CLAIMS or x.score < scored[0].score - EXPLAIN_MARGIN:
                break
            text = hits[x.hit].passage[x.start:x.end]
            terms = term_set(text)
            if picked and terms and len(terms & said) / len(terms) > REDUNDANT:
                continue
            if picked and who and others_act(text, who):
                continue
            picked.append(x)
            said |= terms
        return [self._claim(x, hits) for x in picked]

    def _timeline(self, scored: list[ScoredSentence], hits: list[Hit]) -> list[Claim]:
        """For a question about how a story developed: the best sentence of each dated article
        nearly as likely as the best, in date order; nothing when fewer than two articles are."""
        best: dict[str, ScoredSentence] = {}
        for x in scored:
            hit = hits[x.hit]
            if hit.published and x.score >= scored[0].score - OTHER_REPORT_MARGIN:
                best.setdefault(hit.article_id, x)
        if len(best) < 2:
            return []
        ordered = sorted(best.values(), key=lambda x: (hits[x.hit].published, -x.score))
        if len(ordered) > TIMELINE_REPORTS:  # the first report and the newest
            ordered = ordered[:1] + ordered[1 - TIMELINE_REPORTS:]
        claims = [self._claim(x, hits) for x in ordered]  # one per article
        counts = [counted(c.text) for c in claims]
        out = []
        for i, claim in enumerate(claims):
            out.append(claim)
            tracked = tracked_measure(counts[:i] + counts[i + 1:])
            measured = self._measured(claim, hits, tracked) if tracked and not tracked & counts[i] else None
            if measured is not None:
                out.append(measured)
        return out

    @staticmethod
    def _measured(claim: Claim, hits: list[Hit], tracked: set[str]) -> Claim | None:
        """The first sentence of `claim`'s article (the passages read) that gives a figure of what
        the other reports track ("The final burned area was put at 11,400 hectares." beside
        "declared the fire fully contained"), if any."""
        return next((Claim(hit.passage[s:e], hit, s, e, claim.score)
                     for hit in hits if hit.article_id == claim.hit.article_id
                     for s, e in sentence_spans(hit.passage)
                     if quotable(hit.passage, s, e) and (hit is not claim.hit or (s, e) != (claim.start, claim.end))
                     and tracked & counted(hit.passage[s:e])), None)

    def _disagreeing(self, question: str, claims: list[Claim], scored: list[ScoredSentence],
                     hits: list[Hit]) -> list[Claim]:
        """At most one sentence per other article, nearly as likely as the best, that counts the
        same thing as the answer with another figure."""
        best, seen = claims[0], {c.hit.article_id for c in claims}
        out = []
        for x in scored:
            article = hits[x.hit].article_id
            if article in seen or not x.typed or x.score < best.score - OTHER_REPORT_MARGIN:
                continue
            claim = self._claim(x, hits)
            if disagrees(" ".join(c.text for c in claims), claim.text, question):
                out.append(claim)
                seen.add(article)
        return out[:2]

    @staticmethod
    def _named(question: str, claim: Claim) -> Claim:
        """The claim with the sentence before it, when it refers to what is asked without naming
        it ("The comedian will return ...") and that sentence names what the question does not."""
        if not refers_back(question, claim.text):
            return claim
        passage = claim.hit.passage
        before = [(s, e) for s, e in sentence_spans(passage) if e <= claim.start]
        if not before:
            return claim
        start, end = before[-1]
        said = passage[start:end].rstrip()
        if not quotable(passage, start, end) or not ENDS_SENTENCE.search(said) or not names_new(question, said):
            return claim  # a title line (no end punctuation) or a lead-in is not the sentence before
        return replace(claim, text=" ".join(passage[start:claim.end].split()), start=start)

    @staticmethod
    def _claim(x: ScoredSentence, hits: list[Hit]) -> Claim:
        hit = hits[x.hit]
        text = hit.passage[x.start:x.end]
        phrase = text[x.phrase[0]:x.phrase[1]] if x.phrase else None
        return Claim(text, hit, x.start, x.end, x.score, phrase)

    @staticmethod
    def _grounded(question: str, query: str, claim: Claim) -> Claim:
        """The claim scored by the grounding rules (`rules.grounded_score`) against its passage."""
        hit = claim.hit
        return replace(claim, score=grounded_score(claim.score, question, query, claim.text,
                                                   f"{hit.title}\n{hit.passage}"))

    def _pick(self, scored: list[ScoredSentence], hits: list[Hit], question: str,
              wants: re.Pattern | None) -> list[ScoredSentence]:
        """The best sentence, the runner-up if nearly as good (not one of the same article that gives
        no date, name or place when the best gives the one asked; for a figure the best gives, unless
        its own figures count something else than the question and the best), and, when the question
        asks for a number, date or name that neither holds, the best sentence that does hold one."""
        best = scored[0]
        picked = close_to_best(scored, self.max_claims, FOLLOW_MARGIN)
        if len(picked) > 1 and kind_asked(question) in ("date", "name", "place") and \
                answer_span(question, self._claim(best, hits).text):
            # The best gives the date, name or place asked: a runner-up of the same article that
            # gives none adds nothing ("Zeine began by discussing the status of ... ambassadors").
            picked = [best] + [x for x in picked[1:] if hits[x.hit].article_id != hits[best.hit].article_id
                               or answer_span(question, self._claim(x, hits).text)]
        if best.typed and wants is NUMBER:
            said = self._claim(best, hits).text
            picked = [best] + [x for x in picked[1:]
                               if not counts_something_else(self._claim(x, hits).text, said, question)]
        if not any(x.typed for x in picked):
            holder = next((x for x in scored[1:] if x.typed and x.score >= best.score - TYPED_MARGIN), None)
            if holder is not None:
                picked = [best, holder]
        return picked

    def features(self, question: str, query: str, hits: list[Hit], query_vector: np.ndarray,
                 shortlist: int | None = SHORTLIST) -> tuple[list[Candidate], np.ndarray]:
        """The passages' sentences worth embedding (the `shortlist` lexically likeliest; all for
        None) and their feature rows (`scorer.FEATURES`)."""
        candidates = self._shortlisted(question, query, hits, shortlist)
        if not candidates:
            return [], np.zeros((0, len(FEATURES)))
        q_terms = term_set(query)
        texts = [hits[c.hit].passage[c.start:c.end] for c in candidates]
        dense = self.embedder.embed(texts) @ query_vector
        titles, newest = term_sets([h.title for h in hits]), newest_day(hits)
        rows = [feature_row(c, float(d), q_terms, titles[c.hit], hits, question, query, t, newest)
                for c, d, t in zip(candidates, dense, texts)]
        return candidates, np.array(rows, dtype=np.float64)

    def _shortlisted(self, question: str, query: str, hits: list[Hit], n: int | None) -> list[Candidate]:
        """The passages' quotable sentences, the `n` lexically likeliest (all for None), best first."""
        candidates = self._candidates(question, hits)
        if not candidates:
            return []
        q_terms = term_set(query)
        order = lexical_order([coverage(q_terms, c.terms) for c in candidates], [c.typed for c in candidates],
                              [c.hit for c in candidates], n)
        return [candidates[i] for i in order]

    @staticmethod
    def _candidates(question: str, hits: list[Hit]) -> list[Candidate]:
        wants = answer_type(question)
        who = reporter_asked(question)  # "What did Le Monde report?": what Le Monde is said to report is asked
        out = []
        for h, hit in enumerate(hits):
            spans = quotable_spans(hit.passage)
            texts = [hit.passage[s:e] for s, e in spans]
            previous: set[str] = set()
            for (s, e), text, terms in zip(spans, texts, term_sets(texts)):
                typed = float(bool(has_type(text, wants, question) or answer_span(question, text)
                                   or who and reports(text, who)))
                out.append(Candidate(h, s, e, terms, typed, previous))
                previous = terms
        return out


