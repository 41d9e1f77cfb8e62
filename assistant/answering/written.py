"""Written answers: a language model writes from numbered evidence sentences, and every sentence
it writes is checked against the evidence it cites before anyone sees it.

The evidence is the sentences the extractive answerer ranks highest (each with its article's
title and date), so the prompt stays short and every citation points at one quotable span. The
prompt's fixed opening (instructions and one worked example) comes first, so a local model keeps
it in its context between questions. A sentence written without a marker (small models often
leave them out) is attributed to the evidence that states most of it: at most two sentences of
one article. A written sentence is kept only when it cites evidence that exists; every figure and
name in it appears in what it cites; who does each act it reports is who the evidence says does
it; enough of its words are there too; and the model, asked on
its own, says the evidence states it. Dropped sentences are never shown nor cited. Each sentence
is checked as soon as it is complete, while the rest is still to be written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from ingest.text import FIGURE, NAME, STOP, figure_value, mentions, term_set

from ..prompts import render
from .actors import misattributed
from .base import Claim
from .rules import WRITTEN_OVERLAP, answer_type, has_type, overlap
from .spans import answer_span, kind_asked

MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence ends at . ! ? before a space or the end, with its markers before or after the stop.
SENTENCE = re.compile(r"(?:\[\d+(?:\s*,\s*\d+)*\]\s*)*.+?(?:[.!?](?:\s*\[\d+(?:\s*,\s*\d+)*\])+|"
                      r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+\s*[.!?]?|[.!?])(?=\s|$)", re.S)
# Where a reply stops being the answer: a blank line, or the model going on with the prompt's
# own layout ("Question: ...").
END = re.compile(r"\n\s*\n|\n\s*(?:Question|Evidence|Example|Answer|Now you)\b")
# An article's line of the evidence layout, which a small model sometimes copies into its reply.
HEADER = re.compile(r'(?:^|(?<=\n))[ \t]*From ".*?"(?:[ \t]*\([^()\n]*\))?:[ \t]*(?:\n|$)')
ABSTAINED = re.compile(r"documents? (don't|do not|does not) say", re.I)
OPENERS = STOP | {"some", "currently", "according", "after", "before", "since", "during", "while", "although",
                  "however", "meanwhile", "today", "yesterday", "both", "each", "all", "no", "one", "two",
                  "three", "four", "five", "several", "many", "most", "on", "in", "at", "as", "the"}
# The model's P(Yes) that the evidence states the sentence, below which it is dropped. Small
# models judge paraphrases poorly (see the docs, Benchmarks, "Written answers"): only a clear No vetoes.
ENTAILED = 0.2


@dataclass(frozen=True)
class Written:
    """One sentence as the model wrote it, and what became of it."""

    text: str  # without its markers
    cites: tuple[int, ...]  # evidence numbers, 1-based, that exist
    dropped: str = ""  # why it is not shown; empty when it is kept
    attributed: bool = False  # written without markers; `cites` is the evidence that states it


def arrange(evidence: list[Claim]) -> list[Claim]:
    """The evidence grouped by article (the article of the likeliest sentence first), each
    article's sentences in the order they stand in it, so neighbours read as they were written."""
    rank: dict[str, int] = {}
    for claim in evidence:
        rank.setdefault(claim.hit.article_id, len(rank))
    return sorted(evidence, key=lambda c: (rank[c.hit.article_id], c.hit.start + c.start))


def gives_what_is_asked(sentence: str, wants, question: str) -> bool:
    """Whether a sentence holds the kind of thing the question asks for (`rules.answer_type`),
    and for a "where" question a place (`spans.answer_span`); true when it asks for no kind."""
    if wants is not None and not has_type(sentence, wants, question):
        return False
    return kind_asked(question) != "place" or answer_span(question, sentence) is not None


def as_cited(claim: Claim) -> str:
    """An evidence sentence as a written sentence is checked against: its article's title, then it."""
    return f"{claim.hit.title}. {claim.text}"


def evidence_text(evidence: list[Claim]) -> str:
    """The numbered evidence for the prompt, under a line naming each article's title and date."""
    lines, article = [], None
    for n, claim in enumerate(evidence, 1):
        hit = claim.hit
        if hit.article_id != article:
            article = hit.article_id
            when = f" ({hit.published})" if hit.published else ""
            lines.append(f"From \"{hit.title or 'untitled'}\"{when}:")
        lines.append(f"[{n}] {claim.text}")
    return "\n".join(lines)


def split_sentences(text: str) -> tuple[list[str], str]:
    """Complete sentences of `text` (markers included) and the unfinished rest."""
    done, end = [], 0
    for m in SENTENCE.finditer(text):
        if m.end() == len(text):
            break  # the last one may still grow
        done.append(m.group(0).strip())
        end = m.end()
    return done, text[end:]


def parse(sentence: str, evidence_count: int) -> tuple[str, tuple[int, ...], bool]:
    """The sentence without markers (and without an echoed "(title, date)" opening), the
    evidence numbers it cites that exist, and whether it cited any that do not."""
    numbers = [int(n) for group in MARKERS.findall(sentence) for n in group.split(",")]
    valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= evidence_count))
    body = MARKERS.sub("", sentence).strip()
    body = re.sub(r"^\([^()]*\)\s*", "", body)
    body = re.sub(r"\s+([.!?])$", r"\1", body)
    return body, valid, len(valid) < len(set(numbers))


