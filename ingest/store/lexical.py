"""The lexical side of the store: BM25 over every chunk (title, date and text), one snapshot per
generation of the index, kept on disk beside the embedded store."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..text import tokenize
from .filters import Filters
from .schema import embedding_text, generation_folder, lexical_folder, saved_generations

if TYPE_CHECKING:
    from .chroma import Index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LexicalSnapshot:
    """BM25 over every chunk (title + date + text) of one generation of the index.

    Only what ranking and filtering need stays in memory (chunk ids, days, articles); a
    search returns chunk ids and the texts come from the index."""

    generation: int
    bm25: object | None
    ids: list[str]
    days: np.ndarray  # per chunk: published day number, -1 undated
    article_of: np.ndarray  # per chunk: position in `articles`
    articles: list[tuple[str, ...]]  # per article: its id, then its source and URL

    @classmethod
    def build(cls, index: Index, generation: int) -> "LexicalSnapshot":
        bm25s = _bm25s()
        ids, days, article_of, articles, positions = [], [], [], [], {}
        corpus: list[list[int]] = []
        vocab: dict[str, int] = {}
        for batch in index.scan():
            texts = [embedding_text(c.title, c.text, c.published) for c in batch]
            for chunk, tokens in zip(batch, tokenize(texts)):
                corpus.append([vocab.setdefault(t, len(vocab)) for t in tokens or [""]])
                if chunk.article_id not in positions:
                    positions[chunk.article_id] = len(articles)
                    articles.append((chunk.article_id, *chunk.keys))
                ids.append(chunk.id)
                days.append(chunk.day)
                article_of.append(positions[chunk.article_id])
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index((corpus, vocab), show_progress=False)
        return cls(generation, bm25, ids, np.array(days, dtype=np.int32), np.array(article_of, dtype=np.int32),
                   articles)

    def save(self, folder: Path) -> None:
        """Write the snapshot into `folder` (made whole in a sibling, then renamed into place, so a
        reader never sees half of one); a folder that already exists is left as it is."""
        if folder.exists():
            return
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            if self.bm25 is not None:
                self.bm25.save(str(partial), show_progress=False)
            np.save(partial / "days.npy", self.days)
            np.save(partial / "article_of.npy", self.article_of)
            (partial / "chunks.json").write_text(json.dumps({"generation": self.generation, "ids": self.ids,
                                                             "articles": self.articles}))
            partial.rename(folder)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            if not folder.exists():
                raise

    @classmethod
    def load(cls, folder: Path) -> "LexicalSnapshot":
        """A saved snapshot, its BM25 scores memory-mapped (processes on one machine share them)."""
        bm25s = _bm25s()
        kept = json.loads((folder / "chunks.json").read_text())
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if kept["ids"] else None
        return cls(int(kept["generation"]), bm25, kept["ids"], np.load(folder / "days.npy"),
                   np.load(folder / "article_of.npy"), [tuple(a) for a in kept["articles"]])

    def search(self, query: str, k: int, filters: Filters) -> list[tuple[str, float, str]]:
        """The k best-scoring chunks the filters admit: (chunk id, BM25 score, article id)."""
        tokens = tokenize([query])[0]
        if self.bm25 is None or not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        days = filters.day_range()
        if days is not None:
            scores = np.where((self.days >= days[0]) & (self.days <= days[1]), scores, 0.0)
        if filters.articles:
            allowed = [i for i, keys in enumerate(self.articles) if filters.allows_article(keys)]
            scores = np.where(np.isin(self.article_of, allowed), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i]), self.articles[self.article_of[i]][0]) for i in top if scores[i] > 0]


def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG: every build would be logged
    return bm25s


class LexicalIndex:
    """The current lexical snapshot; a newer one is built aside and swapped in whole, so no
    question waits for a rebuild once the first one exists.

    Snapshots are kept on disk beside the embedded store (`lexical/` in the data dir), one
    folder per generation of the index: the process that builds one saves it (`assistant ingest`
    does so before it ends), and every other process of that data dir loads it, memory-mapped,
    instead of building it again. A data dir that cannot be written is only read."""

    KEEP = 2  # generations kept on disk: the newest, and the one readers may still be loading

    def __init__(self, index: Index):
        self.index = index
        self.snapshot: LexicalSnapshot | None = None
        self._lock = threading.Lock()  # one build at a time

    @property
    def folder(self) -> Path | None:
        """Where this index's snapshots are kept, or None when the data dir is not a folder here."""
        data_dir = Path(self.index.settings.data_dir)
        if not data_dir.is_dir():
            return None
        return lexical_folder(data_dir, self.index.settings.collection, self.index.collection_id)

    def _saved(self, generation: int) -> LexicalSnapshot | None:
        folder = self.folder
        path = generation_folder(folder, generation) if folder else None
        if path is None or not path.is_dir():
            return None
        try:
            return LexicalSnapshot.load(path)
        except (OSError, ValueError, KeyError) as exc:  # damaged: built again (and saved, if it can be)
            log.warning("lexical index %s could not be read (%s); building it again", path, exc)
            shutil.rmtree(path, ignore_errors=True)
            return None

    def _save(self, snapshot: LexicalSnapshot) -> None:
        folder = self.folder
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            snapshot.save(generation_folder(folder, snapshot.generation))
            for old in saved_generations(folder)[self.KEEP:]:
                shutil.rmtree(generation_folder(folder, old), ignore_errors=True)
        except OSError as exc:  # a read-only data dir: every process builds its own
            log.debug("lexical index not saved in %s: %s", folder, exc)

    @property
    def generation(self) -> int | None:
        return self.snapshot.generation if self.snapshot else None

    def current(self) -> LexicalSnapshot:
        if self.snapshot is None:
            self.rebuild()
        return self.snapshot

    def rebuild(self, generation: int | None = None) -> bool:
        """Build a snapshot of the index as it is now, unless one of this generation exists."""
        with self._lock:
            generation = self.index.generation() if generation is None else generation
            if self.snapshot is not None and self.snapshot.generation == generation:
                return False
            snapshot = self._saved(generation)
            if snapshot is None:
                snapshot = LexicalSnapshot.build(self.index, generation)
                self._save(snapshot)
            self.snapshot = snapshot
            return True
