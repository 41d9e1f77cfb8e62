"""Follow-up questions -> standalone queries, using the conversation so far (no LLM needed)."""

from __future__ import annotations

import re

WORD = re.compile(r"[\w'’-]+")
FOLLOW_UP_OPENERS = ("and ", "what about", "how about", "also", "but ", "so ", "then ", "why?", "how?")
ANAPHORA = {"it", "its", "they", "them", "their", "theirs", "there", "that", "those", "these",
            "this", "he", "him", "his", "she", "her", "hers", "one", "ones", "same"}
STOP = {
    "a", "an", "the", "and", "or", "but", "so", "then", "also", "of", "in", "on", "at", "to",
    "for", "from", "by", "with", "about", "as", "is", "are", "was", "were", "be", "been", "do",
    "does", "did", "has", "have", "had", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "many", "much", "there", "it", "its", "they", "them", "their", "that",
    "those", "these", "this", "he", "him", "his", "she", "her", "can", "could", "would",
    "should", "will", "any", "some", "more", "most", "other", "tell", "me", "us", "we", "you",
    "i", "my", "our", "your", "please", "not", "no", "yes", "if", "than", "too", "very",
}


def content_words(text: str) -> list[str]:
    words = [w.strip("'’-") for w in WORD.findall(text)]
    return [w for w in words if w and w.lower() not in STOP]


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
