"""Every key, id and folder of the index, in one place: how a chunk is named and what its
metadata holds, how an article is read back from its chunks, where the lexical index and the
web chat's uploads live in the data dir."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..models import Article, Passage

SCHEMA_VERSION = 1


def chunk_id(article_id: str, n: int) -> str:
    """The id of an article's n-th chunk (0 is its lede)."""
    return f"{article_id}:{n}"


def embedding_text(title: str, passage_text: str, published: str | None = None) -> str:
    """What is embedded and lexically indexed for a passage: its article's title, then the text."""
    head = title.strip()
    if published:
        head = f"{head} ({published})"
    return f"{head}\n{passage_text}" if head else passage_text


def lexical_folder(data_dir: Path, collection: str, collection_id: str) -> Path:
    """Where a collection's lexical snapshots are kept, one folder per generation. Named by the
    collection's id too: a collection made again (or another server's) starts its generations
    again, and must never be given an older one's snapshot."""
    return Path(data_dir) / "lexical" / f"{collection}-{collection_id}"


def generation_folder(folder: Path, generation: int) -> Path:
    return folder / f"g{generation}"


def saved_generations(folder: Path) -> list[int]:
    """The generations saved in a lexical folder, newest first."""
    return sorted((int(p.name[1:]) for p in folder.glob("g*") if p.name[1:].isdigit()), reverse=True)


def follow_file(data_dir: Path) -> Path:
    """Where what is followed (feeds and pages) and its state are kept."""
    return Path(data_dir) / "follow" / "feeds.json"


def uploads_folder(data_dir: Path) -> Path:
    """Where the web chat keeps the files it was given."""
    return (Path(data_dir) / "uploads").resolve()


@dataclass(frozen=True)
class StoredArticle:
    article_id: str
    title: str
    source: str
    url: str | None
    published: str | None
    hash: str
    fingerprint: int
    chunks: int
    complete: bool  # all chunks present, all of one hash
    also_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredChunk:
    """One stored passage with the citation facts ingest recorded for it."""

    id: str
    text: str
    article_id: str
    title: str
    source: str  # the file the article was read from
    url: str | None
    published: str | None
    chunk: int
    start: int  # offsets of the chunk in its article's text
    end: int
    also_sources: tuple[str, ...] = ()
    hash: str = ""  # the article version the chunk was cut from

    @property
    def day(self) -> int:
        return day_number(self.published)

    @property
    def keys(self) -> tuple[str, ...]:
        """What a user may name the article by: its id, its file, its URL."""
        return tuple(k for k in (self.article_id, self.source, self.url) if k)

    @classmethod
    def from_row(cls, chunk_id: str, text: str | None, meta: dict | None) -> "StoredChunk":
        m, text = meta or {}, text or ""
        return cls(
            id=chunk_id, text=text, article_id=m.get("article_id", ""), title=m.get("title", ""),
            source=m.get("source", ""), url=m.get("url") or None, published=m.get("published") or None,
            chunk=int(m.get("chunk", 0)), start=int(m.get("start", 0)), end=int(m.get("end", len(text))),
            also_sources=sources_of(m.get("also_sources")), hash=m.get("hash", ""),
        )


def sources_of(joined: str | None) -> tuple[str, ...]:
    return tuple(s for s in (joined or "").split("\n") if s)


def day_number(iso: str | None) -> int:
    """Days since 1970-01-01 for range filters; -1 when the date is unknown."""
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days if iso else -1


def built_with(meta: dict) -> tuple:
    """The encoder a collection's metadata records: (model, dimension, variant); indexes made
    before variants were recorded hold the full model's vectors."""
    return meta.get("embedding_model"), meta.get("dimension"), meta.get("embedding_variant", "full")


def chunk_metadata(article: Article, passage: Passage, chunks: int, hash_: str, fingerprint: int,
                   also_sources: tuple[str, ...] = ()) -> dict:
    return {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "url": article.url or "",
        "published": article.published or "",
        "published_day": day_number(article.published),
        "chunk": passage.index,
        "chunks": chunks,
        "start": passage.start,
        "end": passage.end,
        "hash": hash_,
        "fingerprint": str(fingerprint),
        "also_sources": "\n".join(also_sources),
    }


def stored_article(article_id: str, metas: list[dict]) -> StoredArticle:
    first = metas[0]
    hashes = {m.get("hash") for m in metas}
    indexes = {m.get("chunk") for m in metas}
    expected = first.get("chunks", -1)
    complete = len(hashes) == 1 and len(metas) == expected and indexes == set(range(expected))
    return StoredArticle(
        article_id=article_id,
        title=first.get("title", ""),
        source=first.get("source", ""),
        url=first.get("url") or None,
        published=first.get("published") or None,
        hash=first.get("hash", ""),
        fingerprint=int(first.get("fingerprint") or 0),
        chunks=len(metas),
        complete=complete,
        also_sources=sources_of(first.get("also_sources")),
    )
