"""Formats -> Article: txt, md, html, pdf and json/jsonl article records."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .models import Article

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".json", ".jsonl")
TEXT_KEYS = ("text", "content", "body", "article", "maintext")
DATE_KEYS = ("published", "date", "publish_date", "published_at", "date_publish", "pubDate")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?", re.S)


class LoadError(Exception):
    """A file that cannot be read as articles; the message says why and what to do."""


@dataclass
class Loaded:
    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # records skipped inside a readable file


def discover(paths: list[Path], problems: list[tuple[Path, str]] | None = None) -> list[tuple[Path, Path]]:
    """Every file with an article suffix under the given paths, as (file, root) pairs, sorted.
    A folder that cannot be listed is added to `problems` (when given) as (folder, message)
    instead of being skipped in silence; what is not a regular file is left for load_file to refuse."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            found += [(p, path) for p in sorted(_walk(path, problems)) if p.suffix.lower() in SUFFIXES]
        elif path.exists() or path.is_symlink():
            found.append((path, path.parent))
        else:
            raise LoadError(f"{path}: no such file or folder; check the path and try again")
    return found


def _walk(root: Path, problems: list[tuple[Path, str]] | None):
    def unreadable(exc: OSError) -> None:
        if problems is not None:
            problems.append((Path(exc.filename), f"{exc.filename}: the folder cannot be read ({exc.strerror}); "
                             "check its permissions"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        yield from (here / f for f in files if not f.startswith("."))


def load_file(path: Path, root: Path, max_bytes: int) -> Loaded:
    """Read one file into articles, or raise LoadError naming the file and the reason."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise LoadError(f"{path}: unsupported format {suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    data = read_bounded(path, max_bytes)
    if not data.strip():
        raise LoadError(f"{path}: the file is empty")
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if suffix == ".pdf":
        return Loaded([_from_pdf(path, rel, data)])
    text = _decode(path, data)
    if suffix in (".json", ".jsonl"):
        return _from_records(path, rel, text, jsonl=suffix == ".jsonl")
    if suffix in (".html", ".htm"):
        return Loaded([_from_html(path, rel, text)])
    if suffix in (".md", ".markdown"):
        return Loaded([_from_markdown(path, rel, text)])
    return Loaded([_article(path, rel, title=None, text=text)])


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. Devices, FIFOs and sockets are refused
    before they are opened (a FIFO would block, /dev/zero would never end), and never more than
    the limit is read, whatever the size on record says."""
    too_big = f"is over the {max_bytes / 1e6:.0f} MB limit; split it or raise ASSISTANT_MAX_FILE_MB"
    try:
        info = path.stat()  # follows symlinks: what would be read
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(f"{path}: not a regular file (a device, FIFO, socket or folder); "
                            "only article files are read")
        if info.st_size > max_bytes:
            raise LoadError(f"{path}: {info.st_size / 1e6:.1f} MB {too_big}")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from exc
    if len(data) > max_bytes:
        raise LoadError(f"{path}: the file grew while it was read and {too_big}")
    return data


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError(f"{path}: looks like a binary file, not text; convert it to txt, md, html or pdf")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{path}: not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from exc


def _article(path: Path, rel: str, title: str | None, text: str, url=None, published=None) -> Article:
    text = _clean(text)
    if not text:
        raise LoadError(f"{path}: no article text found")
    title = (title or "").strip() or _first_line(text)
    url = (str(url).strip().split("#")[0] or None) if url else None
    return Article(
        id=url or rel,
        title=title,
        text=text,
        source=str(path),
        url=url,
        published=parse_date(published),
    )


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[^\S\n]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line.lstrip("#").strip()[:200]


def parse_date(value) -> str | None:
    """Any common date form (ISO, 2023/09/29, 'Sep 5, 2023', epoch seconds) -> 'YYYY-MM-DD'."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc).date().isoformat()
    from dateutil import parser

    try:
        return parser.parse(str(value).strip(), fuzzy=True).date().isoformat()
    except (ValueError, OverflowError):
        return None


def _from_markdown(path: Path, rel: str, text: str) -> Article:
    meta: dict = {}
    match = FRONT_MATTER.match(text)
    if match:
        import yaml

        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"{path}: front matter is not valid YAML ({exc}); fix or remove it") from exc
        if not isinstance(meta, dict):
            raise LoadError(f"{path}: front matter must be a mapping of keys to values")
        text = text[match.end():]
    heading = re.search(r"^#\s+(.+)$", text, re.M)
    title = meta.get("title") or (heading.group(1) if heading else None)
    published = next((meta[k] for k in DATE_KEYS if meta.get(k)), None)
    return _article(path, rel, title, text, meta.get("url") or meta.get("canonical_url"), published)


def _from_html(path: Path, rel: str, html: str) -> Article:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, favor_recall=True
        )
    except Exception as exc:  # trafilatura raises many types on broken markup
        raise LoadError(f"{path}: HTML could not be parsed ({exc})") from exc
    if doc is None or not (doc.text or "").strip():
        raise LoadError(f"{path}: no article text found in the HTML")
    return _article(path, rel, doc.title, doc.text, doc.url, doc.date)


def _from_pdf(path: Path, rel: str, data: bytes) -> Article:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
        meta = reader.metadata or {}
        title = meta.get("/Title")
        created = reader.metadata.creation_date if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"{path}: not a readable PDF ({exc})") from exc
    if not text.strip():
        raise LoadError(f"{path}: the PDF has no extractable text (scanned images need OCR first)")
    return _article(path, rel, str(title) if title else None, text, None, created)


def _from_records(path: Path, rel: str, text: str, jsonl: bool) -> Loaded:
    loaded = Loaded()
    if jsonl:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                loaded.problems.append(f"{path}: line {n} is not valid JSON ({exc.msg})")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); fix the file") from exc
        records = [(f"record {n}", r) for n, r in enumerate(_record_list(data), 1)]
    for n, (where, record) in enumerate(records):
        try:
            loaded.articles.append(_from_record(path, f"{rel}#{n}", record))
        except LoadError as exc:
            loaded.problems.append(f"{path}: {where}: {exc}")
    if not loaded.articles:
        reason = "; ".join(loaded.problems[:3]) or "no records"
        raise LoadError(f"{path}: no article records could be read ({reason})")
    return loaded


def _record_list(data) -> list:
    if isinstance(data, dict):
        for key in ("articles", "data", "items", "results", "records"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    return data if isinstance(data, list) else [data]


def _from_record(path: Path, rid: str, record) -> Article:
    if not isinstance(record, dict):
        raise LoadError("a record must be a JSON object with a text field")
    body = next((record[k] for k in TEXT_KEYS if isinstance(record.get(k), str) and record[k].strip()), None)
    if body is None:
        raise LoadError(f"no text field (one of {', '.join(TEXT_KEYS)})")
    published = next((record[k] for k in DATE_KEYS if record.get(k)), None)
    return _article(path, rid, record.get("title"), body, record.get("url") or record.get("link"), published)
