"""Ingest: folders of news articles -> a synced Chroma index of embedded passages."""

from .loaders import LoadError
from .models import Article, Passage
from .settings import IngestSettings, load_settings
from .sync import IngestReport, ingest

__all__ = ["Article", "IngestReport", "IngestSettings", "LoadError", "Passage", "ingest", "load_settings"]
