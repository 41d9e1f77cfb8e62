"""Evaluation data sets -> one shape: a corpus of article records and questions with hit rules."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Question:
    id: str
    text: str
    answers: list[list[str]] | None  # groups of accepted phrases; None: the documents don't say
    gold_article: str | None = None  # record key of the gold article (squad), if the rule uses it
    hit_phrases: list[str] = field(default_factory=list)  # a passage containing one of these is a hit
    asked_on: str | None = None  # ISO date the question was asked, when the data set says

    @property
    def answerable(self) -> bool:
        return self.answers is not None


@dataclass
class Dataset:
    name: str
    records: list[dict]  # article records ({key, title, text, url, published}), or [] to use an index
    questions: list[Question]
    skipped: list[str] = field(default_factory=list)  # records left out, each with the reason


def guess_format(path: Path) -> str:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such data set; give a folder (squad, realtimeqa) or a .json file (qa)")
    if path.is_dir() and (path / "queries.json").exists():
        return "squad"
    if path.is_dir() and search_result_files(path):
        return "realtimeqa"
    if path.suffix == ".json" or (path.is_dir() and (path / "qa.json").is_file()):
        return "qa"
    raise FileNotFoundError(f"{path}: cannot tell the data set's format; pass --format squad|realtimeqa|qa")


def load_dataset(path: Path, fmt: str | None = None) -> Dataset:
    fmt = fmt or guess_format(path)
    return {"squad": load_squad, "realtimeqa": load_realtimeqa, "qa": load_qa}[fmt](path)


def load_squad(path: Path) -> Dataset:
    queries = json.loads((path / "queries.json").read_text())["queries"]
    truth = json.loads((path / "ground_truth.json").read_text())
    keys: dict[str, str] = {}
    records = []
    for q in queries:
        if q["context"] not in keys:
            keys[q["context"]] = f"p{len(keys)}"
            records.append({"key": keys[q["context"]], "text": q["context"]})
    questions = []
    for q in queries:
        gold = truth[q["id"]]
        answers = None if gold["is_impossible"] else [list(gold["answers"])]
        questions.append(Question(q["id"], q["question"], answers, keys[q["context"]]))
    return Dataset(path.name, records, questions)


def search_result_files(folder: Path) -> list[Path]:
    """A RealTime QA folder's weekly search results, oldest first: `YYYYMMDD_gcs.jsonl`, or
    `.jsonl.gz` as the repository ships them (the plain file when a week has both)."""
    weeks = {f.name[:8]: f for f in folder.glob("*_gcs.jsonl.gz")}
    weeks |= {f.name[:8]: f for f in folder.glob("*_gcs.jsonl")}
    return [weeks[week] for week in sorted(weeks)]


def jsonl_rows(path: Path) -> list[dict]:
    """The records of a JSON-lines file, gzipped or not."""
    opened = gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")
    with opened as f:
        return [json.loads(line) for line in f if line.strip()]


def load_realtimeqa(path: Path) -> Dataset:
    records, seen, skipped = [], set(), []
    for file in search_result_files(path):
        for row in jsonl_rows(file):
            for art in row.get("search_result") or []:
                url = art.get("url")
                if url and url not in seen and not (art.get("text") or "").strip():
                    skipped.append(f"{file.name}: search result {url} has no text")
                    seen.add(url)
                if not url or url in seen or not (art.get("text") or "").strip():
                    continue
                seen.add(url)
                records.append({"key": url, "url": url, "title": art.get("title") or "",
                                "text": art["text"], "published": art.get("publish_date") or ""})
    corpus = "\n".join(r["text"] for r in records).lower()
    questions = []
    for file in sorted(path.glob("*_qa.jsonl")):
        for line in file.read_text().splitlines():
            q = json.loads(line)
            choice = q["choices"][int(q["answer"][0])]
            scored = len(choice) >= 4 and choice.lower() in corpus
            asked = q.get("question_date")
            questions.append(Question(q["question_id"], q["question_sentence"], [[choice]],
                                      hit_phrases=[choice] if scored else [],
                                      asked_on=asked.replace("/", "-")[:10] if asked else None))
    return Dataset(path.name, records, questions, skipped)


def load_qa(path: Path) -> Dataset:
    if path.is_dir():
        path = path / "qa.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such questions file; give a qa-format .json file or its folder")
    data = json.loads(path.read_text())
    questions = []
    for n, q in enumerate(data["questions"]):
        expect = q.get("expect")
        phrases = [p for group in expect for p in group] if expect else []
        questions.append(Question(str(q.get("id", n)), q["q"], expect, hit_phrases=phrases,
                                  asked_on=str(q["as_of"])[:10] if q.get("as_of") else None))
    name = path.parent.name if path.stem == "qa" else path.stem
    return Dataset(name, [], questions)


def corpus_beside(path: Path) -> Path | None:
    """The `corpus/` folder beside a qa-format file, which its questions are asked of."""
    folder = (path if path.is_dir() else path.parent) / "corpus"
    return folder if folder.is_dir() else None


def write_corpus(records: list[dict], folder: Path) -> Path:
    """The records as one JSONL file the ingest command reads; returns the file."""
    return write_records(records, folder / "corpus.jsonl")


def write_records(records: list[dict], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for r in records:
            f.write(json.dumps({k: v for k, v in r.items() if k != "key"}) + "\n")
    return out
