"""The library behind the web chat: list, upload (ingest) and remove articles."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ingest import ingest
from ingest.loaders import SUFFIXES, LoadError, load_file
from ingest.store import one_writer, uploads_folder

from ..answer import Assistant
from ..answering.compose import shown_path

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
         "source": a.url or shown_path(a.article_id), "chunks": a.chunks}
        for a in stored.values()
    ]
    return sorted(rows, key=lambda r: (r["published"], r["title"]), reverse=True)


def feeds(assistant: Assistant) -> list[dict]:
    """What is followed, with its last poll and last error."""
    from ingest.follow import followed

    return [{"url": url, "kind": state.get("kind", ""), "last_poll": state.get("last_poll", "not yet"),
             "last_error": state.get("last_error") or "", "entries": state.get("entries", "")}
            for url, state in sorted(followed(assistant.settings.data_dir).items())]


def follow(assistant: Assistant, url: str):
    """Follow a feed or page: poll it now, ingest what it holds, and keep it for the next polls."""
    from ingest.follow import poll

    report = poll(assistant.settings, [url], embedder=assistant.embedder)
    assistant.refresh()
    return report


def unfollow(assistant: Assistant, url: str) -> bool:
    from ingest.follow import remove

    return remove(assistant.settings.data_dir, url)


def upload(assistant: Assistant, files: list[str | Path], max_mb: float, progress=None) -> UploadResult:
    """Read each upload first, keep the readable ones in the library folder under safe names, and
    ingest them; a file that cannot be read never reaches the folder or the index."""
    result = UploadResult()
    folder = uploads_dir(assistant)
    saved: list[Path] = []
    for file in map(Path, files):
        name = safe_name(file.name)
        if Path(name).suffix.lower() not in SUFFIXES:
            result.errors.append(f"{name}: not an accepted format; upload {', '.join(SUFFIXES)}")
            continue
        try:
            load_file(file, file.parent, int(max_mb * 1e6))
        except LoadError as exc:
            result.errors.append(str(exc).replace(str(file), name))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, folder / name)
        saved.append(folder / name)
    if saved:
        report = ingest(saved, assistant.settings, embedder=assistant.embedder, on_progress=progress)
        result.errors += [e.replace(str(folder) + "/", "") for e in report.errors]
        result.duplicates += list(report.duplicate_of)
        result.added += [p.name for p in saved]
        assistant.refresh()  # the uploader's next question sees them
    return result


def remove(assistant: Assistant, article_id: str) -> bool:
    with one_writer(assistant.settings):  # what is stored is read after any other writer
        stored = assistant.index.articles().get(article_id)
        if stored is None:
            return False
        assistant.index.remove(article_id)
        assistant.index.commit()
    assistant.refresh()
    source = Path(stored.source)
    if source.is_relative_to(uploads_dir(assistant)) and not any(
        a.source == stored.source for a in assistant.index.articles().values()
    ):
        source.unlink(missing_ok=True)
    return True


def uploads_dir(assistant: Assistant) -> Path:
    return uploads_folder(assistant.settings.data_dir)
