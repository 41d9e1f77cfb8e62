"""BM25 over segments that are written once: term frequencies kept per (term, chunk), scores
computed when a question is asked from the statistics of every segment together (Lucene's
formula, k1 1.5, b 0.75: bm25s's defaults). A segment never changes, so chunks added or removed
cost a small segment and a mask, and the ranking is the one an index built afresh would give."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

import numpy as np

K1, B = 1.5, 0.75


@dataclass(frozen=True)
class Row:
    """One chunk as the lexical side holds it: its id and version, what a filter asks of it
    (publication day, the keys of its article) and its terms with their counts."""

    id: str
    hash: str
    day: int
    keys: tuple[str, ...]  # the article's id, then its source and URL
    counts: dict[str, int]


@dataclass(frozen=True, eq=False)
class Segment:
    """An inverted index of some chunks: per term, the chunks holding it (ascending) and how often."""

    ids: list[str]
    hashes: list[str]
    days: np.ndarray  # int32 per chunk: published day number, -1 undated
    article_of: np.ndarray  # int32 per chunk: position in `articles`
    articles: list[tuple[str, ...]]  # per article: its id, then its source and URL
    lengths: np.ndarray  # int32 per chunk: terms counted with repeats
    terms: list[str]
    indptr: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32 per posting
    tfs: np.ndarray  # uint16 per posting

    FILES = ("days", "article_of", "lengths", "indptr", "docs", "tfs")

    @classmethod
    def of(cls, rows: Iterable[Row]) -> "Segment":
        ids, hashes, days, article_of, articles, positions, lengths = [], [], [], [], [], {}, []
        vocab: dict[str, int] = {}
        term_of, docs, tfs = [], [], []
        for n, row in enumerate(rows):
            ids.append(row.id)
            hashes.append(row.hash)
            days.append(row.day)
            if row.keys[0] not in positions:
                positions[row.keys[0]] = len(articles)
                articles.append(tuple(row.keys))
            article_of.append(positions[row.keys[0]])
            lengths.append(sum(row.counts.values()))
            for term, tf in row.counts.items():
                term_of.append(vocab.setdefault(term, len(vocab)))
                docs.append(n)
                tfs.append(tf)
        return cls._postings(ids, hashes, np.array(days, np.int32), np.array(article_of, np.int32), articles,
                             np.array(lengths, np.int32), list(vocab), np.array(term_of, np.int64),
                             np.array(docs, np.int32), np.minimum(np.array(tfs, np.int64), 65535).astype(np.uint16))

    @classmethod
    def _postings(cls, ids, hashes, days, article_of, articles, lengths, terms, term_of, docs, tfs) -> "Segment":
        """A segment from postings in chunk order (each posting's term, chunk and count)."""
        order = np.argsort(term_of, kind="stable")  # by term; chunks stay ascending within a term
        indptr = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(np.bincount(term_of, minlength=len(terms)), out=indptr[1:])
        return cls(ids, hashes, days, article_of, articles, lengths, terms, indptr, docs[order], tfs[order])

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def term_ids(self) -> dict[str, int]:
        return {term: n for n, term in enumerate(self.terms)}

    @cached_property
    def positions(self) -> dict[str, int]:
        return {chunk_id: n for n, chunk_id in enumerate(self.ids)}

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        row = self.term_ids.get(term)
        if row is None:
            return _NONE, _NONE
        lo, hi = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.docs[lo:hi], self.tfs[lo:hi]

    def rows(self, keep: np.ndarray | None = None) -> list[Row]:
        """The segment's chunks back as rows (those `keep` marks, if given), in order."""
        counts: list[dict[str, int]] = [{} for _ in self.ids]
        term_of = np.repeat(np.arange(len(self.terms)), np.diff(self.indptr))
        for term, doc, tf in zip(term_of.tolist(), self.docs.tolist(), self.tfs.tolist()):
            counts[doc][self.terms[term]] = tf
        chosen = range(len(self.ids)) if keep is None else np.flatnonzero(keep).tolist()
        return [Row(self.ids[n], self.hashes[n], int(self.days[n]), self.articles[self.article_of[n]], counts[n])
                for n in chosen]

    @classmethod
    def merged(cls, base: "Segment", keep: np.ndarray, added: "Segment") -> "Segment":
        """One segment of the chunks of `base` that `keep` marks, then those of `added`."""
        kept = np.flatnonzero(keep)
        renumber = np.full(len(base), -1, np.int64)
        renumber[kept] = np.arange(len(kept))
        base_terms = np.repeat(np.arange(len(base.terms), dtype=np.int64), np.diff(base.indptr))
        live = renumber[base.docs] >= 0
        terms = list(base.terms)
        vocab = base.term_ids.copy()
        mapped = np.array([vocab.setdefault(t, len(vocab)) for t in added.terms], np.int64)
        terms.extend(list(vocab)[len(terms):])
        added_terms = np.repeat(mapped, np.diff(added.indptr)) if len(mapped) else np.zeros(0, np.int64)
        articles, positions, article_of = [], {}, []
        for segment, chosen in ((base, kept.tolist()), (added, range(len(added)))):
            for n in chosen:
                keys = segment.articles[segment.article_of[n]]
                if keys[0] not in positions:
                    positions[keys[0]] = len(articles)
                    articles.append(keys)
                article_of.append(positions[keys[0]])
        # Postings in chunk order within each segment are not needed: sorting by term is stable
        # and the base's chunks all come before the added ones, so chunks stay ascending.
        term_of = np.concatenate([base_terms[live], added_terms])
        docs = np.concatenate([renumber[base.docs[live]], added.docs.astype(np.int64) + len(kept)]).astype(np.int32)
        tfs = np.concatenate([base.tfs[live], added.tfs])
        return cls._postings([base.ids[n] for n in kept] + added.ids, [base.hashes[n] for n in kept] + added.hashes,
                             np.concatenate([base.days[kept], added.days]).astype(np.int32),
                             np.array(article_of, np.int32), articles,
                             np.concatenate([base.lengths[kept], added.lengths]).astype(np.int32), terms,
                             term_of, docs, tfs)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.FILES:
            np.save(folder / f"{name}.npy", getattr(self, name))
        (folder / "segment.json").write_text(json.dumps({"ids": self.ids, "hashes": self.hashes,
                                                         "articles": self.articles, "terms": self.terms}))

    @classmethod
    def load(cls, folder: Path) -> "Segment":
        """A saved segment, its arrays memory-mapped (processes on one machine share them)."""
        kept = json.loads((folder / "segment.json").read_text())
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in cls.FILES}
        segment = cls(kept["ids"], kept["hashes"], articles=[tuple(a) for a in kept["articles"]],
                      terms=kept["terms"], **arrays)
        if len(segment.indptr) != len(segment.terms) + 1 or len(segment.days) != len(segment.ids):
            raise ValueError(f"the segment in {folder} is not whole")
        return segment


