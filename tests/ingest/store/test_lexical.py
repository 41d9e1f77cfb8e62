"""The lexical index kept on disk beside the store: saved by whoever builds it, loaded by every
other process of the data dir, rebuilt when damaged, only read from a read-only data dir. Real
Chroma and real BM25; the word-hash encoder stands in for the model."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ingest.models import Article
from ingest.store import Connection, Filters, Index, LexicalIndex, LexicalSnapshot
from ingest.sync import apply, ingest, make_chunker, make_plan
from tests.helpers import ROOT, as_plain_user
from tests.kit import WordEncoder

WEEK = [
    ("fire", "2024-08-12", "Wildfire near Athens", "The fire service put the burned area at 9,500 hectares."),
    ("strike", "2024-03-02", "Port strike", "About 300 dockers went on strike on Friday at the port of Antwerp."),
    ("vote", "2024-05-20", "Budget vote", "Parliament passed the budget by 212 votes to 180 after a long debate."),
]


@pytest.fixture
def week_folder(tmp_path, settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, day, title, text in WEEK:
        (folder / f"{name}.md").write_text(f"---\ntitle: {title}\npublished: {day}\n---\n{text}\n")
    report = ingest([folder], settings, embedder=WordEncoder())
    assert report.failed == 0
    return folder


def found(snapshot: LexicalSnapshot, query: str) -> list[str]:
    return [article.removesuffix(".md") for _, _, article in snapshot.search(query, 5, Filters())]


def test_a_built_snapshot_is_saved_and_another_reader_loads_it_without_building(week_folder, settings, monkeypatch):
    index = Index(settings, WordEncoder())
    first = LexicalIndex(index)
    first.snapshot = None
    shutil.rmtree(first.folder)
    assert first.rebuild()
    folder = first.folder / f"g{index.generation()}"
    assert (folder / "state.json").is_file() and (first.folder / first.snapshot.base_name / "segment.json").is_file()

    def no_build(*args, **kwargs):
        raise AssertionError("built again although a saved snapshot of this generation exists")

    monkeypatch.setattr(LexicalSnapshot, "build", no_build)
    monkeypatch.setattr(LexicalSnapshot, "caught_up", no_build)
    second = LexicalIndex(index)
    assert second.rebuild()
    loaded, built = second.snapshot, first.snapshot
    assert loaded.generation == built.generation and loaded.ids == built.ids and loaded.versions() == built.versions()
    assert (loaded.days == built.days).all()
    for query in ("dockers strike Antwerp", "burned hectares", "budget votes"):
        assert found(loaded, query) == found(built, query) and found(loaded, query)
    assert found(loaded, "dockers strike")[0] == "strike"
    scored = loaded.search("hectares", 5, Filters(since="2024-08-01"))
    assert [article for _, _, article in scored] == ["fire.md"]


def test_an_ingest_writes_only_what_it_changed_and_keeps_the_last_generations(week_folder, settings, monkeypatch):
    index = Index(settings, WordEncoder())
    lexical = LexicalIndex(index)
    lexical.rebuild()
    base = lexical.snapshot.base_name
    generations = []
    for n in range(3):
        (week_folder / f"late{n}.md").write_text(f"---\ntitle: Late {n}\npublished: 2024-09-0{n + 1}\n---\n"
                                              f"The harbour reopened to {n + 10} ships on Monday.\n")
        (week_folder / "vote.md").write_text(f"---\ntitle: Budget vote\npublished: 2024-05-2{n}\n---\n"
                                             f"Parliament passed the budget by {200 + n} votes.\n")
        built = []
        monkeypatch.setattr(LexicalSnapshot, "build", lambda *a, **k: built.append(a) or pytest.fail("rebuilt"))
        ingest([week_folder], settings, embedder=WordEncoder())
        monkeypatch.undo()
        assert lexical.rebuild() and lexical.snapshot.base_name == base  # the base is shared, not written again
        generations.append(index.generation())
        assert "late%d" % n in found(lexical.snapshot, f"harbour reopened {n + 10} ships")
        assert found(lexical.snapshot, "Parliament budget votes") == ["vote"]
        assert sorted(lexical.snapshot.ids) == sorted(c.id for c in index.all_chunks(include_text=False))
    kept = sorted(p.name for p in lexical.folder.iterdir() if not p.name.startswith("."))
    assert kept == sorted([f"g{g}" for g in generations[-LexicalIndex.KEEP:]] + [base])
    fresh = LexicalSnapshot.build(index, index.generation())
    for query in ("harbour reopened ships", "dockers strike", "budget votes Parliament"):
        got, expected = (dict((c, score) for c, score, _ in snapshot.search(query, 10, Filters()))
                         for snapshot in (lexical.snapshot, fresh))
        assert got == pytest.approx(expected) and got


def test_a_reader_of_another_data_dir_reads_only_the_chunks_that_changed(week_folder, settings, tmp_path,
                                                                         monkeypatch):
    index = Index(settings, WordEncoder())
    reader = LexicalIndex(index)
    reader.rebuild()
    monkeypatch.setattr(LexicalIndex, "folder", property(lambda self: None))  # as if nothing were saved
    (week_folder / "late.md").write_text("---\ntitle: Late\npublished: 2024-09-01\n---\n"
                                         "The harbour reopened to ships on Monday.\n")
    (week_folder / "fire.md").unlink()
    assert ingest([week_folder], settings, embedder=WordEncoder(), prune=True).removed == 1
    read = []
    chunks = Index.chunks
    monkeypatch.setattr(Index, "chunks", lambda self, ids: read.extend(ids) or chunks(self, ids))
    assert reader.rebuild()
    assert read == ["late.md:0"]
    assert found(reader.snapshot, "harbour reopened ships") == ["late"] and found(reader.snapshot, "hectares") == []


def test_writers_that_take_turns_each_update_from_the_other_ones_generation(week_folder, settings, tmp_path):
    first, second = Index(settings, WordEncoder()), Index(settings, WordEncoder())
    first.lexical.rebuild()
    for n, writer in enumerate([first, second, first]):
        article = Article(f"m{n}.md", f"More {n}", f"The ferry number {n} sailed at dawn.", f"/m{n}.md", None, None)
        chunker = make_chunker(WordEncoder(), settings.chunking)
        held = writer.articles()
        apply(make_plan([article], held, chunker.version, index_chunker=writer.chunker), writer, WordEncoder(),
              chunker, held)
    assert first.lexical.generation == first.generation()
    assert {c for c, _, _ in first.lexical.snapshot.search("ferry sailed dawn", 10, Filters())} == \
           {"m0.md:0", "m1.md:0", "m2.md:0"}
    assert len(first.lexical.snapshot) == first.count()


def test_a_damaged_saved_snapshot_is_made_again(week_folder, settings):
    index = Index(settings, WordEncoder())
    LexicalIndex(index).rebuild()
    folder = LexicalIndex(index).folder / f"g{index.generation()}"
    (folder / "state.json").write_text("{not json")
    lexical = LexicalIndex(index)
    assert lexical.rebuild() and found(lexical.snapshot, "dockers strike")[0] == "strike"
    again = LexicalSnapshot.load(folder, folder.parent)  # and saved whole again
    assert again.ids == lexical.snapshot.ids


def test_a_snapshot_of_the_older_layout_is_replaced(week_folder, settings):
    index = Index(settings, WordEncoder())
    folder = LexicalIndex(index).folder
    shutil.rmtree(folder)
    (folder / f"g{index.generation()}").mkdir(parents=True)
    (folder / f"g{index.generation()}" / "chunks.json").write_text('{"generation": 1, "ids": []}')
    lexical = LexicalIndex(index)
    assert lexical.rebuild() and found(lexical.snapshot, "dockers strike")[0] == "strike"
    assert (folder / f"g{index.generation()}" / "state.json").is_file()


READ_ONLY = """
import sys
from ingest.store import LexicalIndex
from assistant.settings import load_settings
from ingest.store import Connection, Filters, Index
from tests.helpers import ROOT, as_plain_user
from tests.kit import WordEncoder

