"""`assistant eval` on a tiny data set made here: the metrics are checked exactly."""

import json

import pytest

from assistant.cli import main
from assistant.measure.evaluate import Outcome, contains_all, metrics

ARTICLES = [
    "The Corvenna lighthouse was restored by 23 volunteers. It was relit in October after nine dark years.",
    "Observers counted 417 pelicans in the Zarnova harbour this autumn. The count was the highest on record.",
    "The Tessaly bakery opened in 1931 on Mill Street. It still bakes rye bread in a wood-fired oven.",
]


def squad_folder(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    qs = [
        ("q1", 0, "How many volunteers restored the Corvenna lighthouse?", ["23"], False),
        ("q2", 1, "How many pelicans were counted in the Zarnova harbour?", ["417"], False),
        ("q3", 2, "In what year did the Tessaly bakery open?", ["1932"], False),  # gold disagrees: wrong
        ("q4", 0, "Who won the 2022 football World Cup final?", [], True),
    ]
    (folder / "queries.json").write_text(json.dumps(
        {"queries": [{"id": i, "context": ARTICLES[c], "question": q} for i, c, q, _, _ in qs]}))
    (folder / "ground_truth.json").write_text(json.dumps(
        {i: {"answers": a, "is_impossible": imp} for i, _, _, a, imp in qs}))
    return folder


@pytest.mark.integration
def test_eval_on_a_tiny_squad_set_computes_exact_metrics(tmp_path, capsys):
    out = tmp_path / "report.json"
    code = main(["eval", str(squad_folder(tmp_path)), "--json", "--out", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    m = report["metrics"]
    assert report["questions"] == 4
    assert (m["retrieval_questions"], m["hit@1"], m["hit@4"], m["mrr@10"]) == (3, 1.0, 1.0, 1.0)
    assert (m["answerable"], m["answer_accuracy"]) == (3, 0.667)
    assert (m["unanswerable"], m["abstention_precision"], m["abstention_recall"]) == (1, 1.0, 1.0)
    assert m["overall_accuracy"] == 0.75
    assert m["citation_recall"] == 1.0
    assert [f["id"] for f in report["failures"]] == ["q3"]
    assert "1931" in report["failures"][0]["got"]
    rows = {o["id"]: o for o in report["outcomes"]}
    assert [rows[q]["right"] for q in ("q1", "q2", "q3", "q4")] == [True, True, False, False]
    assert rows["q4"]["answerable"] is False and rows["q4"]["support"] < report["threshold"] <= rows["q1"]["support"]
    assert json.loads(capsys.readouterr().out)["metrics"] == m


def outcome(answerable, support, text, cited, rank=1, expected=(("x",),)):
    return Outcome("id", "q", answerable, answerable, rank, text, support, list(cited), 10.0,
                   [list(g) for g in expected] if answerable else None)


def test_metrics_arithmetic():
    outcomes = [
        outcome(True, 0.9, "has x", ["x here", "nothing"], rank=1),
        outcome(True, 0.8, "wrong", ["nothing"], rank=3),
        outcome(True, 0.1, "has x", ["x"], rank=None),  # below threshold: abstained
        outcome(False, 0.2, "", []),
        outcome(False, 0.7, "confident", ["y"]),
    ]
    m = metrics(outcomes, threshold=0.5)
    assert (m["hit@1"], m["hit@4"], m["hit@10"]) == (0.333, 0.667, 0.667)
    assert m["mrr@10"] == round((1 + 1 / 3) / 3, 3)
    assert m["answer_accuracy"] == 0.333
    assert (m["abstention_precision"], m["abstention_recall"]) == (0.5, 0.5)
    assert m["overall_accuracy"] == 0.4
    assert m["citation_precision"] == round(1 / 3, 3)  # 3 passages cited on answered answerables
    assert m["citation_recall"] == 1.0


def test_contains_all_needs_one_phrase_of_every_group():
    assert contains_all("The Pont Neuf and Alexandre III", [["Pont Neuf"], ["Pont Alexandre", "Alexandre III"]])
    assert not contains_all("The Pont Neuf", [["Pont Neuf"], ["Alexandre III"]])
    assert not contains_all("anything", None)


def test_realtimeqa_records_without_text_are_reported_and_questions_keep_their_date(tmp_path):
    from assistant.measure.datasets import load_realtimeqa

    results = [{"url": "https://ex.com/a", "title": "Lighthouse", "text": ARTICLES[0], "publish_date": "2024/01/03"},
               {"url": "https://ex.com/b", "title": "Nothing here", "publish_date": "2024/01/04"}]
    (tmp_path / "20240105_gcs.jsonl").write_text(json.dumps({"question_id": "1", "search_result": results}) + "\n")
    question = {"question_id": "1", "question_date": "2024/01/05", "question_sentence": "How many volunteers?",
                "choices": ["23 volunteers", "12", "40", "none"], "answer": ["0"]}
    (tmp_path / "20240105_qa.jsonl").write_text(json.dumps(question) + "\n")
    data = load_realtimeqa(tmp_path)
    assert [r["url"] for r in data.records] == ["https://ex.com/a"]
    assert data.skipped == ["20240105_gcs.jsonl: search result https://ex.com/b has no text"]
    assert data.questions[0].asked_on == "2024-01-05" and data.questions[0].hit_phrases == ["23 volunteers"]


def test_a_qa_file_asks_each_question_on_its_day_of_the_corpus_beside_it(tmp_path):
    import json

    from assistant.measure.datasets import corpus_beside, load_dataset

    (tmp_path / "corpus").mkdir()
    (tmp_path / "qa.json").write_text(json.dumps({"questions": [
        {"q": "How many hectares had burned?", "expect": [["9,500"]], "as_of": "2024-08-16"},
        {"q": "How many firefighters died?", "expect": None}]}))
    dataset = load_dataset(tmp_path / "qa.json")
    assert dataset.name == tmp_path.name and [q.asked_on for q in dataset.questions] == ["2024-08-16", None]
    assert corpus_beside(tmp_path / "qa.json") == tmp_path / "corpus"
    assert corpus_beside(tmp_path / "corpus") is None
    folder = load_dataset(tmp_path)  # the folder names its questions file
    assert folder.name == dataset.name and [q.text for q in folder.questions] == [q.text for q in dataset.questions]
    assert corpus_beside(tmp_path) == tmp_path / "corpus"


def test_a_sentence_is_faithful_when_its_facts_are_in_its_quote_or_the_reports_date():
    from assistant.measure.evaluate import faithful_sentences
    from assistant.types import Answer, Citation

    quote = "The fire had burned 9,500 hectares by Monday."
    cited = Citation(1, "a", "Fire", "a.md", "2025-07-07", quote, quote, 0, len(quote), 0, len(quote), 1.0)
    dated = Answer(f"On 7 July 2025: {quote} [1]", [cited], False)
    assert faithful_sentences(dated) == (1, 1)
    wrong_day = Answer(f"On 18 June 2025: {quote} [1]", [cited], False)
    made_up = Answer("The fire had burned 12,000 hectares by Monday. [1]", [cited], False)
    assert faithful_sentences(wrong_day) == faithful_sentences(made_up) == (1, 0)
