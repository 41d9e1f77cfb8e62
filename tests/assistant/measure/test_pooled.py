"""The abstention curve pooled over eval reports, and the shortlist the sentence fit scores."""

from __future__ import annotations

import json

import numpy as np

from assistant.answering.extractive import ExtractiveGenerator
from assistant.answering.scorer import FEATURES
from assistant.measure.pooled import main, pooled_curve
from assistant.measure.sentences import shortlisted
from assistant.types import Hit
from tests.kit import WordEncoder


def report(name: str, outcomes: list[tuple[bool, bool, float]]) -> dict:
    return {"dataset": name, "outcomes": [{"answerable": a, "right": r, "support": s} for a, r, s in outcomes]}


SQUAD = report("squad", [(True, True, 0.7), (True, False, 0.5), (False, False, 0.3), (False, False, 0.6)])
NEWS = report("news", [(True, True, 0.35), (True, False, 0.2)])


def test_each_set_and_all_questions_are_scored_at_each_threshold():
    low, mid, high = pooled_curve([SQUAD, NEWS], [0.0, 0.4, 0.8])
    assert (low["squad"], low["news"], low["pooled"]) == (0.25, 0.5, round(2 / 6, 3))
    # at 0.4: squad answers 0.7 (right) and 0.5 (wrong), abstains on 0.3 (right) and 0.6 is answered (wrong)
    assert (mid["squad"], mid["news"], mid["pooled"]) == (0.5, 0.0, round(2 / 6, 3))
    assert (high["squad"], high["news"], high["pooled"]) == (0.5, 0.0, round(2 / 6, 3))


def test_the_command_prints_the_curve_and_names_a_bad_report(tmp_path, capsys):
    good, bad = tmp_path / "squad.json", tmp_path / "bad.json"
    good.write_text(json.dumps(SQUAD))
    bad.write_text("not json")
    assert main([str(good), "--step", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "squad" in out and "best pooled: 0.5 at 0.5" in out
    assert main([str(good), str(bad)]) == 2
    assert "bad.json: not a report" in capsys.readouterr().err


def test_the_fit_scores_the_shortlist_the_answerer_embeds():
    passage = " ".join(f"Sentence {i} tells of the fire in the hills and {i} other things." for i in range(6))
    other = "The fire burned. Nothing else is said of the hills here, the report adds. Rain fell on Monday."
    hits = [Hit(id=f"{n}:0", article_id=str(n), title="Fire", source=f"{n}.txt", url=None, published=None,
                passage=p, start=0, end=len(p), score=1.0) for n, p in enumerate([passage, other])]
    encoder = WordEncoder()
    generator = ExtractiveGenerator(encoder)
    question = "Where did the fire burn in the hills?"
    vector = encoder.embed([question])[0]
    every, rows = generator.features(question, question, hits, vector, shortlist=None)
    picked, _ = generator.features(question, question, hits, vector, shortlist=4)
    keep = shortlisted(rows, rows[:, FEATURES.index("rank")], 4)
    assert [(every[i].hit, every[i].start) for i in keep] == [(c.hit, c.start) for c in picked]
    assert len(every) > 4 and np.all(np.isfinite(rows))
