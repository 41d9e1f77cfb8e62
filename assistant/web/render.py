"""Answers as chat text, a sources panel and Markdown: pure formatting, every input escaped."""

from __future__ import annotations

import html
import re

from ..types import Answer, Citation

LEAD = re.compile(r"^\*\*(.+?)\*\*:")


def chat_text(answer: Answer) -> str:
    """The answer for the chat bubble: [n] markers become links to the sources panel; the phrase
    that answers, when the answer leads with one, stays bold."""
    lead = LEAD.match(answer.text)
    rest = answer.text[lead.end():] if lead else answer.text
    text = (f"**{escape_markdown(lead.group(1))}**:" if lead else "") + escape_markdown(rest)
    if answer.abstained:
        return text
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f"[\\[{m.group(1)}\\]](#src-{m.group(1)})", text)


def escape_markdown(text: str) -> str:
    """Text shown as text: HTML tags and Markdown syntax are neutralised."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+!|~>])", r"\\\1", text)


def searched_for(answer: Answer) -> str:
    """What the answer rests on besides the sources: the query searched, the period asked about
    and the reference date."""
    notes = []
    if answer.query and answer.query != answer.question:
        notes.append(f"searched for: {escape_markdown(answer.query)}")
    if answer.period:
        notes.append(f"articles published {answer.period[0] or '…'} to {answer.period[1] or '…'}")
    if answer.as_of:
        notes.append(f"as of {escape_markdown(answer.as_of)}")
    if answer.model:
        notes.append(f"{escape_markdown(answer.mode)} by {escape_markdown(answer.model)}")
    return " · ".join(notes)


def _link(source: str) -> str:
    safe = html.escape(source)
    if source.startswith(("http://", "https://")):
        return f'<a href="{safe}" target="_blank" rel="noopener noreferrer">{safe}</a>'
    return f"<code>{safe}</code>"


def _highlighted(c: Citation) -> str:
    """The passage with each quoted sentence marked on its own."""
    out, at = [], 0
    for start, end in sorted(c.quotes):
        if start < at or start == end:
            continue
        out.append(html.escape(c.passage[at:start]))
        out.append(f'<mark class="quote">{html.escape(c.passage[start:end])}</mark>')
        at = end
    out.append(html.escape(c.passage[at:]))
    return "".join(out)


def source_card(c: Citation, kind: str = "source") -> str:
    meta = " · ".join(x for x in [html.escape(c.published or "undated"), _link(c.source)] if x)
    also = "".join(f"<li>also reported at {_link(s)}</li>" for s in c.also_sources)
    marker = f'<span class="marker">[{c.n}]</span> ' if kind == "source" else ""  # related reading cites nothing
    anchor = "src" if kind == "source" else kind
    return (
        f'<div class="{kind}" id="{anchor}-{c.n}" data-n="{c.n}">'
        f'<div class="source-head">{marker}'
        f'<strong class="source-title">{html.escape(c.title)}</strong></div>'
        f'<div class="source-meta">{meta}</div>'
        f'<blockquote class="passage">{_highlighted(c)}</blockquote>'
        f'{"<ul>" + also + "</ul>" if also else ""}</div>'
    )


def sources_panel(answer: Answer | None) -> str:
    if answer is None:
        return '<div class="sources-empty">Sources of the selected answer appear here.</div>'
    if answer.abstained or not answer.citations:
        empty = '<div class="sources-empty">No sources: the documents don\'t answer this.</div>'
        if not answer.related:
            return empty
        cards = "".join(source_card(c, "related") for c in answer.related)
        return f'{empty}<div class="related-reading"><h4>Related reading</h4>{cards}</div>'
    return '<div class="sources">' + "".join(source_card(c) for c in answer.citations) + "</div>"


def as_markdown(answer: Answer) -> str:
    """The answer with its numbered sources, for copying elsewhere."""
    lines = [answer.text, ""]
    for c in answer.citations:
        when = f" ({c.published})" if c.published else ""
        lines.append(f"[{c.n}] {c.title}{when}, {c.source}")
        lines.append(f"> {c.quote}")
        lines.append("")
    return "\n".join(lines).strip() + "\n"
