"""Stand-ins with real behaviour for tests that need no model."""

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
