import pytest

from assistant import Assistant
from assistant.web import library
from ingest import ingest

pytestmark = pytest.mark.integration


def test_uploads_are_ingested_and_bad_ones_leave_nothing_behind(settings, embedder, seed_copy, tmp_path):
    ingest([seed_copy], settings, embedder=embedder)
    assistant = Assistant(settings, embedder=embedder)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "good story.txt").write_text("Harbour reopens\nThe Zarnova harbour reopened after 3 weeks.\n")
    (incoming / "broken.json").write_text("{")
    (incoming / "evil.exe").write_bytes(b"MZ")
    before = {a["article_id"] for a in library.articles(assistant)}
    result = library.upload(assistant, sorted(incoming.iterdir()), max_mb=20)
    assert result.added == ["good story.txt"]
    assert [e.split(":")[0] for e in result.errors] == ["broken.json", "evil.exe"]
    assert sorted(p.name for p in library.uploads_dir(assistant).iterdir()) == ["good story.txt"]
    assert {a["article_id"] for a in library.articles(assistant)} == before | {"good story.txt"}
    assert "3 weeks" in assistant.answer("How long was the Zarnova harbour closed?").text
    assert library.remove(assistant, "good story.txt")
    assert {a["article_id"] for a in library.articles(assistant)} == before
    assert list(library.uploads_dir(assistant).iterdir()) == []
