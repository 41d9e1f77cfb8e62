"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, filtered, diversified."""

from __future__ import annotations

import threading
from itertools import zip_longest
from dataclasses import dataclass, replace

import numpy as np

from ingest.chunking import embedding_text
from ingest.embedder import Embedder
from ingest.index import Index, StoredChunk, day_number

from .rerank import RRF_K, Reranker
from .types import Hit


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    articles: tuple[str, ...] = ()  # article ids or sources (paths/URLs)

    def where(self) -> dict | None:
        """The same filters as a Chroma `where` clause."""
        clauses = []
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
            if not self.since:
                clauses.append({"published_day": {"$gte": 0}})  # undated articles are out of range
        if self.articles:
            ids = list(self.articles)
            clauses.append({"$or": [{"article_id": {"$in": ids}}, {"source": {"$in": ids}},
                                    {"url": {"$in": ids}}]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, meta: dict) -> bool:
        day = meta.get("published_day", -1)
        if self.since and day < day_number(self.since):
            return False
        if self.until and (day < 0 or day > day_number(self.until)):
            return False
        if self.articles:
            keys = {meta.get("article_id"), meta.get("source"), meta.get("url")}
            return bool(keys & set(self.articles))
        return True


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    stemmer = _stemmer()
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer.stemWords, return_ids=False,
                          show_progress=False)


_STEMMER = threading.local()


def _stemmer():
    import Stemmer

    if not hasattr(_STEMMER, "value"):
        _STEMMER.value = Stemmer.Stemmer("english")  # not thread-safe: one per thread
    return _STEMMER.value


class LexicalIndex:
    """BM25 over every chunk (title + date + text), rebuilt when the collection's generation moves."""

    def __init__(self, index: Index, with_title: bool = True):
        self.index = index
        self.with_title = with_title
        self.generation: int | None = None
        self.chunks: list[StoredChunk] = []
        self.positions: dict[str, int] = {}
        self._bm25 = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        generation = self.index.generation()
        if generation == self.generation:
            return
        with self._lock:
            if generation == self.generation:
                return
            import bm25s

            chunks = self.index.all_chunks()
            texts = [embedding_text(c.meta.get("title", ""), c.text, c.meta.get("published") or None)
                     if self.with_title else c.text for c in chunks]
            bm25 = bm25s.BM25()
            if chunks:
                bm25.index(tokenize(texts), show_progress=False)
            self.chunks, self._bm25 = chunks, bm25
            self.positions = {c.id: i for i, c in enumerate(chunks)}
            self.generation = generation

    def chunk(self, chunk_id: str) -> StoredChunk | None:
        position = self.positions.get(chunk_id)
        return None if position is None else self.chunks[position]

    def scores(self, query: str) -> np.ndarray:
        self.refresh()
        tokens = tokenize([query])[0]
        if not self.chunks or not tokens:
            return np.zeros(len(self.chunks))
        return self._bm25.get_scores(tokens)

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[StoredChunk, float]]:
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")
        out = []
        for i in order:
            if scores[i] <= 0 or len(out) >= k:
                break
            if filters.allows(self.chunks[i].meta):
                out.append((self.chunks[i], float(scores[i])))
        return out


class Retriever:
    """Dense + lexical candidates, fused by weighted RRF, re-ranked, then spread across articles."""

    def __init__(self, index: Index, embedder: Embedder, reranker: Reranker | None = None,
                 dense_weight: float = 1.0, lexical_weight: float = 1.0, candidates: int = 50,
                 per_article: int = 2, rrf_k: int = RRF_K, lede_weight: float = 0.0,
                 lexical_title: bool = True):
        self.index = index
        self.embedder = embedder
        self.lexical = LexicalIndex(index, lexical_title)
        self.reranker = reranker
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.candidates = candidates
        self.per_article = per_article
        self.rrf_k = rrf_k
        self.lede_weight = lede_weight

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        filters = filters or Filters()
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        dense = self.index.query(query_vector, self.candidates, filters.where())
        lexical = self.lexical.search(query, self.candidates, filters)
        fused = self._fuse(dense, lexical, self._ledes(dense, lexical, filters))
        if self.reranker is not None:
            fused = self.reranker.rerank(query, fused)
        return merge_adjacent(diversify(fused, k, self.per_article))

    def _ledes(self, dense, lexical, filters: Filters) -> list[tuple[StoredChunk, float]]:
        """First chunks of the candidates' articles, in the order the articles first appear:
        news puts its key facts in the lede, so a matching article's lede is a candidate too."""
        if not self.lede_weight:
            return []
        seen, out = set(), []
        by_rank = [found[0] for pair in zip_longest(dense, lexical) for found in pair if found is not None]
        for chunk in by_rank:
            article = chunk.meta.get("article_id")
            if article in seen:
                continue
            seen.add(article)
            lede = self.lexical.chunk(f"{article}:0")
            if lede is not None and filters.allows(lede.meta):
                out.append((lede, 0.0))
        return out

    def _fuse(self, dense, lexical, ledes=()) -> list[Hit]:
        scores: dict[str, float] = {}
        chunks: dict[str, StoredChunk] = {}
        for weight, ranked in ((self.dense_weight, dense), (self.lexical_weight, lexical),
                               (self.lede_weight, ledes)):
            for rank, (chunk, _) in enumerate(ranked):
                scores[chunk.id] = scores.get(chunk.id, 0.0) + weight / (self.rrf_k + rank + 1)
                chunks[chunk.id] = chunk
        best = (self.dense_weight + self.lexical_weight) / (self.rrf_k + 1)
        ranked = sorted(scores, key=lambda cid: -scores[cid])
        return [hit_from_chunk(chunks[cid], scores[cid] / best) for cid in ranked]


def hit_from_chunk(chunk: StoredChunk, score: float) -> Hit:
    m = chunk.meta
    return Hit(
        id=chunk.id,
        article_id=m.get("article_id", ""),
        title=m.get("title", ""),
        source=m.get("url") or m.get("source", ""),
        url=m.get("url") or None,
        published=m.get("published") or None,
        passage=chunk.text,
        start=int(m.get("start", 0)),
        end=int(m.get("end", len(chunk.text))),
        score=float(score),
        chunks=(int(m.get("chunk", 0)),),
        spans=((int(m.get("start", 0)), int(m.get("end", len(chunk.text)))),),
        also_sources=tuple(s for s in (m.get("also_sources") or "").split("\n") if s),
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
