"""Written answers: a language model writes from numbered evidence sentences, and every sentence
it writes is checked against the evidence it cites before anyone sees it.

The evidence is the sentences the extractive answerer ranks highest (each with its article's
title and date), so the prompt stays short and every citation points at one quotable span. A
written sentence is kept only when it cites evidence that exists; every figure and name in it
appears in what it cites; enough of its words are there too; and the model, asked on its own,
says the evidence states it. Dropped sentences are never shown nor cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from .generate import Claim
from .prompts import render
from .rules import STOP, WRITTEN_OVERLAP, overlap
from .sources import FIGURE
from .terms import term_set
from .types import Hit

MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence ends at . ! ? before a space or the end, with its markers before or after the stop.
SENTENCE = re.compile(r"(?:\[\d+(?:\s*,\s*\d+)*\]\s*)*.+?(?:[.!?](?:\s*\[\d+(?:\s*,\s*\d+)*\])+|"
                      r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+\s*[.!?]?|[.!?])(?=\s|$)", re.S)
NAME = re.compile(r"\b[A-Z][\w'’-]*[A-Za-z]")
ABSTAINED = re.compile(r"documents? (don't|do not|does not) say", re.I)
OPENERS = STOP | {"some", "currently", "according", "after", "before", "since", "during", "while", "although",
                  "however", "meanwhile", "today", "yesterday", "both", "each", "all", "no", "one", "two",
                  "three", "four", "five", "several", "many", "most", "on", "in", "at", "as", "the"}
# The model's P(Yes) that the evidence states the sentence, below which it is dropped. Small
# models judge paraphrases poorly (see README): only a clear No vetoes.
ENTAILED = 0.2


@dataclass(frozen=True)
class Written:
    """One sentence as the model wrote it, and what became of it."""

    text: str  # without its markers
    cites: tuple[int, ...]  # evidence numbers, 1-based, that exist
    dropped: str = ""  # why it is not shown; empty when it is kept


@dataclass
class WrittenDraft:
    evidence: list[Claim]
    sentences: list[Written] = field(default_factory=list)
    abstained: bool = False  # the model said the evidence does not answer

    @property
    def kept(self) -> list[Written]:
        return [s for s in self.sentences if not s.dropped]


def evidence_text(evidence: list[Claim], hits: list[Hit]) -> str:
    """The numbered evidence for the prompt: each sentence with its article's title and date."""
    lines = []
    for n, claim in enumerate(evidence, 1):
        hit = hits[claim.hit]
        when = f", {hit.published}" if hit.published else ""
        lines.append(f"[{n}] ({hit.title or 'untitled'}{when}) {claim.text}")
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


def unsupported_facts(sentence: str, cited: str) -> list[str]:
    """Figures and names of the sentence that the cited evidence never states."""
    low = cited.lower()
    figures = {f.replace(",", "") for f in FIGURE.findall(cited)}
    missing = [f for f in FIGURE.findall(sentence) if f.replace(",", "").rstrip(".") not in figures]
    for i, m in enumerate(NAME.finditer(sentence)):
        word = m.group(0)
        if m.start() == 0 and word.lower() in OPENERS:
            continue
        if word.lower().removesuffix("'s").removesuffix("’s") not in low:
            missing.append(word)
    return missing


class WrittenAnswerer:
    """The model writes from the evidence; each sentence is checked before it is kept."""

    def __init__(self, model, evidence: int = 6, max_tokens: int = 160):
        self.model = model
        self.evidence = evidence
        self.max_tokens = max_tokens

    def prompt(self, question: str, evidence: list[Claim], hits: list[Hit]) -> str:
        return render("answer", passages=evidence_text(evidence, hits), question=question).strip()

    def write(self, question: str, evidence: list[Claim], hits: list[Hit]) -> Iterator[Written]:
        """Each sentence the model writes, checked, in order; the model writes the whole reply
        first (a local model's one context cannot write and judge at once)."""
        reply = "".join(self.model.write(self.prompt(question, evidence, hits), self.max_tokens)).strip()
        sentences, rest = split_sentences(reply + " ")
        sentences += [rest.strip()] if rest.strip() else []
        for sentence in sentences:
            yield self.check(sentence, evidence, hits)

    def check(self, sentence: str, evidence: list[Claim], hits: list[Hit]) -> Written:
        body, cites, stray = parse(sentence, len(evidence))
        if ABSTAINED.search(body):
            return Written(body, (), "the model found no answer")
        if not re.search(r"\w", body):
            return Written(body, cites, "says nothing")
        if not cites:
            return Written(body, (), "cites no evidence" + (" that exists" if stray else ""))
        cited = " ".join(f"{hits[evidence[n - 1].hit].title}. {evidence[n - 1].text}" for n in cites)
        missing = unsupported_facts(body, cited)
        if missing:
            return Written(body, cites, f"not in the evidence it cites: {', '.join(missing)}")
        if term_set(body) and overlap(body, cited) < WRITTEN_OVERLAP:
            return Written(body, cites, "too few of its words are in the evidence it cites")
        said = " ".join(evidence[n - 1].text for n in cites)
        belief = self.model.yes_probability(render("entail", evidence=said, statement=body).strip())
        if belief < ENTAILED:
            return Written(body, cites, f"the evidence does not state it (P(yes) {belief:.2f})")
        return Written(body, cites)
