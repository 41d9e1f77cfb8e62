"""The reader's candidates on the dev sets, with features and labels, and a scorer fitted to them
across the sets (leave one set out): `python -m assistant.measure.sentences DATASET... --index-root DIR`.

For every question, the passages the answerer is given (the same way `answer()` finds them) are
cut into sentences; each sentence gets the features a reader could weigh and the label "holds
the expected answer". The baseline is today's hand-set score; the fitted one is a logistic
regression over the features. Printed: per held-out set, the share of questions (with at least
one sentence holding the answer) whose best-scored sentence holds it, and whose best two do.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np

from ingest import ingest
from ingest.text import term_set, term_sets

from ..answer import Assistant
from ..answering import QuotingAnswerer
from ..answering.extractive import ExtractiveGenerator
from ..answering.rules import (
    MIN_SENTENCE_CHARS,
    TYPED_BONUS,
    answer_type,
    coverage,
    has_type,
    missing_names,
    negation_unmatched,
    sentence_score,
)
from ..settings import load_settings
from .datasets import corpus_beside, load_dataset, write_corpus
from .evaluate import _reference, contains_all

FEATURES = ["dense", "coverage", "typed", "title_coverage", "context_coverage", "rank", "lede", "position",
            "age", "undated", "grounded", "negation", "length", "baseline"]


class Recording(ExtractiveGenerator):
    """The extractive generator, keeping what it was last given."""

    def draft(self, question, query, hits, query_vector, time=None):
        self.last = (question, query, hits, query_vector, time)
        return super().draft(question, query, hits, query_vector, time)


def features(embedder, question: str, query: str, hits, vector, time, passages: int = 4):
    """(hit index, start, end) and the feature rows of every sentence of the first passages."""
    from ingest.text import sentence_spans

    hits = hits[:passages]
    spans = [(h, s, e) for h, hit in enumerate(hits) for s, e in sentence_spans(hit.passage)
             if e - s >= MIN_SENTENCE_CHARS]
    if not spans:
        return [], np.zeros((0, len(FEATURES)))
    texts = [hits[h].passage[s:e] for h, s, e in spans]
    q_terms, wants = term_set(query), answer_type(question)
    terms = term_sets(texts)
    titles = term_sets([hits[h].title for h, _, _ in spans])
    dense = embedder.embed(texts) @ vector
    rows = []
    for i, ((h, s, e), text) in enumerate(zip(spans, texts)):
        hit = hits[h]
        typed = has_type(text, wants, question)
        context = terms[i] | (terms[i - 1] if i and spans[i - 1][0] == h else set()) | titles[i]
        days = (time.as_of - date.fromisoformat(hit.published)).days if hit.published and time else 0
        covered = coverage(q_terms, terms[i])
        rows.append([float(dense[i]), covered, typed, coverage(q_terms, terms[i] | titles[i]),
                     coverage(q_terms, context), h, float(hit.start + s == 0 or (i == 0 and hit.chunks == (0,))),
                     math.log1p((hit.start + s) / 100), math.log1p(max(days, 0)), float(not hit.published),
                     float(bool(missing_names(query, f"{hit.title}\n{hit.passage}"))),
                     float(negation_unmatched(question, text)), math.log1p(len(text)),
                     sentence_score(float(dense[i]), covered + TYPED_BONUS * typed)])
    return spans, np.array(rows, dtype=np.float64)


def dump(dataset_path: Path, index_root: Path, out) -> int:
    dataset = load_dataset(dataset_path)
    folder = index_root / dataset.name
    settings = load_settings(data_dir=folder / "index", chroma_host=None, abstain_threshold=-1e9)
    if dataset.records:
        ingest([write_corpus(dataset.records, folder / "corpus")], settings)
    else:
        ingest([corpus_beside(dataset_path)], settings)
    probe = Assistant(settings)
    recording = Recording(probe.embedder)
    assistant = Assistant(settings, answerer=QuotingAnswerer(recording, -1e9), embedder=probe.embedder)
    assistant.warm_up()
    n = 0
    for q in dataset.questions:
        recording.last = None
        assistant.answer(q.text, as_of=_reference(q, None))
        if recording.last is None or not q.answerable:
            continue
        question, query, hits, vector, time = recording.last
        spans, rows = features(assistant.embedder, question, query, hits, vector, time)
        labels = [contains_all(hits[h].passage[s:e], q.answers) for h, s, e in spans]
        out.write(json.dumps({"set": dataset.name, "id": q.id, "x": rows.tolist(), "y": labels}) + "\n")
        n += 1
    return n


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 500) -> tuple[np.ndarray, float, np.ndarray,
                                                                                      np.ndarray]:
    """A logistic regression on standardised features, by gradient descent."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= 0.5 * float(np.mean(p - y))
    return w, b, mean, scale


def top_share(questions, score, k: int = 1) -> float | None:
    """Among questions with a sentence holding the answer: the share whose best k hold one."""
    asked = [(np.asarray(q["x"]), np.asarray(q["y"], dtype=bool)) for q in questions if any(q["y"])]
    if not asked:
        return None
    right = sum(bool(y[np.argsort(-score(x), kind="stable")[:k]].any()) for x, y in asked)
    return round(right / len(asked), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.measure.sentences", description=__doc__)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--index-root", type=Path, required=True, help="one index per data set, kept and reused")
    parser.add_argument("--rows", type=Path, default=Path("bench/out/sentences.jsonl"))
    parser.add_argument("--reuse", action="store_true", help="fit on the rows written before")
    parser.add_argument("--out", type=Path, help="write the scorer fitted on every set here (JSON)")
    args = parser.parse_args(argv)
    if not args.reuse:
        args.rows.parent.mkdir(parents=True, exist_ok=True)
        with args.rows.open("w") as out:
            for path in args.datasets:
                print(f"{path}: {dump(path, args.index_root, out)} questions", file=sys.stderr)
    questions = [json.loads(line) for line in args.rows.read_text().splitlines()]
    sets = sorted({q["set"] for q in questions})
    base = FEATURES.index("baseline")
    print(f"{'held-out set':<20} {'questions':>9} {'today top1':>10} {'fitted top1':>11} {'today top2':>10} "
          f"{'fitted top2':>11}")
    for held in sets:
        train = [q for q in questions if q["set"] != held and q["x"]]
        test = [q for q in questions if q["set"] == held]
        x = np.concatenate([np.asarray(q["x"]) for q in train])
        y = np.concatenate([np.asarray(q["y"], dtype=float) for q in train])
        w, b, mean, scale = fit(np.delete(x, base, axis=1), y)

        def fitted(rows, w=w, b=b, mean=mean, scale=scale):
            return (np.delete(rows, base, axis=1) - mean) / scale @ w + b

        def today(rows):
            return rows[:, base]

        print(f"{held:<20} {sum(any(q['y']) for q in test):>9} {top_share(test, today)!s:>10} "
              f"{top_share(test, fitted)!s:>11} {top_share(test, today, 2)!s:>10} {top_share(test, fitted, 2)!s:>11}")
    if args.out:
        x = np.concatenate([np.asarray(q["x"]) for q in questions if q["x"]])
        y = np.concatenate([np.asarray(q["y"], dtype=float) for q in questions if q["x"]])
        w, b, mean, scale = fit(np.delete(x, base, axis=1), y)
        names = [f for f in FEATURES if f != "baseline"]
        args.out.write_text(json.dumps({"features": names, "weights": w.round(5).tolist(), "bias": round(b, 5),
                                        "mean": mean.round(5).tolist(), "scale": scale.round(5).tolist()}, indent=1))
        print(f"scorer written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
