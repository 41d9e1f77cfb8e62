"""Bench helpers: a synthetic index of any size, and our retrieval beside the LangChain peer's."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ingest.encoders import Encoder
from ingest.models import Article, Passage
from ingest.store import Index, chunk_id
from ingest.store.schema import chunk_metadata
from ingest.wiring import encoder_for

from ..settings import Settings

CHUNKS_PER_ARTICLE = 10


def synthetic_index(settings: Settings, embedder: Encoder, texts: list[str], vectors: np.ndarray,
                    size: int, seed: int = 7) -> float:
    """`size` chunks mixed from real ones (text halves, vectors blended plus noise); returns seconds."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    index = Index(settings, embedder, create=True)
    step = 5000
    for lo in range(0, size, step):
        n = min(step, size - lo)
        a, b = rng.integers(0, len(texts), n), rng.integers(0, len(texts), n)
        mixed = 0.7 * vectors[a] + 0.3 * vectors[b] + rng.normal(0, 0.02, (n, vectors.shape[1]))
        mixed = (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)
        docs = [texts[i][: len(texts[i]) // 2] + " " + texts[j][len(texts[j]) // 2:] for i, j in zip(a, b)]
        ids, metas = [], []
        for k, doc in enumerate(docs):
            number = lo + k
            article = Article(f"synthetic-{number // CHUNKS_PER_ARTICLE}", f"Synthetic {number // CHUNKS_PER_ARTICLE}",
                              doc, "synthetic", None, "2023-10-01")
            passage = Passage(chunk_id(article.id, number % CHUNKS_PER_ARTICLE), article.id,
                              number % CHUNKS_PER_ARTICLE, doc, 0, len(doc))
            ids.append(passage.id)
            metas.append(chunk_metadata(article, passage, CHUNKS_PER_ARTICLE, "synthetic", 0))
        index.upsert(ids, mixed, docs, metas)
    index.commit()
    return time.perf_counter() - started


def _ranks(questions, search) -> list[int | None]:
    return [next((i + 1 for i, hit in enumerate(search(q)) if hit), None) for q in questions]


def retrieval_figures(ranks: list[int | None]) -> dict:
    def share(k):
        return round(sum(r is not None and r <= k for r in ranks) / len(ranks), 3)

    return {"questions": len(ranks), "hit@1": share(1), "hit@4": share(4), "hit@10": share(10),
            "mrr@10": round(sum(1 / r for r in ranks if r) / len(ranks), 3)}


def peer_comparison(path: Path, settings: Settings, index_dir: Path | None = None) -> dict:
    """Our retrieval against the LangChain tutorial pipeline's on one data set, in one run. Our
    index is built in a temporary folder, or kept in `index_dir` and brought up to date there
    (then its build time is only the update's); the peer's is always built afresh."""
    from .datasets import load_dataset
    from .evaluate import metrics, run
    from .peer import build

    dataset = load_dataset(path)
    scored = [q for q in dataset.questions if (q.gold_article and q.answerable) or q.hit_phrases]
    outcomes, ours_seconds = run(dataset, settings, progress=False, index_dir=index_dir)
    ours = metrics(outcomes, settings.threshold)
    with tempfile.TemporaryDirectory(prefix="assistant-peer-") as tmp:
        started = time.perf_counter()
        store, chunks = build(dataset.records, Path(tmp) / "peer", str(encoder_for(settings).model_path))
        peer_seconds = time.perf_counter() - started

        def peer_hits(q):
            docs = store.similarity_search(q.text, k=10)
            if q.gold_article:
                return [d.metadata["key"] == q.gold_article for d in docs]
            return [any(p.lower() in d.page_content.lower() for p in q.hit_phrases) for d in docs]

        peer = retrieval_figures(_ranks(scored, peer_hits))
    rows = [
        {"system": "ours", "hit@1": ours["hit@1"], "hit@4": ours["hit@4"], "hit@10": ours["hit@10"],
         "mrr@10": ours["mrr@10"], "index_seconds": round(ours_seconds, 1)},
        {"system": "langchain-peer", "hit@1": peer["hit@1"], "hit@4": peer["hit@4"], "hit@10": peer["hit@10"],
         "mrr@10": peer["mrr@10"], "index_seconds": round(peer_seconds, 1)},
    ]
    return {"dataset": dataset.name, "questions": peer["questions"], "peer_chunks": chunks, "rows": rows,
            "answer_accuracy": ours["answer_accuracy"], "overall_accuracy": ours["overall_accuracy"]}


def _in_a_process(code: str, *args: str) -> str:
    """The last line `code` prints, run by a Python process of its own with `args`."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


SERVING = ("import json, sys; from assistant.measure.bench import rss_mb; from assistant import Assistant; "
           "from assistant.settings import load_settings; "
           "a = Assistant(load_settings(data_dir=sys.argv[1], chroma_host='', refresh_seconds=0)); a.warm_up(); "
           "[a.answer(q) for q in json.loads(sys.argv[2])]; print(rss_mb())")


def serving_rss_mb(data_dir: Path, questions: list[str]) -> float:
    """The resident memory of a process that opens the index and answers, as `assistant serve`
    does (measured in a process of its own: the benchmark's own holds the corpus and torch)."""
    return float(_in_a_process(SERVING, str(data_dir), json.dumps(questions)))


INGEST = """
import json, sys, time
from ingest import sync
from ingest.store import Index, LexicalIndex
from assistant.settings import load_settings

spent = {"write": 0.0, "commit": 0.0, "advance": 0.0}


def timed(owner, name):
    original = getattr(owner, name)

    def measured(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    setattr(owner, name, measured)


for owner, name in ((Index, "write"), (Index, "commit"), (LexicalIndex, "advance")):
    timed(owner, name)
report = sync.ingest([sys.argv[2]], load_settings(data_dir=sys.argv[1], chroma_host=""))
assert report.added == 1, report.summary()
print(json.dumps(spent))
"""


def ingest_in_a_process(data_dir: Path, article: Path) -> tuple[float, dict]:
    """`article` ingested by a process of its own, as `assistant ingest` does: its wall time, and
    the seconds it spent writing to the store, committing, and updating the lexical index."""
    started = time.perf_counter()
    spent = json.loads(_in_a_process(INGEST, str(data_dir), str(article)))
    return time.perf_counter() - started, spent
