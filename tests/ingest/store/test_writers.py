"""One writer at a time on an embedded store: a second ingest, in a second real process, waits
for the first and says so, then writes (real Chroma, the test kit's word encoder)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ingest.store import Index
from tests.kit import WordEncoder

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = "from assistant.settings import load_settings; settings = load_settings(data_dir={!r}, chroma_host=None)"
HOLDER = SETTINGS + """
import sys
from ingest.store import one_writer
with one_writer(settings):
    print("held", flush=True)
    sys.stdin.read()
"""
WRITER = SETTINGS + """
from ingest import ingest
from tests.kit import WordEncoder
print(ingest([{!r}], settings, embedder=WordEncoder()).added, flush=True)
"""


def python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)


def test_a_second_writer_waits_for_the_first_and_says_so(tmp_path, settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "harbour.md").write_text("---\ntitle: Harbour reopens\ndate: 2024-05-02\n---\n"
                                       "The harbour of Tarven reopened on Thursday after six weeks of repairs.\n")
    holder = python(HOLDER.format(str(settings.data_dir)), stdin=subprocess.PIPE)
    writer = None
    try:
        assert holder.stdout.readline().strip() == "held"
        writer = python(WRITER.format(str(settings.data_dir), str(folder)), stderr=subprocess.PIPE)
        said = ""
        deadline = time.monotonic() + 120
        while "waiting for it to finish" not in said and time.monotonic() < deadline and writer.poll() is None:
            said += writer.stderr.readline()
        assert f"another process is writing to the index in {settings.data_dir}" in said
        assert writer.poll() is None  # still waiting: nothing written while the other holds the store
        holder.stdin.close()
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert out.strip() == "1"
    finally:
        for proc in (holder, writer):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert [c.article_id for c in Index(settings, WordEncoder()).all_chunks()] == ["harbour.md"]
