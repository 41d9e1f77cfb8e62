"""Every [n] points at a real passage, and every sentence is supported by what it cites."""

from __future__ import annotations

from .rules import QUOTE_OVERLAP, overlap
from .types import Hit


def supported(claim, hits: list[Hit]) -> bool:
    """The claim cites a passage that exists and whose cited span backs the claim's words."""
    if not 0 <= claim.hit < len(hits):
        return False
    passage = hits[claim.hit].passage
    if not (0 <= claim.start < claim.end <= len(passage)):
        return False
    span = passage[claim.start:claim.end]
    return claim.text.strip() == span.strip() or overlap(claim.text, span) >= QUOTE_OVERLAP


def verified(claims: list, hits: list[Hit]) -> list:
    return [c for c in claims if supported(c, hits)]
