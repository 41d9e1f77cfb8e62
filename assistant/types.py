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
    spans: tuple[tuple[int, int], ...] = ()  # article offsets of the chunks merged into `passage`

    def to_dict(self) -> dict:
        return asdict(self)

    def narrowed(self, start: int, end: int) -> tuple[str, int, int]:
        """The merged chunks that overlap passage[start:end], as (text, article start, article end)."""
        parts = [(s, e) for s, e in (self.spans or ((self.start, self.end),))
                 if s - self.start < end and e - self.start > start]
        if not parts:
            return self.passage, self.start, self.end
        lo, hi = min(s for s, _ in parts), max(e for _, e in parts)
        return self.passage[lo - self.start:hi - self.start], lo, hi


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    source: str  # the URL when the article has one, else its path under the folder it was ingested from
    published: str | None
    passage: str
    quote: str  # the supporting sentence(s), verbatim from the passage; ones not next to each other joined by " … "
    start: int  # offsets of the passage in the article text
    end: int
    quote_start: int  # offsets inside `passage` of the first quoted sentence's start and the last one's end
    quote_end: int
    score: float
    also_sources: tuple[str, ...] = ()
    quotes: tuple[tuple[int, int], ...] = ()  # offsets inside `passage` of each quoted sentence

    def __post_init__(self):
        if not self.quotes:
            self.quotes = ((self.quote_start, self.quote_end),)

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
    as_of: str = ""  # the reference date: nothing published after it was evidence
    period: tuple[str | None, str | None] | None = None  # publication dates the question asked about
    mode: str = "extractive"  # how it was made: extractive, checked, written, or written, fell back to quotes
    model: str = ""  # the language model that checked or wrote it
    dropped: list[str] = field(default_factory=list)  # written sentences the check withheld, and why
    related: list[Citation] = field(default_factory=list)  # abstained on: the closest passages, as related reading

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        citations = [Citation(**{**c, "also_sources": tuple(c.get("also_sources", ())),
                                 "quotes": tuple(tuple(q) for q in c.get("quotes", ()))})
                     for c in data.get("citations", [])]
        period = data.get("period")
        related = [Citation(**{**c, "also_sources": tuple(c.get("also_sources", ())),
                               "quotes": tuple(tuple(q) for q in c.get("quotes", ()))})
                   for c in data.get("related", [])]
        return cls(data["text"], citations, data["abstained"], data.get("query", ""),
                   data.get("question", ""), data.get("support", 0.0), data.get("as_of", ""),
                   tuple(period) if period else None, data.get("mode", "extractive"), data.get("model", ""),
                   list(data.get("dropped", [])), related)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "query": self.query,
            "question": self.question,
            "support": round(self.support, 4),
            "as_of": self.as_of,
            "period": list(self.period) if self.period else None,
            "mode": self.mode,
            "model": self.model,
            "dropped": list(self.dropped),
            "related": [c.to_dict() for c in self.related],
        }
