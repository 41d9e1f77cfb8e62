"""Where the shipped prompts and seeds are: beside the packages in a checkout, inside when installed."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_path(kind: str) -> Path:
    """The `prompts` or `seeds` folder."""
    for candidate in (PACKAGE.parent / kind, PACKAGE / "_data" / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped '{kind}' folder is missing; reinstall the package")
