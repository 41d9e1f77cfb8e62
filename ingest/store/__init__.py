"""The store: a Chroma collection of embedded passages and the lexical index kept in step with
it. Nothing outside this package knows a key, an id format or a folder layout."""

from .chroma import Index
from .connection import (
                         Connection,
                         DamagedIndex,
                         IndexUnavailable,
                         ModelMismatch,
                         NoIndexYet,
                         OutdatedIndex,
                         StoreDown,
                         one_writer,
                         recorded_variant,
)
from .filters import Filters
from .lexical import LexicalIndex, LexicalSnapshot
from .schema import SCHEMA_VERSION, StoredArticle, StoredChunk, chunk_id, day_number, uploads_folder

__all__ = ["SCHEMA_VERSION", "Connection", "DamagedIndex", "Filters", "Index", "IndexUnavailable", "LexicalIndex",
           "LexicalSnapshot", "ModelMismatch", "NoIndexYet", "OutdatedIndex", "StoreDown", "StoredArticle",
           "StoredChunk", "chunk_id", "day_number", "one_writer", "recorded_variant", "uploads_folder"]
