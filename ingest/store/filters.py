"""Which passages a search may return, as a Chroma `where` clause and as a test of a chunk."""

from __future__ import annotations

from dataclasses import dataclass

from .schema import StoredChunk, day_number


@dataclass(frozen=True)
class Filters:
    """Which passages a search may return: a publication date range and chosen articles."""

    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    articles: tuple[str, ...] = ()  # article ids or sources (paths/URLs)
    as_of: str | None = None  # the reference date: nothing published after it; undated articles stay

    def where(self) -> dict | None:
        """The same filters as a Chroma `where` clause."""
        clauses = []
        if self.as_of:
            clauses.append({"published_day": {"$lte": day_number(self.as_of)}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
            if not self.since:
                clauses.append({"published_day": {"$gte": 0}})  # undated articles are out of range
        if self.articles:
            ids = list(self.articles)
            clauses.append({"$or": [{"article_id": {"$in": ids}}, {"source": {"$in": ids}},
                                    {"url": {"$in": ids}}]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def day_range(self) -> tuple[int, int] | None:
        """Inclusive day numbers the filter admits (undated articles are day -1), or None when
        dates do not matter."""
        if not (self.since or self.until or self.as_of):
            return None
        low = day_number(self.since) if self.since else -(1 << 30)
        high = min(day_number(self.until) if self.until else 1 << 30,
                   day_number(self.as_of) if self.as_of else 1 << 30)
        return (max(low, 0) if self.until else low), high  # undated (-1) is out once `until` is set

    def allows_article(self, keys) -> bool:
        return not self.articles or bool(set(keys) & set(self.articles))

    def allows(self, chunk: StoredChunk) -> bool:
        days = self.day_range()
        in_range = days is None or days[0] <= chunk.day <= days[1]
        return in_range and self.allows_article(chunk.keys)
