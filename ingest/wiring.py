"""The pieces ingest and the assistant both build from settings, chosen in one place."""

from __future__ import annotations

from .encoders import Encoder, encoder_from_settings
from .settings import IngestSettings
from .store import recorded_variant


def encoder_for(settings: IngestSettings, short_texts: bool = False) -> Encoder:
    """The encoder the settings ask for; the "auto" variant follows the one the index was built
    with; `short_texts` for the assistant's, which embeds questions and sentences."""
    return encoder_from_settings(settings.encoder, recorded_variant(settings), short_texts)
