"""The sync plan, worked out without a model or an index: ids, changes, duplicates, pruning."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.dedupe import fingerprint
from ingest.models import Article
from ingest.store import StoredArticle
from ingest.sync import apply, article_hash, assign_ids, make_chunker, make_plan
from tests.kit import WordEncoder

V1, V2 = "sentences-v1/200/24", "sentences-v2/200/24"
TEXTS = {
    "brest": "The harbour of Brest reopened after six weeks of repairs to its quays and cranes.",
    "lorient": "Lorient's council voted a new budget for schools, roads and the public library.",
    "niger": ("Some 1,500 French soldiers are deployed in Niger, at bases in Niamey and Ouallam. The junta "
              "demanded their departure after the coup, and Paris said the troops would leave by the end of "
              "the year. The ambassador, Sylvain Itte, was ordered out of the country on Friday. Niger owes "
              "5,200 billion CFA francs, the finance minister told the press in Niamey on Tuesday."),
}


def article(rel: str, root: str, key: str = "brest", url: str | None = None, text: str | None = None) -> Article:
    return Article(id=url or rel, title=rel, text=text or TEXTS[key], source=f"{root}/{rel}", url=url)


def stored(a: Article, version: str = V1, **changes) -> StoredArticle:
    fields = dict(article_id=a.id, title=a.title, source=a.source, url=a.url, published=None,
                  hash=article_hash(a, version), fingerprint=fingerprint(a.text), chunks=1, complete=True)
    return StoredArticle(**(fields | changes))


def everywhere(_: str) -> bool:
    return True


def test_ids_do_not_depend_on_the_order_files_are_met():
    found = [(article("news.txt", "/a", "brest"), Path("/a")), (article("news.txt", "/b", "lorient"), Path("/b")),
             (article("other.txt", "/a", "niger"), Path("/a"))]
    named = {tuple(sorted(a.id for a in assign_ids(list(order), {}, everywhere)))
             for order in itertools.permutations(found)}
    assert named == {("/a/news.txt", "/b/news.txt", "other.txt")}


def test_the_file_the_index_holds_under_a_name_keeps_it():
    first, second = article("news.txt", "/a", "brest"), article("news.txt", "/b", "lorient")
    index = {"news.txt": stored(first)}
    for order in ([(first, Path("/a")), (second, Path("/b"))], [(second, Path("/b")), (first, Path("/a"))]):
        assert sorted(a.id for a in assign_ids(order, index, everywhere)) == ["/b/news.txt", "news.txt"]
    # the stored file is gone from disk: a new file of that name takes its name over
    assert [a.id for a in assign_ids([(second, Path("/b"))], index, lambda s: False)] == ["news.txt"]
    # an article with a URL is known by it wherever it was saved
    linked = article("news.txt", "/b", "lorient", url="https://example.org/lorient")
    assert [a.id for a in assign_ids([(linked, Path("/b"))], index, everywhere)] == [linked.url]


def test_unchanged_added_updated_and_rechunked():
    same, edited = article("a.txt", "/r", "brest"), article("b.txt", "/r", "lorient")
    new = article("c.txt", "/r", "niger")
    index = {"a.txt": stored(same), "b.txt": stored(article("b.txt", "/r", text="An older text of the budget vote."))}
    plan = make_plan([same, edited, new], index, V1)
    assert plan.unchanged == 1 and [c.article.id for c in plan.add] == ["c.txt"]
    assert [c.article.id for c in plan.update] == ["b.txt"] and plan.remove == [] and plan.stale == 0
    assert plan.steps() == [("add", "c.txt"), ("update", "b.txt")]
    # a new chunker re-chunks every article it meets; the ones it does not meet stay stale
    rechunk = make_plan([same], index, V2, index_chunker=V1)
    assert [c.article.id for c in rechunk.update] == ["a.txt"] and rechunk.stale == 1


def test_a_near_duplicate_is_recorded_as_another_copy_and_replaces_nothing():
    kept = article("wire.txt", "/r", "niger")
    copy = article("copy.txt", "/s", "niger")  # the same story under another title
    plan = make_plan([kept, copy], {"wire.txt": stored(kept), "copy.txt": stored(copy, hash="an older text")}, V1)
    assert plan.duplicates == [("copy.txt", "wire.txt")] and plan.superseded == ["copy.txt"]
    assert plan.also == {"wire.txt": ["/s/copy.txt"]} and plan.writes == []
    twice = [article("u.txt", "/r", url="https://x.org/1"), article("v.txt", "/s", url="https://x.org/1")]
    again = make_plan(twice, {}, V1)
    assert again.duplicates == [("https://x.org/1", "https://x.org/1")] and len(again.add) == 1


def test_prune_removes_what_is_gone_but_not_what_failed_to_load():
    here, gone = article("here.txt", "/r", "brest"), article("gone.txt", "/r", "lorient")
    failed = article("bad.txt", "/r", "niger")
    index = {a.id: stored(a) for a in (here, gone, failed)}
    plan = make_plan([here], index, V1, prune_roots=[Path("/r")], troubled=frozenset({Path("/r/bad.txt")}))
    assert plan.remove == ["gone.txt"]
    elsewhere = article("far.txt", "/elsewhere", "niger")
    index[elsewhere.id] = stored(elsewhere)
    assert make_plan([here], index, V1, prune_roots=[Path("/r")], troubled=frozenset({Path("/r/bad.txt")}),
                     exists=lambda s: s != "/elsewhere/far.txt").remove == ["gone.txt", "far.txt"]
    assert make_plan([here], index, V1).remove == []  # no prune asked: nothing removed


class RecordingIndex:
    """What `apply` asks of the index, recorded in order."""

    def __init__(self):
        self.calls = []

    def remove(self, article_id):
        self.calls.append(("remove", article_id))

    def write(self, article, passages, vectors, hash_, print_, also, replaces):
        assert len(passages) == len(vectors) > 0
        self.calls.append(("write", article.id, replaces, also))

    def add_also_source(self, article_id, sources):
        self.calls.append(("also", article_id, sources))

    def commit(self, chunker_version=None):
        self.calls.append(("bump", chunker_version))


@pytest.fixture
def chunker(settings):
    return make_chunker(WordEncoder(), settings.chunking)


def test_apply_makes_exactly_the_plans_changes(chunker):
    kept, new = article("wire.txt", "/r", "niger"), article("new.txt", "/r", "brest")
    index_held = {"wire.txt": stored(kept, chunker.version), "gone.txt": stored(article("gone.txt", "/r", "lorient"))}
    plan = make_plan([kept, new, article("copy.txt", "/s", "niger")], index_held,
                     chunker.version, prune_roots=[Path("/r")], index_chunker=chunker.version)
    index = RecordingIndex()
    written = apply(plan, index, WordEncoder(), chunker, index_held)
    assert written == 1 and index.calls == [
        ("remove", "gone.txt"), ("write", "new.txt", False, ()), ("also", "wire.txt", ("/s/copy.txt",)),
        ("bump", chunker.version)]
    nothing = RecordingIndex()
    assert apply(make_plan([kept], index_held, chunker.version), nothing, WordEncoder(), chunker, index_held) == 0
    assert nothing.calls == []  # nothing changed: not even the generation moves


def test_a_partial_rechunk_does_not_claim_the_new_chunker(chunker):
    one, two = article("one.txt", "/r", "brest"), article("two.txt", "/s", "lorient")
    held = {a.id: stored(a, "sentences-v0/200/24") for a in (one, two)}
    index = RecordingIndex()
    apply(make_plan([one], held, chunker.version, index_chunker="sentences-v0/200/24"), index, WordEncoder(),
          chunker, held)
    assert index.calls[-1] == ("bump", None)
    index = RecordingIndex()
    apply(make_plan([one, two], held, chunker.version, index_chunker="sentences-v0/200/24"), index,
          WordEncoder(), chunker, held)
    assert index.calls[-1] == ("bump", chunker.version)
