"""Any OpenAI-compatible server (llama.cpp's server, vLLM, Ollama, a hosted API), asked over HTTP
for the first token's log-probabilities and for a streamed reply."""

from __future__ import annotations

import json
import queue
import threading
from typing import Iterator

import httpx

from .base import LLMError, first_token_probs, label_shares, yes_share


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
        return yes_share(self._first_token(prompt))

    def choice_shares(self, prompt: str, labels: list[str]) -> list[float]:
        return label_shares(self._first_token(prompt), labels)

    def _first_token(self, prompt: str) -> dict[str, float]:
        """Token -> probability of the reply's first token; a server that returns no
        log-probabilities gives its reply's first word, certain."""
        body = {"model": self.name, "messages": [{"role": "user", "content": prompt}], "max_tokens": 1,
                "temperature": 0.0, "logprobs": True, "top_logprobs": 20}
        try:
            reply = self._client.post(f"{self.url}/chat/completions", json=body)
            reply.raise_for_status()
            choice = reply.json()["choices"][0]
        except httpx.HTTPStatusError as exc:
            raise LLMError(f"the LLM server at {self.url} refused the request: "
                           f"{exc.response.status_code} {exc.response.text[:200]}") from None
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise self._unanswered(exc) from None
        probs = first_token_probs(choice.get("logprobs"))
        if probs is not None:
            return probs
        return {((choice.get("message") or {}).get("content") or "").strip(): 1.0}

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
                yield from sse_pieces(reply.iter_lines())
        except (httpx.HTTPError, ValueError) as exc:
            raise self._unanswered(exc) from None

    def keep(self, prompt: str) -> None:
        """The server keeps its own prompt cache."""

    def _unanswered(self, exc: Exception) -> LLMError:
        return LLMError(f"the LLM server at {self.url} did not answer ({type(exc).__name__}: {exc}); "
                        "start it, fix ASSISTANT_LLM_URL, or set ASSISTANT_ANSWERER=extractive")


def sse_pieces(lines) -> Iterator[str]:
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


