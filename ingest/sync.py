"""Files -> index in three steps: load the articles under the given paths; plan what changes
(pure: what to add, update and remove, worked out from the articles and what the index holds);
apply the plan (chunk and embed what is added or updated, write, remove). A dry run stops after
the plan and shows it."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .chunking import TITLE_TOKENS, Chunker, title_budget
from .dedupe import DuplicateFinder, fingerprint
from .encoders import Encoder
from .feeds import is_url
from .loaders import LoadError, discover, load_file
from .models import Article, Passage
from .settings import ChunkingSettings, IngestSettings, load_settings
from .store import Index, NoIndexYet, StoredArticle, one_writer
from .store.schema import embedding_text
from .wiring import encoder_for

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
    feeds: dict[str, dict] = field(default_factory=dict)  # per URL given: what its fetch found, for the next poll
    plan: list[tuple[str, str]] = field(default_factory=list)  # (action, article id)

    def summary(self) -> dict:
        keys = ("added", "updated", "unchanged", "removed", "duplicates", "failed", "chunks")
        return {**{k: getattr(self, k) for k in keys}, "seconds": round(self.seconds, 3)}

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Change:
    """An article to (re)write, with the content hash and fingerprint it is stored under."""

    article: Article
    hash: str
    fingerprint: int


@dataclass
class Plan:
    """What a sync does, decided before anything is written."""

    add: list[Change] = field(default_factory=list)
    update: list[Change] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # stored, and gone from disk (prune)
    superseded: list[str] = field(default_factory=list)  # stored on their own, now duplicates
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (duplicate id, kept id)
    also: dict[str, list[str]] = field(default_factory=dict)  # kept id -> this run's other copies
    unchanged: int = 0
    stale: int = 0  # stored articles this plan leaves cut by another chunker

    @property
    def writes(self) -> list[Change]:
        return self.add + self.update

    def steps(self) -> list[tuple[str, str]]:
        """(action, article id) for every change, in the order they are made."""
        return ([("duplicate", d) for d, _ in self.duplicates] + [("add", c.article.id) for c in self.add]
                + [("update", c.article.id) for c in self.update] + [("remove", r) for r in self.remove])


def article_hash(article: Article, chunker_version: str) -> str:
    """What an article is stored under: its content and the chunker that cuts it (a new chunker
    re-chunks every article it meets)."""
    return hashlib.sha256(f"{article.content_hash}/{chunker_version}".encode()).hexdigest()[:32]


def assign_ids(found: list[tuple[Article, Path]], stored: dict[str, StoredArticle],
               exists: Callable[[str], bool] = lambda s: Path(s).exists()) -> list[Article]:
    """Each article's id, whatever order its files were met in.

    An article with a URL is known by it (one URL is one story, wherever it was saved). A file's
    article is known by its path under the folder it was found in, unless another file holds that
    path: another file of this run (then only the one the index already holds under it keeps it),
    or the stored article, still on disk, of another file. The others are known by their full path.
    """
    sources = defaultdict(set)
    for article, _ in found:
        sources[article.id].add(article.source)
    named = []
    for article, root in found:
        if article.url:
            named.append(article)
            continue
        full = f"{root.as_posix()}/{article.id}"
        held = stored.get(article.id)
        holds = held is not None and held.source == article.source
        taken = held is not None and not holds and exists(held.source)
        clash = len(sources[article.id]) > 1 and not holds
        named.append(replace(article, id=full) if full in stored or taken or clash else article)
    return named


def make_plan(articles: list[Article], stored: dict[str, StoredArticle], chunker_version: str,
              prune_roots: list[Path] | None = None, troubled: frozenset[Path] = frozenset(),
              exists: Callable[[str], bool] = lambda s: Path(s).exists(),
              index_chunker: str | None = None) -> Plan:
    """The changes that bring `stored` in line with `articles`.

    Unchanged articles (same content, same chunker) are left alone; an article that repeats
    another (same id, or a near-identical text) is a duplicate, recorded as another copy of the
    kept one and removed if it was stored on its own. With `prune_roots`, stored articles whose
    file was under those roots (or is gone) and was not met are removed, except under
    `troubled` paths (files and folders that failed to load: what they hold is kept)."""
    plan = Plan()
    first: dict[str, Article] = {}
    for article in articles:
        if article.id in first:
            plan.duplicates.append((article.id, article.id))
            plan.also.setdefault(article.id, []).append(article.url or article.source)
        else:
            first[article.id] = article
    finder, pending, current = DuplicateFinder(), [], set()  # current: stored, cut by this chunker
    for article in first.values():
        held, hash_ = stored.get(article.id), article_hash(article, chunker_version)
        if held and held.complete and held.hash == hash_:
            plan.unchanged += 1
            current.add(article.id)
            finder.keep(article.id, held.fingerprint)
        else:
            pending.append((article, hash_))
    for aid, held in stored.items():
        if aid not in first:
            finder.keep(aid, held.fingerprint)
    for article, hash_ in pending:
        print_ = fingerprint(article.text)
        kept = finder.find(article.id, print_)
        if kept is not None:
            plan.duplicates.append((article.id, kept))
            plan.also.setdefault(kept, []).append(article.url or article.source)
            if article.id in stored:
                plan.superseded.append(article.id)  # it was indexed on its own before
            continue
        finder.keep(article.id, print_)
        (plan.update if article.id in stored else plan.add).append(Change(article, hash_, print_))
    if prune_roots is not None:
        plan.remove += _pruned(first, stored, plan, prune_roots, troubled, exists)
    if index_chunker is not None and index_chunker != chunker_version:
        current |= {c.article.id for c in plan.writes} | set(plan.remove) | set(plan.superseded)
        plan.stale = len(set(stored) - current)
    return plan


def _pruned(met: dict[str, Article], stored: dict[str, StoredArticle], plan: Plan, roots: list[Path],
            troubled: frozenset[Path], exists: Callable[[str], bool]) -> list[str]:
    gone, duplicates = [], {d for d, _ in plan.duplicates}
    for aid, held in stored.items():
        source = Path(held.source)
        if aid in met or aid in duplicates or any(
                source.is_relative_to(t) for t in troubled):
            continue
        if any(source == r or source.is_relative_to(r) for r in roots) or not exists(held.source):
            gone.append(aid)
    return gone


def make_chunker(embedder: Encoder, settings: ChunkingSettings) -> Chunker:
    limit = embedder.max_tokens - SPECIAL_AND_HEAD_TOKENS - TITLE_TOKENS
    return Chunker(embedder, min(settings.tokens, limit), settings.overlap_tokens)


def passage_texts(embedder: Encoder, article: Article, passages: list[Passage]) -> list[str]:
    """What is embedded for each passage: the article's title (cut to fit once) and date, then the text."""
    title = title_budget(embedder.count_tokens, article.title)
    return [embedding_text(title, p.text, article.published) for p in passages]


