"""The embedding seam (`Encoder`) and its two adapters, which run one sentence-transformers model
from a local folder: `OnnxEncoder` (ONNX Runtime, from a copy exported once into the user's
cache, optionally quantized to int8) and `TorchEncoder` (torch, in bf16 where the CPU computes it
natively). `open_encoder` chooses one."""

from .base import VARIANTS, Encoder, EncoderError, default_model_path
from .cached import CachedEncoder
from .choose import (
                     choose_variant,
                     cpu_has_bf16,
                     encoder_from_settings,
                     open_encoder,
                     resolve_backend,
                     resolve_precision,
)
from .onnx_adapter import OnnxEncoder, length_batches, onnx_export_path
from .tokenizers import FileTokenizer, ModelTokenizer
from .torch_adapter import TorchEncoder

__all__ = ["VARIANTS", "CachedEncoder", "Encoder", "EncoderError", "FileTokenizer", "ModelTokenizer", "OnnxEncoder",
           "TorchEncoder", "choose_variant", "cpu_has_bf16", "default_model_path", "encoder_from_settings",
           "length_batches", "onnx_export_path", "open_encoder", "resolve_backend", "resolve_precision"]
