"""Who did what: a written sentence that gives an act (saying, rejecting, demanding, ousting ...)
to another actor than the evidence gives it to is a misattribution ("The junta ... rejected the
idea of a departure", where the evidence says the French government did)."""

from __future__ import annotations

import re

from ingest.text import STOP, bare_name, words

ACTS = ("said", "says", "say", "told", "tell", "stated", "state", "announc", "report", "writ", "reveal", "reject",
        "refus", "demand",
        "denounc", "oust", "accus", "want", "asked", "ask", "call", "claim", "confirm", "den", "condemn", "warn",
        "urg", "order", "sign", "approv", "agree", "threaten", "launch", "arrest", "kill", "won", "win",
        "elect", "appoint", "fire", "resign", "recall", "withdr", "expel", "ban", "suspend", "renounc")
ACT = re.compile(r"\b(?:" + "|".join(ACTS) + r")\w*\b", re.I)
# Where the clause holding an act begins: the actor is the words between it and the act.
CLAUSE = re.compile(r"[,;:()\"“”]|\b(?:because|and|but|while|whereas|although|though|that|which|who|since|as|after|"
                    r"before|when|if)\b", re.I)
RELATIVE = {"who", "which", "that"}
PRONOUNS = {"he", "she", "it", "they", "we", "i", "you", "them", "him", "her", "this", "that", "these", "those",
            "one", "who", "which"}
FILLER = {"also", "so", "far", "still", "already", "meanwhile", "however", "nevertheless", "earlier", "later",
          "now", "then", "reportedly", "newly", "appointed", "has", "have", "had", "will", "would", "is", "are",
          "was", "were", "be", "been", "not", "never", "again", "first", "once", "finally", "repeatedly"}


def _stem(verb: str) -> str:
    low = verb.lower()
    return next((a for a in ACTS if low.startswith(a)), low)


def _actor(text: str, at: int) -> set[str]:
    """The content words of who does the act at `at`: the words of its clause before it."""
    before = text[:at]
    marks = list(CLAUSE.finditer(before))
    clause = before[marks[-1].end():] if marks else before
    found = [w for w in words(clause) if w.lower() not in STOP and w.lower() not in FILLER]
    if not found and marks and marks[-1].group(0).lower() in RELATIVE:  # "the military who ousted": the military
        start = marks[-2].end() if len(marks) > 1 else 0
        found = [w for w in words(before[start:marks[-1].start()]) if w.lower() not in STOP | FILLER]
    if any(w.lower() in PRONOUNS for w in words(clause)) and not found:
        return {"<pronoun>"}
    return {bare_name(w) for w in found}


def acts(text: str) -> list[tuple[str, set[str]]]:
    """(the act's stem, who does it) for each act the text reports; a pronoun actor is read as
    the actor of the text's first act."""
    out: list[tuple[str, set[str]]] = []
    for m in ACT.finditer(text):
        actor = _actor(text, m.start())
        if actor == {"<pronoun>"}:
            actor = next((a for _, a in out if a and a != {"<pronoun>"}), set())
        out.append((_stem(m.group(0)), actor))
    return out


REPORTING = {"said", "says", "say", "told", "tell", "stated", "state", "announc", "claim", "confirm", "warn", "call",
             "report", "writ", "reveal", "accus", "den", "demand"}  # the acts (ACTS) that report something
ASKED_REPORT = re.compile(r"^\s*what\s+(?:did|does|do|has|have|had)\s+(?P<who>.+?)\s+(?:say|said|report|tell|told|"
                          r"announce|claim|state|write|reveal|confirm|add|insist|argue|explain|warn|note|demand|"
                          r"accuse|deny)\b", re.I)


def reporter_asked(question: str) -> set[str]:
    """Who the question asks what they said ("What did Le Monde report?": le, monde), or nothing."""
    m = ASKED_REPORT.search(question)
    if not m:
        return set()
    return {bare_name(w) for w in words(m.group("who")) if w.lower() not in STOP | FILLER}


def reports(text: str, who: set[str]) -> bool:
    """Whether the text has `who` report something (an act of saying done by them)."""
    return any(act in REPORTING and actor & who for act, actor in acts(text))


def others_act(text: str, who: set[str]) -> bool:
    """Whether the text gives acts to actors it names, none of them `who`."""
    named = [actor for _, actor in acts(text) if actor]
    return bool(named) and not any(actor & who for actor in named)


def misattributed(sentence: str, evidence: list[str]) -> str | None:
    """The act the sentence gives to an actor the evidence does not give it to (the evidence
    naming who does that same act), or None."""
    theirs = [(act, actor) for text in evidence for act, actor in acts(text) if actor]
    for act, actor in acts(sentence):
        if not actor:
            continue
        same = [a for other, a in theirs if other == act]
        if same and not any(actor & a for a in same):
            return act
    return None
