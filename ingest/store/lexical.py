"""The lexical side of the store: BM25 over every chunk (title, date and text), kept in step
with the embedded store by what changed, not rebuilt.

A snapshot is a base segment, the mask of its chunks removed since, and a small segment of the
chunks added since (`bm25`). A write costs the segment of what it added; when that segment grows
past a share of the base, the two are merged into a new base (arrays, no text read again). On disk
(`lexical/` in the data dir) each generation of the index is a small folder (`g<N>`: the removed
mask and the added segment) naming the base it builds on (`s<N>`), so the process that writes
saves the generation it made and every other process loads it, sharing the base memory-mapped."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import numpy as np

from ..settings import IngestSettings
from ..text import tokenize
from .bm25 import EMPTY, Row, Scorer, Segment
from .filters import Filters
from .schema import StoredChunk, embedding_text, generation_folder, lexical_folder, saved_generations


class ChunkStore(Protocol):
    """What the lexical side reads of the store it mirrors (`chroma.Index` is the one adapter);
    named here so that the two modules do not import each other."""

    settings: IngestSettings
    collection_id: str

    def scan(self, batch: int, include_text: bool = True) -> Iterator[list[StoredChunk]]: ...

    def chunks(self, ids: list[str]) -> dict[str, StoredChunk]: ...

    def count(self) -> int: ...

    def generation(self) -> int: ...

log = logging.getLogger(__name__)

COMPACT_SHARE, COMPACT_MIN = 0.1, 2000  # the added segment is merged in past max(10% of the base, 2,000)
READ_BATCH = 5000


def rows_of(chunks: Iterable[StoredChunk]) -> list[Row]:
    chunks = list(chunks)
    texts = [embedding_text(c.title, c.text, c.published) for c in chunks]
    return [Row(c.id, c.hash, c.day, c.keys, dict(Counter(tokens))) for c, tokens in zip(chunks, tokenize(texts))]


@dataclass(frozen=True, eq=False)
class LexicalSnapshot:
    """The lexical index of one generation of the store: a base segment, the mask of its chunks
    removed since it was made, and the segment of the chunks added since. Only what ranking and
    filtering need stays in memory (ids, days, articles, term counts); the texts stay in the store."""

    generation: int
    base: Segment
    removed: np.ndarray  # bool per base chunk
    added: Segment = EMPTY
    base_name: str | None = None  # the folder the base is saved in, once it is

    @classmethod
    def build(cls, index: ChunkStore, generation: int) -> "LexicalSnapshot":
        """Every chunk the index holds now, read and counted."""
        rows = [row for batch in index.scan(READ_BATCH) for row in rows_of(batch)]
        base = Segment.of(rows)
        return cls(generation, base, np.zeros(len(base), bool))

    @cached_property
    def live(self) -> np.ndarray | None:
        """Which base chunks are still stored (None: all of them)."""
        return ~self.removed if self.removed.any() else None

    @cached_property
    def scorer(self) -> Scorer:
        return Scorer([(self.base, self.live), (self.added, None)])

    def __len__(self) -> int:
        return len(self.base) - int(self.removed.sum()) + len(self.added)

    @cached_property
    def ids(self) -> list[str]:
        kept = self.base.ids if self.live is None else [self.base.ids[n] for n in np.flatnonzero(self.live)]
        return kept + self.added.ids

    @cached_property
    def days(self) -> np.ndarray:
        """Each stored chunk's published day number (-1 undated)."""
        base = self.base.days if self.live is None else self.base.days[self.live]
        return np.concatenate([base, self.added.days]).astype(np.int32)

    def versions(self) -> dict[str, str]:
        """Each stored chunk's id and the version (hash) of its article it was cut from."""
        kept = range(len(self.base)) if self.live is None else np.flatnonzero(self.live).tolist()
        return {**{self.base.ids[n]: self.base.hashes[n] for n in kept}, **dict(zip(self.added.ids, self.added.hashes))}

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[str, float, str]]:
        """The k best-scoring chunks the filters admit: (chunk id, BM25 score, article id)."""
        terms = tokenize([query])[0]
        if not terms or not len(self):
            return []
        parts = self.scorer.parts
        scored = self.scorer.scores(terms)
        days = filters.day_range()
        for n, (segment, _) in enumerate(parts):
            if days is not None:
                scored[n] = np.where((segment.days >= days[0]) & (segment.days <= days[1]), scored[n], 0.0)
            if filters.articles:
                allowed = [i for i, keys in enumerate(segment.articles) if filters.allows_article(keys)]
                scored[n] = np.where(np.isin(segment.article_of, allowed), scored[n], 0.0)
        every = np.concatenate(scored)
        top = np.argsort(-every, kind="stable")[:k]
        found = []
        for i in top.tolist():
            if every[i] <= 0:
                break
            segment, n = (self.base, i) if i < len(self.base) else (self.added, i - len(self.base))
            found.append((segment.ids[n], float(every[i]), segment.articles[segment.article_of[n]][0]))
        return found

    def updated(self, generation: int, added: list[Row], removed: Iterable[str]) -> "LexicalSnapshot":
        """This snapshot with `removed` chunk ids gone and `added` rows stored (a row whose id is
        stored already replaces it); merged into a new base when the added segment grows large."""
        gone = set(removed) | {row.id for row in added}
        mask = self.removed.copy()
        positions = self.base.positions
        mask[[positions[i] for i in gone if i in positions]] = True
        kept = [row for row in self.added.rows() if row.id not in gone] if len(self.added) else []
        latest = {row.id: row for row in added}  # the last write of an id wins
        segment = Segment.of(kept + list(latest.values()))
        live = len(self.base) - int(mask.sum())
        if len(segment) > max(COMPACT_MIN, COMPACT_SHARE * live):
            base = Segment.merged(self.base, ~mask, segment)
            return LexicalSnapshot(generation, base, np.zeros(len(base), bool))
        return LexicalSnapshot(generation, self.base, mask, segment, self.base_name)

    def caught_up(self, index: ChunkStore, generation: int) -> "LexicalSnapshot":
        """This snapshot brought to what the index holds now, by comparing each chunk's id and
        version with the store's (its metadata only) and reading only the chunks that differ."""
        held = self.versions()
        stored = {c.id: c.hash for batch in index.scan(READ_BATCH, include_text=False) for c in batch}
        removed = [i for i, version in held.items() if stored.get(i) != version]
        wanted = [i for i, version in stored.items() if held.get(i) != version]
        added = []
        for lo in range(0, len(wanted), READ_BATCH):
            read = index.chunks(wanted[lo:lo + READ_BATCH])
            added.extend(rows_of(read[i] for i in wanted[lo:lo + READ_BATCH] if i in read))
        return self.updated(generation, added, removed)

    # --- on disk -------------------------------------------------------------------------
    def save(self, folder: Path) -> "LexicalSnapshot":
        """Write this generation into the lexical `folder` (its base too, if not saved yet); each
        part is made whole aside, then renamed into place, so a reader never sees half of one.
        Returns the snapshot as saved (naming its base)."""
        saved = self
        if self.base_name is None:
            name = f"s{self.generation}-{uuid.uuid4().hex[:8]}"  # never one another process wrote
            _write_whole(folder / name, self.base.save)
            saved = LexicalSnapshot(self.generation, self.base, self.removed, self.added, name)

        def write(partial: Path) -> None:
            self.added.save(partial / "added")
            (partial / "state.json").write_text(json.dumps({
                "generation": self.generation, "base": saved.base_name,
                "removed": np.flatnonzero(self.removed).tolist()}))

        _write_whole(generation_folder(folder, self.generation), write)
        return saved

    @classmethod
    def load(cls, path: Path, folder: Path, known: "LexicalSnapshot | None" = None) -> "LexicalSnapshot":
        """A saved generation; its base is taken from `known` when that snapshot has the same one."""
        state = json.loads((path / "state.json").read_text())
        name = state["base"]
        base = known.base if known is not None and known.base_name == name else Segment.load(folder / name)
        removed = np.zeros(len(base), bool)
        removed[np.asarray(state["removed"], dtype=np.int64)] = True
        return cls(int(state["generation"]), base, removed, Segment.load(path / "added"), name)


