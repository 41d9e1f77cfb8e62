"""answer(), stream() and search(): the one core the web chat, the CLI and tests all call."""

from __future__ import annotations

import re
import threading
from functools import cached_property
from typing import Iterator

from ingest.embedder import Embedder
from ingest.index import Index
from ingest.settings import Settings, load_settings

from .condense import condense, content_words
from .generate import CheckedGenerator, Draft, ExtractiveGenerator, Generator
from .llm import from_settings as model_from_settings
from .rerank import CrossEncoderReranker, EmbeddingReranker
from .retrieve import Filters, Retriever
from .sources import addresses_the_assistant
from .types import Answer, Citation, Hit
from .verify import verified

MAX_QUESTION_CHARS = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")  # what undecodable bytes become in sys.argv
ABSTAIN_TEXT = "The documents don't say. Nothing in the archive supports an answer to: {question}"
EMPTY_TEXT = "The archive is empty: ingest some articles first (`assistant ingest PATH`)."


class QuestionError(ValueError):
    """The question cannot be asked as given; the message says what to change."""


def clean_question(question) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    bad = SURROGATE.search(question)
    if bad:
        raise QuestionError(f"the question is not valid text: character {bad.start() + 1} is an undecodable byte "
                            "or a lone surrogate (was it typed in another encoding than UTF-8?); retype it")
    question = " ".join(CONTROL.sub(" ", question).split())
    if not question:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,}"
        )
    return question


class Assistant:
    """Wires the embedder, the index, the retriever and the generator chosen by settings."""

    def __init__(self, settings: Settings | None = None, generator: Generator | None = None,
                 embedder: Embedder | None = None):
        self.settings = settings or load_settings()
        self._generator = generator
        self._embedder = embedder

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or Embedder.from_settings(self.settings)

    @cached_property
    def index(self) -> Index:
        return Index(self.settings, self.embedder.name, self.embedder.dimension)

    @cached_property
    def retriever(self) -> Retriever:
        reranker = None
        if self.settings.reranker == "cross-encoder":
            reranker = CrossEncoderReranker(self.settings.reranker_model or "")
        elif self.settings.reranker == "bi-encoder":
            reranker = EmbeddingReranker(self.settings.reranker_model or "", precision=self.settings.embed_precision)
        retriever = Retriever(self.index, self.embedder, reranker, lexical_weight=self.settings.lexical_weight,
                              lede_weight=self.settings.lede_weight)
        if self.settings.refresh_seconds > 0:
            retriever.watch(self.settings.refresh_seconds)  # articles other processes ingest show up
        return retriever

    @cached_property
    def generator(self) -> Generator:
        if self._generator is not None:
            return self._generator
        model = model_from_settings(self.settings)
        if model is None:
            return ExtractiveGenerator(self.embedder)
        extractive = ExtractiveGenerator(self.embedder, candidates=self.settings.llm_candidates)
        return CheckedGenerator(extractive, model, self.settings.llm_weight, self.settings.threshold)

    def warm_up(self) -> None:
        """Load the model and the lexical index now rather than on the first question."""
        self.embedder.embed(["warm up"])
        self.refresh()

    def refresh(self) -> bool:
        """See every article ingested so far, by this process or another, before the next question
        (a running assistant also does this by itself every `refresh_seconds`)."""
        return self.retriever.refresh()

    def search(self, query: str, k: int = 10, since: str | None = None, until: str | None = None,
               articles: tuple[str, ...] = (), merge: bool = True) -> list[Hit]:
        """The k best passages; `merge=False` keeps adjacent chunks of one article apart."""
        query = clean_question(query)
        return self.retriever.search(query, k, Filters(since, until, tuple(articles)), merge=merge)

    def as_retriever(self, k: int = 4, **filters):
        """A LangChain retriever over this archive."""
        from .lc import ArchiveRetriever

        return ArchiveRetriever(assistant=self, k=k, **filters)

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, *,
               since: str | None = None, until: str | None = None,
               articles: tuple[str, ...] = (), k: int = 8) -> Iterator[Answer]:
        """Yields the answer as it grows, one cited sentence at a time; the last one is complete."""
        question = clean_question(question)
        query = condense(question, list(history or []))
        vector = self.embedder.embed([query])[0]
        hits = self.retriever.search(query, k, Filters(since, until, tuple(articles)), vector)
        if not hits and self.index.count() == 0:  # counted only then: a count costs ~5 ms a query
            yield Answer(EMPTY_TEXT, [], True, query, question)
            return
        hits = [h for h in hits if not addresses_the_assistant(h.passage)]  # orders, not news
        draft = self._draft(question, query, hits, vector)
        claims = verified(draft.claims, hits)
        if not claims or draft.support < self.settings.threshold:
            yield Answer(ABSTAIN_TEXT.format(question=question), [], True, query, question, draft.support)
            return
        others = verified(draft.disagreeing, hits)
        if others:
            yield from _compose_disagreement(claims, others, hits, query, question, draft.support)
            return
        yield from _compose(claims, hits, query, question, draft.support)

    def _draft(self, question: str, query: str, hits: list[Hit], vector) -> Draft:
        """The topic a follow-up borrowed helps find passages; the terms quoted sentences must
        cover are the question's own whenever it says enough on its own."""
        if not hits:
            return Draft([], 0.0)
        terms = question if query != question and len(content_words(question)) >= 2 else query
        return self.generator.draft(question, terms, hits, vector)

    def answer(self, question: str, history: list[tuple[str, str]] | None = None, **filters) -> Answer:
        final = None
        for final in self.stream(question, history, **filters):
            pass
        return final


