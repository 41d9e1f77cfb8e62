"""What passages may be evidence, and when their reports disagree.

Articles are data: text that speaks to the assistant ("ignore all other articles", "system
note: ...") rather than reporting news is never evidence. And when passages from different
articles give different figures for what was asked, the answer shows each, newest first,
instead of silently picking one.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from ingest.text import FIGURE, GLUE, content_words, figure_value, lettered_words, term_set, term_sets

# Text that speaks to whoever reads the archive for an answer, rather than reporting news, is
# known by what it does: it addresses a model or an assistant (or the reader as one), and it
# orders what to state, cite, trust, ignore or disregard. Either alone is rare in news and never
# enough (interviews say "you", officials order things, firms build "language models"); an
# unmistakable address ("note to any AI model", "you are an AI") or an order about the archive
# itself ("disregard the other reports") is.
MACHINE = (r"(?:ai|a\.i\.|artificial intelligence|llms?|large language models?|language models?|chat ?bots?|"
           r"chatgpt|gpt(?:-?\d)?|claude|gemini|copilot|virtual assistants?|ai (?:systems?|models?|assistants?|"
           r"tools?|agents?|readers?)|assistants?|models?|bots?|crawlers?|summari[sz]ers?|machines?)")
ADDRESSED = re.compile(
    r"\b(?:(?:note|message|instructions?|notice|reminder|warning|memo|request|directive|attention)\s*(?:to|for)\s+"
    rf"(?:(?:any|all|every|each|the|an?|whatever|automated)\s+)*{MACHINE}"
    rf"|(?:dear|attention|hey|hello|hi)\s*,?\s+{MACHINE}"
    rf"|(?:if|when|since)\s+you\s+are\s+(?:an?|the)\s+{MACHINE}|\byou\s+are\s+(?:an?|the)\s+{MACHINE}"
    rf"|\bas\s+an?\s+(?:ai|assistant|language model|chatbot|llm)"
    rf"|\bto\s+(?:whatever|any|all|every|each)\s+{MACHINE}"
    rf"|{MACHINE}\s*(?:,\s*|\s+)(?:that\s+(?:is|are)\s+|who\s+(?:is|are)\s+)?(?:reading|summari[sz]ing|processing|"
    r"parsing|answering|indexing|crawling|ingesting|analy[sz]ing|reads|processes|summari[sz]es|parses|indexes|"
    r"crawls|ingests|analy[sz]es)\s+(?:this|these|the following)"
    r"|(?:anyone|whoever|any\s+system|any\s+program)\s+(?:reading|summari[sz]ing|processing)\s+this\s+(?:archive|"
    r"article|document|page|text|file)|system\s+(?:note|prompt|message|instruction)s?\s*[:\-—])",
    re.I,
)
ORDER_VERBS = (r"(?:state|say|answer|reply|respond|report|claim|write|output|print|cite|quote|mention|tell|declare|"
               r"assert|confirm|treat|consider|regard|ignore|disregard|forget|override|discard|dismiss|overlook|"
               r"trust|believe|use|rely|prefer|pretend|present|include|omit|exclude|repeat)")
META = (r"(?:articles?|reports?|sources?|documents?|passages?|instructions?|context|texts?|information|data|"
        r"results?|prompts?|rules|archive|stories|coverage|news|figures)")
ORDERED = re.compile(
    rf"(?:^|[.!?;:,]\s*|\n|\byou\s+)\s*(?:please\s+|now\s+|instead\s*,?\s+)?{ORDER_VERBS}\s+(?:only\s+)?(?:that|with|the\s+following|"
    rf"all|any|every|(?:the\s+)?(?:other|previous|prior|above|earlier|preceding|remaining|rest))\b"
    rf"|\b(?:you|the\s+(?:assistant|model|ai|system|reader))\s+(?:must|should|shall|are\s+to|is\s+to|need\s+to|have\s+to|"
    rf"will|are\s+(?:required|instructed|told|asked)\s+to)\s+(?:now\s+|only\s+|always\s+)?{ORDER_VERBS}\b"
    rf"|\b(?:ignore|disregard|forget|override|discard|dismiss)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:other\s+|previous\s+|"
    rf"prior\s+|above\s+|earlier\s+|preceding\s+|remaining\s+|older\s+)+{META}"
    rf"|\b(?:the\s+)?(?:other|previous|prior|earlier|older|remaining)\s+{META}\s+(?:are|is)\s+(?:\w+\s+){{0,3}}?(?:and\s+)?"
    r"(?:must|should|are\s+to|have\s+to)\s+be\s+(?:disregarded|ignored|discarded|dismissed|overlooked|forgotten)"
    r"|\bnew\s+instructions?\b|\b(?:answer|reply|respond)\s+(?:only\s+)?with\s+the\s+following"
    r"|\b(?:treat|consider|regard|use)\s+this\s+(?:\w+\s+)?as\s+(?:the\s+)?(?:only|sole|single|one|most|final)\b"
    r"|\b(?:the\s+)?only\s+(?:reliable|trustworthy|true|valid|accurate|correct)\s+(?:source|report|article|account)",
    re.I,
)
ABOUT_THE_ARCHIVE = re.compile(rf"\b(?:ignore|disregard|forget|override|discard)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
                               rf"(?:other\s+|previous\s+|prior\s+|above\s+|earlier\s+)+{META}"
                               rf"|\b(?:other|previous|earlier|older)\s+{META}\s+(?:are|is)\s+(?:\w+\s+){{0,3}}?(?:and\s+)?"
                               r"(?:must|should)\s+be\s+(?:disregarded|ignored|discarded)", re.I)
UNMISTAKABLE = re.compile(r"\b(?:note|message|instructions?|notice|memo)\s*(?:to|for)\s+(?:any|all|every|each)\s+"
                          rf"{MACHINE}|\byou\s+are\s+an?\s+(?:ai|language model|llm|chatbot)"
                          r"|\bsystem\s+(?:note|prompt|message|instruction)s?\s*[:\-—]"
                          r"|(?:^|\n)\s*new\s+instructions?\s*:|\b(?:answer|reply|respond)\s+only\s+with\b",
                          re.I)


def addresses_the_assistant(text: str) -> bool:
    """The text speaks to whoever reads it for an answer (a model, an assistant) and orders what
    to state, cite or ignore, or orders the archive's other reports away: it is not news."""
    if UNMISTAKABLE.search(text) or ABOUT_THE_ARCHIVE.search(text):
        return True
    return bool(ADDRESSED.search(text)) and bool(ORDERED.search(text))


