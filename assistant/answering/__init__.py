"""From the passages found to the answer: the generator drafts claims (extractive, or checked by a
language model), verify keeps those the passages back, and compose (or a model, for written
answers) makes the answer's text and numbered citations."""

from __future__ import annotations

from ingest.encoders import Encoder

from ..settings import AnsweringSettings
from .answerers import QuotingAnswerer, WritingAnswerer
from .base import Answerer, Asked, Claim, Draft, Generator, Part
from .checked import CheckedGenerator
from .extractive import ExtractiveGenerator
from .selector import Selector
from .written import WrittenAnswerer


def answerer_for(settings: AnsweringSettings, embedder: Encoder, model=None, reader=None) -> Answerer:
    """The answerer the settings' mode names; `model` checks or writes (unused when extractive);
    `reader` (the trained reader) scores the sentences in every mode, when given."""
    if settings.mode == "extractive":
        return QuotingAnswerer(ExtractiveGenerator(embedder, reader=reader), settings.threshold)
    if settings.mode == "selected":  # the model chooses among the likeliest sentences; still quotes
        selector = Selector(model, settings.select_weight, settings.select_candidates)
        return QuotingAnswerer(ExtractiveGenerator(embedder, selector=selector, reader=reader), settings.threshold,
                               "selected", model)
    if settings.mode == "written":  # the extractive ranking picks the evidence the model writes from
        return WritingAnswerer(ExtractiveGenerator(embedder, candidates=settings.written_evidence, reader=reader),
                               WrittenAnswerer(model, settings.written_evidence), settings.threshold)
    extractive = ExtractiveGenerator(embedder, candidates=settings.llm_candidates, reader=reader)
    checked = CheckedGenerator(extractive, model, settings.llm_weight, settings.threshold)
    return QuotingAnswerer(checked, settings.threshold, "checked", model)


__all__ = ["Answerer", "Asked", "CheckedGenerator", "Claim", "Draft", "ExtractiveGenerator", "Generator", "Part",
           "QuotingAnswerer", "Selector", "WritingAnswerer", "WrittenAnswerer", "answerer_for"]
