"""Fetching from the web, politely and safely: only http and https, never an address of this
machine, its network or a cloud's metadata service (unless ASSISTANT_ALLOW_PRIVATE_URLS=1),
robots.txt honoured, a user agent that names the program, a delay between calls to one host,
timeouts, a size cap, redirects capped and checked hop by hop, retries with backoff on 429 and
5xx (honouring Retry-After), and only HTML, XML feeds and plain text accepted."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

log = logging.getLogger(__name__)

USER_AGENT = "news-assistant/0.1 (a personal news archive; fetches articles its user follows)"
ACCEPTED = ("text/html", "application/xhtml+xml", "application/rss+xml", "application/atom+xml",
            "application/xml", "text/xml", "application/rdf+xml", "text/plain", "application/feed+json")
METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


class FetchError(Exception):
    """A URL that could not be had; the message names it and says why."""


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    host_delay: float = 1.0  # seconds between two calls to one host
    retries: int = 2
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings) -> "FetchSettings":
        return cls(settings.fetch_timeout, int(settings.max_file_mb * 1e6), settings.fetch_redirects,
                   settings.fetch_host_delay, settings.fetch_retries, settings.allow_private_urls)


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        return self.body.decode(_charset(self.content_type) or "utf-8", errors="replace")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return None


def check_address(url: str, allow_private: bool) -> None:
    """Refuse anything but http(s) to a public address (every address the host resolves to)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched, not {parts.scheme or 'a bare path'}")
    host = parts.hostname
    if not host:
        raise FetchError(f"{url}: the URL names no host")
    if allow_private:
        return
    if host.lower() in METADATA_HOSTS:
        raise FetchError(f"{url}: {host} is a cloud metadata service; it is never fetched")
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"{url}: the host {host} could not be resolved ({exc.strerror})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise FetchError(f"{url}: {host} resolves to {address}, an address of this machine or a private "
                             "network; set ASSISTANT_ALLOW_PRIVATE_URLS=1 to fetch from it")


@dataclass
class Fetcher:
    """One polite client: robots.txt per host, a delay per host, the limits of `settings`."""

    settings: FetchSettings = field(default_factory=FetchSettings)
    _robots: dict[str, RobotFileParser | None] = field(default_factory=dict)
    _last_call: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout, follow_redirects=False,
                                        headers={"User-Agent": USER_AGENT})
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None,
            robots: bool = True) -> Fetched:
        """The URL's content (a 304 when the validators still hold), following at most
        `max_redirects` redirects, each checked; errors name the URL and the reason."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, seen = url, []
        for _ in range(self.settings.max_redirects + 1):
            check_address(current, self.settings.allow_private)
            if robots and not self.allowed(current):
                raise FetchError(f"{current}: robots.txt of {urlsplit(current).netloc} disallows fetching it")
            response = self._call(current, headers)
            if response.status_code in (301, 302, 303, 307, 308):
                target = response.headers.get("location")
                if not target:
                    raise FetchError(f"{current}: a redirect with no location")
                seen.append(current)
                current = urljoin(current, target)
                if current in seen:
                    raise FetchError(f"{url}: the redirects loop back to {current}")
                continue
            return self._read(url, current, response)
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects")

    def _call(self, url: str, headers: dict) -> httpx.Response:
        """One request (its body not read yet), after the host's delay; retried with backoff on
        429 and 5xx, waiting what Retry-After asks (up to a minute)."""
        for attempt in range(self.settings.retries + 1):
            self._wait_for(urlsplit(url).netloc)
            try:
                request = self.client.build_request("GET", url, headers=headers)
                response = self.client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchError(f"{url}: no answer within {self.settings.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
            if response.status_code != 429 and response.status_code < 500 or attempt == self.settings.retries:
                return response
            response.close()
            time.sleep(min(_retry_after(response) or 2.0 ** attempt, 60.0))
        raise AssertionError("unreachable")

    def _read(self, asked: str, url: str, response: httpx.Response) -> Fetched:
        try:
            if response.status_code == 304:
                return Fetched(url, 304, "", b"", response.headers.get("etag"), response.headers.get("last-modified"))
            if response.status_code >= 400:
                raise FetchError(f"{asked}: the server answered {response.status_code} {response.reason_phrase}")
            kind = response.headers.get("content-type", "")
            if kind and kind.split(";")[0].strip().lower() not in ACCEPTED:
                raise FetchError(f"{asked}: {kind.split(';')[0]} is not an article or a feed (HTML, XML feeds and "
                                 "plain text are read)")
            declared = int(response.headers.get("content-length") or 0)
            if declared > self.settings.max_bytes:
                raise FetchError(f"{asked}: {declared:,} bytes, over the {self.settings.max_bytes:,}-byte limit "
                                 "(ASSISTANT_MAX_FILE_MB)")
            body = bytearray()
            try:
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.settings.max_bytes:
                        raise FetchError(f"{asked}: over the {self.settings.max_bytes:,}-byte limit "
                                         "(ASSISTANT_MAX_FILE_MB); not read further")
            except httpx.TimeoutException:
                raise FetchError(f"{asked}: no answer within {self.settings.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{asked}: the response broke off ({type(exc).__name__})") from None
            return Fetched(url, response.status_code, kind, bytes(body), response.headers.get("etag"),
                           response.headers.get("last-modified"))
        finally:
            response.close()

    def _wait_for(self, host: str) -> None:
        with self._lock:
            last = self._last_call.get(host)
            wait = 0.0 if last is None else last + self.settings.host_delay - time.monotonic()
            self._last_call[host] = time.monotonic() + max(wait, 0.0)
        if wait > 0:
            time.sleep(wait)

    def allowed(self, url: str) -> bool:
        """What the host's robots.txt says of our user agent (allowed when it has none)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._robots:
            self._robots[key] = self._read_robots(key)
        rules = self._robots[key]
        return rules is None or rules.can_fetch(USER_AGENT, url)

    def _read_robots(self, base: str) -> RobotFileParser | None:
        try:
            fetched = self.get(f"{base}/robots.txt", robots=False)
        except FetchError:
            return None  # no robots.txt to be had: nothing is disallowed
        rules = RobotFileParser()
        rules.parse(fetched.text().splitlines())
        return rules


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None
