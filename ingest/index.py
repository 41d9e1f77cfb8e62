"""The Chroma schema, read and write: the one place that knows how chunks are stored."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from .models import Article, Passage
from .settings import Settings

SCHEMA_VERSION = 1


class IndexUnavailable(Exception):
    """The index cannot be used as asked; the message says why and what to do."""


class ModelMismatch(IndexUnavailable):
    pass


class NoIndexYet(IndexUnavailable):
    """Nothing has been ingested where the settings point."""


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
    id: str
    text: str
    meta: dict


def day_number(iso: str | None) -> int:
    """Days since 1970-01-01 for range filters; -1 when the date is unknown."""
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days if iso else -1


def open_client(settings: Settings, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    path = settings.data_dir
    if not path.exists() and not create:
        raise NoIndexYet(
            f"no index at {path.resolve()}; run `assistant ingest PATH` first "
            "(or set ASSISTANT_DATA_DIR to where the index lives)"
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class Index:
    """A Chroma collection of passages that remembers the embedding model it was built with."""

    def __init__(self, settings: Settings, model_name: str, dimension: int, create: bool = False):
        self.settings = settings
        self.model_name = model_name
        self.dimension = dimension
        self.client = open_client(settings, create)
        self.collection = self._open_collection(create)

    def _open_collection(self, create: bool):
        name = self.settings.collection
        existing = {c.name for c in self.client.list_collections()}
        if name not in existing:
            if not create:
                raise NoIndexYet(
                    f"the index has no collection '{name}' yet; run `assistant ingest PATH` first"
                )
            return self.client.create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={
                    "embedding_model": self.model_name,
                    "dimension": self.dimension,
                    "schema": SCHEMA_VERSION,
                    "generation": 0,
                },
            )
        collection = self.client.get_collection(name, embedding_function=None)
        meta = collection.metadata or {}
        if (meta.get("embedding_model"), meta.get("dimension")) != (self.model_name, self.dimension):
            raise ModelMismatch(
                f"the index in collection '{name}' was built with the embedding model "
                f"{meta.get('embedding_model')!r} ({meta.get('dimension')} dims), not "
                f"{self.model_name!r} ({self.dimension} dims); set ASSISTANT_EMBEDDING_MODEL back, "
                "or ingest into a new ASSISTANT_DATA_DIR"
            )
        return collection

    # --- reading -------------------------------------------------------------------------
    @property
    def metadata(self) -> dict:
        return self.client.get_collection(self.settings.collection, embedding_function=None).metadata or {}

    def generation(self) -> int:
        """A number that changes on every write, so readers can tell their caches are stale."""
        return int(self.metadata.get("generation", 0))

    def count(self) -> int:
        return self.collection.count()

    def all_chunks(self, include_text: bool = True) -> list[StoredChunk]:
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        out: list[StoredChunk] = []
        batch = 5000
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=batch, offset=offset)
            docs = got.get("documents") or [None] * len(got["ids"])
            out += [StoredChunk(i, d or "", m or {}) for i, m, d in zip(got["ids"], got["metadatas"], docs)]
            if len(got["ids"]) < batch:
                return out
            offset += batch

    def articles(self) -> dict[str, StoredArticle]:
        """What the index holds, per article, from the chunks' metadata."""
        grouped: dict[str, list[dict]] = {}
        for chunk in self.all_chunks(include_text=False):
            grouped.setdefault(chunk.meta["article_id"], []).append(chunk.meta)
        return {aid: _stored_article(aid, metas) for aid, metas in grouped.items()}

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[StoredChunk, float]]:
        if k <= 0:
            return []
        got = self.collection.query(  # fewer than k chunks (or none) simply give fewer rows
            query_embeddings=[vector.tolist()], n_results=k, where=where or None,
            include=["metadatas", "documents", "distances"],
        )
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [(StoredChunk(i, d, m), 1.0 - dist) for i, d, m, dist in rows]

    # --- writing -------------------------------------------------------------------------
    def write(self, article: Article, passages: list[Passage], vectors: np.ndarray, hash_: str,
              fingerprint: int, also_sources: tuple[str, ...] = (), replaces: bool = True) -> None:
        """Write an article's chunks (upsert by id), then remove its chunks from older versions
        (`replaces=False` when the index is known to hold none: a new article)."""
        metas = [chunk_metadata(article, p, len(passages), hash_, fingerprint, also_sources) for p in passages]
        self.upsert([p.id for p in passages], vectors, [p.text for p in passages], metas)
        if replaces:
            self.collection.delete(where={"$and": [{"article_id": article.id}, {"hash": {"$ne": hash_}}]})

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict]) -> None:
        step = self.client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self.collection.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                                   documents=texts[i:i + step], metadatas=metas[i:i + step])

    def add_also_source(self, article_id: str, sources: tuple[str, ...]) -> None:
        got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
        metas = [{**m, "also_sources": "\n".join(sources)} for m in got["metadatas"]]
        if got["ids"]:
            self.collection.update(ids=got["ids"], metadatas=metas)

    def remove(self, article_id: str) -> None:
        self.collection.delete(where={"article_id": article_id})

    def bump_generation(self, chunker_version: str | None = None) -> None:
        """Mark a write, so readers rebuild their caches; record the chunker that wrote, if given."""
        meta = dict(self.metadata)
        meta.update(generation=int(meta.get("generation", 0)) + 1, updated=time.time())
        if chunker_version:
            meta["chunker"] = chunker_version
        self.collection.modify(metadata=meta)


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


def _stored_article(article_id: str, metas: list[dict]) -> StoredArticle:
    first = metas[0]
    hashes = {m.get("hash") for m in metas}
    indexes = {m.get("chunk") for m in metas}
    expected = first.get("chunks", -1)
    complete = len(hashes) == 1 and len(metas) == expected and indexes == set(range(expected))
    also = tuple(s for s in (first.get("also_sources") or "").split("\n") if s)
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
        also_sources=also,
    )
