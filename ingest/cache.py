"""Files made once and kept in the user's cache: the assembled GGUF, the exported ONNX model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assistant"


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """A temporary path to write `target` at; it becomes `target` only when the block succeeds,
    so a reader never sees half a file and a failure leaves nothing behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
