"""answer(), stream() and search(): the one core the web chat, the CLI and tests all call."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Iterator

from ingest.encoders import CachedEncoder, Encoder
from ingest.store import Index
from ingest.wiring import encoder_for

from .answering import Answerer, Asked, Part, answerer_for
from .answering.compose import related_reading
from .answering.condense import condense_by_model
from .answering.rules import about, coverage_terms, topic_words
from .answering.sources import addresses_the_assistant
from .models import as_chat_model
from .models import from_settings as model_from_settings
from .reader.reading import CachedReader, ReaderReranker
from .reader.runtime import WEIGHTS, shipped_reader
from .retrieval import CrossEncoderReranker, EmbeddingReranker, Filters, Retriever
from .retrieval.when import TimeSense, as_date, read_time
from .settings import Settings, load_settings
from .types import Answer, Citation, Hit

MAX_QUESTION_CHARS = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")  # what undecodable bytes become in sys.argv
ABSTAIN_TEXT = "The documents don't say. Nothing in the archive supports an answer to: {question}"
RELATED_TEXT = "The articles about {topic} don't say: {question}"
RELATED = 3  # passages shown as related reading when the articles about a question don't answer it
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


@dataclass(frozen=True)
class Replying:
    """What every part of one answer records besides its text: the question, the query searched,
    the reference date, the period asked about and how it was made."""

    question: str
    query: str
    as_of: str
    period: tuple[str | None, str | None] | None
    mode: str
    model: str

    def answer(self, part: Part, text: str | None = None, related: list[Citation] | None = None) -> Answer:
        return Answer(part.text if text is None else text, list(part.citations), part.abstained, self.query,
                      self.question, part.support, self.as_of, self.period, part.how or self.mode, self.model,
                      list(part.dropped), list(related or []))


def checked_day(value, label: str) -> str | None:
    """A date given as a filter (YYYY-MM-DD, or empty for none), as ISO; anything else is the
    question's error, naming the field."""
    if value is not None and not isinstance(value, str):
        raise QuestionError(f"{label} must be a date written YYYY-MM-DD, not {type(value).__name__}")
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise QuestionError(f"{label} '{value}' is not a date; write it as YYYY-MM-DD") from None


