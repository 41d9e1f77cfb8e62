"""The Chroma schema, read and write: the one place that knows how chunks are stored."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

import numpy as np

from .chunking import CHUNKER_VERSION
from .models import Article, Passage
from .settings import IngestSettings

SCHEMA_VERSION = 1
log = logging.getLogger(__name__)


class IndexUnavailable(Exception):
    """The index cannot be used as asked; the message says why and what to do."""


class ModelMismatch(IndexUnavailable):
    pass


class OutdatedIndex(IndexUnavailable):
    """The index was written in a layout or by a chunker this version does not read."""


class NoIndexYet(IndexUnavailable):
    """Nothing has been ingested where the settings point."""


class StoreDown(IndexUnavailable):
    """The Chroma server does not answer."""


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
            also_sources=_sources(m.get("also_sources")), hash=m.get("hash", ""),
        )


@dataclass(frozen=True)
class Filters:
    """Which passages a search may return: a publication date range and chosen articles."""

    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    articles: tuple[str, ...] = ()  # article ids or sources (paths/URLs)
    as_of: str | None = None  # the reference date: nothing published after it; undated articles stay

    def where(self) -> dict | None:
        """The same filters as a Chroma `where` clause."""
        clauses = []
        if self.as_of:
            clauses.append({"published_day": {"$lte": day_number(self.as_of)}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
            if not self.since:
                clauses.append({"published_day": {"$gte": 0}})  # undated articles are out of range
        if self.articles:
            ids = list(self.articles)
            clauses.append({"$or": [{"article_id": {"$in": ids}}, {"source": {"$in": ids}},
                                    {"url": {"$in": ids}}]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def day_range(self) -> tuple[int, int] | None:
        """Inclusive day numbers the filter admits (undated articles are day -1), or None when
        dates do not matter."""
        if not (self.since or self.until or self.as_of):
            return None
        low = day_number(self.since) if self.since else -(1 << 30)
        high = min(day_number(self.until) if self.until else 1 << 30,
                   day_number(self.as_of) if self.as_of else 1 << 30)
        return (max(low, 0) if self.until else low), high  # undated (-1) is out once `until` is set

    def allows_article(self, keys) -> bool:
        return not self.articles or bool(set(keys) & set(self.articles))

    def allows(self, chunk: StoredChunk) -> bool:
        days = self.day_range()
        in_range = days is None or days[0] <= chunk.day <= days[1]
        return in_range and self.allows_article(chunk.keys)


def _sources(joined: str | None) -> tuple[str, ...]:
    return tuple(s for s in (joined or "").split("\n") if s)


def day_number(iso: str | None) -> int:
    """Days since 1970-01-01 for range filters; -1 when the date is unknown."""
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days if iso else -1


def check_data_dir(path: Path, create: bool) -> None:
    """A data dir that cannot hold an index is refused with what to do, before Chroma sees it."""
    if path.exists() and not path.is_dir():
        raise IndexUnavailable(f"the data dir {path} is a file, not a folder; point ASSISTANT_DATA_DIR "
                               "(or --data-dir) at a folder")
    if not path.exists():
        if not create:
            raise NoIndexYet(f"no index at {path.resolve()}; run `assistant ingest PATH` first "
                             "(or set ASSISTANT_DATA_DIR to where the index lives)")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailable(f"cannot create the data dir {path} ({exc.strerror}); "
                                   "choose a folder you can write to") from None
    elif create and not os.access(path, os.W_OK | os.X_OK):
        raise IndexUnavailable(f"the data dir {path} is read-only; ingest needs a folder it can write "
                               "(questions can still be asked of it)")


def built_with(meta: dict) -> tuple:
    """The encoder a collection's metadata records: (model, dimension, variant); indexes made
    before variants were recorded hold the full model's vectors."""
    return meta.get("embedding_model"), meta.get("dimension"), meta.get("embedding_variant", "full")


