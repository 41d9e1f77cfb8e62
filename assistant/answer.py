"""answer(), stream() and search(): the one core the web chat, the CLI and tests all call."""

from __future__ import annotations

import re
import threading
from datetime import date
from functools import cached_property
from typing import Iterator

from ingest.embedder import Encoder, encoder_from_settings
from ingest.index import Index

from .compose import WrittenText, compose, compose_disagreement, compose_timeline
from .condense import condense_by_model
from .generate import CheckedGenerator, Draft, ExtractiveGenerator, Generator
from .llm import as_chat_model
from .llm import from_settings as model_from_settings
from .rerank import CrossEncoderReranker, EmbeddingReranker
from .retrieve import Filters, Retriever
from .rules import MODEL_DOUBT, coverage_terms
from .settings import Settings, load_settings
from .sources import addresses_the_assistant
from .types import Answer, Hit
from .verify import verified
from .when import TimeSense, as_date, read_time
from .written import WrittenAnswerer, arrange

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


def reference_date(value: str | date | None) -> date:
    """`as_of` as a date (default: today); a bad one is the question's error, with what to write."""
    try:
        return as_date(value)
    except ValueError as exc:
        raise QuestionError(str(exc)) from None


class Assistant:
    """Wires the embedder, the index, the retriever and the generator chosen by settings."""

    def __init__(self, settings: Settings | None = None, generator: Generator | None = None,
                 embedder: Encoder | None = None, model=None):
        """`model` replaces the one the settings name for checked and written answers: any
        ChatModel, or any LangChain chat model (ChatOllama, ChatOpenAI, ...)."""
        self.settings = settings or load_settings()
        self._generator = generator
        self._embedder = embedder
        self._model = as_chat_model(model) if model is not None else None

    @cached_property
    def embedder(self) -> Encoder:
        return self._embedder or encoder_from_settings(self.settings)

    @cached_property
    def index(self) -> Index:
        return Index(self.settings, self.embedder)

    @cached_property
    def retriever(self) -> Retriever:
        reranker = None
        if self.settings.reranker == "cross-encoder":
            reranker = CrossEncoderReranker(self.settings.reranker_model or "")
        elif self.settings.reranker == "bi-encoder":
            reranker = EmbeddingReranker(self.settings.reranker_model or "", precision=self.settings.embed_precision)
        retriever = Retriever(self.index, self.embedder, reranker, lexical_weight=self.settings.lexical_weight,
                              lede_weight=self.settings.lede_weight, recency_weight=self.settings.recency_weight,
                              article_weight=self.settings.article_weight)
        if self.settings.refresh_seconds > 0:
            retriever.watch(self.settings.refresh_seconds)  # articles other processes ingest show up
        return retriever

    @cached_property
    def model(self):
        """The language model that checks or writes answers (None for extractive answers)."""
        return self._model or model_from_settings(self.settings)

    @cached_property
    def generator(self) -> Generator:
        if self._generator is not None:
            return self._generator
        mode = self.settings.answerer_mode
        if mode == "extractive":
            return ExtractiveGenerator(self.embedder)
        if mode == "written":  # the extractive ranking picks the evidence the model writes from
            return ExtractiveGenerator(self.embedder, candidates=self.settings.written_evidence)
        extractive = ExtractiveGenerator(self.embedder, candidates=self.settings.llm_candidates)
        return CheckedGenerator(extractive, self.model, self.settings.llm_weight, self.settings.threshold)

    @cached_property
    def writer(self) -> WrittenAnswerer:
        return WrittenAnswerer(self.model, self.settings.written_evidence)

    def warm_up(self) -> None:
        """Load the model and the lexical index now rather than on the first question."""
        self.embedder.embed(["warm up"])
        self.refresh()
        read_time("What happened on March 4?", date.today())  # dateparser loads its tables once
        if self.settings.answerer_mode == "written" and self._generator is None:
            self.writer.warm_up()

    def refresh(self) -> bool:
        """See every article ingested so far, by this process or another, before the next question
        (a running assistant also does this by itself every `refresh_seconds`)."""
        return self.retriever.refresh()

    def search(self, query: str, k: int = 10, since: str | None = None, until: str | None = None,
               articles: tuple[str, ...] = (), merge: bool = True, as_of: str | date | None = None) -> list[Hit]:
        """The k best passages published by `as_of` (default: today; undated ones too);
        `merge=False` keeps adjacent chunks of one article apart."""
        query = clean_question(query)
        filters = Filters(since, until, tuple(articles), reference_date(as_of).isoformat())
        return self.retriever.search(query, k, filters, merge=merge)

    def as_retriever(self, k: int = 4, **filters):
        """A LangChain retriever over this archive."""
        from .lc import ArchiveRetriever

        return ArchiveRetriever(assistant=self, k=k, **filters)

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, *,
               since: str | None = None, until: str | None = None, articles: tuple[str, ...] = (),
               k: int = 8, as_of: str | date | None = None) -> Iterator[Answer]:
        """Yields the answer as it grows; the last one is complete.

        A written answer grows one sentence at a time, each yielded as soon as it has passed its
        check (so the first arrives while the model still writes the rest). A quoted answer's
        sentences are chosen together (the runner-up is quoted only beside the best), so they come
        at once, after retrieval and scoring; a disagreement or timeline then grows one report at a
        time, with nothing left to compute between them.

        `as_of` is the reference date (default: today): nothing published after it is evidence,
        and the question's own dates ("last week", "on March 4", "by May") are read against it."""
        question = clean_question(question)
        time = read_time(question, reference_date(as_of))
        period = self._period(time) if not (since or until) else None
        since, until = period or (since, until)
        # Dates the filter applies are not words the evidence must hold ("by August 10").
        asked = " ".join(question.replace(time.period.words, " ").split()) if period else question
        mode = self.settings.answerer_mode
        model = self.model if mode != "extractive" and self._generator is None else None
        query = condense_by_model(model, asked, list(history or []))
        vector = self.embedder.embed([query])[0]
        filters = Filters(since, until, tuple(articles), time.as_of.isoformat())
        hits = self.retriever.search(query, k, filters, vector)

        def reply(text: str, citations=(), abstained: bool = False, support: float = 0.0, how: str = mode,
                  dropped=()) -> Answer:
            return Answer(text, list(citations), abstained, query, question, support, time.as_of.isoformat(), period,
                          how, model.name if model else "", list(dropped))

        if not hits and self.index.count() == 0:  # counted only then: a count costs ~5 ms a query
            yield reply(EMPTY_TEXT, abstained=True)
            return
        hits = [h for h in hits if not addresses_the_assistant(h.passage)]  # orders, not news
        draft = self._draft(asked, query, hits, vector, time)
        claims = verified(draft.claims, hits)
        if not claims or draft.support < self.settings.threshold:
            looked_in = f" ({time.period.words})" if period else ""
            yield reply(ABSTAIN_TEXT.format(question=question) + looked_in, abstained=True, support=draft.support)
            return
        if mode == "written" and self._generator is None:
            yield from self._written(asked, hits, draft, claims, reply)
            return
        others = verified(draft.disagreeing, hits)
        if others:
            parts = compose_disagreement(claims, others, hits)
        elif time.developed and len({hits[c.hit].article_id for c in claims}) > 1:
            parts = compose_timeline(claims, hits)
        else:
            parts = compose(claims, hits, dated=time.latest)
        for text, citations in parts:
            yield reply(text, citations, support=draft.support)

    def _written(self, question: str, hits: list[Hit], draft: Draft, claims, reply) -> Iterator[Answer]:
        """Each written sentence as soon as it passed its check; when none did, the extractive
        quote (it passed the threshold), with less support when the model found no answer in the
        evidence (below the threshold, that is an abstention)."""
        evidence = arrange(draft.candidates or claims, hits)
        text, dropped, doubted = WrittenText(evidence, hits), [], False
        for sentence in self.writer.write(question, evidence, hits):
            if sentence.dropped:
                dropped.append(f"{sentence.text} ({sentence.dropped})")
                doubted = doubted or sentence.dropped == "the model found no answer"
                continue
            shown, citations = text.add(sentence.text, sentence.cites)
            yield reply(shown, citations, support=draft.support, dropped=dropped)
        if text.text:
            yield reply(text.text, text.citations, support=draft.support, dropped=dropped)
            return
        support = draft.support * (MODEL_DOUBT if doubted else 1.0)
        if support < self.settings.threshold:
            yield reply(ABSTAIN_TEXT.format(question=question), abstained=True, support=support, dropped=dropped)
            return
        for shown, citations in compose(claims, hits):
            last = reply(shown, citations, support=support, how="written, fell back to quotes", dropped=dropped)
        yield last

    def _period(self, time: TimeSense) -> tuple[str | None, str | None] | None:
        """The publication dates the question asks about. A date that no article of the archive
        was published near ("in 1995" asked of this year's news), and any date asked of an
        archive without dates ("today" in an encyclopedia), is about the events, not the
        reports: it filters nothing."""
        if time.period is None or not self.retriever.dated_near(None, None):
            return None
        since, until = time.period.iso()
        if time.period.relative or self.retriever.dated_near(since, until):
            return since, until
        return None

    def _draft(self, question: str, query: str, hits: list[Hit], vector, time: TimeSense) -> Draft:
        """The generator's draft, with the terms quoted sentences must cover chosen by
        `rules.coverage_terms`."""
        if not hits:
            return Draft([], 0.0)
        return self.generator.draft(question, coverage_terms(question, query), hits, vector, time)

    def answer(self, question: str, history: list[tuple[str, str]] | None = None, **filters) -> Answer:
        final = None
        for final in self.stream(question, history, **filters):
            pass
        return final


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