lexical = LexicalIndex(Index(load_settings(data_dir=sys.argv[1], chroma_host=None), WordEncoder()))
lexical.rebuild()
print(lexical.snapshot.search("dockers strike", 5, Filters())[0][2])
"""


def test_a_read_only_data_dir_is_searched_without_saving(week_folder, settings, tmp_path):
    copy = tmp_path / "readonly"
    shutil.copytree(settings.data_dir, copy)
    shutil.rmtree(copy / "lexical", ignore_errors=True)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = subprocess.run([*as_plain_user(), sys.executable, "-c", READ_ONLY, str(copy)], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "strike.md" and not (copy / "lexical").exists()
    finally:
        for path in [copy, *copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_collection_made_again_is_never_given_the_old_ones_snapshot(week_folder, settings, tmp_path):
    index = Index(settings, WordEncoder())
    old = LexicalIndex(index)
    old.rebuild()
    generation = index.generation()
    Connection.to(settings, create=False).client.delete_collection(settings.collection)
    other = tmp_path / "other"
    other.mkdir()
    (other / "harbour.md").write_text("---\ntitle: Harbour\npublished: 2024-09-01\n---\n"
                                      "The harbour reopened to ships on Monday after the storm.\n")
    ingest([other], settings, embedder=WordEncoder())
    again = Index(settings, WordEncoder())
    assert again.generation() == generation  # the same number, another archive
    lexical = LexicalIndex(again)
    assert lexical.folder != old.folder and lexical.rebuild()
    assert found(lexical.snapshot, "harbour reopened ships") == ["harbour"]
    assert found(lexical.snapshot, "dockers strike") == []
