"""The checked generator: a language model judges the extractive answerer's likeliest quotes, one
prompt each; its arithmetic, and the prompts it spares."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering import CheckedGenerator, Claim, Draft
from assistant.types import Hit
from tests.kit import FixedGenerator, ScriptedModel

QUOTE = "About 1,500 French soldiers are deployed in Niger."
HITS = [Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published=None,
            passage=QUOTE, start=0, end=len(QUOTE), score=1.0)]
OTHER = "Niger's junta asked France to leave."
TWO = [Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published=None,
           passage=f"{OTHER} {QUOTE}", start=0, end=len(OTHER) + 1 + len(QUOTE), score=1.0)]


def quoting(support: float) -> FixedGenerator:
    return FixedGenerator(Draft([Claim(QUOTE, HITS[0], 0, len(QUOTE), support)], support))


def test_checked_support_mixes_the_extractive_score_with_the_models_yes():
    model = ScriptedModel(default=0.9)
    draft = CheckedGenerator(quoting(0.5), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", HITS, np.zeros(3))
    assert draft.support == pytest.approx(0.7)
    assert draft.claims[0].text == QUOTE  # the model judges; it never rewrites the quote
    (prompt,) = model.prompts
    assert QUOTE in prompt and "How many soldiers?" in prompt and "France in Niger" in prompt


def test_quotes_too_weak_to_pass_are_not_shown_to_the_model():
    model = ScriptedModel(default=1.0)
    draft = CheckedGenerator(quoting(0.1), model, weight=0.5, threshold=0.6).draft("q?", "q?", HITS, np.zeros(3))
    assert model.prompts == [] and draft.support == pytest.approx(0.05)


def two_candidates() -> FixedGenerator:
    """The extractive answerer ranks the off-target sentence first."""
    wrong = Claim(OTHER, TWO[0], 0, len(OTHER), 0.6)
    right = Claim(QUOTE, TWO[0], len(OTHER) + 1, len(OTHER) + 1 + len(QUOTE), 0.5)
    return FixedGenerator(Draft([wrong], 0.6, [wrong, right]))


def believing(believed, yes: float = 0.9, no: float = 0.1) -> ScriptedModel:
    """Says Yes to prompts for which `believed(prompt)` holds, No to any other."""
    return ScriptedModel(judge=lambda prompt: yes if believed(prompt) else no)


def test_each_candidate_is_judged_alone_and_the_believed_one_is_quoted():
    model = believing(lambda p: QUOTE in p)
    draft = CheckedGenerator(two_candidates(), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE]  # 0.7 against 0.35: no runner-up
    assert draft.support == pytest.approx(0.7)
    assert len(model.prompts) == 2 and all((QUOTE in p) != (OTHER in p) for p in model.prompts)


def test_a_nearly_as_well_supported_runner_up_is_quoted_too():
    model = believing(lambda p: QUOTE in p, yes=0.7, no=0.55)
    draft = CheckedGenerator(two_candidates(), model, weight=0.5, threshold=0.0).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE, OTHER]  # 0.6 and 0.575
    assert draft.support == pytest.approx(0.6)


def pair_draft() -> FixedGenerator:
    """The extractive answer quotes both sentences; neither alone states the answer."""
    first = Claim(OTHER, TWO[0], 0, len(OTHER), 0.6)
    second = Claim(QUOTE, TWO[0], len(OTHER) + 1, len(OTHER) + 1 + len(QUOTE), 0.55)
    return FixedGenerator(Draft([first, second], 0.6, [first, second]))


def test_the_extractive_pair_read_together_is_quoted_when_only_together_they_answer():
    model = believing(lambda p: OTHER in p and QUOTE in p)
    draft = CheckedGenerator(pair_draft(), model, weight=0.5, threshold=0.6).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [OTHER, QUOTE]
    assert draft.support == pytest.approx(0.75)  # 0.5 x 0.6 + 0.5 x 0.9; each alone 0.35 or less
    assert len(model.prompts) == 3 and f"{OTHER} {QUOTE}" in model.prompts[-1]


def test_a_sentence_believed_alone_beats_the_pair_it_is_part_of():
    model = believing(lambda p: QUOTE in p and OTHER not in p)
    draft = CheckedGenerator(pair_draft(), model, weight=0.5, threshold=0.0).draft(
        "How many soldiers?", "How many soldiers?", TWO, np.zeros(3))
    assert [c.text for c in draft.claims] == [QUOTE]  # 0.725 against the pair's 0.35
    assert draft.support == pytest.approx(0.725)


def test_skipping_hopeless_prompts_never_changes_the_answer():
    """Against every support computed in full: the same quotes and support, fewer prompts."""
    rng = np.random.default_rng(7)
    sentences = [f"Sentence number {i} about the French soldiers." for i in range(4)]
    passage = " ".join(sentences)
    hits = [Hit(id="a:0", article_id="a", title="t", source="a.txt", url=None, published=None,
                passage=passage, start=0, end=len(passage), score=1.0)]
    spans = [(passage.index(t), passage.index(t) + len(t)) for t in sentences]
    saved = 0
    for _ in range(300):
        scores = sorted(rng.uniform(0.1, 0.95, 4), reverse=True)
        candidates = [Claim(t, hits[0], s, e, float(x)) for t, (s, e), x in zip(sentences, spans, scores)]
        pair = candidates[:2]
        beliefs = {t: float(rng.choice([rng.uniform(0, 1), 0.99, 0.01])) for t in sentences}
        beliefs[" ".join(sentences[:2])] = float(rng.uniform(0, 1))
        threshold, w = float(rng.uniform(0.3, 0.7)), 0.6

        def belief(prompt: str, beliefs=beliefs) -> float:  # the longest evidence the prompt holds
            return beliefs[next(e for e in sorted(beliefs, key=len, reverse=True) if e in prompt)]

        judge = ScriptedModel(judge=belief)
        generator = FixedGenerator(Draft(pair, scores[0], candidates))
        got = CheckedGenerator(generator, judge, weight=w, threshold=threshold).draft("q?", "q?", hits, np.zeros(3))
        # In full: the model asked about everything that could reach the threshold.
        def supported(score, evidence):
            asked = (1 - w) * score + w >= threshold
            return (1 - w) * score + w * (beliefs[evidence] if asked else 0.0)

        full = sorted(((supported(x, t), t) for t, x in zip(sentences, scores)), reverse=True)
        best = full[0][0]
        want = [t for s, t in full[:2] if s >= best - 0.08]
        together = supported(scores[0], " ".join(sentences[:2]))
        if together > best:
            want, best = sentences[:2], together
        if best >= threshold:  # below it the answer is abstained on whatever was quoted
            assert [c.text for c in got.claims] == want and got.support == pytest.approx(best)
        saved += 5 - len(judge.prompts)
    assert saved > 0
