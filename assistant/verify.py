"""Every [n] points at a real passage, and every sentence is supported by what it cites."""

from __future__ import annotations

from .generate import Claim, term_set
from .types import Hit

MIN_OVERLAP = 0.6  # share of a claim's terms that must appear in its cited span


def supported(claim: Claim, hits: list[Hit]) -> bool:
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


def verified(claims: list[Claim], hits: list[Hit]) -> list[Claim]:
    return [c for c in claims if supported(c, hits)]
