"""`assistant bench ingest|query|scale|peer`: speed and memory figures, as ratios measured in one run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ingest.embedder import Embedder
from ingest.loaders import discover, load_file
from ingest.settings import Settings
from ingest.sync import make_chunker, passage_texts

from .answer import Assistant


def machine(embedder: Embedder) -> dict:
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


def chunk_texts(path: Path, settings: Settings, embedder: Embedder) -> tuple[int, list[str]]:
    """The texts ingest would embed for the articles under `path`."""
    chunker = make_chunker(embedder, settings)
    articles = [a for file, root in discover([path]) for a in load_file(file, root, 10**9).articles]
    return len(articles), [t for a in articles for t in passage_texts(embedder, a, chunker.chunk(a))]


def encode_rate(embedder: Embedder, texts: list[str]) -> float:
    """Texts per second the embedder encodes, warmed up first."""
    embedder.embed(texts[:32])
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def bench_ingest(path: Path, settings: Settings, sample: int = 1500) -> dict:
    embedder = Embedder.from_settings(settings)
    articles, texts = chunk_texts(path, settings, embedder)
    probe = texts[:sample]
    raw_rate = encode_rate(embedder, probe)
    torch_rate = raw_rate if embedder.backend == "torch" else encode_rate(
        Embedder(embedder.model_path, embedder.batch_size, embedder.precision, "torch"), probe)
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        cli = [sys.executable, "-m", "assistant.cli", "--data-dir", str(Path(tmp) / "index"), "ingest",
               str(path), "--json", "--quiet"]
        first_wall, out = timed_command(cli)
        summary = json.loads(out.strip().splitlines()[-1])
        again_wall, _ = timed_command(cli)
        peer_wall, peer_out = timed_command([sys.executable, "-m", "assistant.peer", str(_as_jsonl(path, tmp)),
                                            str(Path(tmp) / "peer"), str(embedder.model_path)])
    peer = json.loads(peer_out.strip().splitlines()[-1])
    rate = summary["chunks"] / summary["seconds"]
    return {
        "articles": articles, "chunks": summary["chunks"], "ingest_seconds": summary["seconds"],
        "ingest_wall_seconds": round(first_wall, 1), "chunks_per_second": round(rate, 1),
        "raw_encode_chunks_per_second": round(raw_rate, 1), "throughput_ratio": round(rate / raw_rate, 3),
        "embedder_backend": embedder.backend, "torch_encode_chunks_per_second": round(torch_rate, 1),
        "encode_ratio_vs_torch": round(raw_rate / torch_rate, 3),
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


def warmed(settings: Settings, questions: list[str]) -> Assistant:
    """An assistant with its models loaded and a few questions answered, ready to be timed."""
    assistant = Assistant(settings)
    assistant.warm_up()
    for q in questions[:5]:
        assistant.answer(q)
    return assistant


def bench_query(path: Path | None, settings: Settings) -> dict:
    from .datasets import load_dataset

    questions = [q.text for q in load_dataset(path).questions] if path else [
        "How many French soldiers are in Niger?", "Who is the French ambassador?",
        "How much debt does Niger have?", "Where are the French bases?", "Who won the World Cup?"] * 20
    assistant = warmed(settings, questions)
    result = {"chunks": assistant.index.count(), "backend": assistant.embedder.backend,
              "answer": latency(assistant.answer, questions),
              "search": latency(lambda q: assistant.search(q, k=10), questions)}
    if assistant.embedder.backend != "torch":
        # The same questions with torch running the embedding model: the baseline of the ratio.
        baseline = warmed(settings.model_copy(update={"embed_backend": "torch"}), questions)
        result["answer_torch"] = latency(baseline.answer, questions)
        result["answer_p95_ratio_vs_torch"] = round(result["answer"]["p95_ms"] / result["answer_torch"]["p95_ms"], 3)
    return result


def bench_scale(path: Path, settings: Settings, sizes=(1_000, 10_000, 100_000)) -> dict:
    from .scale import synthetic_index

    embedder = Embedder.from_settings(settings)
    _, texts = chunk_texts(path, settings, embedder)
    base_texts = texts[:1000]
    base = embedder.embed(base_texts)
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="assistant-scale-") as tmp:
            local = settings.model_copy(update={"data_dir": Path(tmp), "chroma_host": None})
            build = synthetic_index(local, embedder, base_texts, base, size)
            assistant = Assistant(local, embedder=embedder)
            before = rss_mb()
            started = time.perf_counter()
            assistant.refresh()
            bm25_seconds = time.perf_counter() - started
            questions = [t.split(".")[0][:200] for t in base_texts[:60]]
            timing = latency(lambda q: assistant.search(q, k=10), questions)
            rows.append({"chunks": size, "build_seconds": round(build, 1), "bm25_build_seconds": round(bm25_seconds, 2),
                         "search_p50_ms": timing["p50_ms"], "search_p95_ms": timing["p95_ms"],
                         "rss_mb": round(rss_mb(), 0), "bm25_rss_delta_mb": round(rss_mb() - before, 0)})
    return {"rows": rows}


def bench_peer(path: Path, settings: Settings) -> dict:
    from .scale import peer_comparison

    return peer_comparison(path, settings)


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
    runners = {"ingest": bench_ingest, "query": bench_query, "scale": bench_scale, "peer": bench_peer}
    if args.what != "query" and args.path is None:
        raise FileNotFoundError(f"bench {args.what} needs a PATH of articles or a data set")
    embedder = Embedder.from_settings(settings)
    info = machine(embedder)
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    result = runners[args.what](args.path, settings)
    print(f"bench {args.what}:")
    print_table(args.what, result)
    out = args.out or Path("bench/out") / f"{args.what}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "bench": args.what, "path": str(args.path), **result}, indent=2))
    print(f"figures written to {out}")
    return 0
