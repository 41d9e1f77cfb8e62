"""The one reading of text that chunking, the lexical index and every answer rule share:
sentences, words, terms (stop words dropped, the rest stemmed), names and figures."""

from __future__ import annotations

import re
import threading

# --- sentences --------------------------------------------------------------------------------
# A sentence ends at . ! ? (plus closing quotes/brackets) before a capital, digit or opening
# quote, or at a line break; group 1 is the gap between the two sentences.
SENTENCE_END = re.compile(r"""[.!?]["'”’)\]]*([^\S\n]+)(?=["'“‘(\[]?[A-Z0-9])|(\s*\n\s*)""")


# A full stop that ends an abbreviation, not a sentence: a month before its day ("Nov. 5"), a
# title before a name ("Dr. Smith"), initials ("U.S. President", "Donald J. Trump"); the last
# two only when the next word is no sentence's usual first word ("... in the U.S. The ...").
MONTH_ABBREVIATION = re.compile(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Nos)\.$")
TITLE_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Sgt|Capt|Gov|Sen|Rep|St|Rev|Mt|Ft|Jr|Sr|"
                                r"Sens|Reps|Gens)|(?<![\w.])(?:[A-Z]\.)*[A-Z])\.$")
OPENING_WORD = re.compile(r"[\"'“‘(\[]?(?:The|A|An|It|Its|He|She|They|We|I|In|On|At|But|And|This|That|These|Those|"
                          r"There|His|Her|Their|Our|As|If|When|After|Before|For|So|Yet|Some|Many|Most|One|No|Not|"
                          r"Now|Then|Still|Meanwhile|However)\b")


def sentence_spans(text: str, abbreviations: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed, covering all non-space text. Without
    `abbreviations`, every full stop before a capital or a digit ends a sentence (how the
    chunker has always cut: the stored passages' bounds stay where they were)."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        gap = 1 if match.group(1) is not None else 2
        if abbreviations and gap == 1 and _abbreviated(text, max(start, match.start(1) - 24), match.start(1),
                                                       match.end(1)):
            continue
        spans.append((start, match.start(gap)))
        start = match.end(gap)
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _abbreviated(text: str, start: int, end: int, after: int) -> bool:
    """Whether the full stop ending text[start:end] ends an abbreviation that the text from
    `after` continues (read in place: nothing of the text is copied)."""
    if MONTH_ABBREVIATION.search(text, start, end):
        return text[after:after + 1].isdigit()
    return (bool(TITLE_ABBREVIATION.search(text, start, end)) and text[after:after + 1].isupper()
            and not OPENING_WORD.match(text, after))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    return start + (len(piece) - len(piece.lstrip())), end - (len(piece) - len(piece.rstrip()))


# --- words ------------------------------------------------------------------------------------
WORD = re.compile(r"[\w'’-]+")
LETTERED = re.compile(r"[A-Za-z][A-Za-z'-]+")
STOP = frozenset({
    "a", "an", "the", "and", "or", "but", "so", "then", "also", "of", "in", "on", "at", "to",
    "for", "from", "by", "with", "about", "as", "is", "are", "was", "were", "be", "been", "do",
    "does", "did", "has", "have", "had", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "many", "much", "there", "it", "its", "they", "them", "their", "that",
    "those", "these", "this", "he", "him", "his", "she", "her", "can", "could", "would",
    "should", "will", "any", "some", "more", "most", "other", "tell", "me", "us", "we", "you",
    "i", "my", "our", "your", "please", "not", "no", "yes", "if", "than", "too", "very",
})
# The words that only join others ("1,500 of the soldiers"): what a figure counts is the next
# word that is not one of these.
GLUE = frozenset({
    "in", "on", "at", "of", "the", "a", "an", "and", "or", "to", "for", "by", "with", "from", "as", "is",
    "are", "was", "were", "be", "been", "has", "have", "had", "that", "this", "it", "its", "per", "about",
})


def plain_words(text: str) -> list[str]:
    """Runs of letters and digits, lower-cased: the words near-duplicate articles are compared by."""
    return re.findall(r"\w+", text.lower())


def lettered_words(text: str) -> list[str]:
    """Words of two letters or more (no figures): what a figure counts is read from these."""
    return LETTERED.findall(text)


def words(text: str) -> list[str]:
    """The words of a text, with the apostrophes and hyphens around them dropped."""
    return [w for w in (w.strip("'’-") for w in WORD.findall(text)) if w]


def content_words(text: str) -> list[str]:
    """The words of a text that are not stop words."""
    return [w for w in words(text) if w.lower() not in STOP]


# --- terms: what the lexical index and the answer rules count ---------------------------------
_STEMMER = threading.local()


def tokenize(texts: list[str]) -> list[list[str]]:
    """The terms of each text, in order: English stop words dropped, the rest stemmed (one call
    for many texts: each call has a fixed cost)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer().stemWords, return_ids=False,
                          show_progress=False)


def term_sets(texts: list[str]) -> list[set[str]]:
    return [set(tokens) for tokens in tokenize(texts)] if texts else []


def term_set(text: str) -> set[str]:
    return term_sets([text])[0]


def _stemmer():
    import Stemmer

    if not hasattr(_STEMMER, "value"):
        _STEMMER.value = Stemmer.Stemmer("english")  # not thread-safe: one per thread
    return _STEMMER.value


# --- names and figures ------------------------------------------------------------------------
# The capitals and letters names are written in, beyond ASCII ("José María Figueres", "Émile Zola").
CAPITAL = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper())
LETTER = r"[^\W\d_]"
NAME = re.compile(rf"\b[{CAPITAL}][\w'’-]*{LETTER}")  # a capitalised word: a name, or a sentence's first word
# A capitalised word that opens no sentence (its capital and the small letters after it): what a
# "who" question's answer holds.
INNER_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+")
FIGURE = re.compile(r"\d[\d,.]*\d|\d")
YEAR_OR_FIGURE = re.compile(r"\b\d{3,4}\b")


def names(text: str) -> list[str]:
    return NAME.findall(text)


def figures(text: str) -> list[str]:
    return FIGURE.findall(text)


def figure_value(figure: str) -> str:
    """A figure as it compares with another: thousands separators and a closing stop dropped."""
    return figure.replace(",", "").rstrip(".")


def bare_name(name: str) -> str:
    """A name as it is looked for in a text: lower case, a possessive dropped ("Paris's" -> "paris")."""
    return name.lower().removesuffix("'s").removesuffix("’s")


def mentions(text: str, name: str) -> bool:
    """Whether `text` names `name`, in any case: the name itself (inside a longer word too:
    "Niger" in "Nigerien"), without its possessive, or, for a plural ("Confucians"), its singular
    as a whole word ("Confucian scholars"; "Paris" is never "pari"), or, for a people's adjective,
    its country as a whole word ("Botswana" for "Botswanan", "Kenya" for "Kenyan")."""
    bare, low = bare_name(name), text.lower()
    if bare in low or (name.isupper() and bare in low.replace(".", "")):  # "US" in "U.S."
        return True
    stem = len(bare) > 3 and bare.endswith("s") or len(bare) > 5 and bare.endswith("an")  # "Confucians", "Kenyan"
    return stem and re.search(rf"\b{re.escape(bare[:-1])}\b", low) is not None
