"""The answer's scoring rules in one place: how a sentence is scored against a question, what a
question asks for, when evidence counts as grounded, and how much of a sentence its citation
must back. The numbers were chosen on the development sets (see the docs, Benchmarks); each is named here."""

from __future__ import annotations

import functools
import re

from ingest.text import (
    CAPITAL,
    INNER_NAME,
    LETTER,
    STOP,
    YEAR_OR_FIGURE,
    content_words,
    mentions,
    sentence_spans,
    term_set,
)
from ingest.text import words as text_words

from .sources import thing_counted

# --- a sentence's score -----------------------------------------------------------------------
# Sentences are scored by the fitted `scorer`; the hand-set mix below is its baseline, its scale
# (the fitted scores keep its mean and spread) and the lexical half picks the shortlist.
DENSE_WEIGHT = 0.6  # share of embedding similarity in the hand-set score; the rest is term coverage
TYPED_BONUS = 0.1  # added to coverage when a sentence holds the kind of thing asked (number, date, name)
SHORTLIST = 8  # sentences embedded per question: the lexically likeliest
READ_PASSAGES = 8  # passages whose sentences the reader weighs, the best found first
READER_SHORTLIST = 32  # sentences of those passages the trained reader reads: the lexically likeliest
MIN_SENTENCE_CHARS = 12  # shorter "sentences" (datelines, bylines) are never quoted
HEADING_WORDS = 8  # a line of at most this many words with no end punctuation is a heading, never quoted
ENDS_SENTENCE = re.compile(r"""[.!?:;…]["'”’)\]]*$""")


