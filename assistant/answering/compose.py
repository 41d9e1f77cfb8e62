"""Verified claims -> the answer's text and numbered citations, yielded as the text grows.

Every variant quotes the claims verbatim and puts a [n] after the sentences of source n; they
differ in order and in what they say about time: as the passages stand, with the report's date
(latest questions), in date order (how a story developed), or newest first when the sources
give different figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Iterator

from ..types import Citation, Hit
from .base import Claim

Parts = Iterator[tuple[str, list[Citation]]]


def compose(claims: list[Claim], hits: list[Hit], dated: bool = False, lead: tuple[str, Claim] | None = None) -> Parts:
    """Claims in the order of their passages among `hits`, and as they stand in each passage; one
    marker after consecutive sentences of one passage; with `dated`, each passage's sentences open
    with the day it was published; with `lead` (a phrase and the claim it is part of), the answer
    opens with the phrase in bold, and with that claim's passage ("**1,500**: Currently, some
    1,500 French soldiers ...")."""
    order = {h.id: i for i, h in enumerate(hits)}
    if lead:
        order[lead[1].hit.id] = -1
    claims = sorted(claims, key=lambda c: (order.get(c.hit.id, len(order)), c.start))
    numbers: dict[str, int] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for claim in claims:
        numbers.setdefault(claim.hit.id, len(numbers) + 1)
        spans.setdefault(claim.hit.id, []).append((claim.start, claim.end))
    passages = {c.hit.id: c.hit for c in claims}
    citations = {h: citation(n, passages[h], spans[h]) for h, n in numbers.items()}
    text, cited = (f"**{lead[0]}**:" if lead else ""), []
    for i, claim in enumerate(claims):
        hit = claim.hit
        first_of_run = i == 0 or claims[i - 1].hit.id != hit.id
        last_of_run = i + 1 == len(claims) or claims[i + 1].hit.id != hit.id
        opening = f"{reported(hit)}: " if dated and first_of_run and hit.published else ""
        text += (" " if text else "") + opening + claim.text + (f" [{numbers[hit.id]}]" if last_of_run else "")
        if last_of_run and citations[hit.id] not in cited:
            cited.append(citations[hit.id])
        yield text, list(cited)


def compose_disagreement(claims: list[Claim], others: list[Claim]) -> Parts:
    """Reports that give different figures, each quoted with its date, newest first (undated
    last): the reader sees that the sources disagree instead of one silently chosen."""
    return _by_report([*claims, *others], "The sources give different figures.", newest_first=True)


def compose_timeline(claims: list[Claim]) -> Parts:
    """How a story developed: each report's sentences with its date, oldest first."""
    return _by_report(claims, "", newest_first=False)


def compose_overview(claims: list[Claim]) -> Parts:
    """What happened: one sentence of each report with its date, newest first."""
    return _by_report(claims, "", newest_first=True)


def _by_report(claims: list[Claim], opening: str, newest_first: bool) -> Parts:
    reports: dict[str, list[Claim]] = {}
    for claim in claims:
        reports.setdefault(claim.hit.id, []).append(claim)
    order = sorted(reports, key=lambda h: reports[h][0].hit.published or "", reverse=newest_first)
    text, cited = opening, []
    for n, h in enumerate(order, 1):
        said = sorted(reports[h], key=lambda c: c.start)
        hit = said[0].hit
        cited.append(citation(n, hit, [(c.start, c.end) for c in said]))
        when = reported(hit) if hit.published else "In an undated report"
        text += (" " if text else "") + f"{when}: " + " ".join(c.text for c in said) + f" [{n}]"
        yield text, list(cited)


def reported(hit: Hit) -> str:
    """'On 12 August 2024', from the passage's publication date."""
    return f"On {report_day(hit.published)}"


def report_day(published: str) -> str:
    """'12 August 2024', from an ISO publication date."""
    day = date.fromisoformat(published[:10])
    return f"{day.day} {day:%B %Y}"


def source_label(hit: Hit) -> str:
    """What a reader is shown as the source: the article's URL, else its path under the folder it
    was ingested from (never a path of the server's disk: an article known by its full path shows
    its last folders only)."""
    if hit.url:
        return hit.url
    return shown_path(hit.article_id)


def citation(n: int, hit: Hit, quoted: list[tuple[int, int]]) -> Citation:
    """The citation of the sentences quoted from one passage (offsets into `hit.passage`): the
    cited chunk(s) holding them, not every chunk merged into the hit; each quoted sentence is kept
    apart (`quotes`), and sentences not next to each other are joined by " … " in `quote`."""
    quoted = _joined(sorted(set(quoted)), hit.passage)
    first, last = quoted[0][0], quoted[-1][1]
    passage, start, end = hit.narrowed(first, last)
    shift = start - hit.start
    return Citation(
        n=n, article_id=hit.article_id, title=hit.title, source=source_label(hit),
        published=hit.published, passage=passage, quote=" … ".join(hit.passage[s:e] for s, e in quoted),
        start=start, end=end, quote_start=first - shift, quote_end=last - shift,
        score=round(hit.score, 4), also_sources=tuple(shown_path(s) for s in hit.also_sources),
        quotes=tuple((s - shift, e - shift) for s, e in quoted),
    )


def related_reading(n: int, hit: Hit) -> Citation:
    """A passage shown as related reading: about the question, quoting nothing."""
    return replace(citation(n, hit, [(0, 0)]), quote="", quotes=((0, 0),))


def _joined(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Spans with only whitespace between them become one: adjacent sentences read as one quote."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and (s <= out[-1][1] or not text[out[-1][1]:s].strip()):
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def shown_path(source: str) -> str:
    """A path as readers are shown it: under the folder it was ingested from; one known by its
    full path shows its last folders only, never the server's disk."""
    return "/".join(source.split("/")[-3:]) if source.startswith("/") else source


class WrittenText:
    """Checked written sentences -> the answer's text, each sentence followed by the numbers of
    the evidence sentences it rests on, numbered by first use; each citation quotes that
    evidence sentence, so the sources panel highlights what the sentence rests on."""

    def __init__(self, evidence: list[Claim]):
        self.evidence = evidence
        self.numbers: dict[int, int] = {}  # evidence number -> citation number
        self.text, self.citations = "", []

    def add(self, body: str, cites: tuple[int, ...]) -> tuple[str, list[Citation]]:
        for e in cites:
            if e not in self.numbers:
                self.numbers[e] = len(self.numbers) + 1
                claim = self.evidence[e - 1]
                self.citations.append(citation(self.numbers[e], claim.hit, [(claim.start, claim.end)]))
        markers = "".join(f"[{self.numbers[e]}]" for e in cites)
        self.text += (" " if self.text else "") + f"{body} {markers}"
        return self.text, list(self.citations)
