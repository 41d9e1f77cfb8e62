"""Article -> Passages: sentence-aware chunks that always fit the embedder's window."""

from __future__ import annotations

from typing import Callable, Protocol

from .models import Article, Passage
from .store.schema import chunk_id
from .text import sentence_spans

CHUNKER_VERSION = "sentences-v1"
TITLE_TOKENS = 32  # the title is prefixed to each chunk's embedded text; it gets at most this


class Tokenizer(Protocol):
    def count_tokens(self, texts: list[str]) -> list[int]: ...
    def token_spans(self, text: str) -> list[tuple[int, int]]: ...


class Chunker:
    """Packs whole sentences into chunks of at most `max_tokens`, repeating a short tail."""

    def __init__(self, tokenizer: Tokenizer, max_tokens: int, overlap_tokens: int):
        if max_tokens < 16:
            raise ValueError(f"chunk length {max_tokens} tokens is too small; use at least 16")
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap_tokens = min(overlap_tokens, max_tokens // 2)

    @property
    def version(self) -> str:
        return f"{CHUNKER_VERSION}/{self.max_tokens}/{self.overlap_tokens}"

    def chunk(self, article: Article) -> list[Passage]:
        pieces = self._pieces(article.text)
        groups = _pack(pieces, self.max_tokens, self.overlap_tokens)
        return [
            Passage(chunk_id(article.id, n), article.id, n, article.text[s:e], s, e)
            for n, (s, e) in enumerate(groups)
        ]

    def _pieces(self, text: str) -> list[tuple[int, int, int]]:
        """Sentences as (start, end, tokens); a sentence over the limit is cut at token bounds."""
        spans = sentence_spans(text, abbreviations=False)  # the bounds CHUNKER_VERSION names
        counts = self.tokenizer.count_tokens([text[s:e] for s, e in spans])
        pieces = []
        for (s, e), n in zip(spans, counts):
            if n <= self.max_tokens:
                pieces.append((s, e, n))
            else:
                pieces += self._split_long(text, s, e)
        return pieces

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int, int]]:
        tokens = self.tokenizer.token_spans(text[start:end])
        step = self.max_tokens
        out = []
        for i in range(0, len(tokens), step):
            window = tokens[i:i + step]
            out.append((start + window[0][0], start + window[-1][1], len(window)))
        return out


def _pack(pieces: list[tuple[int, int, int]], limit: int, overlap: int) -> list[tuple[int, int]]:
    chunks: list[tuple[int, int]] = []
    current: list[tuple[int, int, int]] = []
    for piece in pieces:
        if current and sum(p[2] for p in current) + piece[2] > limit:
            chunks.append((current[0][0], current[-1][1]))
            current = _tail(current, overlap, limit - piece[2])
        current.append(piece)
    if current:
        chunks.append((current[0][0], current[-1][1]))
    return chunks


def _tail(pieces: list[tuple[int, int, int]], overlap: int, room: int) -> list[tuple[int, int, int]]:
    """The last whole sentences of a closed chunk that fit in `overlap` (and in `room`)."""
    tail: list[tuple[int, int, int]] = []
    budget = min(overlap, room)
    for piece in reversed(pieces[1:]):
        if piece[2] > budget:
            break
        tail.insert(0, piece)
        budget -= piece[2]
    return tail


def title_budget(count: Callable[[list[str]], list[int]], title: str) -> str:
    """The title cut to at most TITLE_TOKENS tokens, by words."""
    words = title.split()
    while words and count([" ".join(words)])[0] > TITLE_TOKENS:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)