class Assistant:
    """The composition root: builds the encoder, the store, the retriever and the answerer the
    settings ask for (each lazily, on first use) and answers through them."""

    def __init__(self, settings: Settings | None = None, answerer: Answerer | None = None,
                 embedder: Encoder | None = None, model=None):
        """`model` replaces the one the settings name for selected, checked and written answers: any
        ChatModel, or any LangChain chat model (ChatOllama, ChatOpenAI, ...); `answerer` replaces
        the answerer the settings name."""
        self.settings = settings or load_settings()
        self._answerer = answerer
        self._answerers: dict[str, Answerer] = {}
        self._embedder = embedder
        self._model = as_chat_model(model) if model is not None else None

    @cached_property
    def embedder(self) -> Encoder:
        # Questions and sentences of popular articles come again: their vectors are kept.
        if self._embedder is not None:
            return self._embedder
        encoder = encoder_for(self.settings, short_texts=True)
        return CachedEncoder(encoder, self.settings.kept_vectors) if self.settings.kept_vectors else encoder

    @cached_property
    def index(self) -> Index:
        return Index(self.settings, self.embedder)

    @cached_property
    def trained_reader(self) -> CachedReader:
        """The trained reader, shared by the answer path and the re-ranking stage (loaded on first use)."""
        return CachedReader(shipped_reader(self.settings.reader_model or WEIGHTS))

    @property
    def reader(self) -> CachedReader | None:
        """What scores the sentences read: the trained reader, or None for the rules."""
        return self.trained_reader if self.settings.reader == "trained" else None

    @cached_property
    def retriever(self) -> Retriever:
        config = self.settings.retrieval
        reranker = None
        if config.reranker == "reader":
            reranker = ReaderReranker(self.trained_reader, config.reranker_depth)
        elif config.reranker == "cross-encoder":
            reranker = CrossEncoderReranker(config.reranker_model or "")
        elif config.reranker == "bi-encoder":
            reranker = EmbeddingReranker(config.reranker_model or "", precision=self.settings.embed_precision)
        retriever = Retriever(self.index, self.embedder, config, reranker)
        if config.refresh_seconds > 0:
            retriever.watch(config.refresh_seconds)  # articles other processes ingest show up
        return retriever

    @cached_property
    def model(self):
        """The language model that checks or writes answers (None for extractive answers)."""
        if self._model is not None or self.settings.answering.mode == "extractive":
            return self._model
        return self.language_model

    @cached_property
    def language_model(self):
        """The language model selected, checked and written answers use, loaded on first use."""
        return self._model or model_from_settings(self.settings.language_model)

    @cached_property
    def answerer(self) -> Answerer:
        if self._answerer is not None:
            return self._answerer
        return self.answerer_for(self.settings.answering.mode)

    @property
    def modes(self) -> list[str]:
        """The ways this assistant can answer: its own first, then quotes alone, and checked and
        written answers when a language model is configured."""
        ways = [self.answerer.mode, "extractive"]
        if self._model is not None or self.settings.llm in ("local", "openai"):
            ways += ["checked", "written"]
        return list(dict.fromkeys(ways))

    def answerer_for(self, mode: str) -> Answerer:
        """The answerer of one way of answering (built once, sharing the model and the store)."""
        if mode not in self._answerers:
            if self._answerer is not None and mode == self._answerer.mode:
                return self._answerer
            answering = self.settings.model_copy(update={"answerer": mode}).answering
            model = self.language_model if mode != "extractive" else None
            self._answerers[mode] = answerer_for(answering, self.embedder, model, self.reader)
        return self._answerers[mode]

    def warm_up(self) -> None:
        """Load the model and the lexical index now rather than on the first question."""
        self.embedder.embed(["warm up"])
        self.refresh()
        self.answerer.warm_up()

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
        from .retrieval.langchain import ArchiveRetriever

        return ArchiveRetriever(assistant=self, k=k, **filters)

    def stream(self, question: str, history: list[tuple[str, str]] | None = None, *,
               since: str | None = None, until: str | None = None, articles: tuple[str, ...] = (),
               k: int = 8, as_of: str | date | None = None, mode: str | None = None) -> Iterator[Answer]:
        """Yields the answer as it grows; the last one is complete. `mode` answers another way
        than the settings' (one of `modes`).

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
        answerer = self.answerer if mode is None else self.answerer_for(mode)
        query = condense_by_model(answerer.model, asked, list(history or []))
        vector = self.embedder.embed([query])[0]
        filters = Filters(since, until, tuple(articles), time.as_of.isoformat())
        hits = self.retriever.search(query, k, filters, vector)
        replying = Replying(question, query, time.as_of.isoformat(), period, answerer.mode,
                            answerer.model.name if answerer.model else "")
        if not hits and self.index.count() == 0:  # counted only then: a count is a call to the store
            yield replying.answer(Part(abstained=True), EMPTY_TEXT)
            return
        hits = [h for h in hits if not addresses_the_assistant(h.passage)]  # orders, not news
        looked_in = f" ({time.period.words})" if period else ""
        # A follow-up that says enough on its own is read against its own words; the topic it
        # borrowed served the search.
        covered = coverage_terms(asked, query)
        covered_vector = vector if covered == query else self.embedder.embed([covered])[0]
        for part in answerer.answer(Asked(asked, covered, hits, covered_vector, time)):
            if part.abstained:
                yield self._abstention(replying, part, asked, hits, looked_in)
                return
            yield replying.answer(part)

    def _abstention(self, replying: Replying, part: Part, asked: str, hits: list[Hit], looked_in: str) -> Answer:
        """Nothing found answers: when articles about the question were found, say so, and show
        the closest passages as related reading (never as citations)."""
        near = [h for h in hits if about(replying.query, h.title, h.passage)][:RELATED]
        topic = topic_words(asked, [f"{h.title} {h.passage}" for h in near])
        if not near or not topic:
            return replying.answer(part, ABSTAIN_TEXT.format(question=replying.question) + looked_in)
        related = [related_reading(n, h) for n, h in enumerate(near, 1)]
        text = RELATED_TEXT.format(topic=" ".join(topic), question=replying.question) + looked_in
        return replying.answer(part, text, related)

    def _period(self, time: TimeSense) -> tuple[str | None, str | None] | None:
        """The publication dates the question asks about. A date that no article of the archive
        was published near ("in 1995" asked of this year's news), and any date asked of an
        archive without dates ("today" in an encyclopedia), is about the events, not the
        reports: it filters nothing. A date without its year ("by July 4") is the latest one by
        the reference date that the archive has reports near, up to 9 years back; the state "by"
        a date is asked of reports near that date, not of any before it."""
        period = time.period
        if period is None or not self.retriever.dated_near(None, None):
            return None
        if period.relative:
            return period.iso()
        for back in range(10 if period.yearless else 1):
            shifted = period.years_back(back)
            if shifted is None:
                continue
            since, until = shifted.iso()
            near = (until, until) if shifted.upto else (since, until)  # "by" a date: reports near that day
            if self.retriever.dated_near(*near):
                return since, until
        return period.iso() if period.upto else None

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