def figures(text: str) -> dict[str, set[str]]:
    """Each figure in the text (commas dropped) with the two words after it: what it counts."""
    out: dict[str, set[str]] = {}
    for match in FIGURE.finditer(text):
        value = figure_value(match.group(0))
        after = {w.lower() for w in lettered_words(text[match.end():match.end() + 40])[:2]} - GLUE
        out.setdefault(value, set()).update(after)
    return out


def counted(text: str) -> set[str]:
    """What the text's figures count: the words after any of them."""
    return set().union(set(), *figures(text).values())


def tracked_measure(counts: list[set[str]]) -> set[str]:
    """What at least two of the texts count with a figure (each text's `counted`): the measure
    reports of one story track from one to the next ("800 hectares", "3,200 hectares")."""
    seen = Counter(word for words in counts for word in words)
    return {word for word, n in seen.items() if n >= 2}


def counts_something_else(sentence: str, other: str, question: str) -> bool:
    """Whether `sentence` gives figures and none counts what the question or `other` counts (a
    word of either among the two after it): "1,500 French soldiers" under "how much debt?"."""
    asked = {w.lower() for w in content_words(question)} | counted(other)
    given = figures(sentence)
    return bool(given) and not any(words & asked for words in given.values())


HOW_MANY = re.compile(r"\bhow\s+many\s+([a-z]+)", re.I)
GENERIC_COUNTED = "people persons times years days"  # "17 dead" counts people too: not checked


@functools.lru_cache(maxsize=256)
def thing_counted(question: str) -> str | None:
    """What "how many X" counts (X as a term: stemmed), unless X is as general as people or days."""
    how_many = HOW_MANY.search(question)
    thing = next(iter(term_set(how_many.group(1))), None) if how_many else None
    return thing if thing not in _generic_counted() else None


@functools.cache
def _generic_counted() -> frozenset[str]:
    return frozenset(term_set(GENERIC_COUNTED))


def counted_terms(text: str) -> dict[str, set[str]]:
    """`figures`, with what each counts as terms (stemmed, as `thing_counted`), in one call:
    "3,200 hectares" counts no firefighters."""
    given = figures(text)
    return dict(zip(given, term_sets([" ".join(sorted(words)) for words in given.values()])))


def disagrees(sentence: str, other: str, question: str) -> bool:
    """`other` counts the same thing as `sentence` (a figure followed by the same word) with a
    figure `sentence` does not give, and neither figure is in the question; for "how many X",
    figures that count X ("How many firefighters died?": not 9,500 hectares against 11,400)."""
    asked = set(figures(question))
    mine = {f: w for f, w in figures(sentence).items() if f not in asked}
    theirs = {f: w for f, w in figures(other).items() if f not in asked}
    thing = thing_counted(question)
    if thing:
        mine_count, their_count = counted_terms(sentence), counted_terms(other)
        mine = {f: w for f, w in mine.items() if thing in mine_count[f]}
        theirs = {f: w for f, w in theirs.items() if thing in their_count[f]}
    if not mine or not theirs or set(mine) & set(theirs):
        return False
    counted = set().union(*mine.values())
    return any(words & counted for words in theirs.values())
