"""The reader's training examples: what counts as holding the answer, which sentences are the
hard negatives, and which weeks and paragraphs are held out."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from assistant.reader.examples import choice_text, find, fold, news_group, news_groups, squad_groups
from assistant.reader.train import HELD_OUT_FROM, span_targets, training_data


def test_folding_keeps_every_offset_and_drops_quotes_accents_and_case():
    text = "“Émile” Zola’s CAFÉ"
    assert len(fold(text)) == len(text)
    assert fold(text) == '"emile" zola\'s cafe'
    assert choice_text("“Squid Game”") == "squid game"


def test_a_choice_is_found_as_whole_words_only():
    assert find("europe", "European regulators announced a plan.") is None
    assert find("europe", "Regulators in Europe announced a plan.") == (14, 20)
    assert find("squid game", "The hit show “Squid Game” returns.") == (14, 24)


QA = {"question_id": "w_0", "question_sentence": "Which city will host the summit?",
      "choices": ["Granada", "Oslo", "Paris", "Rome"], "answer": ["1"],
      "evidence": "<p>The summit goes to <b>Oslo</b>.</p>"}
RESULTS = [{"url": "a", "text": "Leaders said the summit will be held in Oslo next spring. Granada hosted it last "
                                "year. The summit will discuss energy prices. Football fans filled the stadium "
                                "on Sunday."}]


def test_a_news_question_gets_its_answering_sentence_first_and_hard_negatives_after():
    group = news_group(QA, RESULTS, random.Random(1))
    first = group.pairs[0]
    assert first.label == 1.0 and "Oslo" in first.sentence
    if first.span:
        assert first.sentence[first.span[0]:first.span[1]] == "Oslo"
    negatives = [p.sentence for p in group.pairs[1:]]
    assert all(p.label == 0.0 for p in group.pairs[1:])
    assert "Granada hosted it last year." in negatives  # holds a wrong choice
    assert not any("Oslo" in s for s in negatives)


def test_a_news_question_nothing_answers_gives_no_group():
    qa = dict(QA, evidence="")
    assert news_group(qa, [{"url": "b", "text": "Nothing about any summit here at all."}], random.Random(1)) is None


def _write_training_folder(root: Path) -> Path:
    news = root / "realtimeqa"
    news.mkdir(parents=True)
    for week in ("20240105", HELD_OUT_FROM):
        qa = dict(QA, question_id=f"{week}_0")
        (news / f"{week}_qa.jsonl").write_text(json.dumps(qa) + "\n")
        with gzip.open(news / f"{week}_gcs.jsonl.gz", "wt") as f:
            f.write(json.dumps({"question_id": f"{week}_0", "search_result": RESULTS}) + "\n")
    squad = root / "squad2"
    squad.mkdir()
    context = "The film was shot in Rome. It opened in 2015. Critics praised the score."
    data = {"data": [{"title": "Spectre_(2015_film)", "paragraphs": [
        {"context": context, "qas": [
            {"id": "s1", "question": "Where was the film shot?", "is_impossible": False,
             "answers": [{"text": "Rome", "answer_start": context.index("Rome")}]},
            {"id": "s2", "question": "Where was the sequel shot?", "is_impossible": True, "answers": [],
             "plausible_answers": [{"text": "Rome", "answer_start": context.index("Rome")}]}]}] * 2}]}
    with gzip.open(squad / "train-v2.0-first10.json.gz", "wt") as f:
        json.dump(data, f)
    return root


def test_squad_groups_mark_the_answer_and_the_unanswerable(tmp_path):
    root = _write_training_folder(tmp_path)
    groups = squad_groups(root / "squad2" / "train-v2.0-first10.json.gz")
    answerable, unanswerable = groups["Spectre_(2015_film)/0"]
    assert answerable.answerable and answerable.pairs[0].sentence == "The film was shot in Rome."
    s, e = answerable.pairs[0].span
    assert answerable.pairs[0].sentence[s:e] == "Rome"
    assert not unanswerable.answerable and unanswerable.pairs[0].sentence == "The film was shot in Rome."


def test_held_out_weeks_and_paragraphs_are_never_trained_on(tmp_path):
    root = _write_training_folder(tmp_path)
    data = training_data(root)
    assert [g.question_id for g in data.held_news] == [f"{HELD_OUT_FROM}_0"]
    assert all(not g.question_id.startswith(HELD_OUT_FROM) for g in data.train)
    assert {g.question_id for g in data.held_squad} == {"s1", "s2"}  # paragraph 0 of the held-out film
    assert {g.question_id for g in data.train if g.source == "squad"} == {"s1", "s2"}  # paragraph 1
    assert len(news_groups(root / "realtimeqa")) == 2


def test_the_answer_span_is_pointed_at_by_its_tokens():
    from transformers import AutoTokenizer

    from assistant.reader.examples import Pair
    from assistant.reader.model import encode_pairs
    from ingest.encoders.base import default_model_path

    tokenizer = AutoTokenizer.from_pretrained(str(default_model_path()), local_files_only=True)
    pairs = [Pair("How long will the repairs take?", "The repairs will take about five months.", 1.0, (28, 39))]
    encoded = encode_pairs(tokenizer, [p.question for p in pairs], [p.sentence for p in pairs], offsets=True)
    first, last = span_targets(encoded, pairs, 0)
    ids = encoded["input_ids"][0][first:last + 1].tolist()
    assert tokenizer.decode(ids) == "five months"
