"""Fetching politely and safely, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from ingest.fetch import Fetcher, FetchError, FetchSettings, check_address
from tests.helpers import Site

HTML = {"Content-Type": "text/html; charset=utf-8"}


def slow(handler):
    time.sleep(2)
    handler.send_response(200)
    handler.end_headers()


def huge(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for _ in range(50):  # 50 MB, sent until the client stops reading
        handler.wfile.write(b"x" * 1_000_000)


@pytest.fixture
def site():
    served = Site({
        "/robots.txt": (200, {"Content-Type": "text/plain"}, "User-agent: *\nDisallow: /private/\n"),
        "/page": (200, {**HTML, "ETag": '"v1"'}, "<html><body><p>Hello.</p></body></html>"),
        "/private/page": (200, HTML, "<p>secret</p>"),
        "/loop-a": (302, {"Location": "/loop-b"}, ""),
        "/loop-b": (302, {"Location": "/loop-a"}, ""),
        "/moved": (301, {"Location": "/page"}, ""),
        "/slow": (200, HTML, slow),
        "/huge": (200, HTML, huge),
        "/image": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
        "/busy": (503, {"Retry-After": "0", "Content-Type": "text/plain"}, "busy"),
    })
    yield served
    served.close()


def fetcher(**kw) -> Fetcher:
    return Fetcher(FetchSettings(**{"timeout": 1.0, "max_bytes": 1_000_000, "host_delay": 0.0, "retries": 1,
                                    "allow_private": True, **kw}))


def test_a_page_is_fetched_with_a_user_agent_naming_the_program_and_moved_pages_followed(site):
    got = fetcher().get(f"{site.url}/moved")
    assert got.status == 200 and got.url.endswith("/page") and "Hello." in got.text() and got.etag == '"v1"'
    assert all(h.get("User-Agent", "").startswith("news-assistant/") for _, h in site.requests)


def test_an_unchanged_page_asked_with_its_validator_is_not_sent_again(site):
    site.routes["/page"] = (304, {}, "")
    got = fetcher().get(f"{site.url}/page", etag='"v1"')
    assert got.not_modified and site.requests[-1][1].get("If-None-Match") == '"v1"'


@pytest.mark.parametrize("path, says", [
    ("/loop-a", "loop back"), ("/missing", "404"), ("/slow", "no answer within 1 s"),
    ("/huge", "over the 1,000,000-byte limit"), ("/image", "image/png is not an article or a feed"),
    ("/private/page", "robots.txt"), ("/busy", "503"),
])
def test_each_failure_names_the_url_and_the_reason(site, path, says):
    with pytest.raises(FetchError) as failed:
        fetcher().get(f"{site.url}{path}")
    assert str(failed.value).startswith(site.url) and says in str(failed.value)


def test_a_busy_server_is_asked_again_after_its_retry_after(site):
    with pytest.raises(FetchError):
        fetcher(retries=2).get(f"{site.url}/busy")
    assert site.paths().count("/busy") == 3


def test_a_host_is_called_no_more_often_than_its_delay(site):
    polite = fetcher(host_delay=0.3)
    started = time.monotonic()
    for _ in range(3):
        polite.get(f"{site.url}/page")
    assert time.monotonic() - started >= 0.6 * 0.95


@pytest.mark.parametrize("url, says", [
    ("file:///etc/passwd", "only http and https"), ("ftp://example.org/x", "only http and https"),
    ("http://127.0.0.1:9/x", "127.0.0.1"), ("http://localhost/x", "ASSISTANT_ALLOW_PRIVATE_URLS"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"), ("http://10.1.2.3/x", "private network"),
    ("http://metadata.google.internal/x", "metadata"),
])
def test_addresses_of_this_machine_its_network_and_metadata_services_are_refused(url, says):
    with pytest.raises(FetchError) as refused:
        check_address(url, allow_private=False)
    assert says in str(refused.value)


def test_file_urls_are_refused_even_with_the_private_opt_in():
    with pytest.raises(FetchError, match="only http and https"):
        check_address("file:///etc/passwd", allow_private=True)
