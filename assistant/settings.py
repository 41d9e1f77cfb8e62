"""Every setting of the assistant: ingest's (the store, the encoder, chunking) and the
retriever's, the answerer's, the language model's and the web chat's.

The settings are read once, flat (each is ASSISTANT_<NAME>); each component takes its own
section (`settings.retrieval`, `settings.answering`, ...), whose values are defined only here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from ingest.settings import IngestSettings


@dataclass(frozen=True)
class RetrievalSettings:
    """How passages are found: the fusion of the dense and lexical rankings and its priors."""

    dense_weight: float
    lexical_weight: float
    lede_weight: float
    recency_weight: float
    article_weight: float
    candidates: int
    per_article: int
    rrf_k: int
    reranker: str
    reranker_model: str | None
    refresh_seconds: float
    reranker_depth: int


@dataclass(frozen=True)
class AnsweringSettings:
    """How answers are made from the passages found."""

    mode: str
    threshold: float
    llm_weight: float
    llm_candidates: int
    written_evidence: int
    select_weight: float
    select_candidates: int


@dataclass(frozen=True)
class LanguageModelSettings:
    """The language model behind selected, checked and written answers."""

    kind: str | None
    model: str | None
    url: str | None
    api_key: str | None
    timeout: float
    threads: int | None


@dataclass(frozen=True)
class WebSettings:
    """The web chat."""

    auth: str | None
    auth_file: Path | None
    concurrency: int
    upload_max_mb: float
    api_key: str | None
    api_queue: int


class Settings(IngestSettings):
    """Every knob of the assistant; each may be set as ASSISTANT_<NAME> or in a .env file."""

    answerer: Literal["extractive", "selected", "checked", "written"] | None = Field(
        None, description="How answers are made. extractive: quoted sentences, no language model. "
        "selected: the same quotes, the language model choosing among the likeliest sentences in one "
        "read of them all. "
        "checked: the same quotes, each judged by a language model before it is given. written: a "
        "language model writes a short answer from numbered evidence sentences, and every sentence "
        "is checked against what it cites before it is shown. Default: checked when ASSISTANT_LLM "
        "is set, else extractive.",
    )
    llm: Literal["extractive", "local", "openai"] | None = Field(
        None, description="The language model behind selected, checked and written answers. local: a GGUF "
        "run in-process by llama.cpp; openai: an OpenAI-compatible server (llm_url). Setting it "
        "alone (the older way) asks for checked answers.",
    )
    llm_model: str | None = Field(
        None, description="local: a GGUF file, or qwen2.5-coder-1.5b (default) or qwen2.5-0.5b, "
        "assembled from their PyPI parts; openai: the model name the server serves.",
    )
    llm_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1."
    )
    llm_api_key: str | None = Field(None, description="API key for the server, if it wants one.")
    llm_timeout: float = Field(60.0, description="Seconds to wait for the server's answer.")
    llm_threads: int | None = Field(None, description="CPU threads for the local model (default: all).")
    llm_weight: float = Field(
        0.6, description="Share of the model's yes/no judgement in an answer's support when the "
        "answer is checked (the rest is the extractive score).",
    )
    llm_candidates: int = Field(
        3, ge=1, le=8, description="How many of the likeliest sentences the model checks, one "
        "prompt each, when an answer is checked (fewer: faster, and fewer right answers found).",
    )
    select_weight: float = Field(
        0.3, ge=0.0, description="How far a sentence the model does not choose falls behind the one it "
        "does, when answers are selected (times how much less likely the model finds it).",
    )
    select_candidates: int = Field(
        5, ge=2, le=9, description="How many of the likeliest sentences the model chooses among, in "
        "one prompt, when answers are selected.",
    )
    written_evidence: int = Field(
        6, ge=1, le=12, description="How many of the likeliest sentences a written answer is written "
        "from (numbered in the prompt, each with its article's title and date).",
    )
    checked_threshold: float = Field(
        0.60, description="Minimum support for an answer checked by a model (llm local or openai). "
        "Chosen on the squad2-dev curve (see the benchmarks page).",
    )
    reader: Literal["rules", "trained"] = Field(
        "rules", description="What scores the sentences of the passages found: the fitted feature scorer "
        "and its rules, or the trained reader shipped in the package (its probability is the support and "
        "its span head gives the answer's phrase). The rules stay the default: the shipped reader scores "
        "lower on the dev sets (see the reader page).",
    )
    reader_model: Path | None = Field(
        None, description="Folder of a reader retrained with `assistant train reader --out DIR`; default: "
        "the one shipped inside the package.")
    reranker: Literal["reader", "none", "cross-encoder", "bi-encoder"] = Field(
        "none", description="Re-ranking stage applied after fusion: the trained reader (passages by "
        "their best sentence; it lowered hit@1 on the dev sets, so off by default), a local CrossEncoder, "
        "or a larger sentence-transformers bi-encoder whose order is fused with ours; none keeps the fused order.",
    )
    reranker_depth: int = Field(
        20, ge=1, description="How many of the fused candidates the re-ranking stage re-orders.")
    reranker_model: str | None = Field(
        None, description="Local model folder for the re-ranking stage."
    )
    dense_weight: float = Field(1.0, description="Weight of the dense (embedding) ranking in the fusion.")
    lexical_weight: float = Field(
        1.0, description="Weight of the BM25 ranking against the dense one in the fusion."
    )
    retrieval_candidates: int = Field(
        50, ge=1, description="Passages each ranking (dense, lexical) contributes to the fusion."
    )
    per_article: int = Field(
        2, ge=1, description="Most passages of one article among a search's results while other articles wait."
    )
    rrf_k: int = Field(60, ge=1, description="The constant of reciprocal rank fusion (Cormack et al.).")
    lede_weight: float = Field(
        0.5, description="Weight of the lede prior: the first chunk of every candidate article "
        "joins the fusion as a third ranking (news puts key facts first); 0 turns it off.",
    )
    recency_weight: float = Field(
        0.35, description="Weight of a newest-first order of the candidates in the fusion (dated "
        "passages, none after the reference date): a news question not dated is about the news of "
        "its day more often than not. Chosen on the three news dev sets (see the benchmarks page); 0 turns it off.",
    )
    article_weight: float = Field(
        0.0, description="Weight of an order of the candidates by their article's summed score in the "
        "fusion; 0 turns it off.",
    )
    abstain_threshold: float = Field(
        0.45, description="Minimum support (the best sentence's score, 0..1) for an answer; below "
        "it the assistant abstains. Chosen on the pooled dev-set curve (see the benchmarks page)."
    )
    auth: str | None = Field(
        None, description="Web chat login as 'user:password'; unset means no login."
    )
    auth_file: Path | None = Field(
        None, description="A file of 'user:password' lines for the web chat login."
    )
    refresh_seconds: float = Field(
        2.0, description="How often a running assistant looks for articles other processes ingested "
        "(a new lexical index is built aside and swapped in; the embedded store is reopened); 0: never.",
    )
    ui_concurrency: int = Field(2, description="Questions the web chat (and, apart, the /v1 API) answers at once.")
    kept_vectors: int = Field(
        20_000, ge=0, description="Vectors of the questions and sentences embedded last that a running "
        "assistant keeps (a question or sentence met again is not embedded again); 0: none kept.")
    api_key: str | None = Field(
        None, description="Keys the OpenAI-compatible API (/v1) and MCP (/mcp) ask for as 'Authorization: "
        "Bearer <key>' (comma-separated). Unset: no key, unless the web chat has a login, which then closes them."
    )
    api_queue: int = Field(64, ge=0, description="API requests that may wait for an answer; beyond them, 429.")
    follow: str | None = Field(
        None, description="Feeds and pages (comma-separated URLs) `assistant serve` polls beside the web chat.")
    follow_minutes: float = Field(
        0.0, ge=0, description="Minutes between the web chat's polls of what is followed; 0: poll only when "
        "`--follow` or ASSISTANT_FOLLOW names URLs (then every 15).")
    upload_max_mb: float = Field(20.0, description="Largest file the web chat accepts.")
    ingest_nice: int = Field(
        10, ge=0, le=19, description="How far `assistant ingest` lowers its CPU priority (nice), so "
        "a web chat on the same machine answers first; alone, ingest runs as fast. 0 keeps it.")

    @property
    def retrieval(self) -> RetrievalSettings:
        return RetrievalSettings(self.dense_weight, self.lexical_weight, self.lede_weight, self.recency_weight,
                                 self.article_weight, self.retrieval_candidates, self.per_article, self.rrf_k,
                                 self.reranker, self.reranker_model, self.refresh_seconds, self.reranker_depth)

    @property
    def answering(self) -> AnsweringSettings:
        return AnsweringSettings(self.answerer_mode, self.threshold, self.llm_weight, self.llm_candidates,
                                 self.written_evidence, self.select_weight, self.select_candidates)

    @property
    def language_model(self) -> LanguageModelSettings:
        return LanguageModelSettings(self.llm, self.llm_model, self.llm_url, self.llm_api_key, self.llm_timeout,
                                     self.llm_threads)

    @property
    def web(self) -> WebSettings:
        return WebSettings(self.auth, self.auth_file, self.ui_concurrency, self.upload_max_mb, self.api_key,
                           self.api_queue)

    @property
    def answerer_mode(self) -> str:
        if self.answerer:
            return self.answerer
        return "checked" if self.llm in ("local", "openai") else "extractive"

    @property
    def threshold(self) -> float:
        """The support an answer needs: checked answers mix in the model's judgement, so they
        have their own threshold."""
        return self.checked_threshold if self.answerer_mode == "checked" else self.abstain_threshold


def load_settings(**overrides) -> Settings:
    """Build settings from the environment and .env, with explicit overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
