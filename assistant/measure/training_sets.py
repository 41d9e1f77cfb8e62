"""Question sets made from the training data (a folder with realtimeqa/ and squad2/, as
`assistant train reader` reads it), in the formats `assistant eval` reads, so that the sentence
scorer is fitted on questions no development set holds: `assistant train scorer --data DIR`.

News: every NEWS_EVERY-th RealTime QA week, NEWS_WEEKS of them, with their search results (about
170 questions over 1,209 articles). SQuAD: SQUAD_QUESTIONS answerable questions drawn (seeded) from
the training articles, each with its paragraph."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

from .datasets import search_result_files

NEWS_EVERY = 12
NEWS_WEEKS = 6
SQUAD_QUESTIONS = 200
SQUAD_FILE = "train-v2.0-first10.json.gz"
SEED = 0


def news_weeks(folder: Path) -> list[str]:
    """The weeks taken: every NEWS_EVERY-th of the folder's, oldest first, NEWS_WEEKS of them."""
    weeks = sorted(f.name[: -len("_qa.jsonl")] for f in folder.glob("*_qa.jsonl"))
    return weeks[::NEWS_EVERY][:NEWS_WEEKS]


def write_news_set(folder: Path, out: Path) -> Path:
    """The weeks' questions and search results, as the training folder holds them."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*_*.jsonl*"):  # weeks an earlier choice took
        stale.unlink()
    taken = set(news_weeks(folder))
    for file in [*folder.glob("*_qa.jsonl"), *search_result_files(folder)]:
        if file.name[:8] in taken:
            shutil.copyfile(file, out / file.name)
    return out


def write_squad_set(path: Path, out: Path) -> Path:
    """SQUAD_QUESTIONS answerable questions of SQuAD's training articles, as a squad-format folder."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        articles = json.load(f)["data"]
    asked = [(qa, p["context"]) for a in articles for p in a["paragraphs"] for qa in p["qas"]
             if not qa.get("is_impossible")]
    drawn = random.Random(SEED).sample(asked, min(SQUAD_QUESTIONS, len(asked)))
    out.mkdir(parents=True, exist_ok=True)
    (out / "queries.json").write_text(json.dumps({"queries": [
        {"id": qa["id"], "context": context, "question": qa["question"]} for qa, context in drawn]}))
    (out / "ground_truth.json").write_text(json.dumps({
        qa["id"]: {"answers": sorted({a["text"] for a in qa["answers"]}), "is_impossible": False}
        for qa, _ in drawn}))
    return out


def training_sets(data: Path, out: Path) -> list[Path]:
    """Both sets, written under `out` (squad2-train/, rtqa-train/)."""
    return [write_squad_set(data / "squad2" / SQUAD_FILE, out / "squad2-train"),
            write_news_set(data / "realtimeqa", out / "rtqa-train")]
