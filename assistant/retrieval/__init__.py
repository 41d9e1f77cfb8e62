"""From a question to the passages that may answer it: dense and lexical search fused and
filtered (`retrieve`), an optional re-ranking stage (`rerank`), and the time a question speaks of
(`when`)."""

from .rerank import CrossEncoderReranker, EmbeddingReranker, Reranker
from .retrieve import Filters, Retriever, diversify, merge_adjacent

__all__ = ["CrossEncoderReranker", "EmbeddingReranker", "Filters", "Reranker", "Retriever", "diversify",
           "merge_adjacent"]
