"""The typed records the assistant returns: passages found, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Hit:
    """A retrieved passage (one chunk, or adjacent chunks of one article merged)."""

    id: str
    article_id: str
    title: str
    source: str
    url: str | None
    published: str | None
    passage: str
    start: int
    end: int
    score: float
    chunks: tuple[int, ...] = ()
    also_sources: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    source: str  # the URL when the article has one, else the file path
    published: str | None
    passage: str
    quote: str  # the supporting sentence(s), verbatim from the passage
    start: int  # offsets of the passage in the article text
    end: int
    quote_start: int  # offsets of the quote inside `passage`
    quote_end: int
    score: float
    also_sources: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    query: str = ""
    question: str = ""
    support: float = 0.0  # the score the abstention threshold was compared with

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "query": self.query,
            "question": self.question,
            "support": round(self.support, 4),
        }
