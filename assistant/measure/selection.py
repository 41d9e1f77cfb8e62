"""The language model as a selector, measured on the dev sets: `python -m assistant.measure.selection
DATASET... --index-root DIR [--model qwen2.5-0.5b] [--every K]`.

For every scored question (answerable, its answer in the corpus) the reader's best sentences (the
`--candidates` the selector would show) are shown to the model in one prompt, as
`answering.selector.Selector` shows them, and the share the model gives each is kept with the
sentence's score and whether it holds the expected answer (`--rows`, JSON lines). Printed: per
set and pooled, the share of scored questions whose best sentence holds the answer when the
scores are mixed with the model's shares at each weight (weight 0 is the reader alone), the
share with such a sentence among those shown (the ceiling), and the time the model took per
question. `--reuse` prints from the rows written before.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ..answering import Selector
from ..answering.selector import SELECT_CANDIDATES, mixed
from ..models import LocalModel
from .evaluate import _reference, contains_all
from .sentences import recorded

WEIGHTS = (0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0, 100.0)


def dump(dataset_path: Path, index_root: Path, selector: Selector, out, every: int = 1) -> int:
    dataset, assistant, recording = recorded(dataset_path, index_root)
    n = 0
    for q in dataset.questions[::every]:
        recording.last = None
        assistant.answer(q.text, as_of=_reference(q, None))
        scored = q.answerable and (q.gold_article is not None or bool(q.hit_phrases))
        if recording.last is None or not scored:
            continue
        question, _, hits, _ = recording.last
        shown = recording.last_ranked[: selector.candidates]
        texts = [hits[x.hit].passage[x.start:x.end] for x in shown]
        began = time.perf_counter()
        shares = selector.shares(question, [(hits[x.hit].title or "", t) for x, t in zip(shown, texts)])
        seconds = time.perf_counter() - began
        labels = [contains_all(t, q.answers) for t in texts]
        out.write(json.dumps({"set": dataset.name, "id": q.id, "scored": scored,
                              "scores": [x.score for x in shown], "shares": [float(s) for s in shares],
                              "labels": labels, "seconds": seconds}) + "\n")
        out.flush()
        n += 1
    return n


def best_holds(row: dict, weight: float) -> bool:
    if not row["scores"]:
        return False
    return bool(row["labels"][int(np.argmax(mixed(row["scores"], row["shares"], weight)))])


def report(rows: list[dict]) -> None:
    scored = [r for r in rows if r["scored"]]
    sets = list(dict.fromkeys(r["set"] for r in scored)) + ["all, pooled"]
    print("Of each set's scored questions, the share whose best sentence holds the answer, by the weight "
          "of the model's choice (0: the reader alone; 100: the model alone); 'shown' is the share with "
          "such a sentence among those the model saw.")
    print(f"{'set':<20} {'scored':>6} " + " ".join(f"{'w=' + format(w, 'g'):>7}" for w in WEIGHTS) + f" {'shown':>6}")
    for name in sets:
        part = scored if name == "all, pooled" else [r for r in scored if r["set"] == name]
        cells = [np.mean([best_holds(r, w) for r in part]) for w in WEIGHTS]
        shown = np.mean([any(r["labels"]) for r in part])
        print(f"{name:<20} {len(part):>6} " + " ".join(f"{c:>7.3f}" for c in cells) + f" {shown:>6.3f}")
    seconds = np.array([r["seconds"] for r in rows])
    print(f"model time per question: p50 {np.percentile(seconds, 50):.2f} s, p95 {np.percentile(seconds, 95):.2f} s "
          f"({len(rows)} questions)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.measure.selection", description=__doc__)
    parser.add_argument("datasets", nargs="*", type=Path)
    parser.add_argument("--index-root", type=Path, help="one index per data set, kept and reused")
    parser.add_argument("--model", default="qwen2.5-0.5b", help="a shipped model's name or a GGUF file")
    parser.add_argument("--candidates", type=int, default=SELECT_CANDIDATES)
    parser.add_argument("--every", type=int, default=1, help="ask every K-th question of each set")
    parser.add_argument("--rows", type=Path, default=Path("bench/out/selection.jsonl"))
    parser.add_argument("--reuse", action="store_true", help="print from the rows written before")
    args = parser.parse_args(argv)
    if not args.reuse:
        if not args.datasets or args.index_root is None:
            parser.error("give the data sets and --index-root, or --reuse")
        selector = Selector(LocalModel(args.model), candidates=args.candidates)
        args.rows.parent.mkdir(parents=True, exist_ok=True)
        with args.rows.open("w") as out:
            for path in args.datasets:
                print(f"{path}: {dump(path, args.index_root, selector, out, args.every)} questions", file=sys.stderr)
    report([json.loads(line) for line in args.rows.read_text().splitlines()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
