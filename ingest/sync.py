"""Files -> index: load, diff by content hash, chunk and embed what changed, write, prune."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .chunking import TITLE_TOKENS, Chunker, embedding_text, title_budget
from .dedupe import DuplicateFinder, fingerprint
from .embedder import Embedder
from .index import Index, NoIndexYet, StoredArticle
from .loaders import LoadError, discover, load_file
from .models import Article, Passage
from .settings import Settings, load_settings

SPECIAL_AND_HEAD_TOKENS = 12  # [CLS]/[SEP] plus the " (YYYY-MM-DD)" and newline after the title
GROUP_ARTICLES = 128  # articles embedded together: large enough to batch well, small enough to stream


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    failed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    duplicate_of: dict[str, str] = field(default_factory=dict)  # duplicate id -> kept id
    plan: list[tuple[str, str]] = field(default_factory=list)  # (action, article id)

    def summary(self) -> dict:
        keys = ("added", "updated", "unchanged", "removed", "duplicates", "failed", "chunks")
        return {**{k: getattr(self, k) for k in keys}, "seconds": round(self.seconds, 3)}

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def make_chunker(embedder: Embedder, settings: Settings) -> Chunker:
    limit = embedder.max_tokens - SPECIAL_AND_HEAD_TOKENS - TITLE_TOKENS
    return Chunker(embedder, min(settings.chunk_tokens, limit), settings.chunk_overlap_tokens)


def passage_texts(embedder: Embedder, article: Article, passages: list[Passage]) -> list[str]:
    """What is embedded for each passage: the article's title (cut to fit once) and date, then the text."""
    title = title_budget(embedder.count_tokens, article.title)
    return [embedding_text(title, p.text, article.published) for p in passages]


