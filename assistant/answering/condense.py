"""Follow-up questions -> standalone queries, using the conversation so far: by rule, or, when a
language model answers, written by the model and kept only when it still asks about the
conversation's words."""

from __future__ import annotations

from ingest.text import WORD, content_words

from ..prompts import render

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


def condense_by_model(model, question: str, history: list[tuple[str, str]] | None) -> str:
    """A follow-up rewritten by the model as one standalone question (the rule's rewrite when the
    model's is empty, long, or shares no word with the question and the conversation)."""
    by_rule = condense(question, history)
    if model is None or not history or not is_follow_up(question):
        return by_rule
    turns = "\n".join(f"user: {q}\nassistant: {a[:300]}" for q, a in history[-3:])
    reply = "".join(model.write(render("condense", history=turns, question=question.strip()).strip(), 60))
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    rewritten = lines[0].removeprefix("Standalone question:").strip() if lines else ""
    known = {w.lower() for w in content_words(" ".join([question, *[q for q, _ in history[-3:]]]))}
    if not rewritten or len(rewritten) > 300 or not known & {w.lower() for w in content_words(rewritten)}:
        return by_rule
    return rewritten
