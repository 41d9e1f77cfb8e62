"""The archive as an MCP server (the official `mcp` SDK): two tools, `search_articles` and
`answer_question`, over stdio (`assistant mcp`, for desktop clients that launch a command) and
over streamable HTTP at `/mcp` on the web chat's port. A bad argument (an empty question, a date
that is not one) is a tool error the client reads, never a transport failure."""

from __future__ import annotations

from typing import Annotated

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from ingest.store import IndexUnavailable

from ..answer import Assistant, QuestionError, checked_day
from ..models import LLMError
from ..types import Answer

INSTRUCTIONS = ("A news archive. search_articles finds the passages that match a query; answer_question "
                "answers a question from the archive with numbered citations, or says the archive does not "
                "say. Dates are YYYY-MM-DD; as_of is the day to answer as of (nothing published later counts).")

Day = Annotated[str | None, Field(description="A date written YYYY-MM-DD, or null.")]


class FoundPassage(BaseModel):
    rank: int = Field(description="1 for the best match")
    title: str
    published: str | None = Field(description="The article's date, YYYY-MM-DD, when known")
    source: str = Field(description="The article's URL, or the file it was read from")
    article_id: str
    text: str = Field(description="The passage, verbatim")
    score: float


class FoundPassages(BaseModel):
    query: str
    passages: list[FoundPassage]


def sources_text(answer: Answer) -> str:
    """The answer with its [n] markers, then each numbered source with the quote it rests on."""
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            when = f" ({c.published})" if c.published else ""
            lines.append(f"[{c.n}] {c.title}{when}, {c.source}")
            lines.append(f'    "{c.quote}"')
    if answer.related:
        lines += ["", "Related reading (about the question, not an answer to it):"]
        lines += [f"- {c.title}{f' ({c.published})' if c.published else ''}, {c.source}" for c in answer.related]
    lines.append(f"(as of {answer.as_of})")
    return "\n".join(lines)


def build(assistant: Assistant) -> MCPServer:
    server = MCPServer("news-archive", instructions=INSTRUCTIONS)

    @server.tool(description="Search the news archive: the passages that best match a query, best first, each "
                 "with its article's title, date and source.")
    async def search_articles(
        query: Annotated[str, Field(description="What to look for, in words (a question works too).")],
        k: Annotated[int, Field(ge=1, le=50, description="How many passages to return.")] = 8,
        since: Day = None,
        until: Day = None,
        as_of: Day = None,
    ) -> FoundPassages:
        def run() -> FoundPassages:
            hits = assistant.search(query, k=k, since=checked_day(since, "since"), until=checked_day(until, "until"),
                                    as_of=checked_day(as_of, "as_of"))
            return FoundPassages(query=query, passages=[
                FoundPassage(rank=i, title=h.title, published=h.published, source=h.source, article_id=h.article_id,
                             text=h.passage, score=round(h.score, 4)) for i, h in enumerate(hits, 1)])

        return await _refusing(run)

    @server.tool(description="Answer a question from the news archive. The answer quotes the archive with [n] "
                 "markers and lists each numbered source with the quote it rests on; when nothing in the archive "
                 "supports an answer it says so.")
    async def answer_question(
        question: Annotated[str, Field(description="The question, in words.")],
        as_of: Day = None,
    ) -> str:
        def run() -> str:
            return sources_text(assistant.answer(question, as_of=checked_day(as_of, "as_of")))

        return await _refusing(run)

    return server


async def _refusing(run):
    """`run` in a worker thread; a question or an argument the assistant refuses, or an index it
    cannot open, is a tool error whose message says what to change."""
    try:
        return await anyio.to_thread.run_sync(run)
    except (QuestionError, IndexUnavailable, LLMError) as exc:
        raise ToolError(str(exc)) from None


def run_stdio(assistant: Assistant) -> None:
    """Serve the tools on stdin/stdout until the client closes them."""
    assistant.warm_up()
    build(assistant).run("stdio")
