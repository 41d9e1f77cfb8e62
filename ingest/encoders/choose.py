"""Which encoder runs: `open_encoder` chooses an adapter once (ONNX Runtime, or torch where bf16
is native), and makes the ONNX export when it is missing; nothing changes its choice afterwards."""

from __future__ import annotations

import functools
import logging
import os
import threading
from pathlib import Path

from ..settings import EncoderSettings
from .base import VARIANTS, Encoder, EncoderError, check_folder, default_model_path, load_sentence_transformer
from .onnx_adapter import OnnxEncoder, make_export, onnx_export_path
from .tokenizers import FileTokenizer, ModelTokenizer
from .torch_adapter import TorchEncoder

log = logging.getLogger(__name__)


def open_encoder(model_path: str | os.PathLike | None = None, batch_size: int = 32, precision: str = "auto",
                 backend: str = "auto", variant: str = "full", short_texts: bool = False) -> Encoder:
    """The encoder the settings ask for, chosen once.

    `backend` "auto" picks torch where the CPU computes bf16 natively (faster there on whole
    passages) and ONNX Runtime elsewhere, and ONNX Runtime for `short_texts` (questions and
    sentences, where a call's fixed cost decides) on every CPU; it falls back to torch
    (with a warning) when the export cannot be made; "onnx" asked for explicitly fails instead,
    with what to do. `variant` "int8" needs ONNX.
    """
    path = Path(model_path) if model_path else default_model_path()
    check_folder(path)
    precision = resolve_precision(precision)
    chosen = resolve_backend(backend, precision, variant, short_texts)
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


def encoder_from_settings(settings: EncoderSettings, recorded: str | None = None,
                          short_texts: bool = False) -> Encoder:
    """The encoder an encoder section asks for; `recorded` is the variant the index was built
    with, if there is one (`ingest.store.recorded_variant`); `short_texts` for one that mostly
    embeds questions and sentences (the assistant's)."""
    return open_encoder(settings.model, settings.batch_size, settings.precision, settings.backend,
                        choose_variant(settings, recorded), short_texts)


def choose_variant(settings: EncoderSettings, recorded: str | None = None) -> str:
    """The variant `settings.variant` asks for; "auto" follows the index's (`recorded`) when there
    is one (its vectors are only comparable with its own variant's), and for a new index takes
    int8 where the model runs on ONNX Runtime (no native bf16: int8 embeds faster there, with the
    same retrieval figures) and the full model where bf16 is native."""
    if settings.variant != "auto":
        return settings.variant
    if recorded is not None:
        return recorded if recorded in VARIANTS else "full"  # an unknown one is named by the index check
    precision = resolve_precision(settings.precision)
    return "int8" if resolve_backend(settings.backend, precision) == "onnx" else "full"


@functools.cache
def _cpu_flags() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_has_bf16() -> bool:
    """Native bfloat16 matrix units (AVX512-BF16 or AMX); without them bf16 is slower, not faster."""
    flags = _cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_backend(backend: str, precision: str, variant: str = "full", short_texts: bool = False) -> str:
    """'auto' -> torch where bf16 runs natively (that is faster there on whole passages), else
    ONNX Runtime; for short texts (a question or a few sentences) always ONNX Runtime: torch's
    fixed cost per call outweighs bf16 there, with AVX512-BF16 alone and with AMX too (`bench
    api`, 20 clients asking new questions: p95 6.54 s against 3.83 s on a 2-core AMD EPYC, 6.22 s
    against 1.77 s on a 2-core Xeon with AMX). The int8 variant runs only on ONNX Runtime."""
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
        return "torch" if precision == "bf16" and not short_texts else "onnx"
    return backend


def resolve_precision(precision: str) -> str:
    """'auto' -> 'bf16' where the CPU computes it natively (same vectors to ~1e-4), else 'fp32'."""
    if precision not in ("auto", "fp32", "bf16"):
        raise EncoderError(f"embedding precision {precision!r} is not one of auto, fp32, bf16")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision
