"""Near-duplicate articles (one wire story under two URLs): 64-bit SimHash over word shingles."""

from __future__ import annotations

import hashlib

import numpy as np

from .text import plain_words

MAX_DISTANCE = 3  # differing bits out of 64 below which two articles are the same story


def fingerprint(text: str, shingle: int = 3) -> int:
    words = plain_words(text)
    grams = {" ".join(words[i:i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams],
        dtype=np.uint64,
    )
    bits = (hashes[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    weights = 2 * bits.astype(np.int64).sum(axis=0) - len(grams)
    return int(sum(1 << i for i in range(64) if weights[i] > 0))


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class DuplicateFinder:
    """Remembers kept articles' fingerprints and names the kept one a new article repeats."""

    def __init__(self):
        self._kept: dict[int, str] = {}

    def keep(self, article_id: str, print_: int) -> None:
        self._kept[print_] = article_id

    def find(self, article_id: str, print_: int) -> str | None:
        for other, other_id in self._kept.items():
            if other_id != article_id and distance(other, print_) <= MAX_DISTANCE:
                return other_id
        return None
