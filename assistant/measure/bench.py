"""`assistant bench ingest|query|scale|peer`: speed and memory figures, as ratios measured in one run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from ingest.encoders import Encoder, open_encoder
from ingest.loaders import discover, load_file
from ingest.store import Connection, Filters, LexicalIndex, LexicalSnapshot
from ingest.sync import make_chunker, passage_texts
from ingest.wiring import encoder_for

from ..answer import Assistant
from ..settings import Settings


def machine(embedder: Encoder) -> dict:
    import torch

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cores": os.cpu_count(), "cpu": cpu, "torch_threads": torch.get_num_threads(),
            "model": embedder.name, "backend": embedder.backend, "precision": embedder.precision,
            "python": platform.python_version()}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_command(args: list[str], env: dict | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def chunk_texts(path: Path, settings: Settings, embedder: Encoder) -> tuple[int, list[str]]:
    """The texts ingest would embed for the articles under `path`."""
    chunker = make_chunker(embedder, settings.chunking)
    articles = [a for file, root in discover([path]) for a in load_file(file, root, 10**9).articles]
    return len(articles), [t for a in articles for t in passage_texts(embedder, a, chunker.chunk(a))]


def encode_rate(embedder: Encoder, texts: list[str]) -> float:
    """Texts per second the embedder encodes, warmed up first."""
    embedder.embed(texts[:32])
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def bench_ingest(path: Path, settings: Settings, sample: int = 1500) -> dict:
    embedder = encoder_for(settings)
    articles, texts = chunk_texts(path, settings, embedder)
    probe = texts[:sample]
    raw_rate = encode_rate(embedder, probe)
    torch_rate = raw_rate if embedder.backend == "torch" else encode_rate(
        open_encoder(embedder.model_path, embedder.batch_size, embedder.precision, "torch"), probe)
    full_rate = raw_rate if embedder.variant == "full" else encode_rate(
        open_encoder(embedder.model_path, embedder.batch_size, embedder.precision, "onnx"), probe)
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        cli = [sys.executable, "-m", "assistant.cli", "--data-dir", str(Path(tmp) / "index"), "ingest",
               str(path), "--json", "--quiet"]
        first_wall, out = timed_command(cli)
        summary = json.loads(out.strip().splitlines()[-1])
        again_wall, _ = timed_command(cli)
        peer_wall, peer_out = timed_command([sys.executable, "-m", "assistant.measure.peer", str(_as_jsonl(path, tmp)),
                                            str(Path(tmp) / "peer"), str(embedder.model_path)])
    peer = json.loads(peer_out.strip().splitlines()[-1])
    rate = summary["chunks"] / summary["seconds"]
    return {
        "articles": articles, "chunks": summary["chunks"], "ingest_seconds": summary["seconds"],
        "ingest_wall_seconds": round(first_wall, 1), "chunks_per_second": round(rate, 1),
        "raw_encode_chunks_per_second": round(raw_rate, 1), "throughput_ratio": round(rate / raw_rate, 3),
        "embedder_backend": embedder.backend, "torch_encode_chunks_per_second": round(torch_rate, 1),
        "encode_ratio_vs_torch": round(raw_rate / torch_rate, 3), "embedder_variant": embedder.variant,
        "encode_ratio_vs_full": round(raw_rate / full_rate, 3),
        "reingest_wall_seconds": round(again_wall, 1), "reingest_ratio": round(again_wall / first_wall, 3),
        "peer_chunks": peer["chunks"], "peer_wall_seconds": round(peer_wall, 1),
        "wall_ratio_vs_peer": round(first_wall / peer_wall, 3),
    }


def _as_jsonl(path: Path, tmp: str) -> Path:
    """The peer reads article records: a JSONL file as it is, anything else loaded and written out."""
    if path.suffix == ".jsonl":
        return path
    out = Path(tmp) / "peer-input.jsonl"
    with out.open("w") as f:
        for file, root in discover([path]):
            for a in load_file(file, root, 10**9).articles:
                f.write(json.dumps({"key": a.id, "title": a.title, "text": a.text}) + "\n")
    return out


def latency(fn, questions: list[str]) -> dict:
    times = []
    for q in questions:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1),
            "n": len(times)}


def warmed(settings: Settings, questions: list[str], cached: bool = True) -> Assistant:
    """An assistant with its models loaded and a few questions answered, ready to be timed;
    `cached=False`: without the vectors it keeps, so each question is timed as if new."""
    assistant = Assistant(settings, embedder=None if cached else encoder_for(settings, short_texts=True))
    assistant.warm_up()
    for q in questions[:5]:
        assistant.answer(q)
    return assistant


def bench_query(path: Path | None, settings: Settings) -> dict:
    from .datasets import load_dataset

    questions = [q.text for q in load_dataset(path).questions] if path else [
        "How many French soldiers are in Niger?", "Who is the French ambassador?",
        "How much debt does Niger have?", "Where are the French bases?", "Who won the World Cup?"] * 20
    assistant = warmed(settings, questions, cached=False)
    result = {"chunks": assistant.index.count(), "backend": assistant.embedder.backend,
              "answer": latency(assistant.answer, questions),
              "search": latency(lambda q: assistant.search(q, k=10), questions)}
    kept = warmed(settings, questions)  # as served: vectors kept; the questions asked once, then again
    latency(kept.answer, questions)
    result["answer_asked_again"] = latency(kept.answer, questions)
    if assistant.embedder.backend != "torch":
        # The same questions with torch running the embedding model: the baseline of the ratio.
        baseline = warmed(settings.model_copy(update={"embed_backend": "torch"}), questions, cached=False)
        result["answer_torch"] = latency(baseline.answer, questions)
        result["answer_p95_ratio_vs_torch"] = round(result["answer"]["p95_ms"] / result["answer_torch"]["p95_ms"], 3)
    return result


def bench_scale(path: Path, settings: Settings, sizes=(1_000, 10_000, 100_000)) -> dict:
    """Search latency and memory as the archive grows, what loading the lexical index saved beside
    the store costs another process, and what another process's one-article ingest costs: in all,
    after its embedding, and in the lexical update (against building the lexical index whole, as
    every write did before it was updated by what changed), and the first questions after it (that
    process saves the new generation; the running assistant loads it)."""
    from .scale import serving_rss_mb, synthetic_index

    embedder = encoder_for(settings)
    _, texts = chunk_texts(path, settings, embedder)
    base_texts = texts[:1000]
    base = embedder.embed(base_texts)
    questions = [t.split(".")[0][:200] for t in base_texts[:60]]
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="assistant-scale-") as tmp:
            local = settings.model_copy(update={"data_dir": Path(tmp) / "index", "chroma_host": None})
            build = synthetic_index(local, embedder, base_texts, base, size)
            assistant = Assistant(local, embedder=embedder)
            started = time.perf_counter()
            built = LexicalSnapshot.build(assistant.index, assistant.index.generation())
            bm25_seconds = time.perf_counter() - started
            del built
            assistant.refresh()  # loads what the commit of the synthetic index saved
            loaded = LexicalIndex(assistant.index)  # as every other process of this data dir does
            tracemalloc.start()
            started = time.perf_counter()
            loaded.rebuild()
            lexical_load_seconds = time.perf_counter() - started
            loaded.snapshot.search(questions[0], 10, Filters())  # and what searching keeps
            heap_mb = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
            mapped_mb = sum(f.stat().st_size for f in (loaded.folder / loaded.snapshot.base_name).iterdir()
                            if f.suffix == ".npy") / 2**20
            loaded = None
            timing = latency(lambda q: assistant.search(q, k=10), questions)
            after_ingest = _first_questions_after_an_ingest(assistant, local, Path(tmp), questions)
            assistant = None  # its lexical index too
            Connection.close(local)  # this size's vectors leave memory before the next is built
            after_ingest["update_vs_build"] = round(after_ingest["lexical_update_s"] / bm25_seconds, 4)
            rows.append({"chunks": size, "build_seconds": round(build, 1), "lexical_build_s": round(bm25_seconds, 2),
                         "lexical_load_seconds": round(lexical_load_seconds, 3),
                         "search_p50_ms": timing["p50_ms"], "search_p95_ms": timing["p95_ms"],
                         **after_ingest, "lexical_heap_mb": round(heap_mb, 1),
                         "lexical_mapped_mb": round(mapped_mb, 1),
                         "serving_rss_mb": round(serving_rss_mb(local.data_dir, questions[:10]), 0)})
    return {"rows": rows}


def _first_questions_after_an_ingest(assistant: Assistant, settings: Settings, tmp: Path,
                                     questions: list[str]) -> dict:
    """Another process ingests one article; the next questions are timed at once, and how long
    the running assistant takes to answer from the new article."""
    from .scale import ingest_in_a_process

    article = tmp / "late.md"
    article.write_text("---\ndate: 2024-02-01\n---\nThe Quorvath lighthouse was restored by 23 volunteers.\n")
    ingest_seconds, parts = ingest_in_a_process(settings.data_dir, article)
    ingested = time.perf_counter()
    first = []
    for q in questions[:10]:
        started = time.perf_counter()
        assistant.answer(q)
        first.append((time.perf_counter() - started) * 1000)
    while not any("Quorvath" in h.passage for h in assistant.search("Quorvath lighthouse volunteers", k=3)):
        if time.perf_counter() - ingested > 300:
            break
        time.sleep(0.1)
    return {"ingest_one_article_s": round(ingest_seconds, 1),  # the whole process: start, model, embedding
            "after_embedding_s": round(parts["write"] + parts["commit"], 3),  # storing and the lexical update
            "lexical_update_s": round(parts["advance"], 3),
            "first_answer_after_ingest_ms": round(first[0], 1),
            "max_of_10_after_ingest_ms": round(max(first), 1),
            "new_article_found_after_s": round(time.perf_counter() - ingested, 1)}


def bench_orders(path: Path, settings: Settings) -> dict:
    """False positives of the planted-order filter on real news: how many sentences and articles
    of a data set's corpus (or a folder of articles) it would withhold, with examples."""
    from ingest.text import sentences

    from ..answering.sources import addresses_the_assistant
    from .datasets import load_dataset

    if path.is_dir() and ((path / "queries.json").exists() or any(path.glob("*_gcs.jsonl"))):
        texts = [r["text"] for r in load_dataset(path).records]
    else:
        texts = [a.text for file, root in discover([path]) for a in load_file(file, root, 10**9).articles]
    flagged, articles, total = [], 0, 0
    for text in texts:
        found = [s for s in sentences(text) if addresses_the_assistant(s)]
        total += len(sentences(text))
        articles += bool(found) or addresses_the_assistant(text)
        flagged += found
    return {"articles": len(texts), "sentences": total, "flagged_sentences": len(flagged),
            "flagged_articles": articles, "flagged_sentence_share": round(len(flagged) / max(total, 1), 6),
            "examples": flagged[:5]}


