"""Ingest against the real model and a real (embedded) Chroma."""

import json
import os

import pytest

from ingest import ingest
from ingest.store import Index, ModelMismatch
from tests.helpers import SEED_FILE
from tests.kit import WordEncoder

pytestmark = pytest.mark.integration


def state(settings, embedder):
    """Every chunk in the index as id -> (article hash, text)."""
    index = Index(settings, embedder)
    return {c.id: (c.hash, c.text) for c in index.all_chunks()}


def write_articles(folder, n=2):
    for i in range(n):
        (folder / f"extra{i}.md").write_text(
            f"---\ntitle: Extra story {i}\ndate: 2023-10-0{i + 1}\n---\n"
            f"The harbour of town {i} reopened after {i + 3} weeks of repairs. "
            f"Fishermen number {i} said the catch of species {i} had doubled since spring.\n"
        )


def test_second_run_embeds_nothing_and_ids_are_stable(seed_copy, settings, embedder):
    first = ingest([seed_copy], settings, embedder=embedder)
    assert (first.added, first.failed, first.unchanged) == (1, 0, 0)
    ids = sorted(state(settings, embedder))
    assert ids == [f"{SEED_FILE.name}:{n}" for n in range(first.chunks)]
    assert first.chunks >= 4
    second = ingest([seed_copy], settings, embedder=embedder)
    assert second.summary() | {"seconds": 0} == {
        "added": 0, "updated": 0, "unchanged": 1, "removed": 0, "duplicates": 0, "failed": 0,
        "chunks": 0, "seconds": 0}
    assert sorted(state(settings, embedder)) == ids


def test_editing_one_article_rewrites_only_it(seed_copy, settings, embedder):
    write_articles(seed_copy)
    ingest([seed_copy], settings, embedder=embedder)
    before = state(settings, embedder)
    edited = seed_copy / "extra1.md"
    edited.write_text(edited.read_text().replace("doubled", "tripled"))
    report = ingest([seed_copy], settings, embedder=embedder)
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 1, 2, 1)
    after = state(settings, embedder)
    changed = {cid for cid in after if after[cid] != before.get(cid)}
    assert changed == {"extra1.md:0"} and "tripled" in after["extra1.md:0"][1]
    assert set(after) == set(before)


def test_a_shorter_version_leaves_no_stale_chunks(seed_copy, settings, embedder):
    ingest([seed_copy], settings, embedder=embedder)
    seed = seed_copy / SEED_FILE.name
    seed.write_text(seed.read_text()[:600])
    report = ingest([seed_copy], settings, embedder=embedder)
    assert report.updated == 1
    assert sorted(state(settings, embedder)) == [f"{SEED_FILE.name}:0"]


def test_prune_removes_only_the_deleted_article(seed_copy, settings, embedder):
    write_articles(seed_copy)
    ingest([seed_copy], settings, embedder=embedder)
    (seed_copy / "extra0.md").unlink()
    kept = ingest([seed_copy], settings, embedder=embedder)  # without --prune nothing goes
    assert kept.removed == 0 and any(c.startswith("extra0.md:") for c in state(settings, embedder))
    report = ingest([seed_copy], settings, embedder=embedder, prune=True)
    assert (report.removed, report.unchanged) == (1, 2)
    assert {c.split(":")[0] for c in state(settings, embedder)} == {SEED_FILE.name, "extra1.md"}


def test_same_named_files_in_two_folders_are_both_kept(tmp_path, settings, embedder):
    first, second = tmp_path / "first", tmp_path / "second"
    stories = {first: "The harbour of Brest reopened after six weeks of repairs to its quays.",
               second: "Lorient's council voted a new budget for schools, roads and the public library."}
    for folder, text in stories.items():
        folder.mkdir()
        (folder / "news.txt").write_text(text + "\n")
    one = ingest([first], settings, embedder=embedder)
    two = ingest([second], settings, embedder=embedder)
    assert (one.added, two.added, two.updated) == (1, 1, 0)
    both = ingest([first, second], settings, embedder=embedder)
    assert (both.added, both.updated, both.unchanged, both.duplicates) == (0, 0, 2, 0)
    texts = " ".join(text for _, text in state(settings, embedder).values())
    assert "Brest" in texts and "Lorient" in texts


