"""Words -> terms: English stop words dropped, the rest stemmed. The one tokenizer of the lexical
(BM25) index and of the answer's rules, so a term counts the same in both."""

from __future__ import annotations

import threading

_STEMMER = threading.local()


def tokenize(texts: list[str]) -> list[list[str]]:
    """The terms of each text, in order (one call for many texts: each call has a fixed cost)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer().stemWords, return_ids=False,
                          show_progress=False)


def term_sets(texts: list[str]) -> list[set[str]]:
    return [set(tokens) for tokens in tokenize(texts)] if texts else []


def term_set(text: str) -> set[str]:
    return term_sets([text])[0]


def _stemmer():
    import Stemmer

    if not hasattr(_STEMMER, "value"):
        _STEMMER.value = Stemmer.Stemmer("english")  # not thread-safe: one per thread
    return _STEMMER.value
