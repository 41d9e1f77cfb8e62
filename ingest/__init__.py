"""Ingest: folders of news articles, pages and feeds -> a synced store of embedded passages (Chroma and
the lexical index beside it)."""

from .loaders import LoadError
from .models import Article, Passage
from .settings import IngestSettings, load_settings
from .sync import IngestReport, ingest

__all__ = ["Article", "IngestReport", "IngestSettings", "LoadError", "Passage", "ingest", "load_settings"]
