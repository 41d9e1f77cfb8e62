"""The real web chat in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from ingest import ingest
from tests.helpers import SEEDS, free_port, wait_for_port

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
XSS_ARTICLE = """---
title: "<script>window.__xss = 'title'</script>Harbour pelicans report"
date: 2023-10-02
---
The harbour pelicans of Zarnova were counted at 417 birds this autumn.
Observers planted <img src=x onerror="window.__xss='img'"> and <script>window.__xss='body'</script> in the notes.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    from assistant.settings import load_settings

    root = tmp_path_factory.mktemp("web")
    articles = root / "articles"
    shutil.copytree(SEEDS, articles)
    (articles / "planted.md").write_text(XSS_ARTICLE)
    settings = load_settings(data_dir=root / "index", chroma_host=None)
    ingest([articles], settings, embedder=embedder)
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(root / "index"), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("CHROMA_HOST", None)
    log = (root / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, proc, 120, root / "server.log")
    yield f"http://127.0.0.1:{port}/", root
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server[0])
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        browser.close()


def ask(page, question: str, turn: int) -> str:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        """([n]) => { const rows = document.querySelectorAll('#chat [data-testid="bot"]');
                   return rows.length >= n && !rows[n - 1].innerText.trim().startsWith('…')
                          && rows[n - 1].innerText.trim().length > 3; }""",
        arg=[turn], timeout=60_000,
    )
    page.wait_for_timeout(600)  # let the last streamed update land
    return page.locator("#chat [data-testid='bot']").nth(turn - 1).inner_text()


def test_chat_cites_streams_follows_up_uploads_and_abstains(page, server, output_dir, tmp_path):
    first = ask(page, "How many French soldiers are deployed in Niger?", 1)
    assert "1,500" in first and "[1]" in first
    quote = page.locator("#sources mark.quote").first
    assert "1,500 French soldiers" in quote.inner_text()
    page.locator("#chat a[href='#src-1']").first.click()
    page.wait_for_selector("#src-1.focus")
    page.screenshot(path=str(output_dir / "answered.png"), full_page=True)

    follow = ask(page, "And where are their bases?", 2)
    assert re.search("Niamey|Ouallam|Ayorou", follow)
    assert "searched for" in page.locator("#searched").inner_text()

    article = tmp_path / "lighthouse.txt"
    article.write_text("Lighthouse of Corvenna restored\nThe Corvenna lighthouse was restored by 23 "
                       "volunteers and relit on 4 October 2023 after nine years of darkness.\n")
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.wait_for_timeout(1000)
    page.locator("#ingest").click()
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('added lighthouse.txt')",
                           timeout=60_000)
    assert "Lighthouse of Corvenna restored" in page.locator("#library").inner_text()
    page.get_by_role("tab", name="Chat").click()
    uploaded = ask(page, "How many volunteers restored the Corvenna lighthouse?", 3)
    assert "23 volunteers" in uploaded
    assert "1,500" not in page.locator("#sources").inner_text()
    page.locator("#chat [data-testid='bot']").first.click()  # an earlier answer shows its sources
    page.wait_for_function("() => document.querySelector('#sources mark.quote').innerText.includes('1,500')",
                           timeout=30_000)

    absent = ask(page, "Who won the 2022 football World Cup?", 4)
    assert "The documents don't say" in absent
    assert "No sources" in page.locator("#sources").inner_text()
    assert page.dialogs == []


def test_planted_markup_is_shown_as_text_and_never_runs(page, output_dir):
    answer = ask(page, "How many harbour pelicans were counted in Zarnova?", 1)
    assert "417" in answer
    sources = page.locator("#sources").inner_text()
    assert "<script>window.__xss = 'title'</script>" in sources
    assert "<img src=x onerror=" in sources
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#sources img, #chat img[src='x']").count() == 0
    assert page.dialogs == []
    page.screenshot(path=str(output_dir / "planted.png"), full_page=True)


def test_named_api_endpoint_returns_the_answer_as_json(server):
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    result = client.predict("Who is the French ambassador?", "", "", api_name="/answer")
    assert result["abstained"] is False
    assert "Sylvain Itte" in result["citations"][0]["quote"]
    assert set(result) >= {"text", "citations", "abstained", "query"}
