"""The test kit: stand-ins with real behaviour for tests of the logic around a seam (an encoder
whose vectors are bags of words, a chat model that follows a script)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

TOKEN = re.compile(r"\w+|[^\w\s]")


class WordEncoder:
    """An `Encoder` whose tokens are words and punctuation and whose vectors are hashed bags of
    lower-cased words: texts that share words are near, texts that share none are orthogonal or
    nearly so. Deterministic across processes."""

    name, variant, backend, precision = "word-hash", "full", "fake", "fp32"
    model_path, batch_size = Path("word-hash"), 32

    def __init__(self, dimension: int = 256, max_tokens: int = 128):
        self.dimension, self.max_tokens = dimension, max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in TOKEN.finditer(text)]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(self.token_spans(t)) for t in texts]

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                slot = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[row, slot % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class ScriptedModel:
    """A `ChatModel` that follows a script: `write` streams the queued replies one call at a time
    (in 7-character pieces, as a server streams them; the last reply repeats), `yes_probability`
    answers from `beliefs` (the first statement found in the prompt, else `default`) or from
    `judge(prompt)`; `choice_shares` gives each numbered line of the prompt its belief (the first
    statement found in the line, else `default`), as shares of their sum. Every prompt is kept in
    `prompts`, and what happened, in order, in `events`."""

    name = "scripted"

    def __init__(self, *replies: str, beliefs: dict[str, float] | None = None, default: float = 0.9,
                 judge=None):
        self.replies, self.beliefs, self.default, self.judge = list(replies) or [""], beliefs or {}, default, judge
        self.prompts: list[str] = []
        self.events: list[str] = []

    def enqueue(self, reply: str) -> None:
        self.replies.append(reply)

    def write(self, prompt: str, max_tokens: int = 200):
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        for i in range(0, len(reply), 7):
            self.events.append("wrote")
            yield reply[i:i + 7]
        self.events.append("done")

    def keep(self, prompt: str) -> None:
        self.events.append("kept")

    def choice_shares(self, prompt: str, labels: list[str]) -> list[float]:
        self.prompts.append(prompt)
        self.events.append("chose")
        lines = {line.split(". ", 1)[0]: line for line in prompt.splitlines() if ". " in line}
        got = [next((p for statement, p in self.beliefs.items() if statement in lines.get(label, "")),
                    self.default) for label in labels]
        return [g / sum(got) for g in got]

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        self.events.append("judged")
        if self.judge is not None:
            return self.judge(prompt)
        return next((p for statement, p in self.beliefs.items() if statement in prompt), self.default)


class MemoryIndex:
    """A store kept in memory, with the behaviour of `ingest.store.Index` that sync and retrieval
    rely on: chunks written by id with the metadata ingest records, read back by id, by article
    and nearest to a vector (cosine, filters applied), removed by article, and a generation that
    `commit` advances. Its lexical side is the real one, built from `scan`."""

    def __init__(self, settings, encoder):
        from ingest.store import LexicalIndex

        self.settings = settings
        self.model_name, self.dimension, self.variant = encoder.name, encoder.dimension, encoder.variant
        self.rows: dict[str, tuple[np.ndarray, str, dict]] = {}
        self.meta: dict = {"generation": 0}
        self.collection_id = "memory"
        self.lexical = LexicalIndex(self)

    @property
    def chunker(self):
        return self.meta.get("chunker")

    def generation(self) -> int:
        return int(self.meta["generation"])

    def count(self) -> int:
        return len(self.rows)

    def _chunk(self, chunk_id: str):
        from ingest.store import StoredChunk

        _, text, meta = self.rows[chunk_id]
        return StoredChunk.from_row(chunk_id, text, meta)

    def scan(self, batch: int = 5000, include_text: bool = True):
        ids = sorted(self.rows)
        for i in range(0, len(ids), batch):
            yield [self._chunk(c) for c in ids[i:i + batch]]

    def chunks(self, ids: list[str]) -> dict:
        return {i: self._chunk(i) for i in dict.fromkeys(ids) if i in self.rows}

    def article_chunks(self, article_id: str) -> list:
        chunks = [self._chunk(c) for c, (_, _, m) in self.rows.items() if m["article_id"] == article_id]
        return sorted(chunks, key=lambda c: c.chunk)

    def articles(self) -> dict:
        from ingest.store.schema import stored_article

        grouped: dict[str, list[dict]] = {}
        for _, _, meta in self.rows.values():
            grouped.setdefault(meta["article_id"], []).append(meta)
        return {aid: stored_article(aid, metas) for aid, metas in grouped.items()}

    def query(self, vector: np.ndarray, k: int, filters=None) -> list:
        if k <= 0:
            return []
        found = [(self._chunk(cid), float(v @ vector)) for cid, (v, _, _) in self.rows.items()]
        found = [(c, s) for c, s in found if filters is None or filters.allows(c)]
        return sorted(found, key=lambda pair: -pair[1])[:k]

    def write(self, article, passages, vectors, hash_, fingerprint, also_sources=(), replaces=True) -> None:
        from ingest.store.schema import chunk_metadata

        for passage, vector in zip(passages, vectors):
            meta = chunk_metadata(article, passage, len(passages), hash_, fingerprint, also_sources)
            self.rows[passage.id] = (np.asarray(vector, dtype=np.float32), passage.text, meta)
        if replaces:
            older = [c for c, (_, _, m) in self.rows.items() if m["article_id"] == article.id and m["hash"] != hash_]
            for cid in older:
                del self.rows[cid]

    def add_also_source(self, article_id: str, sources: tuple[str, ...]) -> None:
        for _, _, meta in self.rows.values():
            if meta["article_id"] == article_id:
                meta["also_sources"] = "\n".join(sources)

    def remove(self, article_id: str) -> None:
        for cid in [c for c, (_, _, m) in self.rows.items() if m["article_id"] == article_id]:
            del self.rows[cid]

    def reopen(self) -> None:
        pass

    def commit(self, chunker_version: str | None = None) -> None:
        self.meta["generation"] += 1
        if chunker_version:
            self.meta["chunker"] = chunker_version
        self.lexical.rebuild(self.generation())

    def refresh(self) -> bool:
        if self.lexical.generation == self.generation():
            return False
        return self.lexical.rebuild(self.generation())


class FixedGenerator:
    """A `Generator` that drafts what it was given, whatever it is asked; it keeps the questions."""

    def __init__(self, draft):
        self.drafted, self.questions = draft, []

    def draft(self, question, query, hits, query_vector, time=None):
        self.questions.append(question)
        return self.drafted
