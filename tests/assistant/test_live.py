"""A live archive: articles another process ingests reach running readers, under load too.

An archive of several hundred chunks (a handful hid the embedded store's stale vector index),
real processes for the ingest, the web chat and the Chroma server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.measure.load import run_load
from assistant.settings import load_settings
from ingest import ingest
from tests.archive import write_archive
from tests.helpers import SEEDS, free_port, wait_for_port

pytestmark = pytest.mark.integration
SEED_QUESTIONS = [("How many French soldiers are deployed in Niger?", "1,500"),
                  ("Who is the French ambassador in Niger?", "Itte"),
                  ("How much debt does Niger have?", "5200 billion")]


@pytest.fixture(scope="module")
def towns(tmp_path_factory, embedder):
    """The seed article and 150 made-up ones (about 450 chunks), indexed once for the module."""
    root = tmp_path_factory.mktemp("live")
    shutil.copytree(SEEDS, root / "articles")
    facts = write_archive(root / "articles" / "towns", 150)
    settings = load_settings(data_dir=root / "index", chroma_host=None)
    report = ingest([root / "articles"], settings, embedder=embedder)
    assert report.failed == 0 and report.chunks >= 400, report.summary()
    return root, facts


def fresh_copy(towns, tmp_path: Path) -> Path:
    shutil.copytree(towns[0] / "index", tmp_path / "index")
    return tmp_path / "index"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def answered_within(assistant: Assistant, question: str, expected: str, seconds: float) -> float | None:
    """Seconds until the answer holds `expected` with a citation of it, or None."""
    started = time.monotonic()
    while True:
        a = assistant.answer(question)
        if expected in a.text and any(expected in c.quote for c in a.citations):
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            return None
        time.sleep(0.25)


@pytest.fixture
def chroma_server(tmp_path):
    """`chroma run` serving its own folder, on a free loopback port; stopped at the end."""
    def start(path: Path) -> int:
        port = free_port()
        proc = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1",
                                 "--port", str(port), "--path", str(path)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        wait_for_port(port, proc, 60)
        return port

    procs: list[subprocess.Popen] = []
    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("store", ["embedded", "server"])
def test_a_running_assistant_answers_from_articles_another_process_ingested(towns, tmp_path, embedder,
                                                                            chroma_server, store):
    index = fresh_copy(towns, tmp_path)
    # No newest-first prior: the late articles are dated among the oldest, and the last check
    # reads the ranking of dense and lexical search alone.
    settings = load_settings(data_dir=index, chroma_host=None, refresh_seconds=0.5, recency_weight=0.0)
    env = {"ASSISTANT_DATA_DIR": str(index)}
    if store == "server":  # the server serves the same index files
        port = chroma_server(index)
        settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
        env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
    assistant = Assistant(settings, embedder=embedder)
    assistant.warm_up()
    old = towns[1][7]
    assert answered_within(assistant, old.question, old.answer, 0) is not None
    late = write_archive(tmp_path / "late", 3, seed=99, prefix="late")
    assert assistant.answer(late[0].question).abstained  # not in the archive yet

    done = cli("ingest", str(tmp_path / "late"), "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    waited = answered_within(assistant, late[0].question, late[0].answer, 30)
    assert waited is not None, f"{store}: still not answered 30 s after the ingest ended"
    assert answered_within(assistant, late[2].question, late[2].answer, 5) is not None
    assert answered_within(assistant, old.question, old.answer, 5) is not None  # nothing old was lost
    hits = assistant.search(late[1].question, k=4)
    assert hits[0].article_id.startswith("late-99-0001")  # dense and lexical alike hold it


def test_a_question_asked_during_a_rebuild_is_answered_from_the_last_snapshot(towns, tmp_path, embedder):
    settings = load_settings(data_dir=fresh_copy(towns, tmp_path), chroma_host=None, refresh_seconds=0)
    assistant = Assistant(settings, embedder=embedder)
    assistant.warm_up()
    before = assistant.retriever.lexical.snapshot
    late = write_archive(tmp_path / "late", 1, seed=5, prefix="late")
    ingest([tmp_path / "late"], settings, embedder=embedder)
    assert assistant.retriever.lexical.snapshot is before  # nothing rebuilt in the question's path
    assistant.search(late[0].question)
    assert assistant.retriever.lexical.snapshot is before
    assert assistant.refresh() and assistant.retriever.lexical.snapshot is not before
    assert answered_within(assistant, late[0].question, late[0].answer, 0.1) is not None
    assert not assistant.refresh()  # nothing new since


@pytest.fixture
def web_chat(towns, tmp_path):
    index = fresh_copy(towns, tmp_path)
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(index), "ASSISTANT_REFRESH_SECONDS": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("CHROMA_HOST", None)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, proc, 120, log)
    yield f"http://127.0.0.1:{port}", index, log
    proc.terminate()
    proc.wait(timeout=30)


def test_twenty_clients_ask_while_another_process_ingests(towns, tmp_path, web_chat):
    url, index, log = web_chat
    facts = towns[1]
    questions = [(f.question, f.answer) for f in facts[:7]] + SEED_QUESTIONS
    late = write_archive(tmp_path / "late", 20, seed=42, prefix="late")
    ingesting = subprocess.Popen([sys.executable, "-m", "assistant.cli", "--data-dir", str(index), "ingest",
                                  str(tmp_path / "late"), "--quiet"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
    clients = [[q for q, _ in questions[c % 10:] + questions[:c % 10]] for c in range(20)]
    load = run_load(url, clients)
    out, err = ingesting.communicate(timeout=600)
    assert ingesting.returncode == 0, err

    assert load.errors == []
    expected = dict(questions)
    wrong = [(q, a["text"]) for q, a in load.answers
             if expected[q] not in a["text"] or not any(expected[q] in c["quote"] for c in a["citations"])]
    assert len(load.answers) == 200 and wrong == []
    print("load:", load.figures())

    fresh = run_load(url, [[f.question for f in late]])  # the new articles, once the ingest is done
    deadline = time.monotonic() + 60
    while any(f.answer not in a["text"] for f, (_, a) in zip(late, fresh.answers)) and time.monotonic() < deadline:
        time.sleep(1)
        fresh = run_load(url, [[f.question for f in late]])
    missed = [f.question for f, (_, a) in zip(late, fresh.answers) if f.answer not in a["text"]]
    assert fresh.errors == [] and missed == []
    assert "Traceback" not in log.read_text()


def test_the_answer_api_gives_the_reason_for_a_malformed_call(web_chat):
    import httpx

    url, _, log = web_chat
    calls = [([None, "", "", ""], "must be text, not NoneType"), ([7, "", "", ""], "must be text, not int"),
             (["French troops", 3, None, ""], "since must be a date written YYYY-MM-DD, not int"),
             (["French troops", "soon", "", ""], "since 'soon' is not a date"),
             (["French troops", "", "", "tomorrow"], "as_of 'tomorrow' is not a date"),
             (["\udcff Niger", "", "", ""], "not valid text"),
             ([], "didn't receive enough input values")]  # Gradio's own check, before ours
    with httpx.Client(timeout=60) as http:
        for data, reason in calls:
            sent = json.dumps({"data": data})  # ASCII with \u escapes: a lone surrogate arrives as one
            event = http.post(f"{url}/gradio_api/call/answer", content=sent,
                              headers={"content-type": "application/json"}).json()["event_id"]
            body = http.get(f"{url}/gradio_api/call/answer/{event}").text
            assert reason in body, (data, body)
    assert not re.search(r'File "[^"]*/(assistant|ingest)/', log.read_text())  # no failure of ours


def test_gradio_keeps_uploads_in_a_folder_of_its_own_and_forgets_them_once_read(tmp_path, monkeypatch):
    from assistant.cli import private_gradio_dir
    from assistant.web.chat import forget_uploads

    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    folder = private_gradio_dir()
    assert os.environ["GRADIO_TEMP_DIR"] == str(folder) and (folder.stat().st_mode & 0o077) == 0
    upload, elsewhere = folder / "abc" / "story.txt", tmp_path / "story.txt"
    upload.parent.mkdir()
    for path in (upload, elsewhere):
        path.write_text("text")
    forget_uploads([upload, elsewhere])
    assert not upload.exists() and elsewhere.exists()


def test_two_web_chats_on_one_chroma_server_serve_the_same_growing_archive(towns, tmp_path, chroma_server):
    """The way past one process: several `assistant serve` against one `chroma run`."""
    from assistant.measure.load import ask

    port = chroma_server(fresh_copy(towns, tmp_path))
    env = {**os.environ, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port), "ASSISTANT_REFRESH_SECONDS": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    chats = []
    try:
        for n in range(2):
            web = free_port()
            log = tmp_path / f"serve-{n}.log"
            own = tmp_path / f"worker-{n}"  # each worker its own data dir: its lexical side follows the server
            own.mkdir()
            with log.open("w") as out:
                chats.append(subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(web)],
                                              env={**env, "ASSISTANT_DATA_DIR": str(own)}, stdout=out,
                                              stderr=subprocess.STDOUT))
            wait_for_port(web, chats[-1], 120, log)
            chats[-1].url = f"http://127.0.0.1:{web}"
        late = write_archive(tmp_path / "late", 2, seed=77, prefix="late")
        server = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
        done = cli("ingest", str(tmp_path / "late"), "--quiet", env=server)
        assert done.returncode == 0, done.stderr
        import httpx

        with httpx.Client(timeout=60) as http:
            for chat in chats:
                deadline, text = time.monotonic() + 30, ""
                while late[0].answer not in text and time.monotonic() < deadline:
                    text = ask(http, chat.url, late[0].question)["text"]
                    time.sleep(0.5)
                assert late[0].answer in text, f"{chat.url}: {text}"
                old = towns[1][3]
                assert old.answer in ask(http, chat.url, old.question)["text"]
        for n in range(2):  # each worker keeps the snapshot of the generation it follows in its own data dir
            assert list((tmp_path / f"worker-{n}" / "lexical").glob("*/g*")), n
    finally:
        for chat in chats:
            chat.terminate()
            chat.wait(timeout=30)
