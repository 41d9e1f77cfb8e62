"""Any LangChain chat model (ChatOllama, ChatOpenAI, ...) behind the seam."""

from __future__ import annotations

from typing import Iterator

from .base import LLMError, first_token_probs, label_shares, yes_share


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
        return yes_share(self._first_token(prompt))

    def choice_shares(self, prompt: str, labels: list[str]) -> list[float]:
        return label_shares(self._first_token(prompt), labels)

    def _first_token(self, prompt: str) -> dict[str, float]:
        """Token -> probability of the reply's first token when the model returns them, else
        the reply's first word, certain."""
        try:
            reply = self.chat.invoke(prompt)
        except Exception as exc:
            raise self._failed(exc) from None
        probs = first_token_probs((reply.response_metadata or {}).get("logprobs"))
        if probs is not None:
            return probs
        text = reply.content if isinstance(reply.content, str) else ""
        return {(text.split() or [""])[0].strip(".,!"): 1.0}

    def keep(self, prompt: str) -> None:
        """The provider keeps its own prompt cache, if any."""

    def _failed(self, exc: Exception) -> LLMError:
        return LLMError(f"the chat model {self.name} failed ({type(exc).__name__}: {exc}); check that its "
                        "server runs, or set ASSISTANT_ANSWERER=extractive")


