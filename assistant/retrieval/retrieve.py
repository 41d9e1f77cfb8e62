"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, filtered, diversified."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import replace
from itertools import zip_longest

import numpy as np

from ingest.encoders import Encoder
from ingest.store import Filters, Index, LexicalSnapshot, StoredChunk, chunk_id, day_number

from ..settings import RetrievalSettings
from ..types import Hit
from .rerank import Reranker

log = logging.getLogger(__name__)

__all__ = ["Filters", "Retriever", "diversify", "merge_adjacent"]


class Retriever:
    """Dense + lexical candidates, fused by weighted RRF, re-ranked, then spread across articles."""

    def __init__(self, index: Index, embedder: Encoder, settings: RetrievalSettings,
                 reranker: Reranker | None = None):
        self.index = index
        self.embedder = embedder
        self.lexical = index.lexical
        self.reranker = reranker
        self.dense_weight = settings.dense_weight
        self.lexical_weight = settings.lexical_weight
        self.candidates = settings.candidates
        self.per_article = settings.per_article
        self.rrf_k = settings.rrf_k
        self.lede_weight = settings.lede_weight
        self.recency_weight = settings.recency_weight
        self.article_weight = settings.article_weight

    def refresh(self) -> bool:
        """Catch up with what any process committed since the last look (`Index.refresh`)."""
        return self.index.refresh()

    def dated_near(self, since: str | None, until: str | None, slack_days: int = 31) -> bool:
        """Whether any article of the archive was published within `slack_days` of the period."""
        days = self.lexical.current().days
        low = day_number(since) - slack_days if since else 0
        high = day_number(until) + slack_days if until else 1 << 30
        return bool(np.any((days >= max(low, 0)) & (days <= high)))

    def watch(self, seconds: float) -> threading.Thread:
        """Refresh every `seconds` in a daemon thread, for as long as this retriever is in use."""
        thread = threading.Thread(target=_watch, args=(weakref.ref(self), seconds), daemon=True,
                                  name="archive-refresh")
        thread.start()
        return thread

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               query_vector: np.ndarray | None = None, merge: bool = True) -> list[Hit]:
        filters = filters or Filters()
        snapshot = self.lexical.current()
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        asked, n = self._dense_filters(snapshot, filters)
        dense = self.index.query(query_vector, n, asked)
        dense = [(chunk, score) for chunk, score in dense if filters.allows(chunk)][:self.candidates]
        lexical = snapshot.search(query, self.candidates, filters)
        ledes = self._lede_ids(dense, lexical)
        known = {chunk.id: chunk for chunk, _ in dense}
        known.update(self.index.chunks([i for i in [cid for cid, _, _ in lexical] + ledes if i not in known]))
        rankings = [(self.dense_weight, [chunk for chunk, _ in dense]),
                    (self.lexical_weight, [known[cid] for cid, _, _ in lexical if cid in known]),
                    (self.lede_weight, [known[cid] for cid in ledes if cid in known and filters.allows(known[cid])])]
        fused = self._fuse(rankings)
        priors = self._priors(fused)
        if priors:
            fused = self._fuse(rankings + priors)
        fused = [hit_from_chunk(chunk, score) for chunk, score in fused]
        if self.reranker is not None:
            fused = self.reranker.rerank(query, fused)
        top = diversify(fused, k, self.per_article)
        return merge_adjacent(top) if merge else top

    def _dense_filters(self, snapshot: LexicalSnapshot, filters: Filters) -> tuple[Filters, int]:
        """What Chroma is asked to filter, and for how many passages. The reference date alone
        costs Chroma a filtered search, several times slower than a plain one; when it leaves out
        at most half of the archive, a plain search for proportionally more passages is filtered
        here instead (and whatever arrived since the snapshot is filtered here too)."""
        if not filters.as_of or filters.since or filters.until or filters.articles:
            return filters, self.candidates
        days = snapshot.days
        newer = float(np.mean(days > day_number(filters.as_of))) if len(days) else 0.0
        if newer > 0.5:
            return filters, self.candidates
        wanted = int(np.ceil(self.candidates / (1 - newer) * 1.2)) if newer else self.candidates
        return replace(filters, as_of=None), wanted

    def _lede_ids(self, dense, lexical) -> list[str]:
        """First chunks of the candidates' articles, in the order the articles first appear:
        news puts its key facts in the lede, so a matching article's lede is a candidate too."""
        if not self.lede_weight:
            return []
        dense_articles = [chunk.article_id for chunk, _ in dense]
        lexical_articles = [article for _, _, article in lexical]
        by_rank = [a for pair in zip_longest(dense_articles, lexical_articles) for a in pair if a is not None]
        return [chunk_id(article, 0) for article in dict.fromkeys(by_rank)]

    def _fuse(self, rankings) -> list[tuple[StoredChunk, float]]:
        """Weighted reciprocal rank fusion of (weight, chunks best first) rankings; scores are
        shares of what first place in both the dense and the lexical ranking would give."""
        scores: dict[str, float] = {}
        chunks: dict[str, StoredChunk] = {}
        for weight, ranked in rankings:
            for rank, chunk in enumerate(ranked):
                scores[chunk.id] = scores.get(chunk.id, 0.0) + weight / (self.rrf_k + rank + 1)
                chunks[chunk.id] = chunk
        best = (self.dense_weight + self.lexical_weight) / (self.rrf_k + 1)
        return [(chunks[cid], scores[cid] / best) for cid in sorted(scores, key=lambda cid: -scores[cid])]

    def _priors(self, fused: list[tuple[StoredChunk, float]]) -> list:
        """Further rankings of the fused candidates, when asked for: newest first (dated ones only;
        nothing after the reference date is a candidate), and by their article's summed score (an
        article several of whose passages match ranks its passages higher)."""
        priors = []
        if self.recency_weight:
            dated = sorted((chunk for chunk, _ in fused if chunk.published), key=lambda c: c.published, reverse=True)
            priors.append((self.recency_weight, dated))
        if self.article_weight:
            total: dict[str, float] = {}
            for chunk, score in fused:
                total[chunk.article_id] = total.get(chunk.article_id, 0.0) + score
            by_article = sorted(fused, key=lambda pair: (-total[pair[0].article_id], -pair[1]))
            priors.append((self.article_weight, [chunk for chunk, _ in by_article]))
        return priors


