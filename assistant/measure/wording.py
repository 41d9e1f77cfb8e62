"""Whether wording changes the answer: the project's own set of facts, each asked in several
wordings, over short articles written for it and the shipped seeds (`bench/wording/`), plus
questions naming what the articles do not have. A fact counts as right only when every one of
its wordings is answered right; an unanswerable question only when the assistant abstains.

    python -m assistant.measure.wording [--out FILE]    (ASSISTANT_READER=rules for the old reader)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from ..settings import Settings, load_settings
from .evaluate import evaluate

HOME = Path(__file__).resolve().parents[2]
WORDING = HOME / "bench" / "wording"
SEEDS = HOME / "seeds"


def fact_of(question_id: str) -> str:
    return question_id.rsplit("/", 1)[0]


def right(row: dict, threshold: float) -> bool:
    """An eval report's row is right when answered right (support reaching `threshold`), or, for
    a question the articles do not answer, abstained on."""
    answered = row["support"] >= threshold
    return row["right"] and answered if row["answerable"] else not answered


def by_fact(outcomes: list[dict], threshold: float) -> dict:
    """Facts right in every wording, wordings right, and unanswerables abstained, from an eval report's rows."""
    facts: dict[str, list[dict]] = defaultdict(list)
    for row in outcomes:
        facts[fact_of(row["id"])].append(dict(row, right=right(row, threshold)))
    answerable = {f: rows for f, rows in facts.items() if rows[0]["answerable"]}
    unanswerable = [row for f, rows in facts.items() if not rows[0]["answerable"] for row in rows]
    every = sorted(f for f, rows in answerable.items() if all(r["right"] for r in rows))
    wordings = [r for rows in answerable.values() for r in rows]
    return {"facts": len(answerable), "facts_right_in_every_wording": len(every),
            "share": round(len(every) / max(len(answerable), 1), 3),
            "wordings": len(wordings), "wordings_right": sum(r["right"] for r in wordings),
            "unanswerable": len(unanswerable), "abstained": sum(r["right"] for r in unanswerable),
            "facts_missed": sorted(set(answerable) - set(every))}


def measure(settings: Settings, folder: Path = WORDING, seeds: Path = SEEDS) -> tuple[dict, object]:
    report = evaluate(folder / "qa.json", settings, "qa", corpus=[folder / "corpus", seeds], progress=False)
    return by_fact(report.outcomes, report.threshold), report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.measure.wording", description=__doc__)
    parser.add_argument("--out", type=Path, help="write the whole eval report here")
    args = parser.parse_args(argv)
    figures, report = measure(load_settings())
    if args.out:
        args.out.write_text(json.dumps(asdict(report), indent=2))
    for key, value in figures.items():
        print(f"  {key:<30} {value}")
    for row in report.outcomes:
        if right(row, report.threshold):
            continue
        shown = row["answer"][:110] if row["support"] >= report.threshold else \
            f"(abstained at {row['support']:.2f}) {row['answer'][:80]}"
        print(f"  wrong  {row['id']:<26} {shown!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
