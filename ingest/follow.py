"""Following feeds and pages: what is followed, and what each poll saw of it (its validators,
the entries already seen, when it was last polled and its last error), is kept in the data dir,
so a poll fetches only what is new: a conditional GET for each feed, no page fetched again for
an entry already indexed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .settings import IngestSettings
from .store.schema import follow_file
from .sync import IngestReport, ingest


def load_state(data_dir: Path) -> dict[str, dict]:
    path = follow_file(data_dir)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_state(data_dir: Path, state: dict[str, dict]) -> None:
    path = follow_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(partial, path)  # whole or not at all


def followed(data_dir: Path) -> dict[str, dict]:
    """Every followed URL with its state."""
    return load_state(data_dir)


def add(data_dir: Path, urls: list[str]) -> None:
    state = load_state(data_dir)
    for url in urls:
        state.setdefault(url, {"since": time.strftime("%Y-%m-%dT%H:%M:%S")})
    save_state(data_dir, state)


def remove(data_dir: Path, url: str) -> bool:
    state = load_state(data_dir)
    if url not in state:
        return False
    del state[url]
    save_state(data_dir, state)
    return True


def poll(settings: IngestSettings, urls: list[str] | None = None, embedder=None, fetcher=None) -> IngestReport:
    """Poll the URLs (default: every followed one) once and ingest what is new; the state of
    each is saved whatever happened, so a failure is retried at the next poll."""
    data_dir = Path(settings.data_dir)
    if urls:
        add(data_dir, urls)
    state = load_state(data_dir)
    targets = list(urls or state)
    report = ingest(targets, settings, embedder=embedder, feed_state=state, fetcher=fetcher)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    latest = load_state(data_dir)  # another poll may have added URLs meanwhile
    for url in targets:
        latest[url] = {**latest.get(url, {}), **report.feeds.get(url, {}), "last_poll": stamp}
        latest[url].pop("unchanged", None)
    save_state(data_dir, latest)
    return report
