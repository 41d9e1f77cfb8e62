"""Many clients asking a running web chat's `/answer` API at once: the load behind `bench load`
and the live-archive tests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx
import numpy as np


class ApiError(RuntimeError):
    """The API answered with an error, or not at all."""


def ask(client: httpx.Client, base_url: str, question: str, since: str = "", until: str = "") -> dict:
    """One call of the web chat's /answer API (Gradio's two-step call: submit, then read the result)."""
    submitted = client.post(f"{base_url}/gradio_api/call/answer", json={"data": [question, since, until, ""]})
    submitted.raise_for_status()
    event = submitted.json()["event_id"]
    body = client.get(f"{base_url}/gradio_api/call/answer/{event}").text
    kind, data = None, None
    for line in body.splitlines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
    if kind != "complete" or data is None:
        raise ApiError(f"/answer gave {kind or 'nothing'}: {(data or body)[:300]}")
    result = json.loads(data)[0]
    if "error" in result:
        raise ApiError(f"/answer refused {question!r}: {result['error']}")
    return result


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answers: list[tuple[str, dict]] = field(default_factory=list)
    seconds: float = 0.0

    def figures(self) -> dict:
        lat = self.latencies_ms or [0.0]
        return {"requests": len(self.latencies_ms) + len(self.errors), "errors": len(self.errors),
                "p50_ms": round(float(np.percentile(lat, 50)), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
                "max_ms": round(max(lat), 1), "seconds": round(self.seconds, 1)}


def run_load(base_url: str, questions: list[list[str]], timeout: float = 120.0) -> LoadResult:
    """One thread per client, each asking its questions in turn; every answer and error is kept."""
    result = LoadResult()
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        with httpx.Client(timeout=timeout) as http:
            for question in mine:
                started = time.perf_counter()
                try:
                    answer = ask(http, base_url, question)
                except (ApiError, httpx.HTTPError, ValueError, KeyError) as exc:
                    with lock:
                        result.errors.append(f"{question}: {exc}")
                    continue
                with lock:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    result.answers.append((question, answer))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(mine,)) for mine in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def ask_streamed(client, question: str) -> tuple[float, str, int]:
    """One streamed chat completion through the OpenAI-compatible API with the official SDK:
    (ms to the first content, the answer, its annotations)."""
    started, first, text, notes = time.perf_counter(), None, "", 0
    for chunk in client.chat.completions.create(model="archive", stream=True,
                                                messages=[{"role": "user", "content": question}]):
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            first = first if first is not None else (time.perf_counter() - started) * 1000
            text += delta.content
        notes += len((delta.model_extra or {}).get("annotations") or [])
    return first or 0.0, text, notes


def run_api_load(base_url: str, questions: list[list[str]], beside: list[list[str]] | None = None,
                 timeout: float = 120.0) -> tuple[LoadResult, LoadResult, list[float]]:
    """One thread per client streaming its questions through /v1 in turn, while `beside` clients
    ask the web chat's /answer API; returns the API's result, the web chat's, and the API's times
    to the first content."""
    from openai import OpenAI

    api, web, firsts = LoadResult(), LoadResult(), []
    lock = threading.Lock()
    done = threading.Event()

    def client(mine: list[str]) -> None:
        sdk = OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=timeout)
        for question in mine:
            started = time.perf_counter()
            try:
                first, text, _ = ask_streamed(sdk, question)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and named
                with lock:
                    api.errors.append(f"{question}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                api.latencies_ms.append((time.perf_counter() - started) * 1000)
                firsts.append(first)
                api.answers.append((question, {"text": text}))

    def chat(mine: list[str]) -> None:
        with httpx.Client(timeout=timeout) as http:
            while not done.is_set():
                for question in mine:
                    started = time.perf_counter()
                    try:
                        ask(http, base_url, question)
                    except (ApiError, httpx.HTTPError, ValueError, KeyError) as exc:
                        with lock:
                            web.errors.append(f"{question}: {exc}")
                        continue
                    with lock:
                        web.latencies_ms.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    chatting = [threading.Thread(target=chat, args=(mine,)) for mine in beside or []]
    threads = [threading.Thread(target=client, args=(mine,)) for mine in questions]
    for t in chatting + threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in chatting:
        t.join()
    api.seconds = web.seconds = time.perf_counter() - started
    return api, web, firsts
