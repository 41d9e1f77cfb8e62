"""The store seam's contract, run against the in-memory store of the test kit and the real
Chroma-backed `Index` alike: what sync writes is what retrieval reads."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.models import Article
from ingest.store import Filters, Index
from ingest.sync import apply, make_chunker, make_plan
from tests.kit import MemoryIndex, WordEncoder

NIGER = Article("niger.txt", "France in Niger", "Some 1,500 French soldiers are deployed in Niger. "
                "They are on three bases.", "/a/niger.txt", None, "2023-09-05")
BREST = Article("brest.txt", "Dockers in Brest", "The dockers of Brest went on strike for a week.",
                "/a/brest.txt", "https://example.org/brest", "2024-01-10")


@pytest.fixture(params=["memory", "chroma"])
def store(request, settings):
    encoder = WordEncoder()
    return MemoryIndex(settings, encoder) if request.param == "memory" else Index(settings, encoder, create=True)


def synced(store, articles, encoder=None, stored=None):
    encoder = encoder or WordEncoder()
    chunker = make_chunker(encoder, store.settings.chunking)
    held = store.articles() if stored is None else stored
    plan = make_plan(articles, held, chunker.version, index_chunker=store.chunker)
    apply(plan, store, encoder, chunker, held)
    return plan


def test_what_is_written_is_read_back_whole(store):
    synced(store, [NIGER, BREST])
    held = store.articles()
    assert set(held) == {"niger.txt", "brest.txt"} and all(a.complete for a in held.values())
    assert held["brest.txt"].url == "https://example.org/brest" and held["niger.txt"].published == "2023-09-05"
    chunks = store.chunks(["niger.txt:0", "gone:0"])
    assert list(chunks) == ["niger.txt:0"] and chunks["niger.txt:0"].text.startswith("Some 1,500")
    assert store.count() == sum(a.chunks for a in held.values())
    assert sorted(c.id for batch in store.scan() for c in batch) == sorted(
        c for c in ("niger.txt:0", "brest.txt:0"))
    assert [c.id for c in store.article_chunks("niger.txt")] == ["niger.txt:0"]
    assert store.article_chunks("gone.txt") == []


def test_the_nearest_passage_comes_first_and_filters_bind(store):
    synced(store, [NIGER, BREST])
    vector = WordEncoder().embed(["dockers strike Brest"])[0]
    (first, score), *_ = store.query(vector, 2)
    assert first.article_id == "brest.txt" and 0 < score <= 1.0001
    before_brest = store.query(vector, 2, Filters(as_of="2023-12-31"))
    assert [c.article_id for c, _ in before_brest] == ["niger.txt"]
    assert store.query(vector, 0) == []


def test_a_changed_article_replaces_its_old_passages_and_a_removed_one_is_gone(store):
    synced(store, [NIGER, BREST])
    changed = Article(NIGER.id, NIGER.title, "Some 2,000 French soldiers are now in Niger.", NIGER.source, None,
                      NIGER.published)
    plan = synced(store, [changed, BREST])
    assert [c.article.id for c in plan.update] == ["niger.txt"] and plan.unchanged == 1
    texts = [c.text for batch in store.scan() for c in batch if c.article_id == "niger.txt"]
    assert texts == ["Some 2,000 French soldiers are now in Niger."]
    store.remove("brest.txt")
    assert set(store.articles()) == {"niger.txt"}


def test_commit_advances_the_generation_records_the_chunker_and_prepares_the_lexical_side(store):
    before = store.generation()
    synced(store, [NIGER])
    assert store.generation() == before + 1
    assert store.chunker == make_chunker(WordEncoder(), store.settings.chunking).version
    assert store.lexical.generation == store.generation()
    found = store.lexical.current().search("French soldiers Niger", 3, Filters())
    assert [article for _, _, article in found] == ["niger.txt"]
    assert synced(store, [NIGER]).unchanged == 1 and store.generation() == before + 1  # nothing to commit


def test_the_lexical_side_follows_the_store_after_a_refresh(store):
    synced(store, [NIGER])
    reader_generation = store.lexical.generation
    synced(store, [NIGER, BREST])
    store.refresh()
    assert store.lexical.generation == store.generation() != reader_generation
    assert np.any(store.lexical.current().days >= 0)
