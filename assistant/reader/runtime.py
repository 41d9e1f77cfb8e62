"""The trained reader at run time: the shipped ONNX graph (int8) and its tokenizer, read by ONNX
Runtime. For a question and sentences it gives, for each, the probability that the sentence
holds the answer and where in it the answer's phrase lies. Nothing loads before the first use."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("weights")
MAX_TOKENS = 128  # question and sentence together, in training and here
QUESTION_TOKENS = 48  # the question's share at most
LONGEST_PHRASE = 24  # tokens an answer's phrase may span
BATCH = 64


@dataclass(frozen=True)
class Reading:
    holds: float  # the probability that the sentence holds the answer
    phrase: tuple[int, int] | None  # the answer's characters in the sentence


class Reader:
    """The reader at `folder` (model.onnx, tokenizer.json, card.json)."""

    def __init__(self, folder: Path = WEIGHTS, threads: int = 0):
        self.folder = Path(folder)
        self.threads = threads
        self._session = self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                model = self.folder / "model.onnx"
                if not model.is_file():
                    raise FileNotFoundError(f"the reader's weights {model} are missing; rebuild them with "
                                            "`assistant train reader`, or reinstall the package")
                import onnxruntime
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")  # as in training
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                self._tokenizer = tokenizer
                self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        return self._session, self._tokenizer

    @property
    def card(self) -> dict:
        path = self.folder / "card.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def holds(self, question: str, sentences: list[str]) -> np.ndarray:
        return np.array([r.holds for r in self.read(question, sentences)])

    def read(self, question: str, sentences: list[str]) -> list[Reading]:
        if not sentences:
            return []
        session, tokenizer = self._load()
        question = self._cut(tokenizer, question)
        out: list[Reading] = []
        for i in range(0, len(sentences), BATCH):
            out.extend(self._batch(session, tokenizer, question, sentences[i:i + BATCH]))
        return out

    @staticmethod
    def _cut(tokenizer, question: str) -> str:
        encoding = tokenizer.encode(question, add_special_tokens=False)
        if len(encoding.ids) <= QUESTION_TOKENS:
            return question
        return question[: encoding.offsets[QUESTION_TOKENS - 1][1]]

    @staticmethod
    def _batch(session, tokenizer, question: str, sentences: list[str]) -> list[Reading]:
        encodings = tokenizer.encode_batch([(question, s) for s in sentences])
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(encodings):
            n = len(e.ids)
            ids[i, :n], mask[i, :n], types[i, :n] = e.ids, e.attention_mask, e.type_ids
        holds, start, end = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        probability = 1 / (1 + np.exp(-holds))
        return [Reading(float(p), _phrase(s, t, e)) for p, s, t, e in zip(probability, start, end, encodings)]


def _phrase(start: np.ndarray, end: np.ndarray, encoding) -> tuple[int, int] | None:
    """The likeliest (first, last) sentence tokens, as characters of the sentence."""
    tokens = [t for t, s in enumerate(encoding.sequence_ids) if s == 1]
    if not tokens:
        return None
    first = np.array(tokens)
    s, e = start[first], end[first]
    pairs = s[:, None] + e[None, :]
    allowed = np.triu(np.ones_like(pairs, dtype=bool)) & ~np.triu(np.ones_like(pairs, dtype=bool), LONGEST_PHRASE)
    pairs = np.where(allowed, pairs, -np.inf)
    a, b = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
    return encoding.offsets[tokens[a]][0], encoding.offsets[tokens[b]][1]


@lru_cache(maxsize=2)
def shipped_reader(folder: Path = WEIGHTS) -> Reader:
    """The reader shipped with the assistant, shared by every answer path of the process."""
    return Reader(folder)
