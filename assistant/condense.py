"""Follow-up questions -> standalone queries, using the conversation so far (no LLM needed)."""

from __future__ import annotations

from .rules import WORD, content_words

FOLLOW_UP_OPENERS = ("and ", "what about", "how about", "also", "but ", "so ", "then ", "why?", "how?")
ANAPHORA = {"it", "its", "they", "them", "their", "theirs", "there", "that", "those", "these",
            "this", "he", "him", "his", "she", "her", "hers", "one", "ones", "same"}


def is_follow_up(question: str) -> bool:
    q = question.strip().lower()
    words = [w.lower() for w in WORD.findall(q)]
    if q.startswith(FOLLOW_UP_OPENERS):
        return True
    return bool(ANAPHORA & set(words)) and len(content_words(question)) <= 3


def condense(question: str, history: list[tuple[str, str]] | None) -> str:
    """The question itself, or, for a follow-up, the question plus the topic of the last turn."""
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    previous = condense(history[-1][0], history[:-1])
    have = {w.lower() for w in content_words(question)}
    topic = [w for w in dict.fromkeys(content_words(previous)) if w.lower() not in have]
    if not topic:
        return question
    return f"{question.rstrip(' ?')} ({' '.join(topic)})?"