def heading(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a line of its own that ends no sentence and is short: a
    subheading ("'Maintain cooperation with France'"), a byline or a caption, not a statement."""
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    line = text[start:end]
    return whole_line and not ENDS_SENTENCE.search(line) and len(line.split()) <= HEADING_WORDS


ASKS_OR_LEADS_IN = re.compile(r"""[?:]["'”’)\]]*$""")  # a sentence ending so states nothing of its own


def quotable(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] may be quoted as evidence: long enough to state something, no
    heading (`heading`), no question ("Which states have legal recreational marijuana?", a
    subheading that asks) and no lead-in to what follows ("only four managers have won a World
    Series with multiple teams:"): neither states what it is quoted for."""
    return end - start >= MIN_SENTENCE_CHARS and not heading(text, start, end) and \
        not ASKS_OR_LEADS_IN.search(text[start:end].rstrip())


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text` that may be quoted (`quotable`)."""
    return [(s, e) for s, e in sentence_spans(text) if quotable(text, s, e)]


def coverage(question_terms: set[str], terms: set[str]) -> float:
    """Share of the question's terms a sentence contains."""
    return len(question_terms & terms) / len(question_terms) if question_terms else 0.0


def sentence_score(similarity: float, covered: float) -> float:
    return DENSE_WEIGHT * similarity + (1 - DENSE_WEIGHT) * covered


# --- which sentences are quoted together ------------------------------------------------------
FOLLOW_MARGIN = 0.08  # the runner-up is quoted too when this close to the best
TYPED_MARGIN = 0.2  # when neither holds what is asked, a sentence that does, this close, is quoted
OTHER_REPORT_MARGIN = 0.25  # another article's sentence this close is another report of the same thing
LATEST_MARGIN = OTHER_REPORT_MARGIN  # for "latest" questions, a newer report of the same thing wins
# A sentence that gives the date a "when" question asks for beside the question's own words
# ("will be sworn in on 1 June") answers it more surely than its score says: its support gains this.
ANCHORED_BONUS = 0.05


# --- answers of several sentences -------------------------------------------------------------
# A why, how or position question is answered by up to three sentences from across the passages,
# each nearly as likely as the best and none repeating another.
EXPLAINING = re.compile(r"^\s*(?:and\s+|so\s+)?(?:why\b|how\b(?!\s+(?:many|much|long|old|far|big|large|often|tall|high|"
                        r"deep|soon)\b)|what\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[\w'’]+\s+){0,2}(?:reason|position|stance|"
                        r"view|response|reaction|explanation|argument)s?\b|what\s+(?:does|did|do)\s+.+\s+(?:say|think|"
                        r"want|argue|claim|demand)\b)", re.I)
EXPLAIN_CLAIMS = 3
EXPLAIN_MARGIN = 0.1
REDUNDANT = 0.5  # share of a sentence's terms already quoted above which it repeats what is said
# An overview question ("what happened at X last week?", "what is the latest on Y?") is answered
# by one dated sentence per report, newest first.
OVERVIEW = re.compile(r"\bwhat\s+(?:has\s+|had\s+)?happened\b|\bwhat(?:'s|’s|\s+is)\s+(?:the\s+)?(?:latest|new|news)\s+"
                      r"(?:on|about|in|with|at|from)\b|\b(?:any\s+)?news\s+(?:on|about)\b|\bwhat(?:'s|’s|\s+is)\s+"
                      r"going\s+on\b|\b(?:an?\s+)?(?:overview|update|summary|roundup)\s+(?:of|on|about)\b", re.I)


# A question about how a story developed is answered by the first report and the newest ones,
# each dated, up to this many; a report that gives no figure of what the others track (their
# burned area) is followed by its own sentence that does.
TIMELINE_REPORTS = 4


def explaining(question: str) -> bool:
    return bool(EXPLAINING.search(question))


def overview(question: str) -> bool:
    return bool(OVERVIEW.search(question))


# --- what the question asks for ---------------------------------------------------------------
NUMBER = re.compile(r"\d")
# A count in words ("three batches"; not "one", which is mostly no count): it holds what "how
# many X" asks only when X follows it.
NUMBER_WORD = re.compile(r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                         r"forty|fifty|hundreds|thousands|millions|dozens)\s+(?:of\s+)?([\w'-]+)", re.I)
YEAR_OR_DATE = re.compile(
    r"\b(1[5-9]\d\d|20\d\d|January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)


# "When" asks for a date as the question's own word ("When will ...?", "... will be lifted when?"),
# not inside a clause ("Which team did he represent when he won the contest?").
WHEN_ASKED = re.compile(r"""(?:^|[.?!:;]\s+)["“']?(?:(?:and|but|so|then)\s+)?when\b|\bwhen\s*\?""", re.I)
# What a cause is given by: "the most likely cause", "caused by", "blamed on", "sparked by".
CAUSE = re.compile(r"\b(?:causes?|cause of|caused by|blamed (?:on|for)|sparked by|triggered by|started by|"
                   r"set off by|due to|because of|result of|attributed to)\b", re.I)
# "When will ...?" asks for a date still to come: a sentence that only tells what was or had
# been ("was declared mayor on Friday") does not give it; one that says what will be, or speaks
# in the present ("officially ends Sunday, Nov. 5"), may.
FUTURE_ASKED = re.compile(r"^\s*when\s+(?:will|shall|is\s+.+?\b(?:due|set|expected|scheduled|going)\s+to|are\s+.+?\b"
                          r"(?:due|set|expected|scheduled|going)\s+to)\b", re.I)
FUTURE_SAID = re.compile(r"\b(?:will|shall|won't|due\s+to|set\s+to|expected\s+to|scheduled\s+(?:to|for)|"
                         r"going\s+to|plans?\s+to|planned\s+for|intends?\s+to|is\s+to|are\s+to|next\s+\w+|"
                         r"upcoming)\b|\w'll\b", re.I)
PAST_SAID = re.compile(r"\b(?:was|were|had|did)\b", re.I)


def tense_fits(question: str, sentence: str) -> bool:
    """False when the question asks what will be and the sentence tells only what was."""
    return not (FUTURE_ASKED.search(question) and PAST_SAID.search(sentence) and not FUTURE_SAID.search(sentence))


CAUSE_ASKED = re.compile(r"\bwhat\s+(?:caused|sparked|triggered|started|set off)\b|\b(?:the\s+)?cause\s+of\b", re.I)


# "Which company ...?", "Which streaming platform ...?": in news, what is asked is mostly named.
WHICH_NAMED = re.compile(r"\bwhich\s+(?!(?:type|kind|sort|types|kinds|of|one|ones|way|part|year|day|date|month|time)\b)"
                         r"\w+", re.I)


def answer_type(question: str) -> re.Pattern | None:
    """What the answer should contain, judged from the question's wording."""
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old|far|big|large)\b|\bwhat (percentage|number|amount)\b|"
                 r"\bwhat (is|was|are|were) the (\w+ )?(figure|tally|toll|number|total)\b", q):
        return NUMBER
    if WHEN_ASKED.search(question) or re.search(r"\b(?:what|which|in which|on which) (year|date|day|month)\b", q):
        return YEAR_OR_DATE
    if re.search(r"\bwho\b|\bwhose\b", q) or WHICH_NAMED.search(question):
        return INNER_NAME
    if CAUSE_ASKED.search(question):
        return CAUSE
    return None


def has_type(text: str, wants: re.Pattern | None, question: str = "") -> float:
    """1.0 when `text` holds what the question asks for (a name not already in the question)."""
    if wants is None or wants is YEAR_OR_DATE and not tense_fits(question, text):
        return 0.0
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    if any(m.group(0).lower() not in asked for m in wants.finditer(text)):
        return 1.0
    thing = thing_counted(question) if wants is NUMBER else None
    return 1.0 if thing and any(thing in term_set(m.group(1)) for m in NUMBER_WORD.finditer(text)) else 0.0


# --- grounding: evidence about something else -------------------------------------------------
# Evidence that never names what the question names, or never negates what it asks negated,
# rarely answers it: its support is scaled down by this, once for each.
UNGROUNDED_FACTOR = 0.5
NEGATION = re.compile(r"\b(not|never|no longer|without|none|nobody|nothing|neither|nor)\b|n't\b", re.I)


# A name of several words ("US House of Representatives", "Laphonza Butler"): capitalised words
# and the small words that join them inside names.
NAME_RUN = re.compile(rf"\b[{CAPITAL}][\w'’-]*{LETTER}"
                      rf"(?:\s(?:of|de|du|the|la|le|von|van|al|bin|der)?\s?[{CAPITAL}][\w'’-]*{LETTER})*")
ROLES = frozenset({"president", "minister", "prime", "mr", "mrs", "ms", "dr", "general", "gen", "king", "queen",
                   "prince", "princess", "chief", "secretary", "governor", "gov", "mayor", "senator", "sen", "rep",
                   "judge", "ambassador", "captain", "capt", "lt", "col", "sgt", "prof", "st", "sir", "lord", "pope"})


@functools.lru_cache(maxsize=256)
def asked_names(question: str) -> tuple[tuple[str, ...], ...]:
    """The names and figures in the question, each as the words that stand for it: a name of
    several words is named by any one of its own ("House" for "US House of Representatives",
    "Butler" for "Laphonza Butler"), never by a role ("Sen.", "President"), a small word, a
    sentence's capitalised first word or a two-letter acronym such as US or UK (the setting of
    a story, too short to tell its articles apart)."""
    found, opening = [], {s for s, _ in sentence_spans(question)}
    for m in NAME_RUN.finditer(question):
        words = m.group(0).split()
        if m.start() in opening:
            words = words[1:]  # "Which state ...", "Democratic Sen. ...": a sentence's first word
        kept = [w for w in words if w.lower() not in STOP | ROLES and not (len(w) == 2 and w.isupper())]
        if len(kept) > 1:
            kept = [w for w in kept if len(w) > 3] or kept  # "York" stands for "New York", "New" does not
        if kept:
            found.append((m.start(), kept))
    found += [(m.start(), [m.group(0)]) for m in YEAR_OR_FIGURE.finditer(question)]
    return tuple(tuple(words) for _, words in sorted(found))


def missing_names(question: str, evidence: str) -> list[str]:
    """The question's names that the evidence never mentions by any of their words: it is then
    about something else."""
    return [" ".join(words) for words in asked_names(question) if not any(mentions(evidence, w) for w in words)]


def about_else(question: str, evidence: str) -> bool:
    """Whether the evidence is about something else than the question: it misses a name the
    question gives, or, of three names or more, more than one in three ("Which country did King
    Charles and Queen Camilla visit?" is answered by a report that names Charles alone)."""
    return len(missing_names(question, evidence)) > len(asked_names(question)) // 3


def negation_unmatched(question: str, sentence: str) -> bool:
    """The question asks about what did not happen, and the sentence negates nothing."""
    return bool(NEGATION.search(question)) and not NEGATION.search(sentence)


# "How many died / were hurt / were arrested?" counts an event: evidence that never tells of one
# such ("150 firefighters were sent", "one firefighter was treated for smoke inhalation") does
# not answer it, however well it counts the people asked about.
EVENTS = (
    (re.compile(r"\b(?:die[ds]?|killed|dead|deaths?|fatalities|perished|lost\s+(?:their|his|her)\s+lives)\b", re.I),
     re.compile(r"\b(?:die[ds]?|dying|dead|deaths?|killed|killing|kills|fatal\w*|perished|lives|toll|bodies|"
                r"murder\w*|slain)\b", re.I)),
    (re.compile(r"\b(?:injured|wounded|hurt|injuries)\b", re.I),
     re.compile(r"\b(?:injur\w*|wounded|wounds|hurt|casualt\w*|hospital\w*|treated|burns)\b", re.I)),
    (re.compile(r"\b(?:arrested|detained|arrests)\b", re.I),
     re.compile(r"\b(?:arrest\w*|detain\w*|detention|custody|charged)\b", re.I)),
)
HOW_MANY_ASKED = re.compile(r"\bhow\s+many\b", re.I)


def event_untold(question: str, evidence: str) -> bool:
    """The question counts an event (deaths, injuries, arrests) that the evidence never tells of."""
    if not HOW_MANY_ASKED.search(question):
        return False
    return any(asked.search(question) and not told.search(evidence) for asked, told in EVENTS)


# A sentence that says the opposite of the question's own word ("the least important" for "the most
# important", "lower" for "higher", "not found" for "found") answers another question, however
# much else it shares with this one.
OPPOSITES = tuple(pair.split("/") for pair in (
    "larger/smaller", "largest/smallest", "bigger/smaller", "biggest/smallest", "higher/lower",
    "highest/lowest", "greater/lesser", "most/least", "more/fewer", "maximum/minimum", "increase/decrease",
    "increased/decreased", "increases/decreases", "longer/shorter", "longest/shortest", "older/younger",
    "oldest/youngest", "earliest/latest", "stronger/weaker", "strongest/weakest", "similar/different",
    "same/different", "positive/negative", "major/minor", "internal/external", "inner/outer",
    "upper/lower", "above/below", "western/eastern", "northern/southern", "westward/eastward",
    "westerly/easterly", "northward/southward", "legal/illegal", "common/rare", "accept/reject",
    "accepted/rejected", "agree/disagree", "true/false", "private/public", "success/failure",
    "successful/unsuccessful", "won/lost", "win/lose", "enhance/reduce", "enhances/reduces",
    "cheaper/dearer", "rich/poor", "richest/poorest", "wealthiest/poorest", "best/worst", "better/worse",
    "succeed/fail", "succeed/failed", "succeeded/failed", "rise/fall", "rose/fell", "rising/falling",
    "gain/loss", "gained/lost", "gains/losses",
))
OPPOSITE = {word: frozenset(b if word == a else a for a, b in OPPOSITES if word in (a, b))
            for pair in OPPOSITES for word in pair}
# "unimportant", "inaccurate", "irregular", "nonprofit": a prefix that turns a word of six letters or
# more into its opposite.
NEGATING_PREFIX = re.compile(r"^(?:un|in|ir|il|non-?)(?=[a-z]{6})")
YES_OR_NO = re.compile(r"\s*(?:has|have|had|is|are|was|were|did|does|do|will|would|can|could|should|may|might)\b",
                       re.I)
NEGATED_WORD = re.compile(r"\b(?:not|never|no)\s+([a-z]+)", re.I)


def _words(text: str) -> set[str]:
    return {w.lower() for w in text_words(text)}


def opposite_said(question: str, sentence: str) -> bool:
    """The sentence holds the opposite of one of the question's words and not the word itself: a
    listed opposite ("least" for "most"), the word with a negating prefix ("unimportant"), or the
    word right after a negation ("not found") when the question negates nothing. A question
    whether something is so is answered by its opposite too, and is never doubted for it."""
    if YES_OR_NO.match(question):
        return False  # "Has the union accepted the offer?" is answered by "The union rejected it."
    asked, said = _words(question), _words(sentence)
    for word in asked - said:
        if any(other in said and other not in asked for other in OPPOSITE.get(word, ())):
            return True
    for one, other in ((said, asked), (asked, said)):  # "unimportant" said for "important", or the reverse
        for w in one - other:
            m = NEGATING_PREFIX.match(w)
            if m and w[m.end():] in other and w[m.end():] not in one:
                return True
    if not NEGATION.search(question) and not NEGATED_WORD.search(question):
        for m in NEGATED_WORD.finditer(sentence):
            negated = m.group(1).lower()
            if len(negated) > 3 and negated in asked and negated not in STOP:
                return True
    return False


def grounded_score(score: float, question: str, query: str, sentence: str, evidence: str) -> float:
    """`score` halved when the evidence is about something else (`about_else`), halved again when
    the question asks what did not happen and the sentence negates nothing, again when it
    counts an event the evidence never tells of (`event_untold`), and again when the sentence
    says the opposite of a word the question asks with (`opposite_said`)."""
    if about_else(query, evidence):
        score *= UNGROUNDED_FACTOR
    if negation_unmatched(question, sentence):
        score *= UNGROUNDED_FACTOR
    if event_untold(question, evidence):
        score *= UNGROUNDED_FACTOR
    if opposite_said(question, sentence):
        score *= UNGROUNDED_FACTOR
    return score


# --- related reading: passages about the question that do not answer it ----------------------
ABOUT_COVERAGE = 0.5  # share of the question's terms a passage (with its title) holds to be about it


def about(question: str, title: str, passage: str) -> bool:
    """Whether a passage is about what the question asks of: it is not about something else
    (`about_else`), and holds at least half of the question's terms."""
    text = f"{title}\n{passage}"
    return not about_else(question, text) and coverage(term_set(question), term_set(text)) >= ABOUT_COVERAGE


# Words of a question that say nothing of its topic ("What happened over the weekend?").
NOT_TOPIC = frozenset({"over", "under", "after", "before", "during", "since", "until", "into", "onto", "against",
                       "between", "among", "through", "across", "around", "near", "per", "via", "up", "down",
                       "out", "off", "just", "happen", "happened", "happening", "happens"})


def topic_words(question: str, texts: list[str], most: int = 4) -> list[str]:
    """The question's content words that the related passages hold too: what they are about."""
    held = " ".join(texts).lower()
    words = dict.fromkeys(content_words(question))
    return [w for w in words if w.lower() in held and w.lower() not in NOT_TOPIC][:most]


# --- citations: how much of a sentence what it cites must back --------------------------------
QUOTE_OVERLAP = 0.6  # share of a quoted claim's terms found in its cited span
WRITTEN_OVERLAP = 0.5  # share of a written sentence's terms found in what it cites (it paraphrases)
# A written answer's model that found no answer in the evidence leaves the extractive quote, its
# support scaled by this: small models say "the documents don't say" of evidence that does.
MODEL_DOUBT = 0.8


def overlap(text: str, cited: str) -> float:
    """Share of `text`'s terms that `cited` contains (0 for a text without terms)."""
    terms = term_set(text)
    return len(terms & term_set(cited)) / len(terms) if terms else 0.0


# --- words of a question ----------------------------------------------------------------------
def coverage_terms(question: str, query: str) -> str:
    """What quoted sentences must cover: the question's own words whenever it says enough on its
    own (two content words); else the query a follow-up was rewritten into (the topic it borrowed
    helps find passages either way)."""
    return question if query != question and len(content_words(question)) >= 2 else query