def recorded_variant(settings: IngestSettings) -> str | None:
    """The embedding variant the index named by `settings` was built with, or None when there is
    no index there yet, or it cannot be read now (opening it for use then says why)."""
    if not settings.chroma_host and not (Path(settings.data_dir) / "chroma.sqlite3").is_file():
        return None
    try:
        connection = Connection.to(settings, create=False)
        with _Calling(connection):
            found = [c for c in connection.client.list_collections() if c.name == settings.collection]
            return built_with(found[0].metadata or {})[2] if found else None
    except (IndexUnavailable, OSError, ValueError):
        return None


class Connection:
    """One Chroma client per store, shared by every Index of this process.

    The embedded store loads its vector index into memory once: what another process writes
    later reaches this process's reads of the database but never its vector queries. `reopen`
    starts a client that loads what is on disk now; every call holds the lock, so none runs
    against a closed client."""

    _open: dict[str, "Connection"] = {}
    _open_lock = threading.Lock()

    def __init__(self, settings: IngestSettings):
        self.settings = settings
        self.lock = threading.RLock()
        self._copy: Path | None = None  # the private copy a read-only data dir is answered from
        self.client = self._client()

    @staticmethod
    def _key(settings: IngestSettings) -> str:
        if settings.chroma_host:
            return f"http://{settings.chroma_host}:{settings.chroma_port}"
        return str(Path(settings.data_dir).resolve())

    @classmethod
    def to(cls, settings: IngestSettings, create: bool) -> "Connection":
        if not settings.chroma_host:
            check_data_dir(Path(settings.data_dir), create)
        key = cls._key(settings)
        with cls._open_lock:
            if key not in cls._open:
                cls._open[key] = cls(settings)
            return cls._open[key]

    @property
    def embedded(self) -> bool:
        return not self.settings.chroma_host

    def _client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.embedded:
            return chromadb.PersistentClient(path=str(self._readable_path()), settings=chroma_settings)
        host, port = self.settings.chroma_host, self.settings.chroma_port
        try:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises ValueError, or httpx's errors, when nothing listens
            raise server_down(self.settings, exc) from None

    def _readable_path(self) -> Path:
        """The data dir, or, when this process may not write it, a private copy of it: Chroma
        cannot open a store it may not write, and a read-only archive should still answer."""
        path = Path(self.settings.data_dir)
        if os.access(path, os.W_OK | os.X_OK) and all(
                os.access(f, os.W_OK) for f in path.glob("*.sqlite3")):
            return path
        copy = Path(tempfile.mkdtemp(prefix="assistant-readonly-"))
        atexit.register(shutil.rmtree, copy, True)
        if self._copy is not None:  # a reopen: the copy of what was on disk before is done with
            shutil.rmtree(self._copy, ignore_errors=True)
        self._copy = copy
        shutil.copytree(path, copy / "index")
        for folder, _, files in os.walk(copy):
            os.chmod(folder, 0o700)
            for f in files:
                os.chmod(os.path.join(folder, f), 0o600)
        log.info("the data dir %s is read-only: answering from a private copy in %s", path, copy)
        return copy / "index"

    @classmethod
    def close(cls, settings: IngestSettings) -> None:
        """Let go of the store's client, and its vectors in memory (benchmarks, tests)."""
        with cls._open_lock:
            connection = cls._open.pop(cls._key(settings), None)
        if connection is not None:
            with connection.lock:
                connection.client.close()

    def reopen(self) -> None:
        if not self.embedded:
            return  # the server is the one process holding the vectors: always current
        with self.lock:
            self.client.close()
            self.client = self._client()


def server_down(settings: IngestSettings, exc: Exception) -> StoreDown:
    return StoreDown(f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} does not answer "
                     f"({type(exc).__name__}); start it (`chroma run --host HOST --port PORT --path DIR`), "
                     "fix CHROMA_HOST/CHROMA_PORT, or unset CHROMA_HOST to use the embedded store")


