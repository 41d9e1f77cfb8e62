"""Search over the ingested seed article: the real model, embedded Chroma and a Chroma server."""

import subprocess
import sys
from pathlib import Path

import pytest

from ingest import ingest
from tests.helpers import SEEDS, free_port, wait_for_port

pytestmark = pytest.mark.integration


def check_soldiers_first(hits):
    assert "1,500 French soldiers" in hits[0].passage
    assert hits[0].article_id == next(SEEDS.glob("*.txt")).name and hits[0].title.startswith("France has started")
    assert hits[0].published is None and hits[0].score > 0
    assert hits[0].source.endswith(".txt") and hits[0].start < hits[0].end
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_public_search_finds_the_troop_count_first(settings, monkeypatch):
    ingest([SEEDS], settings)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    from assistant import search

    hits = search("How many French soldiers are deployed in Niger?", k=5)
    check_soldiers_first(hits)
    seed = next(SEEDS.glob("*.txt")).read_text()
    assert seed[hits[0].start:hits[0].end].startswith(hits[0].passage[:200])


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--host", "127.0.0.1", "--port", str(port),
                             "--path", str(tmp_path / "server")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc, 60)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_ingest_and_search_through_a_chroma_server(settings, embedder, chroma_server):
    from assistant import Assistant

    server = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    first = ingest([SEEDS], server, embedder=embedder)
    again = ingest([SEEDS], server, embedder=embedder)
    assert (first.added, again.unchanged, again.chunks) == (1, 1, 0)
    assert not settings.data_dir.exists()  # nothing was written locally
    hits = Assistant(server, embedder=embedder).search("number of French soldiers in Niger")
    check_soldiers_first(hits)
