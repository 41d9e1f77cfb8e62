"""The language-model seam: how likely the model says "Yes" to a prompt, and what it writes in
reply to one, piece by piece. Every adapter loads lazily: nothing happens at import or construction."""

from __future__ import annotations

import math
from typing import Iterator, Protocol

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


def yes_share(probs: dict[str, float]) -> float:
    yes = sum(p for t, p in probs.items() if t.strip().lower() in YES)
    no = sum(p for t, p in probs.items() if t.strip().lower() in NO)
    return yes / (yes + no) if yes + no > 0 else 0.5


def first_token_share(logprobs: dict | None) -> float | None:
    """The Yes share of an OpenAI-style reply's first-token log-probabilities, if it has them."""
    content = ((logprobs or {}).get("content") or [None])[0]
    if not content or not content.get("top_logprobs"):
        return None
    return yes_share({t["token"]: math.exp(t["logprob"]) for t in content["top_logprobs"]})