class Index:
    """A Chroma collection of passages that remembers the encoder it was built with (model,
    dimension, variant), the schema it was written in and the chunker that cut it.

    `encoder` is anything with `name`, `dimension` and `variant` (an `ingest.embedder.Encoder`).
    `create=True` opens it for writing: the collection is made if missing, and an index cut by
    another chunker is accepted, since ingest re-chunks every article it is given again."""

    def __init__(self, settings: IngestSettings, encoder, create: bool = False):
        self.settings = settings
        self.model_name, self.dimension, self.variant = encoder.name, encoder.dimension, encoder.variant
        self.connection = Connection.to(settings, create)
        with self._calling():
            self._check_collection(create)

    def _calling(self):
        """Holds the connection while Chroma is called; a server that stops answering is named."""
        return _Calling(self.connection)

    @property
    def collection(self):
        """The collection on the connection's current client (a reopened store is a new client)."""
        client = self.connection.client
        if getattr(self, "_collection_client", None) is not client:
            self._collection = client.get_collection(self.settings.collection, embedding_function=None)
            self._collection_client = client
        return self._collection

    @property
    def collection_id(self) -> str:
        """The collection's own id: a collection deleted and made again under its name gets another."""
        with self._calling():
            return str(self.collection.id)

    def _check_collection(self, create: bool) -> None:
        name, client = self.settings.collection, self.connection.client
        if name not in {c.name for c in client.list_collections()}:
            if not create:
                raise NoIndexYet(f"the index has no collection '{name}' yet; run `assistant ingest PATH` first")
            client.create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": self.model_name, "dimension": self.dimension,
                          "embedding_variant": self.variant, "schema": SCHEMA_VERSION, "generation": 0},
            )
            return
        meta = self.metadata
        built = built_with(meta)
        if built != (self.model_name, self.dimension, self.variant):
            raise ModelMismatch(
                f"the index in collection '{name}' was built with the embedding model "
                f"{built[0]!r} ({built[1]} dims, {built[2]} variant), not {self.model_name!r} "
                f"({self.dimension} dims, {self.variant} variant); set ASSISTANT_EMBEDDING_MODEL and "
                "ASSISTANT_EMBED_VARIANT back, or ingest into a new ASSISTANT_DATA_DIR"
            )
        self._check_layout(meta, create)

    def _check_layout(self, meta: dict, create: bool) -> None:
        schema, chunker = meta.get("schema", SCHEMA_VERSION), str(meta.get("chunker", CHUNKER_VERSION))
        if schema != SCHEMA_VERSION:
            raise OutdatedIndex(
                f"the index in {self.where} was written in layout {schema}; this version reads layout "
                f"{SCHEMA_VERSION}: ingest your articles into a new ASSISTANT_DATA_DIR")
        if not create and chunker.split("/")[0] != CHUNKER_VERSION:
            raise OutdatedIndex(
                f"the index in {self.where} was cut into passages by the chunker {chunker.split('/')[0]}; "
                f"this version reads {CHUNKER_VERSION}: run `assistant ingest` on your article folders "
                "again (each article is re-chunked), or ingest into a new ASSISTANT_DATA_DIR")

    @property
    def where(self) -> str:
        store = (f"{self.settings.chroma_host}:{self.settings.chroma_port}" if self.settings.chroma_host
                 else str(self.settings.data_dir))
        return f"{store} (collection '{self.settings.collection}')"

    # --- reading -------------------------------------------------------------------------
    @property
    def metadata(self) -> dict:
        """The collection's metadata as stored now (a cached collection object holds an old copy)."""
        with self._calling():
            return self.connection.client.get_collection(self.settings.collection,
                                                         embedding_function=None).metadata or {}

    @property
    def chunker(self) -> str | None:
        """The chunker that cut every stored passage (None before the first write)."""
        return self.metadata.get("chunker")

    def generation(self) -> int:
        """A number that changes on every write, so readers can tell their caches are stale."""
        return int(self.metadata.get("generation", 0))

    def reopen(self) -> None:
        """See what other processes wrote since this one opened the store (embedded store)."""
        self.connection.reopen()

    def count(self) -> int:
        with self._calling():
            return self.collection.count()

    def _pages(self, include: list[str], batch: int = 5000) -> Iterator[dict]:
        """The collection's rows, `batch` at a time, as Chroma returns them."""
        offset = 0
        while True:
            with self._calling():
                got = self.collection.get(include=include, limit=batch, offset=offset)
            yield got
            if len(got["ids"]) < batch:
                return
            offset += batch

    def scan(self, batch: int = 5000, include_text: bool = True) -> Iterator[list[StoredChunk]]:
        """Every stored chunk, a batch at a time (a whole large index never sits in memory twice)."""
        for got in self._pages(["metadatas", "documents"] if include_text else ["metadatas"], batch):
            docs = got.get("documents") or [None] * len(got["ids"])
            yield [StoredChunk.from_row(i, d, m) for i, m, d in zip(got["ids"], got["metadatas"], docs)]

    def all_chunks(self, include_text: bool = True) -> list[StoredChunk]:
        return [chunk for batch in self.scan(include_text=include_text) for chunk in batch]

    def chunks(self, ids: list[str]) -> dict[str, StoredChunk]:
        """The stored chunks of these ids (those that still exist), by id."""
        if not ids:
            return {}
        with self._calling():
            got = self.collection.get(ids=list(dict.fromkeys(ids)), include=["metadatas", "documents"])
        return {i: StoredChunk.from_row(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def articles(self) -> dict[str, StoredArticle]:
        """What the index holds, per article, from the chunks' metadata."""
        grouped: dict[str, list[dict]] = {}
        for got in self._pages(["metadatas"]):
            for meta in got["metadatas"]:
                grouped.setdefault(meta["article_id"], []).append(meta)
        return {aid: _stored_article(aid, metas) for aid, metas in grouped.items()}

    def query(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[StoredChunk, float]]:
        if k <= 0:
            return []
        where = filters.where() if filters else None
        with self._calling():
            got = self.collection.query(  # fewer than k chunks (or none) simply give fewer rows
                query_embeddings=[vector.tolist()], n_results=k, where=where or None,
                include=["metadatas", "documents", "distances"],
            )
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [(StoredChunk.from_row(i, d, m), 1.0 - dist) for i, d, m, dist in rows]

    # --- writing -------------------------------------------------------------------------
    def write(self, article: Article, passages: list[Passage], vectors: np.ndarray, hash_: str,
              fingerprint: int, also_sources: tuple[str, ...] = (), replaces: bool = True) -> None:
        """Write an article's chunks (upsert by id), then remove its chunks from older versions
        (`replaces=False` when the index is known to hold none: a new article)."""
        metas = [chunk_metadata(article, p, len(passages), hash_, fingerprint, also_sources) for p in passages]
        self.upsert([p.id for p in passages], vectors, [p.text for p in passages], metas)
        if replaces:
            with self._calling():
                self.collection.delete(where={"$and": [{"article_id": article.id}, {"hash": {"$ne": hash_}}]})

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict]) -> None:
        with self._calling():
            step = self.connection.client.get_max_batch_size()
            collection = self.collection
            for i in range(0, len(ids), step):
                collection.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                                  documents=texts[i:i + step], metadatas=metas[i:i + step])

    def add_also_source(self, article_id: str, sources: tuple[str, ...]) -> None:
        with self._calling():
            got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
            metas = [{**m, "also_sources": "\n".join(sources)} for m in got["metadatas"]]
            if got["ids"]:
                self.collection.update(ids=got["ids"], metadatas=metas)

    def remove(self, article_id: str) -> None:
        with self._calling():
            self.collection.delete(where={"article_id": article_id})

    def bump_generation(self, chunker_version: str | None = None) -> None:
        """Mark a write, so readers rebuild their caches; record the chunker that cut every
        passage now stored, if given."""
        with self._calling():
            meta = dict(self.metadata)
            meta.update(generation=int(meta.get("generation", 0)) + 1, updated=time.time())
            if chunker_version:
                meta["chunker"] = chunker_version
            self.collection.modify(metadata=meta)


class _Calling:
    """The connection's lock for one use; errors of a server that went away become StoreDown."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def __enter__(self):
        self.connection.lock.acquire()

    def __exit__(self, kind, exc, tb):
        self.connection.lock.release()
        if exc is not None and not self.connection.embedded and _unreachable(exc):
            raise server_down(self.connection.settings, exc) from None
        return False


def _unreachable(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError)) or "Could not connect" in str(exc)


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
        also_sources=_sources(first.get("also_sources")),
    )
