"""The records that flow through ingest: an article and the passages cut from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    id: str  # canonical URL, else the path relative to the ingested root (plus a record index)
    title: str
    text: str
    source: str  # absolute file path the article was read from
    url: str | None = None
    published: str | None = None  # ISO date, YYYY-MM-DD

    @property
    def content_hash(self) -> str:
        payload = "\x1f".join([self.title, self.url or "", self.published or "", self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Passage:
    id: str  # "{article_id}:{n}"
    article_id: str
    index: int
    text: str
    start: int  # character offsets into Article.text
    end: int