def ingest(
    paths: list[str | Path],
    settings: IngestSettings | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    embedder: Encoder | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    feed_state: dict[str, dict] | None = None,
    fetcher=None,
) -> IngestReport:
    """Bring the index in line with the articles under `paths` (files, folders, and http(s) URLs
    of article pages and feeds); see IngestReport for the tally. `feed_state` is what earlier
    polls of these URLs saw (`assistant follow` keeps it): unchanged feeds and entries already
    seen are not fetched again."""
    started = time.perf_counter()
    settings = settings or load_settings()
    embedder = embedder or encoder_for(settings)
    progress = on_progress or (lambda *_: None)
    report = IngestReport()
    chunker = make_chunker(embedder, settings.chunking)
    with nullcontext() if dry_run else one_writer(settings):  # what is stored is read after any other writer
        index = _open_index(settings, embedder, dry_run)
        stored = index.articles() if index else {}
        urls = [str(p) for p in paths if is_url(str(p))]
        files = [p for p in paths if not is_url(str(p))]
        found, troubled = load(files, settings, report, progress)
        if urls:
            found += fetched(urls, settings, stored, report, feed_state, fetcher)
        roots = [Path(p).resolve() for p in files] if prune else None
        plan = make_plan(assign_ids(found, stored), stored, chunker.version, roots, frozenset(troubled),
                         index_chunker=index.chunker if index else None)
        _tally(report, plan)
        if not dry_run:
            report.chunks = apply(plan, index, embedder, chunker, stored, progress)
    report.seconds = time.perf_counter() - started
    return report


