"""Token counts, spans and ids of the model's tokenizer: the folder's `tokenizer.json` read by the
tokenizers library (no model loaded), or the loaded model's own."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ModelTokenizer:
    """The loaded sentence-transformers model's tokenizer. It keeps its padding and truncation
    as state, so every use holds `lock` (shared with the torch path's `encode`)."""

    def __init__(self, model, lock: threading.Lock):
        self.model, self.lock = model, lock
        self.max_tokens = int(model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        with self.lock:
            encoded = self.model.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        with self.lock:
            enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in enc["offset_mapping"]]

    def encode(self, texts: list[str]) -> tuple[dict[str, list[list[int]]], int]:
        """Token ids, type ids and attention masks of each text, truncated at the model's limit
        and not padded; and the padding id."""
        with self.lock:
            encoded = self.model.tokenizer(texts, truncation=True, max_length=self.max_tokens, verbose=False)
        return encoded, self.model.tokenizer.pad_token_id or 0


@dataclass(frozen=True)
class FileTokenizer:
    """A model folder's `tokenizer.json` read by the tokenizers library, without loading the
    model: one copy that never truncates (counts, offsets) and one that truncates at the model's
    limit (embedding), both set up once and never changed, so threads share them freely."""

    counting: Any
    embedding: Any
    max_tokens: int
    lower: bool
    pad: int

    @classmethod
    def read(cls, folder: Path) -> FileTokenizer | None:
        """None when the folder lacks `tokenizer.json` or a `max_seq_length` in
        `sentence_bert_config.json` (the limit then comes from the model's own config)."""
        from tokenizers import Tokenizer

        file, config = folder / "tokenizer.json", folder / "sentence_bert_config.json"
        settings = json.loads(config.read_text()) if config.is_file() else {}
        if not file.is_file() or "max_seq_length" not in settings:
            return None
        text = file.read_text()
        counting, embedding = Tokenizer.from_str(text), Tokenizer.from_str(text)
        pad = (embedding.padding or {}).get("pad_id", 0)
        counting.no_truncation()
        counting.no_padding()
        embedding.no_padding()
        embedding.enable_truncation(int(settings["max_seq_length"]))
        return cls(counting, embedding, int(settings["max_seq_length"]), bool(settings.get("do_lower_case")), pad)

    def _cased(self, texts: list[str]) -> list[str]:
        return [t.lower() for t in texts] if self.lower else texts

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.counting.encode_batch(self._cased(texts), add_special_tokens=False)]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [tuple(span) for span in self.counting.encode(self._cased([text])[0], add_special_tokens=False).offsets]

    def encode(self, texts: list[str]) -> tuple[dict[str, list[list[int]]], int]:
        found = self.embedding.encode_batch(self._cased(texts))
        return ({"input_ids": [e.ids for e in found], "token_type_ids": [e.type_ids for e in found],
                 "attention_mask": [e.attention_mask for e in found]}, self.pad)
