"""What passages may be evidence, and when their reports disagree.

Articles are data: text that speaks to the assistant ("ignore all other articles", "system
note: ...") rather than reporting news is never evidence. And when passages from different
articles give different figures for what was asked, the answer shows each, newest first,
instead of silently picking one.
"""

from __future__ import annotations

import re

from ingest.text import FIGURE, GLUE, figure_value, lettered_words

# Text addressed to an assistant or a language model, not to a newspaper's readers.
INSTRUCTION = re.compile(
    r"\b(system (note|prompt|message|instruction)s?|(ignore|disregard|forget|override) (all |any |the )?"
    r"(other |previous |prior |above |earlier |your )*(articles?|instructions?|rules|sources?|documents?|"
    r"passages?|context|prompts?)|you are (an? )?(ai|assistant|language model|chatbot)|as an ai\b|"
    r"(assistant|ai|chatbot|model)s?,? (must|should) (answer|say|reply|respond|state)|"
    r"(answer|reply|respond) (only )?with the following|new instructions?)\b",
    re.I,
)


def addresses_the_assistant(text: str) -> bool:
    """The text gives orders to whoever reads it for an answer: it is not news."""
    return bool(INSTRUCTION.search(text))


def figures(text: str) -> dict[str, set[str]]:
    """Each figure in the text (commas dropped) with the two words after it: what it counts."""
    out: dict[str, set[str]] = {}
    for match in FIGURE.finditer(text):
        value = figure_value(match.group(0))
        after = {w.lower() for w in lettered_words(text[match.end():match.end() + 40])[:2]} - GLUE
        out.setdefault(value, set()).update(after)
    return out


def disagrees(sentence: str, other: str, question: str) -> bool:
    """`other` counts the same thing as `sentence` (a figure followed by the same word) with a
    figure `sentence` does not give, and neither figure is in the question."""
    asked = set(figures(question))
    mine = {f: w for f, w in figures(sentence).items() if f not in asked}
    theirs = {f: w for f, w in figures(other).items() if f not in asked}
    if not mine or not theirs or set(mine) & set(theirs):
        return False
    counted = set().union(*mine.values())
    return any(words & counted for words in theirs.values())
