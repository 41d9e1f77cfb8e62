"""The reader's candidates on the dev sets, with features and labels, and a scorer fitted to them
across the sets (leave one set out): `python -m assistant.measure.sentences DATASET... --index-root DIR`.

For every question, the passages the answerer is given (the same way `answer()` finds them) are
cut into sentences; each sentence gets the features a reader could weigh and the label "holds
the expected answer". The baseline is the hand-set score (`scorer.hand_set`); the fitted one is
`scorer.fit`, trained on the other sets. Printed: per held-out set and pooled, the share of the
scored questions (as `assistant eval` scores them) whose best shortlisted sentence holds the
answer, and whose best two do. `--out` writes the scorer fitted on every set.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ingest import ingest

from ..answer import Assistant
from ..answering import QuotingAnswerer
from ..answering.extractive import ExtractiveGenerator
from ..answering.rules import READ_PASSAGES, SHORTLIST
from ..answering.scorer import FEATURES, Scorer, fit, lexical_order
from ..settings import load_settings
from .datasets import corpus_beside, load_dataset, write_corpus
from .evaluate import _reference, contains_all


class Recording(ExtractiveGenerator):
    """The extractive generator, keeping what it was last given and the sentences it ranked."""

    def draft(self, question, query, hits, query_vector, time=None):
        self.last, self.last_ranked = (question, query, hits[: self.passages], query_vector), []
        return super().draft(question, query, hits, query_vector, time)

    def ranked(self, question, query, hits, query_vector):
        self.last_ranked = super().ranked(question, query, hits, query_vector)
        return self.last_ranked


def recorded(dataset_path: Path, index_root: Path, passages: int = READ_PASSAGES):
    """The data set, and an assistant over its index (built once under `index_root`, kept) that
    never abstains, with the `Recording` generator it answers by."""
    dataset = load_dataset(dataset_path)
    folder = index_root / dataset.name
    settings = load_settings(data_dir=folder / "index", chroma_host=None, abstain_threshold=-1e9)
    if dataset.records:
        ingest([write_corpus(dataset.records, folder / "corpus")], settings)
    else:
        ingest([corpus_beside(dataset_path)], settings)
    probe = Assistant(settings)
    recording = Recording(probe.embedder, passages=passages)
    assistant = Assistant(settings, answerer=QuotingAnswerer(recording, -1e9), embedder=probe.embedder)
    assistant.warm_up()
    return dataset, assistant, recording


def dump(dataset_path: Path, index_root: Path, out, passages: int = READ_PASSAGES) -> int:
    dataset, assistant, recording = recorded(dataset_path, index_root, passages)
    n = 0
    for q in dataset.questions:
        recording.last = None
        assistant.answer(q.text, as_of=_reference(q, None))
        if recording.last is None or not q.answerable:
            continue
        question, query, hits, vector = recording.last
        candidates, rows = recording.features(question, query, hits, vector, shortlist=None)
        labels = [contains_all(hits[c.hit].passage[c.start:c.end], q.answers) for c in candidates]
        out.write(json.dumps({"set": dataset.name, "id": q.id, "x": rows.tolist(), "y": labels,
                              "scored": q.gold_article is not None or bool(q.hit_phrases)}) + "\n")
        n += 1
    return n


def shortlisted(rows: np.ndarray, hits: np.ndarray, n: int = SHORTLIST) -> np.ndarray:
    """The rows the answerer embeds and scores (`scorer.lexical_order` of their features)."""
    return lexical_order(rows[:, FEATURES.index("coverage")], rows[:, FEATURES.index("typed")], hits, n)


def right_in_top(questions: list[dict], scorer: Scorer, k: int) -> int:
    """How many questions have a sentence holding the answer among the scorer's best k."""
    right = 0
    for q in questions:
        x, y = np.asarray(q["x"]), np.asarray(q["y"], dtype=bool)
        if not len(x):
            continue
        keep = shortlisted(x, x[:, FEATURES.index("rank")])
        best = keep[np.argsort(-scorer.score(x[keep]), kind="stable")[:k]]
        right += bool(y[best].any())
    return right


def fitted(questions: list[dict]) -> Scorer:
    """The scorer fitted on every sentence of the questions, its scale matched on the shortlisted
    ones (those the answerer scores, whose margins and threshold the scale must keep)."""
    pairs = [(np.asarray(q["x"]), np.asarray(q["y"], dtype=float)) for q in questions if q["x"]]
    shortlists = [x[shortlisted(x, x[:, FEATURES.index("rank")])] for x, _ in pairs]
    return fit(pairs, scale_on=np.concatenate(shortlists))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.measure.sentences", description=__doc__)
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--index-root", type=Path, required=True, help="one index per data set, kept and reused")
    parser.add_argument("--rows", type=Path, default=Path("bench/out/sentences.jsonl"))
    parser.add_argument("--reuse", action="store_true", help="fit on the rows written before")
    parser.add_argument("--out", type=Path, help="write the scorer fitted on every set here (JSON)")
    parser.add_argument("--passages", type=int, default=READ_PASSAGES,
                        help=f"passages the reader is given (default {READ_PASSAGES})")
    args = parser.parse_args(argv)
    if not args.reuse:
        args.rows.parent.mkdir(parents=True, exist_ok=True)
        with args.rows.open("w") as out:
            for path in args.datasets:
                print(f"{path}: {dump(path, args.index_root, out, args.passages)} questions", file=sys.stderr)
    questions = [q for q in map(json.loads, args.rows.read_text().splitlines()) if q["scored"]]
    sets = list(dict.fromkeys(q["set"] for q in questions))
    if len(sets) < 2:
        parser.error("leaving one set out needs the rows of two data sets or more; give them all")
    print("Of each held-out set's scored questions, the share whose best (best two) shortlisted sentences "
          "hold the answer:")
    print(f"{'held-out set':<20} {'scored':>6} {'hand-set top1':>13} {'fitted top1':>11} {'hand-set top2':>13} "
          f"{'fitted top2':>11}")
    totals = np.zeros(5, dtype=int)
    for held in sets:
        test = [q for q in questions if q["set"] == held]
        scorer = fitted([q for q in questions if q["set"] != held])
        counts = [len(test), right_in_top(test, Scorer(), 1), right_in_top(test, scorer, 1),
                  right_in_top(test, Scorer(), 2), right_in_top(test, scorer, 2)]
        totals += counts
        print(f"{held:<20} {counts[0]:>6} " + " ".join(f"{c / counts[0]:>{w}.3f}" for c, w in
                                                    zip(counts[1:], (13, 11, 13, 11))))
    print(f"{'all, pooled':<20} {totals[0]:>6} " + " ".join(f"{c / totals[0]:>{w}.3f}" for c, w in
                                                        zip(totals[1:], (13, 11, 13, 11))))
    if args.out:
        args.out.write_text(json.dumps(fitted(questions).to_dict(), indent=1) + "\n")
        print(f"scorer written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