def _compose(claims, hits: list[Hit], query: str, question: str, support: float) -> Iterator[Answer]:
    """Orders claims as they stand in their passages, numbers citations by first use, puts one
    marker after consecutive sentences of one passage, and yields the text as it grows."""
    order = {h.id: i for i, h in enumerate(hits)}
    claims = sorted(claims, key=lambda c: (order[hits[c.hit].id], c.start))
    numbers: dict[int, int] = {}
    spans: dict[int, list[int]] = {}
    for claim in claims:
        numbers.setdefault(claim.hit, len(numbers) + 1)
        span = spans.setdefault(claim.hit, [claim.start, claim.end])
        span[0], span[1] = min(span[0], claim.start), max(span[1], claim.end)
    citations = {h: _citation(n, hits[h], spans[h]) for h, n in numbers.items()}
    text, cited = "", []
    for i, claim in enumerate(claims):
        last_of_run = i + 1 == len(claims) or claims[i + 1].hit != claim.hit
        text += (" " if text else "") + claim.text + (f" [{numbers[claim.hit]}]" if last_of_run else "")
        if last_of_run and citations[claim.hit] not in cited:
            cited.append(citations[claim.hit])
        yield Answer(text, list(cited), False, query, question, support)


def _compose_disagreement(claims, others, hits: list[Hit], query: str, question: str,
                          support: float) -> Iterator[Answer]:
    """Reports that give different figures, each quoted with its date and source, newest first
    (undated last): the reader sees that the sources disagree instead of one silently chosen."""
    reports: dict[int, list] = {}
    for claim in [*claims, *others]:
        reports.setdefault(claim.hit, []).append(claim)
    order = sorted(reports, key=lambda h: hits[h].published or "", reverse=True)
    text, cited = "The sources give different figures.", []
    for n, h in enumerate(order, 1):
        said = sorted(reports[h], key=lambda c: c.start)
        span = [min(c.start for c in said), max(c.end for c in said)]
        cited.append(_citation(n, hits[h], span))
        when = f"On {hits[h].published}" if hits[h].published else "In an undated report"
        text += f" {when}: " + " ".join(c.text for c in said) + f" [{n}]"
        yield Answer(text, list(cited), False, query, question, support)


def _citation(n: int, hit: Hit, span: list[int]) -> Citation:
    """The cited chunk(s) holding the quote, not every chunk merged into the hit."""
    passage, start, end = hit.narrowed(span[0], span[1])
    shift = start - hit.start
    return Citation(
        n=n, article_id=hit.article_id, title=hit.title, source=hit.source,
        published=hit.published, passage=passage, quote=hit.passage[span[0]:span[1]],
        start=start, end=end, quote_start=span[0] - shift, quote_end=span[1] - shift,
        score=round(hit.score, 4), also_sources=hit.also_sources,
    )


_DEFAULT: dict[str, Assistant] = {}
_DEFAULT_LOCK = threading.Lock()


def default_assistant() -> Assistant:
    """One Assistant per settings, built on first use (never at import)."""
    settings = load_settings()
    key = settings.model_dump_json()
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = Assistant(settings)
        return _DEFAULT[key]


def answer(question: str, history: list[tuple[str, str]] | None = None, **filters) -> Answer:
    return default_assistant().answer(question, history, **filters)


def stream(question: str, history: list[tuple[str, str]] | None = None, **filters) -> Iterator[Answer]:
    return default_assistant().stream(question, history, **filters)


def search(query: str, k: int = 10, **filters) -> list[Hit]:
    return default_assistant().search(query, k, **filters)
