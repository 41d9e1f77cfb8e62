"""The reader over passages: which of a passage's sentences it reads, what it makes of them, and
the re-ranking of the fused candidates by the best sentence each holds."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from ingest.text import term_set, term_sets

from ..answering.rules import coverage, quotable_spans
from ..types import Hit
from .runtime import Reader, Reading

PER_PASSAGE = 4  # sentences of a passage the re-ranker reads: its first and the lexically likeliest
KEPT = 8192  # readings a running reader keeps (a sentence met again under the same question is not read again)


class CachedReader:
    """A reader that keeps its last `kept` readings, by question and sentence."""

    def __init__(self, reader: Reader, kept: int = KEPT):
        self.reader, self.kept = reader, kept
        self._kept: OrderedDict[tuple[str, str], Reading] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, question: str, sentences: list[str]) -> list[Reading]:
        with self._lock:
            known = {s: self._kept[(question, s)] for s in sentences if (question, s) in self._kept}
        new = list(dict.fromkeys(s for s in sentences if s not in known))
        if new:
            readings = dict(zip(new, self.reader.read(question, new)))
            known.update(readings)
            with self._lock:
                for s, r in readings.items():
                    self._kept[(question, s)] = r
                while len(self._kept) > self.kept:
                    self._kept.popitem(last=False)
        return [known[s] for s in sentences]


def likeliest(question: str, passage: str, n: int = PER_PASSAGE) -> list[tuple[int, int]]:
    """The passage's first quotable sentence and the `n` - 1 others sharing most of the question's terms."""
    spans = quotable_spans(passage)
    if len(spans) <= n:
        return spans
    asked = term_set(question)
    covered = [coverage(asked, t) for t in term_sets([passage[s:e] for s, e in spans[1:]])]
    best = sorted(range(len(covered)), key=lambda i: -covered[i])[:n - 1]
    return [spans[0]] + [spans[1 + i] for i in sorted(best)]


class ReaderReranker:
    """Re-ranks the first `depth` fused candidates by the reader's probability that the passage
    holds the answer (its best sentence's, of those `likeliest` picks); ties keep the fused order."""

    def __init__(self, reader: CachedReader, depth: int = 20):
        self.reader, self.depth = reader, depth

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.depth], hits[self.depth:]
        if not head:
            return hits
        picked = [[h.passage[s:e] for s, e in likeliest(query, h.passage)] for h in head]
        readings = self.reader.read(query, [s for texts in picked for s in texts])
        best, at = [], 0
        for texts in picked:
            best.append(max((r.holds for r in readings[at:at + len(texts)]), default=0.0))
            at += len(texts)
        order = sorted(range(len(head)), key=lambda i: (-best[i], i))
        return [replace(head[i], score=best[i]) for i in order] + tail
