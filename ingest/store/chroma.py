"""The Chroma side of the store: the connection, and the collection of passages read and written.

`Index` also owns the lexical side (`lexical.LexicalIndex`): `commit` ends every write by
advancing the generation and saving the lexical index of what is stored now, and `refresh`
brings a reader up to what any process committed."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from ..models import Article, Passage
from ..settings import IngestSettings
from .filters import Filters
from .lexical import LexicalIndex
from .schema import (
    SCHEMA_VERSION,
    StoredArticle,
    StoredChunk,
    built_with,
    chunk_metadata,
    stored_article,
)

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

    `encoder` is anything with `name`, `dimension` and `variant` (an `ingest.encoders.Encoder`).
    `create=True` opens it for writing: the collection is made if missing, and an index cut by
    another chunker is accepted, since ingest re-chunks every article it is given again."""

    def __init__(self, settings: IngestSettings, encoder, create: bool = False):
        self.settings = settings
        self.model_name, self.dimension, self.variant = encoder.name, encoder.dimension, encoder.variant
        self.connection = Connection.to(settings, create)
        with self._calling():
            self._check_collection(create)
        self.lexical = LexicalIndex(self)
        self._refreshing = threading.Lock()

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
        from ..chunking import CHUNKER_VERSION  # the chunker names the store's ids: imported when used

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

    def refresh(self) -> bool:
        """Catch up with what any process committed since the last look: the embedded store is
        reopened (its vector index is loaded once per client) and the lexical side loaded or
        built aside. Searches made meanwhile are answered from what was there before."""
        with self._refreshing:
            generation = self.generation()
            if self.lexical.generation == generation:
                return False
            if self.lexical.snapshot is not None:
                self.reopen()
            return self.lexical.rebuild(generation)

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

    def article_chunks(self, article_id: str) -> list[StoredChunk]:
        """Every stored chunk of one article, in its order (none when the article is not stored)."""
        with self._calling():
            got = self.collection.get(where={"article_id": article_id}, include=["metadatas", "documents"])
        chunks = [StoredChunk.from_row(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(chunks, key=lambda c: c.chunk)

    def articles(self) -> dict[str, StoredArticle]:
        """What the index holds, per article, from the chunks' metadata."""
        grouped: dict[str, list[dict]] = {}
        for got in self._pages(["metadatas"]):
            for meta in got["metadatas"]:
                grouped.setdefault(meta["article_id"], []).append(meta)
        return {aid: stored_article(aid, metas) for aid, metas in grouped.items()}

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

    def commit(self, chunker_version: str | None = None) -> None:
        """End a write: advance the generation, so readers know their caches are stale, record
        the chunker that cut every passage now stored (if given), and save the lexical index of
        what is stored now beside the store, so the readers that ask next load it instead of
        building it."""
        with self._calling():
            meta = dict(self.metadata)
            meta.update(generation=int(meta.get("generation", 0)) + 1, updated=time.time())
            if chunker_version:
                meta["chunker"] = chunker_version
            self.collection.modify(metadata=meta)
        try:
            self.lexical.rebuild(int(meta["generation"]))
        except IndexUnavailable as exc:  # the passages are stored; readers build the lexical index themselves
            log.warning("the lexical index of %s was not prepared: %s", self.where, exc)


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


