"""The encoder seam's contract, run against the test kit's word encoder and the real model alike."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kit import WordEncoder

TEXTS = ["Some 1,500 French soldiers are deployed in Niger.", "French troops deployed in Niger",
         "The dockers of Brest went on strike."]


@pytest.fixture(params=["word", pytest.param("real", marks=pytest.mark.integration)])
def encoder(request):
    return WordEncoder() if request.param == "word" else request.getfixturevalue("embedder")


def test_vectors_are_unit_rows_of_the_stated_dimension(encoder):
    vectors = encoder.embed(TEXTS)
    assert vectors.shape == (3, encoder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert encoder.embed([]).shape == (0, encoder.dimension)


def test_texts_that_say_the_same_are_nearer_than_unrelated_ones(encoder):
    a, b, c = encoder.embed(TEXTS)
    assert a @ b > a @ c


def test_tokens_are_counted_and_located_in_the_text(encoder):
    text = TEXTS[0]
    spans = encoder.token_spans(text)
    assert encoder.count_tokens([text, ""]) == [len(spans), 0]
    assert all(0 <= s < e <= len(text) for s, e in spans) and spans == sorted(spans)
    assert encoder.max_tokens > encoder.count_tokens([text])[0]
    assert encoder.name and encoder.variant in ("full", "int8")
