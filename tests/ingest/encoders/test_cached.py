"""The encoder that keeps the vectors of recent texts: the same vectors as its encoder, each text
embedded once while it is kept, the least recently used let go first."""

from __future__ import annotations

import numpy as np

from ingest.encoders import CachedEncoder
from tests.kit import WordEncoder


class Counting(WordEncoder):
    def __init__(self):
        super().__init__()
        self.asked: list[list[str]] = []

    def embed(self, texts):
        self.asked.append(list(texts))
        return super().embed(texts)


def test_kept_vectors_are_the_encoders_and_each_text_is_embedded_once_while_kept():
    inner = Counting()
    cached = CachedEncoder(inner, size=3)
    texts = ["French troops in Niger", "The ambassador stays", "French troops in Niger"]
    first = cached.embed(texts)
    assert np.allclose(first, WordEncoder().embed(texts)) and first.dtype == np.float32
    assert inner.asked == [["French troops in Niger", "The ambassador stays"]]  # a repeat is embedded once
    again = cached.embed(["The ambassador stays", "Three bases"])
    assert np.allclose(again, WordEncoder().embed(["The ambassador stays", "Three bases"]))
    assert inner.asked[-1] == ["Three bases"]
    cached.embed(["Talks began"])  # four texts seen, three kept: the least recently used goes
    cached.embed(["French troops in Niger"])
    assert inner.asked[-1] == ["French troops in Niger"]
    assert cached.embed([]).shape == (0, inner.dimension)
    assert cached.name == inner.name and cached.dimension == inner.dimension  # the rest is the encoder's
