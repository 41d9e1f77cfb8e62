"""The encoder run by torch, in bf16 where the CPU computes it natively."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .base import Tokens, load_sentence_transformer, model_name
from .tokenizers import ModelTokenizer


class TorchEncoder(Tokens):
    """The model run by torch (loaded on first use, once), in bf16 when `precision` says so."""

    backend, variant = "torch", "full"

    def __init__(self, model_path: Path, batch_size: int = 32, precision: str = "fp32", model=None):
        self.model_path, self.batch_size, self.precision = model_path, batch_size, precision
        self.name = model_name(model_path)
        self._model = model
        self._lock = threading.Lock()
        # The model's fast tokenizer keeps its padding and truncation as state: calls from two
        # threads with different settings corrupt each other, so every use of it holds this lock.
        self._tokenizing = threading.Lock()
        self._tokenizer: ModelTokenizer | None = None

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self.model_path)
        return self._model

    @property
    def tokenizer(self) -> ModelTokenizer:
        if self._tokenizer is None:
            self._tokenizer = ModelTokenizer(self.model, self._tokenizing)
        return self._tokenizer

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with self._tokenizing, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)
