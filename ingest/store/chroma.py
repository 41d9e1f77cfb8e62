"""The Chroma side of the store: the collection of passages, read and written.

`Index` also owns the lexical side (`lexical.LexicalIndex`): `commit` ends every write by
advancing the generation and saving the lexical index of what is stored now, and `refresh`
brings a reader up to what any process committed."""

from __future__ import annotations

import logging
import threading
import time
from typing import Iterator

import numpy as np

from ..models import Article, Passage
from ..settings import IngestSettings
from .connection import (
    Connection,
    IndexUnavailable,
    ModelMismatch,
    NoIndexYet,
    OutdatedIndex,
    _Calling,
)
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

WRITER_SAVES = 3.0  # seconds a reader waits for the writer to save the generation it moved to


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
        self._written: dict[str, StoredChunk] = {}  # since the last commit, for the lexical side
        self._removed: set[str] = set()

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
            return self.lexical.rebuild(generation, wait=WRITER_SAVES)

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
            self._delete({"$and": [{"article_id": article.id}, {"hash": {"$ne": hash_}}]})

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict]) -> None:
        with self._calling():
            step = self.connection.client.get_max_batch_size()
            collection = self.collection
            for i in range(0, len(ids), step):
                collection.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                                  documents=texts[i:i + step], metadatas=metas[i:i + step])
        for chunk_id, text, meta in zip(ids, texts, metas):
            self._written[chunk_id] = StoredChunk.from_row(chunk_id, text, meta)

    def add_also_source(self, article_id: str, sources: tuple[str, ...]) -> None:
        with self._calling():
            got = self.collection.get(where={"article_id": article_id}, include=["metadatas"])
            metas = [{**m, "also_sources": "\n".join(sources)} for m in got["metadatas"]]
            if got["ids"]:
                self.collection.update(ids=got["ids"], metadatas=metas)

    def remove(self, article_id: str) -> None:
        self._delete({"article_id": article_id})

    def _delete(self, where: dict) -> None:
        with self._calling():
            ids = self.collection.get(where=where, include=[])["ids"]
            if ids:
                self.collection.delete(ids=ids)
        for chunk_id in ids:
            self._written.pop(chunk_id, None)
            self._removed.add(chunk_id)

    def commit(self, chunker_version: str | None = None) -> None:
        """End a write: advance the generation, so readers know their caches are stale, record
        the chunker that cut every passage now stored (if given), and update the lexical index with
        what was written and removed since the last commit, saved beside the store, so the readers
        that ask next load it instead of making it."""
        with self._calling():
            meta = dict(self.metadata)
            previous = int(meta.get("generation", 0))
            meta.update(generation=previous + 1, updated=time.time())
            if chunker_version:
                meta["chunker"] = chunker_version
            self.collection.modify(metadata=meta)
        written, removed = list(self._written.values()), self._removed
        self._written, self._removed = {}, set()
        try:
            self.lexical.advance(previous, previous + 1, written, removed)
        except IndexUnavailable as exc:  # the passages are stored; readers bring the lexical index up themselves
            log.warning("the lexical index of %s was not prepared: %s", self.where, exc)
