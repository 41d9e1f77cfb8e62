"""The one reading of text: sentences, words, terms, names and figures."""

from __future__ import annotations

import pytest

from assistant.answering.rules import missing_names
from ingest.text import (
    bare_name,
    content_words,
    figure_value,
    figures,
    lettered_words,
    mentions,
    names,
    plain_words,
    sentence_spans,
    sentences,
    term_set,
    words,
)


def test_sentences_cover_the_text_and_keep_abbreviations_and_figures_inside():
    text = "Some 1,500 soldiers are there. Mr. Itte stayed.\nNiger's debt is 5.2 billion! Is it?"
    assert sentences(text) == ["Some 1,500 soldiers are there.", "Mr. Itte stayed.",
                               "Niger's debt is 5.2 billion!", "Is it?"]
    assert all(text[s:e] == t for (s, e), t in zip(sentence_spans(text), sentences(text)))
    # The chunker's bounds are those its version names: every full stop before a capital ends one.
    assert [text[s:e] for s, e in sentence_spans(text, abbreviations=False)][1:3] == ["Mr.", "Itte stayed."]


@pytest.mark.parametrize("text, expected", [
    ("Daylight saving time ends Sunday, Nov. 5 at 2 a.m. Clocks go back.",
     ["Daylight saving time ends Sunday, Nov. 5 at 2 a.m.", "Clocks go back."]),
    ("The U.S. State Department said so. Donald J. Trump spoke.",
     ["The U.S. State Department said so.", "Donald J. Trump spoke."]),
    ("He lives in the U.S. The weather is fine.", ["He lives in the U.S.", "The weather is fine."]),
    ("I met Sen. Warren on Jan. 6. She was kind.", ["I met Sen. Warren on Jan. 6.", "She was kind."]),
    ("The score was 3-1. Arsenal won.", ["The score was 3-1.", "Arsenal won."]),
])
def test_a_full_stop_of_an_abbreviation_ends_no_sentence(text, expected):
    assert sentences(text) == expected


def test_a_possessive_is_dropped_and_nothing_else():
    assert bare_name("Paris") == "paris"  # a name ending in s keeps it
    assert bare_name("Paris's") == "paris" and bare_name("Bazoum’s") == "bazoum"
    assert mentions("The talks in Paris went on.", "Paris")
    assert mentions("Bazoum remains detained.", "Bazoum's")
    assert not mentions("The talks in Niamey went on.", "Paris")
    assert mentions("Confucian scholars were attracted to medicine.", "Confucians")  # a plural's singular
    assert mentions("Nigerien officials met.", "Niger") and not mentions("The parity was kept.", "Paris")
    assert mentions("Botswana's president spoke.", "Botswanan") and mentions("In Kenya, rain.", "Kenyan")
    assert not mentions("Botswana's president spoke.", "Kenyan")


def test_a_question_naming_paris_is_grounded_by_evidence_naming_paris():
    assert missing_names("What did Paris demand?", "Paris has demanded the return of President Bazoum.") == []
    assert missing_names("What did Paris demand?", "Niamey has demanded the return of President Bazoum.") == [
        "Paris"]
    # "Paris" is not "pari": the parity of a currency says nothing of Paris
    assert missing_names("What did Paris demand?", "The parity of the CFA franc was kept.") == ["Paris"]


def test_words_names_and_figures():
    text = "Some 1,500 French soldiers, and 'Niger's' junta, said Sylvain Itte on 4 March."
    assert words("'quoted' state-run")[0] == "quoted" and "state-run" in words("a state-run paper")
    assert content_words("What about the French ambassador's name?") == ["French", "ambassador's", "name"]
    assert names(text) == ["Some", "French", "Niger's", "Sylvain", "Itte", "March"]
    assert figures(text) == ["1,500", "4"]
    assert figure_value("1,500.") == "1500"
    assert lettered_words("2,000 to 3,000 soldiers") == ["to", "soldiers"]
    assert plain_words("One wire-story") == ["one", "wire", "story"]


def test_terms_are_stemmed_and_free_of_stop_words():
    assert term_set("The soldiers are deployed") == term_set("soldier deploying")
    assert "the" not in term_set("The soldiers")
