"""Flatten RealTime QA's search results into one-article-per-line JSONL for `assistant bench ingest`.

The articles belong to their publishers: they are read from where they lie and written to
bench/data/ (ignored by git), never into the project.

    python bench/realtimeqa_to_jsonl.py ../shared/eval/realtimeqa-dev bench/data/realtimeqa.jsonl
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.measure.datasets import load_realtimeqa, write_records  # noqa: E402

if __name__ == "__main__":
    source, target = (sys.argv[1:3] if len(sys.argv) > 2
                      else ("../shared/eval/realtimeqa-dev", "bench/data/realtimeqa.jsonl"))
    records = load_realtimeqa(Path(source)).records
    print(f"{len(records)} articles -> {write_records(records, Path(target))}")
