"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, filtered, diversified."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, replace
from itertools import zip_longest
from pathlib import Path

import numpy as np

from ingest.chunking import embedding_text
from ingest.embedder import Encoder
from ingest.index import Filters, Index, StoredChunk, day_number

from .rerank import RRF_K, Reranker
from .terms import tokenize
from .types import Hit

log = logging.getLogger(__name__)

__all__ = ["Filters", "LexicalIndex", "LexicalSnapshot", "Retriever", "diversify", "merge_adjacent"]


@dataclass(frozen=True)
class LexicalSnapshot:
    """BM25 over every chunk (title + date + text) of one generation of the index.

    Only what ranking and filtering need stays in memory (chunk ids, days, articles); a
    search returns chunk ids and the texts come from the index."""

    generation: int
    bm25: object | None
    ids: list[str]
    days: np.ndarray  # per chunk: published day number, -1 undated
    article_of: np.ndarray  # per chunk: position in `articles`
    articles: list[tuple[str, ...]]  # per article: its id, then its source and URL

    @classmethod
    def build(cls, index: Index, generation: int, with_title: bool = True) -> "LexicalSnapshot":
        bm25s = _bm25s()
        ids, days, article_of, articles, positions = [], [], [], [], {}
        corpus: list[list[int]] = []
        vocab: dict[str, int] = {}
        for batch in index.scan():
            texts = [embedding_text(c.title, c.text, c.published) if with_title else c.text for c in batch]
            for chunk, tokens in zip(batch, tokenize(texts)):
                corpus.append([vocab.setdefault(t, len(vocab)) for t in tokens or [""]])
                if chunk.article_id not in positions:
                    positions[chunk.article_id] = len(articles)
                    articles.append((chunk.article_id, *chunk.keys))
                ids.append(chunk.id)
                days.append(chunk.day)
                article_of.append(positions[chunk.article_id])
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index((corpus, vocab), show_progress=False)
        return cls(generation, bm25, ids, np.array(days, dtype=np.int32), np.array(article_of, dtype=np.int32),
                   articles)

    def save(self, folder: Path) -> None:
        """Write the snapshot into `folder` (made whole in a sibling, then renamed into place, so a
        reader never sees half of one); a folder that already exists is left as it is."""
        if folder.exists():
            return
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            if self.bm25 is not None:
                self.bm25.save(str(partial), show_progress=False)
            np.save(partial / "days.npy", self.days)
            np.save(partial / "article_of.npy", self.article_of)
            (partial / "chunks.json").write_text(json.dumps({"generation": self.generation, "ids": self.ids,
                                                             "articles": self.articles}))
            partial.rename(folder)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            if not folder.exists():
                raise

    @classmethod
    def load(cls, folder: Path) -> "LexicalSnapshot":
        """A saved snapshot, its BM25 scores memory-mapped (processes on one machine share them)."""
        bm25s = _bm25s()
        kept = json.loads((folder / "chunks.json").read_text())
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if kept["ids"] else None
        return cls(int(kept["generation"]), bm25, kept["ids"], np.load(folder / "days.npy"),
                   np.load(folder / "article_of.npy"), [tuple(a) for a in kept["articles"]])

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[str, float, str]]:
        """The k best-scoring chunks the filters admit: (chunk id, BM25 score, article id)."""
        tokens = tokenize([query])[0]
        if self.bm25 is None or not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        days = filters.day_range()
        if days is not None:
            scores = np.where((self.days >= days[0]) & (self.days <= days[1]), scores, 0.0)
        if filters.articles:
            allowed = [i for i, keys in enumerate(self.articles) if filters.allows_article(keys)]
            scores = np.where(np.isin(self.article_of, allowed), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i]), self.articles[self.article_of[i]][0]) for i in top if scores[i] > 0]


def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG: every build would be logged
    return bm25s


