"""The library behind the web chat: list, upload (ingest) and remove articles."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ingest import ingest
from ingest.loaders import SUFFIXES

from .answer import Assistant

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass
class UploadResult:
    added: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def safe_name(name: str) -> str:
    """A file name with no directory part, no path tricks and no odd characters."""
    base = Path(name.replace("\\", "/")).name
    base = SAFE_NAME.sub("_", base).strip(" .") or "upload"
    return base[:120]


def articles(assistant: Assistant) -> list[dict]:
    stored = assistant.index.articles()
    rows = [
        {"article_id": a.article_id, "title": a.title, "published": a.published or "",
         "source": a.url or a.source, "chunks": a.chunks}
        for a in stored.values()
    ]
    return sorted(rows, key=lambda r: (r["published"], r["title"]), reverse=True)


def upload(assistant: Assistant, files: list[str | Path], max_mb: float, progress=None) -> UploadResult:
    """Copy uploaded files into the library folder under safe names and ingest them."""
    result = UploadResult()
    folder = uploads_dir(assistant)
    saved: list[Path] = []
    for file in files:
        file = Path(file)
        name = safe_name(file.name)
        if Path(name).suffix.lower() not in SUFFIXES:
            result.errors.append(f"{name}: not an accepted format; upload {', '.join(SUFFIXES)}")
            continue
        size = file.stat().st_size
        if size > max_mb * 1e6:
            result.errors.append(f"{name}: {size / 1e6:.1f} MB is over the {max_mb:g} MB upload limit")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        shutil.copyfile(file, target)
        saved.append(target)
    if not saved:
        return result
    report = ingest(saved, assistant.settings, embedder=assistant.embedder, on_progress=progress)
    failed = {str(p) for p in saved if any(str(p) in e for e in report.errors)}
    for path in saved:
        if str(path) in failed:
            path.unlink(missing_ok=True)  # a failed upload leaves nothing behind
    result.errors += [e.replace(str(folder) + "/", "") for e in report.errors]
    result.duplicates += list(report.duplicate_of)
    result.added += [p.name for p in saved if str(p) not in failed]
    return result


def remove(assistant: Assistant, article_id: str) -> bool:
    stored = assistant.index.articles().get(article_id)
    if stored is None:
        return False
    assistant.index.remove(article_id)
    assistant.index.bump_generation(assistant.index.metadata.get("chunker", ""))
    source = Path(stored.source)
    if source.is_relative_to(uploads_dir(assistant)) and not any(
        a.source == stored.source for a in assistant.index.articles().values()
    ):
        source.unlink(missing_ok=True)
    return True


def uploads_dir(assistant: Assistant) -> Path:
    return (assistant.settings.data_dir / "uploads").resolve()
