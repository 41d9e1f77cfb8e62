"""`assistant bench load|api`: figures of a running `assistant serve` under many clients, measured
against a baseline in the same run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ingest.loaders import discover, load_file

from ..prompts import data_path
from ..settings import Settings
from .bench import timed_command


def bench_load(path: Path, settings: Settings, articles: int = 200, late: int = 20, clients: int = 20,
               per_client: int = 10) -> dict:
    """`clients` clients asking `per_client` questions each through a running web chat's /answer
    API, first on their own (the baseline), then while another process ingests `late` new
    articles; then how soon the new articles are answered from."""
    from .datasets import write_records
    from .load import run_load

    found = [a for file, root in discover([path]) for a in load_file(file, root, 10**9).articles]
    if len(found) < articles + late:
        raise FileNotFoundError(f"bench load needs {articles + late} articles under {path}; found {len(found)}")
    records = [{"title": a.title, "text": a.text, "url": a.url, "published": a.published} for a in found]
    with tempfile.TemporaryDirectory(prefix="assistant-load-") as tmp:
        first = write_records(records[:articles], Path(tmp) / "first.jsonl")
        later = write_records(records[articles:articles + late], Path(tmp) / "later.jsonl")
        env = {"ASSISTANT_DATA_DIR": str(Path(tmp) / "index"), "CHROMA_HOST": "", "ASSISTANT_REFRESH_SECONDS": "1"}
        cli = [sys.executable, "-m", "assistant.cli"]
        timed_command([*cli, "ingest", str(first), "--quiet"], env)
        titles = [f"What is reported about {r['title'][:120]}?" for r in records[:articles] if r["title"]]
        asks = [[titles[(c * per_client + i) % len(titles)] for i in range(per_client)] for c in range(clients)]
        with _served(cli, env) as url:
            idle = run_load(url, asks)
            ingesting = subprocess.Popen([*cli, "ingest", str(later), "--quiet"], env={**os.environ, **env},
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            busy = run_load(url, asks)
            ingesting.wait()
            ingested = time.perf_counter()
            late_title = records[articles]["title"]
            # asked with words only the new article holds: its title alone is often too little to answer
            lede = re.split(r"(?<=[.!?])\s", records[articles]["text"].strip())[0]
            probe = f"{late_title[:120]}: {lede[:200]}"
            while time.perf_counter() - ingested < 120:
                answers = run_load(url, [[probe]]).answers
                if answers and any(c["title"] == late_title for c in answers[0][1]["citations"]):
                    break
                time.sleep(0.5)
            fresh = time.perf_counter() - ingested
    return {"articles": articles, "clients": clients, "questions_per_client": per_client,
            "idle": idle.figures(), "while_ingesting": busy.figures(),
            "p95_ratio_while_ingesting": round(busy.figures()["p95_ms"] / max(idle.figures()["p95_ms"], 1e-9), 3),
            "new_article_answered_after_s": round(fresh, 1)}


def bench_api(path: Path | None, settings: Settings, articles: int = 200, clients: int = 20,
              per_client: int = 3) -> dict:
    """`clients` clients streaming chat completions at once through a running server's /v1 with
    the official OpenAI SDK, while two web chat users ask through its /answer API; the baseline
    is as many clients asking the web chat's /answer API on their own, in the same run, about
    other articles (so nothing the API is asked was asked before)."""
    from .datasets import write_records
    from .load import run_api_load, run_load

    source = path or data_path("seeds")
    found = [a for file, root in discover([source]) for a in load_file(file, root, 10**9).articles][:articles]
    records = [{"title": a.title, "text": a.text, "url": a.url, "published": a.published} for a in found]
    with tempfile.TemporaryDirectory(prefix="assistant-api-") as tmp:
        corpus = write_records(records, Path(tmp) / "articles.jsonl")
        env = {"ASSISTANT_DATA_DIR": str(Path(tmp) / "index"), "CHROMA_HOST": ""}
        cli = [sys.executable, "-m", "assistant.cli"]
        timed_command([*cli, "ingest", str(corpus), "--quiet"], env)
        titles = [f"What is reported about {r['title'][:120]}?" for r in records if r["title"]]
        def questions(offset: int) -> list[list[str]]:
            return [[titles[(offset + c * per_client + i) % len(titles)] for i in range(per_client)]
                    for c in range(clients)]

        # The API asks about other articles than the baseline did, so its questions (and, mostly,
        # the sentences it reads) are new to the server, as a client's are.
        asks, api_asks = questions(0), questions(clients * per_client)
        beside = [[titles[-1 - i] for i in range(min(3, len(titles)))] for _ in range(2)]
        with _served(cli, env) as url:
            run_load(url, [asks[0][:1]])  # warm
            baseline = run_load(url, asks)
            api, web, firsts = run_api_load(url, api_asks, beside)
    first = firsts or [0.0]
    return {"articles": len(records), "clients": clients, "questions_per_client": per_client,
            "web_chat_alone": baseline.figures(), "api_streamed": api.figures(),
            "api_first_content_p50_ms": round(float(np.percentile(first, 50)), 1),
            "api_first_content_p95_ms": round(float(np.percentile(first, 95)), 1),
            "web_chat_meanwhile": web.figures(),
            "api_p95_ratio_vs_web_chat_alone": round(api.figures()["p95_ms"] / max(baseline.figures()["p95_ms"], 1e-9),
                                                      3),
            "errors": (api.errors + web.errors)[:5]}


class _served:
    """`assistant serve` on a free loopback port for the duration of a `with`."""

    def __init__(self, cli: list[str], env: dict):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.args, self.env = [*cli, "serve", "--port", str(self.port)], {**os.environ, **env}

    def __enter__(self) -> str:
        import socket

        self.proc = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("assistant serve exited before it listened")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return f"http://127.0.0.1:{self.port}"
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("assistant serve did not listen within 180 s")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