def ingest(
    paths: list[str | Path],
    settings: Settings | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    embedder: Embedder | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Bring the index in line with the articles under `paths`; see IngestReport for the tally."""
    started = time.perf_counter()
    settings = settings or load_settings()
    embedder = embedder or Embedder.from_settings(settings)
    run = _Run(settings, embedder, dry_run, on_progress or (lambda *_: None))
    run.load([Path(p) for p in paths])
    run.plan()
    run.write()
    if prune:
        run.prune([Path(p).resolve() for p in paths])
    run.finish()
    run.report.seconds = time.perf_counter() - started
    return run.report


class _Run:
    def __init__(self, settings: Settings, embedder: Embedder, dry_run: bool, progress):
        self.settings = settings
        self.embedder = embedder
        self.dry_run = dry_run
        self.progress = progress
        self.report = IngestReport()
        self.chunker = make_chunker(embedder, settings)
        self.index = self._open_index()
        self.stored: dict[str, StoredArticle] = self.index.articles() if self.index else {}
        self.articles: dict[str, Article] = {}
        self.troubled: set[Path] = set()  # files and folders that failed: what they hold is never pruned
        self.to_write: list[tuple[Article, str, int]] = []
        self.also: dict[str, list[str]] = {}
        self.changed = False

    def _open_index(self) -> Index | None:
        try:
            return Index(self.settings, self.embedder.name, self.embedder.dimension, create=not self.dry_run)
        except NoIndexYet:
            if self.dry_run:
                return None  # nothing indexed yet: everything would be added
            raise

    def _hash(self, article: Article) -> str:
        key = f"{article.content_hash}/{self.chunker.version}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def load(self, paths: list[Path]) -> None:
        max_bytes = int(self.settings.max_file_mb * 1e6)
        unreadable: list[tuple[Path, str]] = []
        files = discover(paths, unreadable)
        for folder, problem in unreadable:
            self._fail(folder, problem)
        for n, (path, root) in enumerate(files, 1):
            self.progress("reading", n, len(files))
            try:
                loaded = load_file(path, root, max_bytes)
            except LoadError as exc:
                self._fail(path, str(exc))
                continue
            for problem in loaded.problems:
                self._fail(path, problem)
            for article in loaded.articles:
                article = self._own_id(article, root)
                if article.id in self.articles:
                    self._duplicate(article, self.articles[article.id].id)
                else:
                    self.articles[article.id] = article

    def _own_id(self, article: Article, root: Path) -> Article:
        """A file's article is known by its path under the ingested folder; when another file
        (under another folder, in this run or in the index and still on disk) is already known
        by that path, by its full path instead, so that neither replaces the other."""
        if article.url:
            return article  # one URL is one story, wherever it was saved
        full = f"{root.as_posix()}/{article.id}"
        if full in self.stored:
            return replace(article, id=full)
        held, stored = self.articles.get(article.id), self.stored.get(article.id)
        if held is not None:
            clash = held.source != article.source
        else:
            clash = stored is not None and stored.source != article.source and Path(stored.source).exists()
        return replace(article, id=full) if clash else article

    def _fail(self, source: Path, message: str) -> None:
        self.report.failed += 1
        self.report.errors.append(message)
        self.troubled.add(source)

    def _duplicate(self, article: Article, kept_id: str) -> None:
        self.report.duplicates += 1
        self.report.duplicate_of[article.id] = kept_id
        self.report.plan.append(("duplicate", article.id))
        self.also.setdefault(kept_id, []).append(article.url or article.source)

    def plan(self) -> None:
        finder = DuplicateFinder()
        pending = []
        for article in self.articles.values():
            stored = self.stored.get(article.id)
            hash_ = self._hash(article)
            if stored and stored.complete and stored.hash == hash_:
                self.report.unchanged += 1
                finder.keep(article.id, stored.fingerprint)
            else:
                pending.append((article, hash_))
        for aid, stored in self.stored.items():
            if aid not in self.articles:
                finder.keep(aid, stored.fingerprint)
        for article, hash_ in pending:
            print_ = fingerprint(article.text)
            kept = finder.find(article.id, print_)
            if kept is not None:
                self._duplicate(article, kept)
                if article.id in self.stored and not self.dry_run:
                    self.index.remove(article.id)  # it was indexed on its own before
                    self.changed = True
                continue
            finder.keep(article.id, print_)
            if article.id in self.stored:
                self.report.updated += 1
                self.report.plan.append(("update", article.id))
            else:
                self.report.added += 1
                self.report.plan.append(("add", article.id))
            self.to_write.append((article, hash_, print_))

    def write(self) -> None:
        if self.dry_run or not self.to_write:
            return
        written = 0
        for g in range(0, len(self.to_write), GROUP_ARTICLES):
            group = self.to_write[g:g + GROUP_ARTICLES]
            chunked = [(a, h, f, self.chunker.chunk(a)) for a, h, f in group]
            texts = [t for a, _, _, passages in chunked for t in passage_texts(self.embedder, a, passages)]
            vectors = self.embedder.embed(texts)
            offset = 0
            for article, hash_, print_, passages in chunked:
                also = tuple(self.also.get(article.id, ()))
                self.index.write(article, passages, vectors[offset:offset + len(passages)], hash_, print_, also,
                                 replaces=article.id in self.stored)
                offset += len(passages)
            written += len(texts)
            self.progress("embedding", min(g + GROUP_ARTICLES, len(self.to_write)), len(self.to_write))
        self.report.chunks = written
        self.changed = True

    def prune(self, roots: list[Path]) -> None:
        for aid, stored in self.stored.items():
            source = Path(stored.source)
            if aid in self.articles or aid in self.report.duplicate_of or any(
                    source.is_relative_to(troubled) for troubled in self.troubled):
                continue
            under_root = any(source == r or source.is_relative_to(r) for r in roots)
            if under_root or not source.exists():
                self.report.removed += 1
                self.report.plan.append(("remove", aid))
                if not self.dry_run:
                    self.index.remove(aid)
                    self.changed = True

    def finish(self) -> None:
        if self.dry_run or not self.index:
            return
        written = {a.id for a, _, _ in self.to_write}
        for kept_id, sources in self.also.items():
            stored = self.stored.get(kept_id)
            if kept_id not in written and stored and set(sources) - set(stored.also_sources):
                self.index.add_also_source(kept_id, tuple(dict.fromkeys([*stored.also_sources, *sources])))
                self.changed = True
        if self.changed:
            self.index.bump_generation(self.chunker.version)