_NONE = np.zeros(0, np.int32)
EMPTY = Segment.of([])


class Scorer:
    """BM25 over some (segment, live mask or None) taken together: their statistics (live chunks,
    average length) computed once for many questions; `scores` gives every chunk of each
    segment its score for the query's terms (a term asked twice counts twice, as bm25s does),
    and chunks that are not live 0."""

    def __init__(self, parts: list[tuple[Segment, np.ndarray | None]]):
        self.parts = parts
        self.live_count = sum(len(s) if live is None else int(live.sum()) for s, live in parts)
        total = sum(int(s.lengths.sum()) if live is None else int(s.lengths[live].sum()) for s, live in parts)
        average = max(total / self.live_count, 1e-9) if self.live_count else 1.0
        # Per chunk, the part of the denominator that does not depend on the term.
        self.norms = [(K1 * ((1 - B) + B * s.lengths.astype(np.float32) / np.float32(average))).astype(np.float32)
                      for s, _ in parts]

    def scores(self, query_terms: list[str]) -> list[np.ndarray]:
        out = [np.zeros(len(s), np.float32) for s, _ in self.parts]
        if not self.live_count:
            return out
        for term, times in Counter(query_terms).items():
            found = [segment.postings(term) for segment, _ in self.parts]
            df = sum(len(docs) if live is None else int(np.count_nonzero(live[docs]))
                     for (_, live), (docs, _) in zip(self.parts, found))
            if not df:
                continue
            idf = np.float32(np.log(1 + (self.live_count - df + 0.5) / (df + 0.5)) * times)
            for (docs, tfs), norm, into in zip(found, self.norms, out):
                if len(docs):
                    tf = tfs.astype(np.float32)
                    into[docs] += idf * tf / (norm[docs] + tf)
        for (_, live), into in zip(self.parts, out):
            if live is not None:
                into[~live] = 0.0
        return out