class LexicalIndex:
    """The current lexical snapshot; a newer one is built aside and swapped in whole, so no
    question waits for a rebuild once the first one exists.

    Snapshots are kept on disk beside the embedded store (`lexical/` in the data dir), one
    folder per generation of the index: the process that builds one saves it (`assistant ingest`
    does so before it ends), and every other process of that data dir loads it, memory-mapped,
    instead of building it again. A data dir that cannot be written is only read."""

    KEEP = 2  # generations kept on disk: the newest, and the one readers may still be loading

    def __init__(self, index: Index, with_title: bool = True):
        self.index = index
        self.with_title = with_title
        self.snapshot: LexicalSnapshot | None = None
        self._lock = threading.Lock()  # one build at a time

    @property
    def folder(self) -> Path | None:
        """Where this index's snapshots are kept, or None when the data dir is not a folder here."""
        data_dir = Path(self.index.settings.data_dir)
        if not data_dir.is_dir():
            return None
        # Named by the collection's id too: a collection made again (or another server's) starts its
        # generations again, and must never be given an older one's snapshot.
        name = f"{self.index.settings.collection}-{self.index.collection_id}{'' if self.with_title else '-text'}"
        return data_dir / "lexical" / name

    def _saved(self, generation: int) -> LexicalSnapshot | None:
        folder = self.folder
        path = folder / f"g{generation}" if folder else None
        if path is None or not path.is_dir():
            return None
        try:
            return LexicalSnapshot.load(path)
        except (OSError, ValueError, KeyError) as exc:  # damaged: built again (and saved, if it can be)
            log.warning("lexical index %s could not be read (%s); building it again", path, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None

    def _save(self, snapshot: LexicalSnapshot) -> None:
        folder = self.folder
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            snapshot.save(folder / f"g{snapshot.generation}")
            saved = sorted((int(p.name[1:]) for p in folder.glob("g*") if p.name[1:].isdigit()), reverse=True)
            for old in saved[self.KEEP:]:
                shutil.rmtree(folder / f"g{old}", ignore_errors=True)
        except OSError as exc:  # a read-only data dir: every process builds its own
            log.debug("lexical index not saved in %s: %s", folder, exc)

    @property
    def generation(self) -> int | None:
        return self.snapshot.generation if self.snapshot else None

    def current(self) -> LexicalSnapshot:
        if self.snapshot is None:
            self.rebuild()
        return self.snapshot

    def rebuild(self, generation: int | None = None) -> bool:
        """Build a snapshot of the index as it is now, unless one of this generation exists."""
        with self._lock:
            generation = self.index.generation() if generation is None else generation
            if self.snapshot is not None and self.snapshot.generation == generation:
                return False
            snapshot = self._saved(generation)
            if snapshot is None:
                snapshot = LexicalSnapshot.build(self.index, generation, self.with_title)
                self._save(snapshot)
            self.snapshot = snapshot
            return True


class Retriever:
    """Dense + lexical candidates, fused by weighted RRF, re-ranked, then spread across articles."""

    def __init__(self, index: Index, embedder: Encoder, reranker: Reranker | None = None,
                 dense_weight: float = 1.0, lexical_weight: float = 1.0, candidates: int = 50,
                 per_article: int = 2, rrf_k: int = RRF_K, lede_weight: float = 0.0,
                 lexical_title: bool = True, recency_weight: float = 0.0, article_weight: float = 0.0):
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
        self.recency_weight = recency_weight
        self.article_weight = article_weight
        self._refreshing = threading.Lock()

    def refresh(self) -> bool:
        """Catch up with writes made since the last look, by any process: the embedded store is
        reopened (its vector index is loaded once per client) and the lexical side rebuilt aside.
        Questions asked meanwhile are answered from what was there before."""
        with self._refreshing:
            generation = self.index.generation()
            if self.lexical.generation == generation:
                return False
            if self.lexical.snapshot is not None:
                self.index.reopen()
            return self.lexical.rebuild(generation)

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
        return [f"{article}:0" for article in dict.fromkeys(by_rank)]

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
