"""The canonical LangChain tutorial pipeline, run beside ours for comparison.

RecursiveCharacterTextSplitter(1000, 200) -> the same model via langchain-huggingface ->
Chroma.from_documents -> similarity_search. Runnable as a script so its whole-process wall time
can be measured the same way as `assistant ingest`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def load_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def build(records: list[dict], persist: Path, model_path: str):
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=r["text"], metadata={"key": r.get("key") or r.get("url") or str(n)})
            for n, r in enumerate(records)]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(model=model_path)
    store = Chroma.from_documents(splits, embeddings, persist_directory=str(persist))
    return store, len(splits)


def main(argv: list[str]) -> int:
    """peer.py RECORDS.jsonl PERSIST_DIR MODEL_PATH: build the store, print chunks and seconds."""
    started = time.perf_counter()
    _, chunks = build(load_records(Path(argv[0])), Path(argv[1]), argv[2])
    print(json.dumps({"chunks": chunks, "seconds": round(time.perf_counter() - started, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
