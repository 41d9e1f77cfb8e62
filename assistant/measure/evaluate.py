"""`assistant eval`: retrieval and answer quality on a data set, through the same answer() the chat uses."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ingest import ingest
from ingest.loaders import load_file

from ..answer import Assistant
from ..answering.compose import report_day
from ..settings import Settings
from ..types import Hit
from .datasets import Dataset, Question, corpus_beside, load_dataset, write_corpus


@dataclass
class Outcome:
    id: str
    question: str
    answerable: bool
    scored: bool  # counts for retrieval metrics
    rank: int | None  # 1-based rank of the first hit passage within k, if any
    text: str  # the answer that would be given above any threshold
    support: float
    cited: list[str]  # cited passages
    latency_ms: float
    expected: list[list[str]] | None
    first_ms: float = 0.0  # until the first part of the answer was shown
    mode: str = ""  # how the answer was made (Answer.mode)
    shown: int = 0  # sentences of the answer, each with its markers
    faithful: int = 0  # of those, the ones whose figures and names are all in what they cite
    dropped: int = 0  # written sentences the check withheld (an abstention or a bare marker is none)

    def correct(self) -> bool:
        return self.answerable and contains_all(self.text, self.expected)

    def cited_fact(self) -> bool:
        return self.answerable and any(contains_all(p, self.expected) for p in self.cited)


def contains_all(text: str, groups: list[list[str]] | None) -> bool:
    low = text.lower()
    return bool(groups) and all(any(p.lower() in low for p in group) for group in groups)


@dataclass
class Report:
    dataset: str
    questions: int
    threshold: float
    metrics: dict
    curve: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    # Every question's support and whether its answer is right if given: curves of several
    # sets can be pooled at any threshold from these.
    outcomes: list[dict] = field(default_factory=list)


# An independent reading of the shown answer: each sentence with its markers, and the figures and
# names (capitalised words after the first) that must be in the quotes its markers point at.
SHOWN = re.compile(r"(.+?)((?:\s*\[\d+\])+)(?=\s|$)", re.S)
FACT = re.compile(r"\d[\d,.]*\d|\d|[A-Z][\w'’-]*")


def faithful_sentences(answer) -> tuple[int, int]:
    """(sentences shown, sentences whose every figure and name is in the quotes they cite, or in
    the report's date the answer gives with them: "On 2 July 2025: ...")."""
    quotes = {c.n: f"{c.quote} {report_day(c.published) if c.published else ''}".lower() for c in answer.citations}
    shown = faithful = 0
    for m in SHOWN.finditer(answer.text):
        cited = " ".join(quotes.get(int(n), "") for n in re.findall(r"\d+", m.group(2)))
        facts = FACT.findall(m.group(1).strip())[1:] if m.group(1).strip()[:1].isupper() else \
            FACT.findall(m.group(1))
        digits = re.sub(r"[,.]", "", cited)
        shown += 1
        faithful += all((re.sub(r"[,.]", "", f.rstrip(".")) in digits) if f[0].isdigit()
                        else f.lower().removesuffix("'s").removesuffix("’s") in cited for f in facts)
    return shown, faithful


def is_hit(question: Question, hit: Hit, gold_ids: dict[str, str]) -> bool:
    if question.gold_article is not None:
        return hit.article_id == gold_ids.get(question.gold_article)
    low = hit.passage.lower()
    return any(p.lower() in low for p in question.hit_phrases)


def record_ids(dataset: Dataset, corpus_file: Path) -> dict[str, str]:
    """Record key -> the article id ingest gives that record (asked of ingest's own loader)."""
    articles = load_file(corpus_file, corpus_file.parent, 10**10).articles
    return {r["key"]: a.id for r, a in zip(dataset.records, articles, strict=True)}


def run(dataset: Dataset, settings: Settings, k: int = 10, progress: bool = True,
        corpus: Path | list[Path] | None = None, index_dir: Path | None = None,
        as_of: str | None = None) -> tuple[list[Outcome], float]:
    """Every question through search() and answer(); returns outcomes and index-build seconds.

    The data set's corpus is indexed in a temporary folder, or in `index_dir`, where an index
    left by an earlier run is brought up to date (unchanged articles are skipped)."""
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        build = 0.0
        gold_ids: dict[str, str] = {}
        if dataset.records or corpus:
            folder = index_dir or Path(tmp)
            settings = settings.model_copy(update={"data_dir": folder / "index", "chroma_host": None})
            started = time.perf_counter()
            if dataset.records:
                corpus_file = write_corpus(dataset.records, folder / "corpus")
                gold_ids = record_ids(dataset, corpus_file)
                ingest([corpus_file], settings)
            else:
                ingest(corpus if isinstance(corpus, list) else [corpus], settings)
            build = time.perf_counter() - started
        probe = Assistant(settings.model_copy(update={"abstain_threshold": -1e9, "checked_threshold": -1e9}))
        probe.warm_up()
        outcomes = [_ask(probe, q, k, gold_ids, _reference(q, as_of)) for q in _progress(dataset.questions, progress)]
    return outcomes, build


def _progress(items, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="questions", unit="q", leave=False, file=sys.stderr)


def _reference(q: Question, as_of: str | None) -> str | None:
    """The question's reference date: the day it was asked, where the data set says (unless
    `as_of` is "today" or a date), else today."""
    if as_of in (None, "question"):
        return q.asked_on
    return None if as_of == "today" else as_of


def _ask(assistant: Assistant, q: Question, k: int, gold_ids: dict[str, str], as_of: str | None = None) -> Outcome:
    hits = assistant.search(q.text, k=k, as_of=as_of)
    rank = next((i + 1 for i, h in enumerate(hits) if is_hit(q, h, gold_ids)), None)
    started, first = time.perf_counter(), None
    for answer in assistant.stream(q.text, as_of=as_of):
        first = first if first is not None else (time.perf_counter() - started) * 1000
    latency = (time.perf_counter() - started) * 1000
    scored = q.gold_article is not None and q.answerable or bool(q.hit_phrases)
    shown, faithful = faithful_sentences(answer) if not answer.abstained else (0, 0)
    dropped = sum(not d.endswith(("(the model found no answer)", "(says nothing)")) for d in answer.dropped)
    return Outcome(q.id, q.text, q.answerable, scored, rank, answer.text, answer.support,
                   [c.passage for c in answer.citations], latency, q.answers, first, answer.mode, shown,
                   faithful, dropped)


def metrics(outcomes: list[Outcome], threshold: float) -> dict:
    scored = [o for o in outcomes if o.scored]
    ranks = [o.rank for o in scored]
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    answered = [o for o in outcomes if o.support >= threshold]
    abstained = [o for o in outcomes if o.support < threshold]
    right = [o for o in answerable if o.support >= threshold and o.correct()]
    cited = [p for o in answered if o.answerable for p in o.cited]
    cited_right = sum(contains_all(p, o.expected) for o in answered if o.answerable for p in o.cited)

    def share(a, b):
        return round(a / b, 3) if b else None

    def ms(values, q):
        return round(float(np.percentile(values, q)), 1) if values else None

    written = [o for o in answered if o.mode.startswith("written")]
    shown = sum(o.shown for o in answered)
    return {
        "retrieval_questions": len(scored),
        "hit@1": share(sum(r is not None and r <= 1 for r in ranks), len(ranks)),
        "hit@4": share(sum(r is not None and r <= 4 for r in ranks), len(ranks)),
        "hit@10": share(sum(r is not None and r <= 10 for r in ranks), len(ranks)),
        "mrr@10": share(sum(1 / r for r in ranks if r is not None and r <= 10), len(ranks)),
        "answerable": len(answerable),
        "answer_accuracy": share(len(right), len(answerable)),
        "unanswerable": len(unanswerable),
        "abstention_precision": share(sum(not o.answerable for o in abstained), len(abstained)),
        "abstention_recall": share(sum(o.support < threshold for o in unanswerable), len(unanswerable)),
        "overall_accuracy": share(len(right) + sum(o.support < threshold for o in unanswerable), len(outcomes)),
        "citation_precision": share(cited_right, len(cited)),
        # over the questions whose answer occurs in the corpus: the answer's text holds it, a cited passage does
        "scored_answer_accuracy": share(sum(o.answerable and o.support >= threshold and o.correct() for o in scored),
                                        len(scored)),
        "scored_cited_fact": share(sum(o.support >= threshold and o.cited_fact() for o in scored), len(scored)),
        "citation_recall": share(sum(o.cited_fact() for o in right), len(right)),
        "latency_p50_ms": round(float(np.percentile([o.latency_ms for o in outcomes], 50)), 1),
        "latency_p95_ms": round(float(np.percentile([o.latency_ms for o in outcomes], 95)), 1),
        "first_shown_p50_ms": ms([o.first_ms for o in outcomes], 50),
        "first_shown_p95_ms": ms([o.first_ms for o in outcomes], 95),
        "faithful_share": share(sum(o.faithful for o in answered), shown),
        "written_answers": len(written),
        "written_fell_back": sum(o.mode != "written" for o in written),
        "written_dropped_share": share(sum(o.dropped for o in written),
                                       sum(o.dropped + o.shown for o in written if o.mode == "written")),
    }


def curve(outcomes: list[Outcome], steps: int = 21) -> list[dict]:
    """Answerable accuracy vs abstention accuracy as the abstention threshold moves."""
    supports = sorted(o.support for o in outcomes)
    points = sorted({round(float(x), 3) for x in np.quantile(supports, np.linspace(0, 1, steps))})
    rows = []
    for t in points:
        m = metrics(outcomes, t)
        rows.append({"threshold": t, "answer_accuracy": m["answer_accuracy"],
                     "abstention_recall": m["abstention_recall"], "overall_accuracy": m["overall_accuracy"]})
    return rows


def failures(outcomes: list[Outcome], threshold: float) -> list[dict]:
    out = []
    for o in outcomes:
        given = o.text if o.support >= threshold else "(abstained)"
        ok = o.correct() and o.support >= threshold if o.answerable else o.support < threshold
        if not ok:
            out.append({"id": o.id, "question": o.question, "expected": o.expected, "got": given,
                        "support": round(o.support, 4), "rank": o.rank})
    return out


def evaluate(path: Path, settings: Settings, fmt: str | None = None, k: int = 10,
             corpus: Path | list[Path] | None = None, progress: bool = True, index_dir: Path | None = None,
             as_of: str | None = None, sample: int | None = None) -> Report:
    dataset = load_dataset(path, fmt)
    if corpus is None and not dataset.records:
        corpus = corpus_beside(path)
    if sample and sample < len(dataset.questions):
        step = len(dataset.questions) / sample
        dataset.questions = [dataset.questions[int(i * step)] for i in range(sample)]
    for note in dataset.skipped:
        print(f"skipped: {note}", file=sys.stderr)
    started = time.perf_counter()
    outcomes, build = run(dataset, settings, k, progress, corpus, index_dir, as_of)
    threshold = settings.threshold
    m = metrics(outcomes, threshold)
    m.update(index_seconds=round(build, 1), total_seconds=round(time.perf_counter() - started, 1))
    per_question = [{"id": o.id, "answerable": o.answerable, "right": o.correct(), "support": round(o.support, 4),
                     "cited_fact": o.cited_fact(), "scored": o.scored,
                     "rank": o.rank, "latency_ms": round(o.latency_ms, 1), "first_ms": round(o.first_ms, 1),
                     "answer": o.text, "shown": o.shown, "faithful": o.faithful, "dropped": o.dropped}
                    for o in outcomes]
    return Report(dataset.name, len(outcomes), threshold, m, curve(outcomes), failures(outcomes, threshold),
                  per_question)


def main(args, settings: Settings) -> int:
    report = evaluate(args.dataset, settings, args.format, args.k, args.corpus,
                      progress=sys.stderr.isatty(), index_dir=args.index_dir, as_of=args.as_of,
                      sample=args.sample)
    if args.out:
        args.out.write_text(json.dumps(asdict(report), indent=2))
    if args.json:
        print(json.dumps(asdict(report)))
        return 0
    print(f"{report.dataset}: {report.questions} questions, abstention threshold {report.threshold}")
    for key, value in report.metrics.items():
        print(f"  {key:<22} {value}")
    if args.curve:
        print("\n  threshold  answerable_acc  abstention_recall  overall")
        for row in report.curve:
            print(f"  {row['threshold']:>9}  {row['answer_accuracy']!s:>14}  "
                  f"{row['abstention_recall']!s:>17}  {row['overall_accuracy']!s:>7}")
    return 0
