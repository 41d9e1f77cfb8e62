"""The re-ranking seam: re-score fused candidates with a stronger (slower) model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from ..types import Hit

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.)


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder from a local folder re-scores the top `depth` hits."""

    def __init__(self, model_path: str | Path, depth: int = 20):
        self.model_path = Path(model_path)
        self.depth = depth
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if not self.model_path.is_dir():
                raise FileNotFoundError(
                    f"re-ranker folder {self.model_path} does not exist; set "
                    "ASSISTANT_RERANKER_MODEL to a local CrossEncoder folder or ASSISTANT_RERANKER=none"
                )
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(str(self.model_path), device="cpu", local_files_only=True)
        return self._model

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.depth], hits[self.depth:]
        if not head:
            return hits
        scores = self.model.predict([(query, f"{h.title}\n{h.passage}") for h in head])
        rescored = [replace(h, score=float(s)) for h, s in zip(head, scores)]
        return sorted(rescored, key=lambda h: -h.score) + tail


class EmbeddingReranker:
    """A second, larger sentence-transformers bi-encoder (e.g. all-mpnet-base-v2) re-scores the top
    `depth` hits; its order and the fused order are combined by reciprocal rank."""

    def __init__(self, model_path: str | Path, depth: int = 20, precision: str = "auto"):
        from ingest.encoders import open_encoder

        self.embedder = open_encoder(model_path, batch_size=16, precision=precision)
        self.depth = depth

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.depth], hits[self.depth:]
        if not head:
            return hits
        vectors = self.embedder.embed([query] + [f"{h.title}\n{h.passage}" for h in head])
        similarity = vectors[1:] @ vectors[0]
        by_model = {i: rank for rank, i in enumerate(sorted(range(len(head)), key=lambda i: -similarity[i]))}
        fused = {i: 1 / (RRF_K + 1 + i) + 1 / (RRF_K + 1 + by_model[i]) for i in range(len(head))}
        order = sorted(range(len(head)), key=lambda i: -fused[i])
        return [replace(head[i], score=float(similarity[i])) for i in order] + tail
