"""The language-model seam: how likely the model says "Yes" to a prompt, or each of a few labels
("1", "2", ...), and what it writes in reply to one, piece by piece. Every adapter loads lazily:
nothing happens at import or construction."""

from __future__ import annotations

import math
from typing import Iterator, Protocol


class LLMError(RuntimeError):
    """The language model cannot be reached or loaded; the message says what to do."""


class ChatModel(Protocol):
    name: str

    def yes_probability(self, prompt: str) -> float:
        """P(the reply starts with Yes) / (P(Yes) + P(No)), for a one-turn chat."""
        ...

    def choice_shares(self, prompt: str, labels: list[str]) -> list[float]:
        """How likely the reply starts with each label ("1", "2", ...), as shares of them all
        (summing to 1), for a one-turn chat: one read of the prompt, no text written."""
        ...

    def write(self, prompt: str, max_tokens: int = 200) -> Iterator[str]:
        """The reply to a one-turn chat, greedy, as pieces of text as they are written."""
        ...

    def keep(self, prompt: str) -> None:
        """Prepare for prompts that start like this one (a local model reads it now; a server,
        which keeps its own cache, is not asked)."""
        ...


def yes_share(probs: dict[str, float]) -> float:
    """Yes's share of what the reply's first tokens give to Yes or No (0.5 when neither)."""
    return label_shares(probs, ["yes", "no"])[0]


def label_shares(probs: dict[str, float], labels: list[str]) -> list[float]:
    """Each label's share of the probability the reply's first tokens (`probs`: token -> p) give
    to any of them, case and spaces aside; even shares when none is among them."""
    got = [sum(p for t, p in probs.items() if t.strip().lower() == label.lower()) for label in labels]
    total = sum(got)
    return [g / total for g in got] if total > 0 else [1 / len(labels)] * len(labels)


def first_token_probs(logprobs: dict | None) -> dict[str, float] | None:
    """Token -> probability of an OpenAI-style reply's first token, if the reply has them."""
    content = ((logprobs or {}).get("content") or [None])[0]
    if not content or not content.get("top_logprobs"):
        return None
    return {t["token"]: math.exp(t["logprob"]) for t in content["top_logprobs"]}

