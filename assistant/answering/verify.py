"""Every [n] points at a real passage, and every sentence is supported by what it cites."""

from __future__ import annotations

from ..types import Hit
from .base import Claim
from .rules import QUOTE_OVERLAP, overlap


def supported(claim: Claim, hits: list[Hit]) -> bool:
    """The claim cites one of the passages found (`hits`), and its cited span backs the claim's words."""
    if not any(h.id == claim.hit.id and h.passage == claim.hit.passage for h in hits):
        return False
    passage = claim.hit.passage
    if not (0 <= claim.start < claim.end <= len(passage)):
        return False
    span = passage[claim.start:claim.end]
    return claim.text.strip() == span.strip() or overlap(claim.text, span) >= QUOTE_OVERLAP


def verified(claims: list[Claim], hits: list[Hit]) -> list[Claim]:
    return [c for c in claims if supported(c, hits)]
