"""The reader's training examples, built from public question sets: groups of (question, sentence)
pairs, the first of an answerable group the sentence that holds the answer (with the answer's
characters in it), the rest sentences that do not.

News (RealTime QA weeks): a sentence of a question's search results holds the answer when it
holds the correct choice's text, folded for quotes, case and accents; the quiz's own `evidence`
sentence is a positive too. Hard negatives: sentences holding a wrong choice, and sentences of
the same articles sharing the question's words. SQuAD 2.0: the sentence holding the answer's
characters; an unanswerable question's group has no positive, its tempting sentence first.
"""

from __future__ import annotations

import gzip
import html
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingest.text import sentence_spans, term_set, term_sets

from ..answering.rules import coverage, quotable_spans
from ..measure.datasets import jsonl_rows

MAX_SENTENCE_CHARS = 600  # longer "sentences" are lists or run-on text, not quoted
GROUP = 8  # pairs per question: one positive (when answerable) and the hardest negatives
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: float  # 1.0: the sentence holds the answer
    span: tuple[int, int] | None = None  # the answer's characters in the sentence


@dataclass
class Group:
    question_id: str
    source: str  # "news" or "squad"
    pairs: list[Pair] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.pairs) and self.pairs[0].label > 0


def fold(text: str) -> str:
    """The text with quotes straightened, accents dropped and case folded, one character for one,
    so that offsets into the folded text are offsets into the text."""
    text = text.translate(QUOTES)
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1] or ch
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def choice_text(choice: str) -> str:
    """A choice as an article would write it: quotes around it dropped ("“Squid Game”")."""
    return fold(choice).strip().strip("\"'").strip()


def find(needle: str, sentence: str, folded: str | None = None) -> tuple[int, int] | None:
    """Where the folded `needle` occurs in `sentence` (folded: `folded`) as whole words, if it does."""
    folded = fold(sentence) if folded is None else folded
    if len(needle) < 2 or needle not in folded:
        return None
    match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded)
    return match.span() if match else None


def plain(evidence: str) -> str:
    """The quiz's evidence as text: tags dropped, entities read, space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", evidence or "")).split())


def article_sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in quotable_spans(text) if e - s <= MAX_SENTENCE_CHARS]


def news_group(qa: dict, results: list[dict], rng: random.Random) -> Group | None:
    """The group of one news question, or None when nothing of it holds the answer."""
    question = qa["question_sentence"].strip()
    choices = [choice_text(c) for c in qa["choices"]]
    right = int(qa["answer"][0])
    correct, wrong = choices[right], [c for i, c in enumerate(choices) if i != right and len(c) >= 2]
    seen, sentences = set(), []
    for result in results:
        if result.get("url") in seen or not result.get("text"):
            continue
        seen.add(result.get("url"))
        sentences.extend(article_sentences(result["text"]))
    sentences = list(dict.fromkeys(sentences))
    folded = {s: fold(s) for s in sentences}
    positives = [Pair(question, s, 1.0, find(correct, s, folded[s])) for s in sentences if find(correct, s, folded[s])]
    evidence = plain(qa.get("evidence", ""))
    if 12 <= len(evidence) <= MAX_SENTENCE_CHARS:
        positives.append(Pair(question, evidence, 1.0, find(correct, evidence)))
    if not positives:
        return None
    others = [s for s in sentences if not find(correct, s, folded[s])]
    holding_wrong = [s for s in others if any(find(w, s, folded[s]) for w in wrong)]
    q_terms = term_set(question)
    plain_others = [s for s in others if s not in holding_wrong]
    covered = [coverage(q_terms, t) for t in term_sets(plain_others)]
    overlap = [s for _, s in sorted(zip(covered, plain_others), key=lambda x: -x[0])]
    rng.shuffle(holding_wrong)
    negatives = list(dict.fromkeys(holding_wrong[:3] + overlap[:GROUP]))[:GROUP - 2]
    rest = [s for s in others if s not in negatives]
    negatives += rng.sample(rest, min(len(rest), GROUP - 1 - len(negatives)))
    positive = rng.choice(positives)
    return Group(qa["question_id"], "news", [positive] + [Pair(question, s, 0.0) for s in negatives])


def news_groups(folder: Path, seed: int = 13) -> dict[str, list[Group]]:
    """Every news question's group, by week (the `YYYYMMDD` of its files)."""
    rng = random.Random(seed)
    weeks: dict[str, list[Group]] = {}
    for qa_file in sorted(folder.glob("*_qa.jsonl")):
        week = qa_file.name[:8]
        results = _search_results(folder, week)
        groups = []
        for line in qa_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                qa = json.loads(line)
                group = news_group(qa, results.get(qa["question_id"], []), rng)
                if group is not None:
                    groups.append(group)
        weeks[week] = groups
    return weeks


def _search_results(folder: Path, week: str) -> dict[str, list[dict]]:
    flat = folder / f"{week}_gcs.jsonl"
    rows = jsonl_rows(flat if flat.is_file() else folder / f"{week}_gcs.jsonl.gz")
    return {r["question_id"]: r.get("search_result") or [] for r in rows}


def squad_groups(path: Path, seed: int = 13) -> dict[str, list[Group]]:
    """Every SQuAD 2.0 question's group, by paragraph ("title/n", n counting the article's paragraphs from 0)."""
    rng = random.Random(seed)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    out: dict[str, list[Group]] = {}
    for article in data:
        for n, paragraph in enumerate(article["paragraphs"]):
            groups = out.setdefault(f"{article['title']}/{n}", [])
            context = paragraph["context"]
            spans = [(s, e) for s, e in sentence_spans(context) if e - s >= 12]
            for qa in paragraph["qas"]:
                group = _squad_group(qa, context, spans, rng)
                if group is not None:
                    groups.append(group)
    return out


def _squad_group(qa: dict, context: str, spans: list[tuple[int, int]], rng: random.Random) -> Group | None:
    question = qa["question"].strip()
    answers = qa.get("plausible_answers") if qa.get("is_impossible") else qa.get("answers")
    if not answers or not spans:
        return None
    start = answers[0]["answer_start"]
    end = start + len(answers[0]["text"])
    holder = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
    if holder is None:
        return None
    s, e = spans[holder]
    others = [context[a:b] for i, (a, b) in enumerate(spans) if i != holder]
    rng.shuffle(others)
    if qa.get("is_impossible"):  # no sentence answers it; the tempting one is the hardest negative
        pairs = [Pair(question, context[s:e], 0.0)] + [Pair(question, o, 0.0) for o in others[:GROUP - 1]]
    else:
        span = (start - s, end - s) if end <= e else None
        pairs = [Pair(question, context[s:e], 1.0, span)] + [Pair(question, o, 0.0) for o in others[:GROUP - 1]]
    return Group(qa["id"], "squad", pairs)
