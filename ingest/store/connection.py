"""The connection to the store: one Chroma client per store, shared by every `Index` of this
process, and the errors that say why a store cannot be used."""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..settings import IngestSettings
from .schema import built_with

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


class DamagedIndex(IndexUnavailable):
    """The embedded store's files cannot be read back by Chroma."""


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


WRITE_LOCK = "write.lock"  # in an embedded store's data dir: held by the process writing to it


@contextmanager
def one_writer(settings: IngestSettings) -> Iterator[None]:
    """Holds the embedded store's write lock while the block runs: Chroma's embedded store takes
    one writing process at a time (two building one index at once left its vector index
    unreadable), so a second writer waits for the first, saying so. A Chroma server orders its
    writers itself. The data dir is checked (and made) first, as for writing."""
    if settings.chroma_host:
        yield
        return
    folder = Path(settings.data_dir)
    check_data_dir(folder, create=True)
    with open(folder / WRITE_LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another process is writing to the index in %s; waiting for it to finish", folder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
        if exc is not None and self.connection.embedded and _damaged(exc):
            raise damaged(self.connection.settings, exc) from None
        return False


# What Chroma's embedded store says when its vector index cannot take back its own write log
# (seen with chromadb 1.5 on a collection of some 17,000 passages: every read fails after it).
DAMAGE_SIGNS = ("backfill", "apply logs", "segment reader", "segment writer", "Error in compaction")


def _damaged(exc: BaseException) -> bool:
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError) and any(sign in str(exc) for sign in DAMAGE_SIGNS)


def damaged(settings: IngestSettings, exc: Exception) -> DamagedIndex:
    return DamagedIndex(f"the index in {settings.data_dir} cannot be read: Chroma could not bring its vector index "
                        f"up to its write log ({exc}); move that folder aside and ingest your folders and feeds "
                        f"again (`assistant ingest FOLDER --data-dir {settings.data_dir}`)")


def _unreachable(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError)) or "Could not connect" in str(exc)