def _watch(retriever_ref, seconds: float) -> None:
    failures = 0
    while True:
        time.sleep(seconds)
        retriever = retriever_ref()
        if retriever is None:
            return  # nobody asks this archive anything any more
        try:
            retriever.refresh()
            failures = 0
        except Exception as exc:  # a store that is briefly away must not end the watch
            failures += 1
            if failures in (1, 100):
                log.warning("could not check the archive for new articles: %s", exc)
        del retriever


def hit_from_chunk(chunk: StoredChunk, score: float) -> Hit:
    return Hit(
        id=chunk.id, article_id=chunk.article_id, title=chunk.title, source=chunk.url or chunk.source,
        url=chunk.url, published=chunk.published, passage=chunk.text, start=chunk.start, end=chunk.end,
        score=float(score), chunks=(chunk.chunk,), spans=((chunk.start, chunk.end),),
        also_sources=chunk.also_sources,
    )


def diversify(hits: list[Hit], k: int, per_article: int) -> list[Hit]:
    """Top k, at most `per_article` from one article while others are waiting."""
    picked, held = [], []
    counts: dict[str, int] = {}
    for hit in hits:
        if counts.get(hit.article_id, 0) < per_article:
            picked.append(hit)
            counts[hit.article_id] = counts.get(hit.article_id, 0) + 1
        else:
            held.append(hit)
        if len(picked) >= k:
            return picked
    return (picked + held)[:k]


def merge_adjacent(hits: list[Hit]) -> list[Hit]:
    """Adjacent or overlapping chunks of one article become one passage, at the better rank."""
    out: list[Hit] = []
    for hit in hits:
        for i, kept in enumerate(out):
            if kept.article_id == hit.article_id and hit.start <= kept.end + 1 and kept.start <= hit.end + 1:
                out[i] = _join(kept, hit)
                break
        else:
            out.append(hit)
    return out


def _join(a: Hit, b: Hit) -> Hit:
    first, second = (a, b) if a.start <= b.start else (b, a)
    if second.end <= first.end:
        text = first.passage
    else:
        gap = "" if second.start <= first.end else " "
        text = first.passage + gap + second.passage[max(0, first.end - second.start):]
    return replace(a, passage=text, start=first.start, end=max(a.end, b.end),
                   chunks=tuple(sorted(set(a.chunks + b.chunks))), score=max(a.score, b.score),
                   spans=tuple(sorted(set(a.spans + b.spans))))
