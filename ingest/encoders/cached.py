"""An encoder that remembers the vectors of the texts it embedded last: the assistant embeds the
same questions and the same sentences of popular articles again and again."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class CachedEncoder:
    """`encoder` with the vectors of the `size` texts embedded last kept (least recently used
    out first); everything else is the encoder's own."""

    def __init__(self, encoder, size: int = 20_000):
        self.encoder, self.size = encoder, size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.encoder.embed(texts)
        with self._lock:
            found = {t: self._kept[t] for t in texts if t in self._kept}
            for text in found:
                self._kept.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            made = self.encoder.embed(missing)
            found.update(zip(missing, made))
            with self._lock:
                for text, vector in zip(missing, made):
                    self._kept[text] = vector
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)
