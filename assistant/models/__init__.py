"""Language models behind one small seam (`ChatModel`), with three adapters: a GGUF run
in-process by llama.cpp, any OpenAI-compatible server, and any LangChain chat model."""

from __future__ import annotations

from .base import ChatModel, LLMError
from .langchain import LangChainModel
from .local import DEFAULT_MODEL, SHIPPED_MODELS, LocalModel, default_model_path
from .openai import OpenAIModel, sse_pieces


def as_chat_model(model) -> ChatModel:
    """A ChatModel as it is; a LangChain chat model wrapped."""
    if all(hasattr(model, m) for m in ("yes_probability", "write", "keep")):
        return model
    if hasattr(model, "stream") and hasattr(model, "invoke"):
        return LangChainModel(model)
    raise LLMError(f"{type(model).__name__} is neither a ChatModel nor a LangChain chat model")


def from_settings(settings) -> ChatModel:
    """The model a language-model section names: an OpenAI-compatible server, else the local GGUF."""
    if settings.kind == "openai":
        return OpenAIModel(settings.url or "", settings.model, settings.api_key, settings.timeout)
    return LocalModel(settings.model, settings.threads)


__all__ = ["DEFAULT_MODEL", "SHIPPED_MODELS", "ChatModel", "LLMError", "LangChainModel", "LocalModel", "OpenAIModel",
           "as_chat_model", "default_model_path", "from_settings", "sse_pieces"]
