"""URLs -> Articles: an article page is fetched and its main text, title, date and canonical URL
extracted (trafilatura, as for saved HTML); an RSS or Atom feed (feedparser) gives its entries,
each entry's page is fetched so the archive holds the whole article, and the entry's date is used
where the page gives none. When an entry's page cannot be had, the entry's own text is kept,
marked as a summary. An article is known by its canonical URL."""

from __future__ import annotations

import html as html_lib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .fetch import Fetched, Fetcher, FetchError
from .loaders import LoadError, _article
from .models import Article

SUMMARY_MARK = " (feed summary)"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
              "application/feed+json")


@dataclass(frozen=True)
class Entry:
    link: str
    title: str
    published: str | None
    summary: str


@dataclass
class Gathered:
    """What a run over URLs brought in: the articles, the failures (each naming its URL), and
    per feed its validators and entries, for the next poll."""

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    feeds: dict[str, dict] = field(default_factory=dict)


def is_url(value: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", str(value)))


def looks_like_feed(fetched: Fetched) -> bool:
    """A feed by its declared type, or, for generic XML or an undeclared type, by its root element."""
    kind = fetched.content_type.split(";")[0].strip().lower()
    if kind in FEED_TYPES and kind not in ("application/xml", "text/xml"):
        return True
    head = fetched.body[:2000].lstrip().lower()
    return b"<rss" in head or b"<rdf" in head or (b"<feed" in head and b"xmlns" in head)


def entries(fetched: Fetched) -> list[Entry]:
    """The feed's entries that link somewhere; a feed that cannot be read is a FetchError."""
    import feedparser

    parsed = feedparser.parse(fetched.body)
    found = []
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link.startswith(("http://", "https://")):
            continue
        published = item.get("published") or item.get("updated") or item.get("created")
        summary = item.get("summary") or ""
        if item.get("content"):
            summary = " ".join(c.get("value", "") for c in item["content"]) or summary
        found.append(Entry(link, item.get("title") or "", published, _plain(summary)))
    if parsed.bozo and not found:  # broken, and nothing readable in it
        raise FetchError(f"{fetched.url}: not a readable RSS or Atom feed ({parsed.get('bozo_exception')})")
    return found


def _plain(markup: str) -> str:
    """Feed text without its markup."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", text))


def page_article(fetched: Fetched, entry: Entry | None = None) -> Article:
    """The article a fetched page holds (its canonical URL, else the URL it was fetched from)."""
    kind = fetched.content_type.split(";")[0].strip().lower()
    path = Path(fetched.url)
    if kind == "text/plain":
        text = fetched.text()
        return _article(path, fetched.url, entry.title if entry else None, text, fetched.url,
                        entry.published if entry else None)
    import trafilatura

    try:
        # the page's own date from its markup only: a year in its text ("dark since 1998") is no date
        doc = trafilatura.bare_extraction(fetched.text(), url=fetched.url, with_metadata=True,
                                          include_comments=False, favor_recall=True,
                                          date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # trafilatura raises many types on broken markup
        raise FetchError(f"{fetched.url}: the page could not be read ({exc})") from None
    if doc is None or not (doc.text or "").strip():
        raise FetchError(f"{fetched.url}: no article text found on the page")
    canonical = doc.url if doc.url and doc.url.startswith(("http://", "https://")) else fetched.url
    try:
        return _article(path, fetched.url, doc.title or (entry.title if entry else None), doc.text, canonical,
                        doc.date or (entry.published if entry else None))
    except LoadError as exc:
        raise FetchError(str(exc).replace(str(path), fetched.url)) from None


def summary_article(entry: Entry, feed_url: str) -> Article:
    """An entry whose page could not be had: its own text, marked as the feed's summary."""
    return _article(Path(feed_url), entry.link, (entry.title or entry.link) + SUMMARY_MARK,
                    entry.summary or entry.title, entry.link, entry.published)


def gather(urls: list[str], fetcher: Fetcher, state: dict[str, dict] | None = None, known: set[str] = frozenset(),
           workers: int = 4) -> Gathered:
    """Every article the URLs lead to. `state` holds what earlier polls saw of each feed
    (validators, entry links): an unchanged feed is not read again, and no entry already seen or
    already in the archive (`known` URLs) is fetched again."""
    state = state or {}
    out = Gathered()
    pages: list[tuple[str, Entry | None]] = []
    for url in dict.fromkeys(urls):
        before = state.get(url, {})
        try:
            fetched = fetcher.get(url, before.get("etag"), before.get("last_modified"))
        except FetchError as exc:
            out.errors.append(str(exc))
            out.feeds[url] = {**before, "last_error": str(exc)}
            continue
        if fetched.not_modified:
            out.feeds[url] = {**before, "last_error": None, "unchanged": True}
            continue
        if not looks_like_feed(fetched):
            try:
                out.articles.append(page_article(fetched))
                out.feeds[url] = {**before, "kind": "page", "last_error": None}
            except FetchError as exc:
                out.errors.append(str(exc))
                out.feeds[url] = {**before, "kind": "page", "last_error": str(exc)}
            continue
        try:
            found = entries(fetched)
        except FetchError as exc:
            out.errors.append(str(exc))
            out.feeds[url] = {**before, "kind": "feed", "last_error": str(exc)}
            continue
        seen = set(before.get("seen", ()))
        fresh = [e for e in found if e.link not in seen and e.link not in known]
        pages += [(url, e) for e in fresh]
        out.feeds[url] = {**before, "kind": "feed", "etag": fetched.etag, "last_modified": fetched.last_modified,
                          "last_error": None, "entries": len(found),
                          "seen": sorted(seen | {e.link for e in found if e.link in known})}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda pair: _entry_article(fetcher, *pair), pages))
    for (feed, entry), (article, error) in zip(pages, results):
        if error:
            out.errors.append(error)
        if article is not None:
            out.articles.append(article)
        if error is None:  # a page not had is asked for again at the next poll
            out.feeds[feed]["seen"] = sorted(set(out.feeds[feed]["seen"]) | {entry.link})
    return out


def _entry_article(fetcher: Fetcher, feed: str, entry: Entry) -> tuple[Article | None, str | None]:
    try:
        return page_article(fetcher.get(entry.link), entry), None
    except FetchError as exc:
        try:
            kept = summary_article(entry, feed) if (entry.summary or entry.title) else None
        except LoadError:
            kept = None
        return kept, f"{exc}" + ("; the feed's summary is kept instead" if kept else "")
