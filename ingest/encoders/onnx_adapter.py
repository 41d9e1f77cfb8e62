"""The encoder run by ONNX Runtime, from a copy of the model exported once into the user's cache
(optionally quantized to int8)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import cache_dir, written_whole
from .base import Tokens, model_name
from .tokenizers import FileTokenizer, ModelTokenizer


class OnnxEncoder(Tokens):
    """The model's export run by ONNX Runtime (the session opened on first use, once). Its
    tokenizer is the folder's `tokenizer.json` read by the tokenizers library when the folder
    has one (torch is then never loaded), else the torch model's own; both give the same tokens.

    A call made alone runs on every core. A call made while another is running (the web chat
    answers two questions at once) runs on one core, in a second session of the same export
    (same vectors): two calls that each spread over every core wait on each other's threads."""

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
