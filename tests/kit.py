"""The test kit: stand-ins with real behaviour for tests of the logic around a seam (an encoder
whose vectors are bags of words, a chat model that follows a script)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

TOKEN = re.compile(r"\w+|[^\w\s]")


class WordEncoder:
    """An `Encoder` whose tokens are words and punctuation and whose vectors are hashed bags of
    lower-cased words: texts that share words are near, texts that share none are orthogonal or
    nearly so. Deterministic across processes."""

    name, variant, backend, precision = "word-hash", "full", "fake", "fp32"
    model_path, batch_size = Path("word-hash"), 32

    def __init__(self, dimension: int = 256, max_tokens: int = 128):
        self.dimension, self.max_tokens = dimension, max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in TOKEN.finditer(text)]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(self.token_spans(t)) for t in texts]

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                slot = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
                out[row, slot % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class ScriptedModel:
    """A `ChatModel` that follows a script: `write` streams the queued replies one call at a time
    (in 7-character pieces, as a server streams them; the last reply repeats), `yes_probability`
    answers from `beliefs` (the first statement found in the prompt, else `default`) or from
    `judge(prompt)`. Every prompt is kept in `prompts`, and what happened, in order, in `events`."""

    name = "scripted"

    def __init__(self, *replies: str, beliefs: dict[str, float] | None = None, default: float = 0.9,
                 judge=None):
        self.replies, self.beliefs, self.default, self.judge = list(replies) or [""], beliefs or {}, default, judge
        self.prompts: list[str] = []
        self.events: list[str] = []

    def enqueue(self, reply: str) -> None:
        self.replies.append(reply)

    def write(self, prompt: str, max_tokens: int = 200):
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        for i in range(0, len(reply), 7):
            self.events.append("wrote")
            yield reply[i:i + 7]
        self.events.append("done")

    def keep(self, prompt: str) -> None:
        self.events.append("kept")

    def yes_probability(self, prompt: str) -> float:
        self.prompts.append(prompt)
        self.events.append("judged")
        if self.judge is not None:
            return self.judge(prompt)
        return next((p for statement, p in self.beliefs.items() if statement in prompt), self.default)
