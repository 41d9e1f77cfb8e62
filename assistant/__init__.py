"""A chat assistant over a news archive: answers that cite the passages they rest on."""

from .answer import Assistant, QuestionError, answer, search, stream
from .types import Answer, Citation, Hit

__all__ = ["Answer", "Assistant", "Citation", "Hit", "QuestionError", "answer", "search", "stream"]