def bench_peer(path: Path, settings: Settings, index_dir: Path | None = None) -> dict:
    from .scale import peer_comparison

    return peer_comparison(path, settings, index_dir)


def print_table(what: str, result: dict) -> None:
    if "rows" in result:
        keys = list(result["rows"][0])
        print("  ".join(f"{k:>18}" for k in keys))
        for row in result["rows"]:
            print("  ".join(f"{row[k]!s:>18}" for k in keys))
        return
    for key, value in result.items():
        print(f"  {key:<30} {value}")


def main(args, settings: Settings) -> int:
    from .served import bench_api, bench_load

    runners = {"ingest": bench_ingest, "query": bench_query, "scale": bench_scale, "peer": bench_peer,
               "load": bench_load, "api": bench_api, "orders": bench_orders}
    if args.what not in ("query", "api") and args.path is None:
        raise FileNotFoundError(f"bench {args.what} needs a PATH of articles or a data set")
    embedder = encoder_for(settings)
    info = machine(embedder)
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    if args.what == "peer":
        result = bench_peer(args.path, settings, getattr(args, "index_dir", None))
    else:
        result = runners[args.what](args.path, settings)
    print(f"bench {args.what}:")
    print_table(args.what, result)
    out = args.out or Path("bench/out") / f"{args.what}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "bench": args.what, "path": str(args.path), **result}, indent=2))
    print(f"figures written to {out}")
    return 0