def names(sentence: str) -> list[str]:
    """The capitalised words of a sentence, but for an ordinary word opening it."""
    return [m.group(0) for m in NAME.finditer(sentence) if not (m.start() == 0 and m.group(0).lower() in OPENERS)]


def unsupported_facts(sentence: str, cited: str) -> list[str]:
    """Figures and names of the sentence that the cited evidence never states."""
    figures = {f.replace(",", "") for f in FIGURE.findall(cited)}
    missing = [f for f in FIGURE.findall(sentence) if figure_value(f) not in figures]
    return missing + [name for name in names(sentence) if not mentions(cited, name)]


def names_apart(sentence: str, cited: list[str]) -> bool:
    """Whether the sentence's names stand in no one of the evidence sentences it cites: joining
    names that the evidence never puts together is how a small model misattributes ("Sylvain
    Itte is in contact with President Macron", where the evidence says it of Bazoum)."""
    found = names(sentence)
    return len(found) > 1 and not any(all(mentions(text, n) for n in found) for text in cited)


def attribute(body: str, evidence: list[Claim]) -> tuple[int, ...]:
    """The evidence a sentence written without markers rests on: the evidence sentence holding
    most of its words, and, when figures or names of it are still missing, the one sentence of
    the same article that states most of them. Empty when no evidence shares a word with it."""
    texts = [as_cited(c) for c in evidence]
    scores = [overlap(body, t) for t in texts]
    if not scores or max(scores) == 0:
        return ()
    best = scores.index(max(scores))
    missing = len(unsupported_facts(body, texts[best]))
    article = evidence[best].hit.article_id
    others = [i for i in range(len(evidence)) if i != best and evidence[i].hit.article_id == article]
    found = {i: missing - len(unsupported_facts(body, f"{texts[best]} {texts[i]}")) for i in others}
    second = max(found, key=lambda i: (found[i], scores[i]), default=None)
    if second is None or found[second] <= 0:
        return (best + 1,)
    return tuple(sorted((best + 1, second + 1)))


class WrittenAnswerer:
    """The model writes from the evidence; each sentence is checked before it is kept."""

    def __init__(self, model, evidence: int = 6, max_tokens: int = 160):
        self.model = model
        self.evidence = evidence
        self.max_tokens = max_tokens

    def prompt(self, question: str, evidence: list[Claim]) -> str:
        return render("answer", passages=evidence_text(evidence), question=question).strip()

    def warm_up(self) -> None:
        """Have the model read the prompt's fixed opening before the first question."""
        self.model.keep(self.prompt("", []))

    def write(self, question: str, evidence: list[Claim]) -> Iterator[Written]:
        """Each sentence the model writes, checked, in order, as soon as it is complete (the model
        is paused while a sentence is judged)."""
        pieces = self.model.write(self.prompt(question, evidence), self.max_tokens)
        text, started, answered = "", False, False
        wants = answer_type(question)
        try:
            for piece in pieces:
                text += piece
                if not started:  # an echoed "Answer:" and leading blank lines are not the reply
                    text = re.sub(r"^\s*(?:Answer:)?\s*", "", text)
                    started = bool(text)
                text = HEADER.sub("", text)
                end = END.search(text)
                done, text = split_sentences(text[:end.start()] if end else text)
                for sentence in done:
                    written = self.check(sentence, evidence, None if answered else (wants, question))
                    answered = answered or not written.dropped
                    yield written
                if end:
                    break
        finally:
            pieces.close()
        if text.strip():
            yield self.check(text.strip(), evidence, None if answered else (wants, question))

    def check(self, sentence: str, evidence: list[Claim], asked=None) -> Written:
        """`asked` (answer type, question): until a sentence is kept, one that lacks what the
        question asks for (a figure for "how many", a date for "when", a name for "who", a place
        for "where") is dropped, however well supported: it answers something else."""
        body, cites, stray = parse(sentence, len(evidence))
        if ABSTAINED.search(body):
            return Written(body, (), "the model found no answer")
        if not re.search(r"\w", body):
            return Written(body, cites, "says nothing")
        if body.rstrip().endswith("?"):  # a headline or the question echoed
            return Written(body, cites, "asks rather than answers")
        if asked and not gives_what_is_asked(body, *asked):
            return Written(body, cites, "does not give what the question asks for")
        attributed = not cites and not stray
        if attributed:
            cites = attribute(body, evidence)
        if not cites:
            return Written(body, (), "cites no evidence" + (" that exists" if stray else ""))
        each = [as_cited(evidence[n - 1]) for n in cites]
        cited = " ".join(each)
        missing = unsupported_facts(body, cited)
        if missing:
            return Written(body, cites, f"not in the evidence it cites: {', '.join(missing)}", attributed)
        if len(cites) > 1 and names_apart(body, each):
            return Written(body, cites, "joins names no evidence sentence puts together", attributed)
        act = misattributed(body, [evidence[n - 1].text for n in cites])
        if act:
            return Written(body, cites, f"gives an act ({act}...) to another actor than the evidence does", attributed)
        if term_set(body) and overlap(body, cited) < WRITTEN_OVERLAP:
            return Written(body, cites, "too few of its words are in the evidence it cites", attributed)
        said = " ".join(evidence[n - 1].text for n in cites)
        belief = self.model.yes_probability(render("entail", evidence=said, statement=body).strip())
        if belief < ENTAILED:
            return Written(body, cites, f"the evidence does not state it (P(yes) {belief:.2f})", attributed)
        return Written(body, cites, "", attributed)
