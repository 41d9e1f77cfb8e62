"""The abstention curve pooled over several data sets, from the reports `assistant eval SET --out
REPORT.json` wrote: `python -m assistant.measure.pooled REPORT.json...`.

Each report holds every question's support and whether its answer, if given, is right; at each
threshold a question is answered when its support reaches it. Printed per threshold: each set's
overall accuracy (answerable questions answered right, unanswerable ones abstained on) and the
pooled one over all questions, so that one threshold is chosen for every kind of set at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def right_at(question: dict, threshold: float) -> bool:
    answered = question["support"] >= threshold
    return answered and question["right"] if question["answerable"] else not answered


def pooled_curve(reports: list[dict], thresholds: list[float]) -> list[dict]:
    rows = []
    for t in thresholds:
        per_set = {r["dataset"]: sum(right_at(q, t) for q in r["outcomes"]) / len(r["outcomes"]) for r in reports}
        every = [q for r in reports for q in r["outcomes"]]
        rows.append({"threshold": t, **{k: round(v, 3) for k, v in per_set.items()},
                     "pooled": round(sum(right_at(q, t) for q in every) / len(every), 3)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.measure.pooled", description=__doc__)
    parser.add_argument("reports", nargs="+", type=Path, help="JSON reports of `assistant eval --out`")
    parser.add_argument("--step", type=float, default=0.05)
    args = parser.parse_args(argv)
    reports = []
    for path in args.reports:
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, ValueError) as e:
            print(f"{path}: not a report of `assistant eval --out` ({e})", file=sys.stderr)
            return 2
    thresholds = [round(i * args.step, 3) for i in range(int(round(1 / args.step)) + 1)]
    rows = pooled_curve(reports, thresholds)
    names = [r["dataset"] for r in reports]
    print("threshold " + " ".join(f"{n:>18}" for n in names) + f" {'pooled':>8}")
    for row in rows:
        print(f"{row['threshold']:>9} " + " ".join(f"{row[n]:>18}" for n in names) + f" {row['pooled']:>8}")
    best = max(rows, key=lambda r: (r["pooled"], -r["threshold"]))
    print(f"best pooled: {best['pooled']} at {best['threshold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
