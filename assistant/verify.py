"""Every [n] points at a real passage, and every sentence is supported by what it cites."""

from __future__ import annotations

import re

from .types import Hit

MIN_OVERLAP = 0.6  # share of a claim's terms that must appear in its cited span
NAMES = re.compile(r"\b[A-Z][\w'’-]*[A-Za-z]|\b\d{3,4}\b")  # capitalised words, years, figures


def asked_names(question: str) -> list[str]:
    """Names and figures in the question (its capitalised first word excepted)."""
    return [m.group(0) for m in NAMES.finditer(question) if m.start() > 0]


NEGATION = re.compile(r"\b(not|never|no longer|without|none|nobody|nothing|neither|nor)\b|n't\b", re.I)


def negation_unmatched(question: str, sentence: str) -> bool:
    """The question asks about what did not happen, and the sentence negates nothing."""
    return bool(NEGATION.search(question)) and not NEGATION.search(sentence)


def missing_names(question: str, evidence: str) -> list[str]:
    """The question's names that the evidence never mentions: it is then about something else."""
    low = evidence.lower()
    return [name for name in asked_names(question) if name.lower().rstrip("'’s") not in low]


def supported(claim, hits: list[Hit]) -> bool:
    """The claim cites a passage that exists and whose cited span backs the claim's words."""
    if not 0 <= claim.hit < len(hits):
        return False
    passage = hits[claim.hit].passage
    if not (0 <= claim.start < claim.end <= len(passage)):
        return False
    span = passage[claim.start:claim.end]
    if claim.text.strip() == span.strip():
        return True
    terms = term_set(claim.text)
    return bool(terms) and len(terms & term_set(span)) / len(terms) >= MIN_OVERLAP


def term_set(text: str) -> set[str]:
    return term_sets([text])[0]


def term_sets(texts: list[str]) -> list[set[str]]:
    """The stemmed content words of each text (one tokenizer call for all: each call has a fixed cost)."""
    from .retrieve import tokenize

    return [set(tokens) for tokens in tokenize(texts)] if texts else []


def verified(claims: list, hits: list[Hit]) -> list:
    return [c for c in claims if supported(c, hits)]
