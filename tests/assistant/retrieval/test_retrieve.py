from assistant.retrieval.retrieve import Filters, diversify, merge_adjacent
from assistant.types import Hit
from ingest.store import StoredChunk

ARTICLE = "First sentence here. Second sentence here. Third one is here. Fourth and last one."


def hit(article, start, end, score, text=None):
    return Hit(id=f"{article}:{start}", article_id=article, title=article, source=article, url=None,
               published=None, passage=text if text is not None else ARTICLE[start:end], start=start,
               end=end, score=score, chunks=(start,), spans=((start, end),))


def test_adjacent_and_overlapping_chunks_merge_into_one_passage():
    a = hit("a", 21, 61, 0.9)  # "Second ... Third ..."
    b = hit("a", 0, 42, 0.8)  # overlaps a
    c = hit("b", 0, 10, 0.7, "Other text")
    d = hit("a", 62, len(ARTICLE), 0.6)  # adjacent to a
    merged = merge_adjacent([a, b, c, d])
    assert [m.article_id for m in merged] == ["a", "b"]
    assert merged[0].passage == ARTICLE and (merged[0].start, merged[0].end) == (0, len(ARTICLE))
    assert merged[0].score == 0.9 and merged[0].chunks == (0, 21, 62)


def test_distant_chunks_of_one_article_stay_apart():
    assert len(merge_adjacent([hit("a", 0, 20, 0.9), hit("a", 64, 80, 0.5)])) == 2


def test_diversify_caps_one_article_while_others_wait():
    hits = [hit("a", i, i + 1, 1 - i / 10, "x") for i in range(4)] + [hit("b", 0, 1, 0.1, "y")]
    assert [h.article_id for h in diversify(hits, 3, per_article=2)] == ["a", "a", "b"]
    assert [h.article_id for h in diversify(hits[:4], 3, per_article=2)] == ["a", "a", "a"]


def stored(article="x", published="2023-09-05", source="/p/x", url=None) -> StoredChunk:
    return StoredChunk(f"{article}:0", "text", article, "title", source, url, published, 0, 0, 4)


def test_filters_as_where_clause_and_in_python():
    f = Filters(since="2023-09-01", until="2023-09-30", articles=("x",))
    where = f.where()
    assert where["$and"][0] == {"published_day": {"$gte": 19601}}
    assert f.allows(stored())
    assert f.allows(stored(article="other", source="x"))  # named by its file
    assert not f.allows(stored(published=None))
    assert not f.allows(stored(published="2023-10-01"))
    assert not f.allows(stored(article="y"))
    assert Filters().where() is None and Filters().allows(stored(published=None))
    assert Filters(until="2023-01-01").where() == {"$and": [
        {"published_day": {"$lte": 19358}}, {"published_day": {"$gte": 0}}]}
    assert not Filters(until="2023-01-01").allows(stored(published=None))  # undated: out of any range
    assert Filters(since="2023-01-01").day_range()[1] > 19358


def test_a_merged_passage_narrows_back_to_the_chunks_around_a_quote():
    merged = merge_adjacent([hit("a", 21, 61, 0.9), hit("a", 0, 42, 0.8), hit("a", 62, len(ARTICLE), 0.6)])[0]
    fourth = ARTICLE.index("Fourth")
    text, start, end = merged.narrowed(fourth, fourth + 6)
    assert (text, start, end) == (ARTICLE[62:], 62, len(ARTICLE))
    assert merged.narrowed(0, 5) == (ARTICLE[0:42], 0, 42)
