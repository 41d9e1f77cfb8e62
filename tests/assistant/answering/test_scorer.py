"""The sentence scorer: its features, the fit that learns which sentence of a question holds the
answer, the map onto the hand-set score's scale, and the weights shipped with the assistant."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from assistant.answering.scorer import (
    FEATURES,
    WEIGHTS,
    Candidate,
    Scorer,
    feature_row,
    fit,
    hand_set,
    load_scorer,
    newest_day,
)
from assistant.types import Hit


def hit(n: int, passage: str, published: str | None, start: int = 0) -> Hit:
    return Hit(id=f"{n}:0", article_id=str(n), title="Fire in the hills", source=f"{n}.txt", url=None,
               published=published, passage=passage, start=start, end=start + len(passage), score=1.0)


def questions(n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Made-up questions of 6 sentences each: the one holding the answer is the only one whose
    `title_coverage` is high; similarity is noise the fit must learn to weigh less."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.uniform(0, 1, (6, len(FEATURES)))
        right = rng.integers(6)
        x[:, FEATURES.index("title_coverage")] = 0.1
        x[right, FEATURES.index("title_coverage")] = 0.9
        y = np.zeros(6)
        y[right] = 1
        out.append((x, y))
    return out


def test_the_fit_learns_which_sentence_of_a_question_holds_the_answer():
    scorer = fit(questions(60))
    held_out = questions(40, seed=1)
    right = sum(int(np.argmax(scorer.score(x)) == np.argmax(y)) for x, y in held_out)
    assert right == 40
    by_hand = sum(int(np.argmax(hand_set(x)) == np.argmax(y)) for x, y in held_out)
    assert by_hand < 20  # the hand-set mix does not look at the title at all


def test_fitted_scores_keep_the_hand_set_scale():
    train = questions(60)
    scorer, every = fit(train), np.concatenate([x for x, _ in train])
    assert scorer.score(every).mean() == pytest.approx(hand_set(every).mean(), abs=1e-6)
    assert scorer.score(every).std() == pytest.approx(hand_set(every).std(), rel=1e-3)


def test_a_question_without_a_sentence_holding_the_answer_teaches_nothing():
    train = questions(30)
    nothing = [(x, np.zeros(6)) for x, _ in questions(30, seed=2)]
    a, b = fit(train).weights, fit(train + nothing).weights
    assert np.argmax(a) == np.argmax(b) == FEATURES.index("title_coverage")


def test_a_scorer_round_trips_and_refuses_other_features():
    scorer = fit(questions(20))
    again = Scorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    x = questions(1, seed=3)[0][0]
    assert np.allclose(again.score(x), scorer.score(x), atol=1e-4)
    other = {**scorer.to_dict(), "features": ["dense", "coverage"]}
    with pytest.raises(ValueError, match="fit it again"):
        Scorer.from_dict(other)


def test_without_weights_the_scorer_is_the_hand_set_mix(tmp_path):
    x = questions(1)[0][0]
    assert np.array_equal(load_scorer(tmp_path / "none.json").score(x), hand_set(x))


def test_the_shipped_weights_load_and_prefer_a_similar_covering_sentence():
    assert WEIGHTS.is_file()
    scorer = load_scorer()
    assert scorer.weights is not None and len(scorer.weights) == len(FEATURES)
    weak, strong = np.zeros(len(FEATURES)), np.zeros(len(FEATURES))
    strong[FEATURES.index("dense")] = strong[FEATURES.index("coverage")] = 0.8
    weak[FEATURES.index("dense")] = weak[FEATURES.index("coverage")] = 0.2
    s = scorer.score(np.array([weak, strong]))
    assert s[1] > s[0]


def test_age_counts_from_the_newest_passage_not_from_today():
    hits = [hit(1, "The fire began on Monday near the village.", "2024-08-05"),
            hit(2, "The fire had burned 9,500 hectares by Thursday.", "2024-08-12", start=250),
            hit(3, "An explainer on how wildfires spread.", None)]
    assert newest_day(hits) == date(2024, 8, 12)

    def row(h: int) -> dict[str, float]:
        c = Candidate(h, 0, len(hits[h].passage), {"fire"}, 0.0, set())
        values = feature_row(c, 0.5, {"fire", "hectares"}, {"fire", "hills"}, hits, "How big is the fire?",
                             "How big is the fire?", hits[h].passage, newest_day(hits))
        return dict(zip(FEATURES, values))

    old, new, undated = row(0), row(1), row(2)
    assert new["age"] == 0 and old["age"] == pytest.approx(np.log1p(7))
    assert undated["age"] == 0 and undated["undated"] == 1 and old["undated"] == 0
    assert old["lede"] == 1 and new["lede"] == 0 and new["position"] > 0
    assert old["coverage"] == 0.5 and old["title_coverage"] == 0.5