def _write_whole(target: Path, write) -> None:
    """`write(folder)` into a new folder beside `target`, then renamed to it; an existing whole
    `target` is left as it is."""
    if target.exists() and _whole(target):
        return
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        write(partial)
        if target.exists():  # a damaged one: replaced
            shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not target.exists():
            raise


def _whole(folder: Path) -> bool:
    return (folder / "state.json").is_file() or (folder / "segment.json").is_file()


class LexicalIndex:
    """The current lexical snapshot of an index, kept in step with it: a write updates it with
    what the write changed (`advance`), a reader loads the generation the writer saved, or, when
    none is saved (another data dir, a read-only one), compares versions with the store and reads
    what differs (`rebuild`). A newer snapshot is made aside and swapped in whole, so no question
    waits for one once the first exists."""

    KEEP = 2  # generations kept on disk: the newest, and the one readers may still be loading

    def __init__(self, index: ChunkStore):
        self.index = index
        self.snapshot: LexicalSnapshot | None = None
        self._lock = threading.Lock()  # one update at a time

    @property
    def folder(self) -> Path | None:
        """Where this index's snapshots are kept, or None when the data dir is not a folder here."""
        data_dir = Path(self.index.settings.data_dir)
        if not data_dir.is_dir():
            return None
        return lexical_folder(data_dir, self.index.settings.collection, self.index.collection_id)

    @property
    def generation(self) -> int | None:
        return self.snapshot.generation if self.snapshot else None

    def current(self) -> LexicalSnapshot:
        if self.snapshot is None:
            self.rebuild()
        return self.snapshot

    def rebuild(self, generation: int | None = None, wait: float = 0.0) -> bool:
        """Bring the snapshot to the index's generation (now, or the one given), unless it is
        there: the saved one is loaded (waiting up to `wait` seconds for the writer, which saves
        it just after it moves the generation); else the one held (or the newest saved) is caught
        up; else every chunk is read. Returns whether the snapshot changed."""
        with self._lock:
            generation = self.index.generation() if generation is None else generation
            if self.snapshot is not None and self.snapshot.generation == generation:
                return False
            snapshot = self._saved(generation)
            deadline = time.monotonic() + wait
            while snapshot is None and self.folder is not None and time.monotonic() < deadline:
                time.sleep(0.1)
                snapshot = self._saved(generation)
            self.snapshot = snapshot if snapshot is not None else self._save(self._made(generation))
            return True

    def advance(self, previous: int, generation: int, added: list[StoredChunk], removed: set[str]) -> None:
        """A write moved the index from generation `previous` to `generation` by storing `added`
        and removing `removed`: the snapshot of `previous` gets those changes (the snapshot is
        made as `rebuild` makes it instead when there is none of `previous`, or when the changes
        do not account for what the store holds: another writer's)."""
        with self._lock:
            start = self.snapshot if self.generation == previous else self._saved(previous)
            snapshot = start.updated(generation, rows_of(added), removed) if start is not None else None
            if snapshot is None or len(snapshot) != self.index.count():
                snapshot = self._made(generation)
            self.snapshot = self._save(snapshot)

    def _made(self, generation: int) -> LexicalSnapshot:
        """The snapshot held (or the newest saved) caught up with the store; else every chunk read."""
        start = self.snapshot or self._newest_saved()
        if start is None:
            return LexicalSnapshot.build(self.index, generation)
        return start.caught_up(self.index, generation)

    def _saved(self, generation: int) -> LexicalSnapshot | None:
        folder = self.folder
        path = generation_folder(folder, generation) if folder else None
        if path is None or not (path / "state.json").is_file():
            return None
        try:
            return LexicalSnapshot.load(path, folder, self.snapshot)
        except OSError as exc:  # its base removed meanwhile, say
            log.info("lexical index %s could not be read (%s)", path, exc)
            return None
        except (ValueError, KeyError, IndexError) as exc:  # damaged: made again (and saved, if it can be)
            log.warning("lexical index %s could not be read (%s); making it again", path, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None

    def _newest_saved(self) -> LexicalSnapshot | None:
        folder = self.folder
        for generation in saved_generations(folder) if folder and folder.is_dir() else []:
            found = self._saved(generation)
            if found is not None:
                return found
        return None

    def _save(self, snapshot: LexicalSnapshot) -> LexicalSnapshot:
        folder = self.folder
        if folder is None:
            return snapshot
        try:
            folder.mkdir(parents=True, exist_ok=True)
            snapshot = snapshot.save(folder)
            self._forget_old(folder)
        except OSError as exc:  # a read-only data dir: every process keeps its own
            log.debug("lexical index not saved in %s: %s", folder, exc)
        return snapshot

    def _forget_old(self, folder: Path) -> None:
        """Keep the newest generations and the bases they name; remove the rest."""
        saved = saved_generations(folder)
        kept = saved[:self.KEEP]
        newest = saved[0] if saved else 0
        bases = set()
        for generation in kept:
            try:
                bases.add(json.loads((generation_folder(folder, generation) / "state.json").read_text())["base"])
            except (OSError, ValueError, KeyError):
                pass
        for path in folder.iterdir():
            if path.name.startswith("."):
                continue
            number = path.name[1:].split("-")[0]
            number = int(number) if number.isdigit() else None
            if number is None:
                continue
            # A base newer than the newest generation is one another process is about to name.
            if (path.name[0] == "g" and number not in kept) or \
                    (path.name[0] == "s" and path.name not in bases and number < newest):
                shutil.rmtree(path, ignore_errors=True)
