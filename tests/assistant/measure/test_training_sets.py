"""The scorer's question sets are made from the training folder, in the formats eval reads."""

from __future__ import annotations

import gzip
import json

from assistant.measure.datasets import load_dataset
from assistant.measure.training_sets import NEWS_EVERY, NEWS_WEEKS, SQUAD_FILE, news_weeks, training_sets


def write_week(folder, day: str, packed: bool) -> None:
    qa = {"question_id": f"{day}-1", "question_date": f"{day[:4]}/{day[4:6]}/{day[6:]}",
          "question_sentence": f"Which city hosted the summit of {day}?", "choices": ["Oslo", "Lima", "Pune", "Kiev"],
          "answer": ["0"], "evidence": "The summit was held in Oslo."}
    gcs = {"question_id": f"{day}-1", "search_result": [
        {"url": f"https://example.org/{day}", "title": "Summit", "text": "The summit was held in Oslo this week.",
         "publish_date": f"{day[:4]}/{day[4:6]}/{day[6:]}"}]}
    (folder / f"{day}_qa.jsonl").write_text(json.dumps(qa) + "\n")
    line = (json.dumps(gcs) + "\n").encode()
    if packed:
        (folder / f"{day}_gcs.jsonl.gz").write_bytes(gzip.compress(line))
    else:
        (folder / f"{day}_gcs.jsonl").write_bytes(line)


def make_training_folder(root):
    news = root / "realtimeqa"
    news.mkdir(parents=True)
    days = [f"{y}{m:02d}{d:02d}" for y in (2022, 2023) for m in range(1, 13) for d in (1, 8, 15, 22)]
    days = days[:NEWS_EVERY * NEWS_WEEKS + 5]
    for i, day in enumerate(days):
        write_week(news, day, packed=i % 2 == 0)
    paragraphs = [{"context": f"Paragraph {n} says the river is {n} km long.", "qas": [
        {"id": f"q{n}", "question": f"How long is river {n}?", "is_impossible": False,
         "answers": [{"text": f"{n} km", "answer_start": 0}]},
        {"id": f"u{n}", "question": f"Who named river {n}?", "is_impossible": True, "answers": []}]}
        for n in range(300)]
    (root / "squad2").mkdir()
    with gzip.open(root / "squad2" / SQUAD_FILE, "wt", encoding="utf-8") as f:
        json.dump({"data": [{"title": "Rivers", "paragraphs": paragraphs}]}, f)
    return days


def test_every_nth_week_and_answerable_squad_questions_become_eval_sets(tmp_path):
    days = make_training_folder(tmp_path / "train")
    assert news_weeks(tmp_path / "train" / "realtimeqa") == days[::NEWS_EVERY][:NEWS_WEEKS]
    squad_set, news_set = training_sets(tmp_path / "train", tmp_path / "sets")
    news = load_dataset(news_set)
    assert len(news.questions) == NEWS_WEEKS and {q.id for q in news.questions} == {
        f"{d}-1" for d in days[::NEWS_EVERY][:NEWS_WEEKS]}
    assert news.records and all("Oslo" in r["text"] for r in news.records)  # packed and flat weeks alike
    squad = load_dataset(squad_set)
    assert len(squad.questions) == 200 and all(q.answerable for q in squad.questions)
    (news_set / "20990101_qa.jsonl").write_text("")  # a week an earlier choice took
    training_sets(tmp_path / "train", tmp_path / "sets")
    assert not (news_set / "20990101_qa.jsonl").exists()
    again = training_sets(tmp_path / "train", tmp_path / "again")
    assert (again[0] / "queries.json").read_text() == (squad_set / "queries.json").read_text()  # seeded