def test_dry_run_changes_nothing(seed_copy, settings, embedder):
    plan = ingest([seed_copy], settings, embedder=embedder, dry_run=True)
    assert plan.added == 1 and plan.plan == [("add", SEED_FILE.name)]
    assert not settings.data_dir.exists()
    ingest([seed_copy], settings, embedder=embedder)
    before = state(settings, embedder)
    (seed_copy / SEED_FILE.name).unlink()
    plan = ingest([seed_copy], settings, embedder=embedder, dry_run=True, prune=True)
    assert plan.removed == 1 and state(settings, embedder) == before


def test_hostile_files_are_reported_and_good_ones_indexed(seed_copy, settings, embedder):
    write_articles(seed_copy, 1)
    ingest([seed_copy], settings, embedder=embedder)
    hostile = {
        "binary.txt": b"\x00\xff\x00" * 100,
        "empty.md": b"",
        "latin1.txt": "d\u00e9j\u00e0 vu".encode("latin-1"),
        "broken.html": b"<html><body><div",
        "broken.json": b"[{\"title\": ",
    }
    for name, data in hostile.items():
        (seed_copy / name).write_bytes(data)
    with (seed_copy / "huge.txt").open("wb") as f:
        f.truncate(50 * 10**6)
    os.symlink(seed_copy / "gone.txt", seed_copy / "unreadable.txt")
    (seed_copy / "extra0.md").write_bytes(b"\x00binary now")  # a good file turned bad: keep old copy
    report = ingest([seed_copy], settings, embedder=embedder, prune=True)
    bad = [*hostile, "huge.txt", "unreadable.txt", "extra0.md"]
    assert report.failed == len(bad)
    for name in bad:
        assert sum(str(seed_copy / name) in e for e in report.errors) == 1, name
    assert (report.added, report.removed, report.unchanged) == (0, 0, 1)
    assert any(c.startswith("extra0.md:") for c in state(settings, embedder))


def test_near_duplicate_story_is_indexed_once(seed_copy, settings, embedder):
    text = SEED_FILE.read_text()
    (seed_copy / "wire-copy.txt").write_text(text.replace("Tuesday", "Tuesday,") + "\n(Reuters)")
    report = ingest([seed_copy], settings, embedder=embedder)
    assert (report.added, report.duplicates) == (1, 1)
    assert report.duplicate_of == {"wire-copy.txt": SEED_FILE.name}
    chunks = Index(settings, embedder).all_chunks()
    assert {c.article_id for c in chunks} == {SEED_FILE.name}
    assert all(c.also_sources == (str(seed_copy / "wire-copy.txt"),) for c in chunks)


def test_a_run_killed_midway_then_rerun_ends_as_an_uninterrupted_run(seed_copy, settings, embedder,
                                                                       tmp_path, monkeypatch):
    write_articles(seed_copy, 3)
    clean = settings.model_copy(update={"data_dir": tmp_path / "clean"})
    ingest([seed_copy], clean, embedder=embedder)

    calls = {"n": 0}
    real_upsert = Index.write

    def dying_write(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(Index, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        ingest([seed_copy], settings, embedder=embedder)
    monkeypatch.setattr(Index, "write", real_upsert)
    report = ingest([seed_copy], settings, embedder=embedder)
    assert report.unchanged == 2 and report.added == 2
    assert state(settings, embedder) == state(clean, embedder)


def test_another_model_is_refused_with_a_clear_message(seed_copy, settings, embedder):
    ingest([seed_copy], settings, embedder=embedder)
    with pytest.raises(ModelMismatch, match="built with the embedding model .* not 'word-hash'"):
        Index(settings, WordEncoder())


def test_cli_json_summary_is_the_last_line(seed_copy, settings, capsys):
    from assistant.cli import main

    (seed_copy / "bad.json").write_text("{")
    code = main(["ingest", str(seed_copy), "--data-dir", str(settings.data_dir), "--json", "--quiet"])
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert code == 1
    assert list(summary) == ["added", "updated", "unchanged", "removed", "duplicates", "failed", "chunks", "seconds"]
    assert (summary["added"], summary["failed"]) == (1, 1)
    assert "bad.json" in out.err
