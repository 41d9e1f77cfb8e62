"""Feeds and pages from a real HTTP server on 127.0.0.1, through the real `assistant ingest` and
`assistant follow`: the full article from each entry's page, polled politely, failures named."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import Site

pytestmark = pytest.mark.integration

HTML = {"Content-Type": "text/html; charset=utf-8"}
CHROME = ("<header><nav><a href='/'>Home</a> <a href='/world'>World</a> Subscribe to our newsletter</nav></header>"
          "{body}<footer>Copyright Harbour Gazette. Cookie settings. Follow us on social media.</footer>")


def page(title: str, paragraphs: list[str], canonical: str | None = None) -> str:
    head = f"<title>{title}</title>" + (f'<link rel="canonical" href="{canonical}">' if canonical else "")
    body = f"<article><h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article>"
    return f"<html><head>{head}</head><body>{CHROME.format(body=body)}</body></html>"


LIGHTHOUSE = page("Quorvath lighthouse restored", [
    "The Quorvath lighthouse was restored by 23 volunteers over two summers, the harbour board said on Monday.",
    "The lamp, dark since 1998, will be lit again on the first of May for the spring festival.",
    "Volunteers repainted the tower and replaced the lantern glass with panes made in a nearby workshop."])
FERRY = page("Ferry to Ostrel resumes", [
    "The ferry to Ostrel resumed on Tuesday after a winter of repairs to its two engines.",
    "Crossings run four times a day, and the first boat leaves the harbour at seven in the morning."])
MARKET = page("Fish market moves", [
    "The Zelmor fish market will move to the old customs hall in June, the town council decided.",
    "Traders said the hall offers 40 covered stalls and cold rooms for the morning catch."])


def rss(site: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(f"<item><title>{t}</title><link>{site}{path}</link><pubDate>{day}</pubDate>"
                      f"<description>Summary of {t}.</description></item>" for t, path, day in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>{site}/</link>'
            f"<description>News</description>{entries}</channel></rss>")


def atom(site: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Market news'
            f'</title><id>{site}/atom.xml</id><updated>2024-03-02T08:00:00Z</updated><entry><title>Fish market moves'
            f'</title><link href="{site}/market.html"/><id>{site}/market.html</id>'
            "<updated>2024-03-02T08:00:00Z</updated><summary>The market moves.</summary></entry></feed>")


def conditional(body_of, etag: str):
    def serve(handler):
        if handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.end_headers()
            return
        data = body_of().encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    return serve


@pytest.fixture
def site():
    served = Site({})
    items = [("Quorvath lighthouse restored", "/lighthouse.html", "Mon, 04 Mar 2024 09:00:00 GMT"),
             ("Ferry to Ostrel resumes", "/ferry.html", "Tue, 05 Mar 2024 09:00:00 GMT")]
    served.items = items
    served.routes.update({
        "/rss.xml": (200, {}, conditional(lambda: rss(served.url, served.items), '"feed-1"')),
        "/atom.xml": (200, {"Content-Type": "application/atom+xml"}, atom(served.url)),
        "/lighthouse.html": (200, HTML, LIGHTHOUSE),
        "/ferry.html": (200, HTML, FERRY),
        "/market.html": (200, HTML, MARKET),
        "/bad.xml": (200, {"Content-Type": "application/rss+xml"}, "<rss><channel><item><title>broken"),
        "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
        "/loop": (302, {"Location": "/loop2"}, ""), "/loop2": (302, {"Location": "/loop"}, ""),
    })
    yield served
    served.close()


def run(*args: str, data_dir, private: bool = True):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_FETCH_HOST_DELAY": "0",
           "ASSISTANT_FETCH_TIMEOUT": "2", "ASSISTANT_MAX_FILE_MB": "1", "ASSISTANT_INGEST_NICE": "0"}
    env.pop("CHROMA_HOST", None)
    env.pop("ASSISTANT_ALLOW_PRIVATE_URLS", None)
    if private:
        env["ASSISTANT_ALLOW_PRIVATE_URLS"] = "1"
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def summary(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fact_only_in_a_pages_body_is_answered_and_cited_with_the_pages_url(site, tmp_path):
    data = tmp_path / "index"
    done = run("ingest", f"{site.url}/rss.xml", f"{site.url}/atom.xml", "--json", "--quiet", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert summary(done)["added"] == 3
    asked = run("ask", "How many volunteers restored the Quorvath lighthouse?", "--json", data_dir=data)
    answer = json.loads(asked.stdout)
    assert "23" in answer["text"] and answer["citations"][0]["source"] == f"{site.url}/lighthouse.html"
    assert "newsletter" not in answer["citations"][0]["passage"] and "Cookie" not in answer["citations"][0]["passage"]
    assert answer["citations"][0]["published"] == "2024-03-04"  # the entry's date: the page gives none


def test_follow_ingests_new_entries_and_an_unchanged_feed_costs_one_conditional_request(site, tmp_path):
    data = tmp_path / "index"
    first = run("follow", f"{site.url}/rss.xml", "--once", "--json", data_dir=data)
    assert first.returncode == 0 and summary(first)["added"] == 2, first.stderr
    site.items = site.items + [("Fish market moves", "/market.html", "Wed, 06 Mar 2024 09:00:00 GMT")]
    site.routes["/rss.xml"] = (200, {}, conditional(lambda: rss(site.url, site.items), '"feed-2"'))
    site.requests.clear()
    second = run("follow", "--once", "--json", data_dir=data)
    assert second.returncode == 0 and summary(second)["added"] == 1, second.stderr
    assert "/lighthouse.html" not in site.paths() and "/market.html" in site.paths()  # no page fetched again
    site.requests.clear()
    third = run("follow", "--once", "--json", data_dir=data)
    assert third.returncode == 0 and summary(third)["added"] == 0
    feed_requests = [h for p, h in site.requests if p == "/rss.xml"]
    assert feed_requests and feed_requests[0].get("If-None-Match") == '"feed-2"'
    assert [p for p in site.paths() if p.endswith(".html")] == []
    state = json.loads((data / "follow" / "feeds.json").read_text())[f"{site.url}/rss.xml"]
    assert state["last_poll"] and state["last_error"] is None and state["entries"] == 3


def test_each_failure_is_named_by_url_and_the_rest_is_ingested(site, tmp_path):
    data = tmp_path / "index"
    site.items = site.items + [("A picture", "/image.png", "Wed, 06 Mar 2024 09:00:00 GMT"),
                               ("Gone", "/gone.html", "Wed, 06 Mar 2024 09:00:00 GMT"),
                               ("Round and round", "/loop", "Wed, 06 Mar 2024 09:00:00 GMT")]
    done = run("ingest", f"{site.url}/rss.xml", f"{site.url}/bad.xml", "--json", "--quiet", data_dir=data)
    assert done.returncode == 1
    for url, why in [("/image.png", "not an article or a feed"), ("/gone.html", "404"), ("/loop", "loop"),
                     ("/bad.xml", "not a readable RSS or Atom feed")]:
        assert f"{site.url}{url}" in done.stderr and why in done.stderr, (url, done.stderr)
    assert summary(done)["added"] == 2 + 3  # the two pages, and the three entries kept as the feed's summary
    assert "Traceback" not in done.stderr


def test_loopback_is_refused_without_the_opt_in_and_file_urls_always(site, tmp_path):
    data = tmp_path / "index"
    refused = run("ingest", f"{site.url}/rss.xml", "--quiet", data_dir=data, private=False)
    assert refused.returncode == 1 and "ASSISTANT_ALLOW_PRIVATE_URLS" in refused.stderr
    assert site.requests == []
    files = run("ingest", "file:///etc/passwd", "--quiet", data_dir=data)
    assert files.returncode == 1 and "only http and https" in files.stderr and "Traceback" not in files.stderr


def test_the_web_chat_answers_from_what_follow_adds_and_follows_feeds_itself(site, tmp_path, embedder):
    import time

    import httpx

    from assistant.measure.load import ask
    from assistant.settings import load_settings
    from ingest import ingest
    from tests.helpers import SEEDS, served

    data = tmp_path / "index"
    ingest([SEEDS], load_settings(data_dir=data, chroma_host=None), embedder=embedder)
    env = {"ASSISTANT_REFRESH_SECONDS": "1", "ASSISTANT_ALLOW_PRIVATE_URLS": "1", "ASSISTANT_FETCH_HOST_DELAY": "0",
           "ASSISTANT_FOLLOW": f"{site.url}/atom.xml", "ASSISTANT_FOLLOW_MINUTES": "0.05"}
    with served(data, tmp_path / "serve.log", env) as url, httpx.Client(timeout=60) as http:
        done = run("follow", f"{site.url}/rss.xml", "--once", data_dir=data)  # another process adds articles
        assert done.returncode == 0, done.stderr
        deadline, text = time.monotonic() + 60, ""
        while "23" not in text and time.monotonic() < deadline:
            text = ask(http, url, "How many volunteers restored the Quorvath lighthouse?")["text"]
            time.sleep(0.5)
        assert "23" in text
        deadline, text = time.monotonic() + 90, ""
        while "40" not in text and time.monotonic() < deadline:  # the chat's own poller follows the Atom feed
            text = ask(http, url, "How many covered stalls does the customs hall offer the Zelmor fish market?")["text"]
            time.sleep(1)
        assert "40" in text
