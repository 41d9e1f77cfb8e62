"""BM25 over segments: the scores are bm25s's (its defaults, Lucene's formula), and a snapshot
changed by additions, removals and replacements ranks exactly as one made afresh from what it
holds, before and after its segments are merged."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from ingest.store import Filters
from ingest.store.bm25 import Row, Scorer, Segment
from ingest.store.lexical import LexicalSnapshot

WORDS = ("harbour strike dockers fire hectares budget vote minister troops niger france base "
         "storm ships port week court ruling election turnout river flood bridge price").split()


def corpus(n: int, seed: int, prefix: str = "a") -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = [rng.choice(WORDS[: rng.randint(4, len(WORDS))]) for _ in range(rng.randint(1, 30))]
        article = f"{prefix}{i // 3}"
        rows.append(Row(f"{article}:{i % 3}", f"h{seed}", 19000 + i % 40, (article, f"/{article}.md"),
                        dict(Counter(words))))
    return rows


def tokens(row: Row) -> list[str]:
    return [t for t, n in row.counts.items() for _ in range(n)]


def fresh(rows: list[Row]) -> LexicalSnapshot:
    segment = Segment.of(rows)
    return LexicalSnapshot(1, segment, np.zeros(len(segment), bool))


def ranking(snapshot: LexicalSnapshot, query: str, filters: Filters = Filters()) -> list[tuple[str, float]]:
    return [(cid, round(score, 4)) for cid, score, _ in snapshot.search(query, 200, filters)]


@pytest.mark.parametrize("query", [["harbour"], ["strike", "dockers", "port"], ["flood", "flood", "river"],
                                   ["price", "unknownword"]])
def test_the_scores_are_those_of_bm25s(query):
    import bm25s

    rows = corpus(300, seed=1)
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in tokens(row)] for row in rows]
    reference = bm25s.BM25()
    reference.index((ids, vocab), show_progress=False)
    expected = reference.get_scores(query)
    [got] = Scorer([(Segment.of(rows), None)]).scores(query)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-6) and expected.max() > 0


def test_a_changed_snapshot_ranks_as_one_made_afresh_from_what_it_holds():
    rows = corpus(400, seed=2)
    snapshot = fresh(rows)
    held = {row.id: row for row in rows}
    rng = random.Random(3)
    for step in range(6):
        removed = rng.sample(sorted(held), 25)
        replaced = [Row(cid, f"v{step}", 19500, held[cid].keys, {"harbour": step + 1, "flood": 2})
                    for cid in rng.sample(sorted(set(held) - set(removed)), 10)]
        added = corpus(30, seed=10 + step, prefix=f"n{step}-")
        snapshot = snapshot.updated(step + 2, added + replaced, removed)
        for cid in removed:
            held.pop(cid)
        held.update({row.id: row for row in added + replaced})
        assert len(snapshot.added) > 0 and snapshot.removed.any()  # not merged: the changes ride beside the base
        expected = fresh(list(held.values()))
        assert sorted(snapshot.ids) == sorted(expected.ids) and snapshot.versions() == expected.versions()
        for query in ("harbour flood", "strike dockers port", "court ruling election", "bridge"):
            assert dict(ranking(snapshot, query)) == pytest.approx(dict(ranking(expected, query)), abs=1e-3)
        since = Filters(since="2022-01-01", articles=("n1-0", "/a5.md"))
        assert dict(ranking(snapshot, "harbour storm", since)) == pytest.approx(
            dict(ranking(expected, "harbour storm", since)), abs=1e-3)
        assert sorted(snapshot.days.tolist()) == sorted(expected.days.tolist())


def test_a_large_added_segment_is_merged_into_a_new_base_that_ranks_the_same(monkeypatch):
    from ingest.store import lexical

    monkeypatch.setattr(lexical, "COMPACT_MIN", 50)
    rows = corpus(200, seed=4)
    snapshot = fresh(rows).updated(2, corpus(40, seed=5, prefix="b"), [rows[0].id, rows[7].id])
    assert len(snapshot.added) == 40 and snapshot.removed.sum() == 2
    merged = snapshot.updated(3, corpus(30, seed=6, prefix="c"), ["b0:0", rows[9].id])
    assert len(merged.added) == 0 and not merged.removed.any() and merged.base_name is None  # a new base
    held = [r for r in rows if r.id not in {rows[0].id, rows[7].id, rows[9].id}]
    held += [r for r in corpus(40, seed=5, prefix="b") if r.id != "b0:0"] + corpus(30, seed=6, prefix="c")
    expected = fresh(held)
    assert merged.ids == expected.ids
    for query in ("harbour flood", "troops niger france", "price"):
        assert ranking(merged, query) == ranking(expected, query)
    assert merged.base.rows() == expected.base.rows()


def test_a_saved_generation_loads_with_its_base_and_a_known_base_is_not_read_again(tmp_path):
    rows = corpus(100, seed=7)
    first = fresh(rows).save(tmp_path)
    assert first.base_name.startswith("s1-") and (tmp_path / first.base_name / "segment.json").is_file()
    second = first.updated(2, corpus(5, seed=8, prefix="z"), [rows[3].id]).save(tmp_path)
    assert second.base_name == first.base_name and not list(tmp_path.glob("s2*"))  # only the change is written
    loaded = LexicalSnapshot.load(tmp_path / "g2", tmp_path)
    assert loaded.ids == second.ids and ranking(loaded, "harbour strike") == ranking(second, "harbour strike")
    again = LexicalSnapshot.load(tmp_path / "g2", tmp_path, known=first)
    assert again.base is first.base