def _open_index(settings: IngestSettings, embedder: Encoder, dry_run: bool) -> Index | None:
    try:
        return Index(settings, embedder, create=not dry_run)
    except NoIndexYet:
        if dry_run:
            return None  # nothing indexed yet: everything would be added
        raise


def load(paths: list[str | Path], settings: IngestSettings, report: IngestReport,
         progress) -> tuple[list[tuple[Article, Path]], set[Path]]:
    """Every article under `paths` with the folder it was found in; files and folders that failed
    are counted in `report` and returned, so that what they hold is never pruned."""
    max_bytes = int(settings.max_file_mb * 1e6)
    troubled: set[Path] = set()

    def fail(source: Path, message: str) -> None:
        report.failed += 1
        report.errors.append(message)
        troubled.add(source)

    unreadable: list[tuple[Path, str]] = []
    files = discover([Path(p) for p in paths], unreadable)
    for folder, problem in unreadable:
        fail(folder, problem)
    found = []
    for n, (path, root) in enumerate(files, 1):
        progress("reading", n, len(files))
        try:
            loaded = load_file(path, root, max_bytes)
        except LoadError as exc:
            fail(path, str(exc))
            continue
        for problem in loaded.problems:
            fail(path, problem)
        found += [(article, root) for article in loaded.articles]
    return found, troubled


def fetched(urls: list[str], settings: IngestSettings, stored: dict[str, StoredArticle], report: IngestReport,
            state: dict[str, dict] | None = None, fetcher=None) -> list[tuple[Article, Path]]:
    """The articles the URLs lead to; every URL that failed is counted in `report`, by URL."""
    from .feeds import gather
    from .fetch import Fetcher, FetchSettings

    own = fetcher is None
    fetcher = fetcher or Fetcher(FetchSettings.from_settings(settings))
    known = {a for a in stored if a.startswith(("http://", "https://"))} | {s.url for s in stored.values() if s.url}
    try:
        got = gather(urls, fetcher, state, known, settings.fetch_workers)
    finally:
        if own:
            fetcher.close()
    report.failed += len(got.errors)
    report.errors += got.errors
    report.feeds = got.feeds
    return [(article, Path(".")) for article in got.articles]


def _tally(report: IngestReport, plan: Plan) -> None:
    report.added, report.updated, report.unchanged = len(plan.add), len(plan.update), plan.unchanged
    report.duplicates, report.duplicate_of = len(plan.duplicates), dict(plan.duplicates)
    report.removed = len(plan.remove)
    report.plan = plan.steps()


def apply(plan: Plan, index: Index, embedder: Encoder, chunker: Chunker, stored: dict[str, StoredArticle],
          progress=lambda *_: None) -> int:
    """Make the plan's changes; returns how many passages were embedded and written."""
    for article_id in plan.superseded + plan.remove:
        index.remove(article_id)
    written = 0
    writes = plan.writes
    for g in range(0, len(writes), GROUP_ARTICLES):
        group = writes[g:g + GROUP_ARTICLES]
        chunked = [(c, chunker.chunk(c.article)) for c in group]
        texts = [t for c, passages in chunked for t in passage_texts(embedder, c.article, passages)]
        vectors = embedder.embed(texts)
        offset = 0
        for change, passages in chunked:
            also = tuple(plan.also.get(change.article.id, ()))
            index.write(change.article, passages, vectors[offset:offset + len(passages)], change.hash,
                        change.fingerprint, also, replaces=change.article.id in stored)
            offset += len(passages)
        written += len(texts)
        progress("embedding", min(g + GROUP_ARTICLES, len(writes)), len(writes))
    changed = bool(plan.superseded or plan.remove or writes)
    rewritten = {c.article.id for c in writes}
    for kept_id, sources in plan.also.items():
        held = stored.get(kept_id)
        if kept_id not in rewritten and held and set(sources) - set(held.also_sources):
            index.add_also_source(kept_id, tuple(dict.fromkeys([*held.also_sources, *sources])))
            changed = True
    if changed:
        index.commit(chunker.version if plan.stale == 0 else None)
    return written
