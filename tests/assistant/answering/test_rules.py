"""The answer's scoring rules on their own: no model, no index."""

from __future__ import annotations

import re

import pytest

from assistant.answering import rules
from assistant.answering.rules import (
    CAUSE,
    NUMBER,
    YEAR_OR_DATE,
    answer_type,
    content_words,
    coverage,
    coverage_terms,
    grounded_score,
    has_type,
    heading,
    missing_names,
    negation_unmatched,
    overlap,
    sentence_score,
    topic_words,
)
from assistant.answering.rules import (
    INNER_NAME as NAME,
)


@pytest.mark.parametrize("question, wanted", [
    ("How many French soldiers are in Niger?", NUMBER),
    ("How much debt does Niger have?", NUMBER),
    ("What was the death toll of the storm?", NUMBER),
    ("What is the latest figure?", NUMBER),
    ("When did the coup happen?", YEAR_OR_DATE),
    ("What year did France arrive?", YEAR_OR_DATE),
    ("Who is the French ambassador?", NAME),
    ("Whose troops are leaving?", NAME),
    ("Which streaming platform raised its prices this week?", NAME),  # in news, mostly named
    ("Which type of fees did Biden crack down on?", None),
    ("Which year did France arrive?", YEAR_OR_DATE),
    ("What caused the Karst hills fire?", CAUSE),
    ("What was the cause of the blackout?", CAUSE),
    ("Why is France pulling out?", None),
    ("Where are the French bases?", None),
])
def test_the_kind_of_answer_a_question_asks_for(question, wanted):
    assert answer_type(question) is wanted


def test_a_cause_is_held_by_a_sentence_that_gives_one():
    question = "What caused the Karst hills fire?"
    assert has_type("Investigators said a fallen power line was the most likely cause.", CAUSE, question) == 1.0
    assert has_type("The fire was sparked by a fallen power line.", CAUSE, question) == 1.0
    assert has_type("Firefighters declared the Karst hills fire contained on Friday.", CAUSE, question) == 0.0


def test_a_sentence_holds_what_is_asked_only_with_something_new():
    assert has_type("Some 1,500 soldiers are deployed.", NUMBER) == 1.0
    assert has_type("The soldiers are deployed.", NUMBER) == 0.0
    assert has_type("The ambassador is Sylvain Itte.", NAME, "Who is the ambassador?") == 1.0
    # the only name in the sentence is the one the question already gives
    assert has_type("The ambassador to Niger left.", NAME, "Who is the ambassador to Niger?") == 0.0
    assert has_type("It ended on Tuesday.", YEAR_OR_DATE) == 1.0 and has_type("anything", None) == 0.0


def test_a_sentence_score_mixes_similarity_and_coverage_with_the_named_weight():
    assert sentence_score(1.0, 0.0) == pytest.approx(rules.DENSE_WEIGHT)
    assert sentence_score(0.0, 1.0) == pytest.approx(1 - rules.DENSE_WEIGHT)
    assert sentence_score(0.5, 0.5) == pytest.approx(0.5)
    assert coverage({"soldier", "niger"}, {"soldier", "french"}) == 0.5 and coverage(set(), {"x"}) == 0.0


def test_evidence_about_something_else_is_scaled_down_once_per_rule():
    question = "How many soldiers does France keep in Chad?"
    assert missing_names(question, "French troops in Niger number 1,500.") == ["France", "Chad"]
    assert missing_names(question, "France keeps 1,000 soldiers in Chad.") == []
    assert missing_names("Who leads Niger's junta?", "The junta of Niger is led by Tiani.") == []  # possessive
    factor = rules.UNGROUNDED_FACTOR
    assert grounded_score(0.8, question, question, "x", "France keeps 1,000 soldiers in Chad.") == 0.8
    assert grounded_score(0.8, question, question, "x", "Troops in Niger.") == pytest.approx(0.8 * factor)
    negated = "Which bases were not closed?"
    assert negation_unmatched(negated, "The base at Niamey was closed.")
    assert not negation_unmatched(negated, "The base at Ouallam was not closed.")
    assert not negation_unmatched("Which bases were closed?", "The base at Niamey was closed.")
    assert grounded_score(0.8, negated, negated, "The base was closed.", "Niger") == pytest.approx(0.8 * factor)


def test_overlap_counts_stemmed_content_words():
    assert overlap("French soldiers deployed", "the soldier was deploying with French troops") == 1.0
    assert overlap("French soldiers deployed in Mali", "French soldiers") == pytest.approx(0.5)
    assert overlap("the of and", "anything") == 0.0  # nothing to back: not backed
    assert 0 < rules.WRITTEN_OVERLAP < rules.QUOTE_OVERLAP <= 1  # a paraphrase may use more words of its own


def test_the_terms_a_quote_must_cover():
    assert coverage_terms("How many soldiers are in Niger?", "How many soldiers are in Niger?").startswith("How")
    # a follow-up that says enough on its own covers its own words; a bare one, the rewritten query
    assert coverage_terms("And the debt figure?", "And the debt figure (Niger)?") == "And the debt figure?"
    assert coverage_terms("And there?", "And there (Niger soldiers)?") == "And there (Niger soldiers)?"
    assert content_words("What about the French ambassador's name?") == ["French", "ambassador's", "name"]


def test_a_short_line_that_ends_no_sentence_is_a_heading():
    text = ("Paris has refused to recall the ambassador.\n'Maintain cooperation with France'\n"
            "Zeine said Monday that he hoped to maintain cooperation.\nBy Jane Smith in Niamey\n")
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    assert [heading(text, s, e) for s, e in lines] == [False, True, False, True]
    inside = text.index("he hoped")  # a sentence's end is not a line's end
    assert not heading(text, inside, inside + len("he hoped to maintain"))


def test_the_topic_of_a_question_is_not_its_prepositions_nor_happened():
    texts = ["Over the weekend, thousands of demonstrators rallied in Niamey."]
    assert topic_words("What happened over the weekend in Niamey?", texts) == ["weekend", "Niamey"]


def test_a_name_of_several_words_is_named_by_any_of_its_own():
    speaker = "Which lawmaker was ousted from his role as speaker of the US House of Representatives?"
    assert missing_names(speaker, "Kevin McCarthy was ousted as House speaker on Tuesday.") == []
    assert missing_names(speaker, "The Senate passed the bill.") == ["House Representatives"]
    butler = ("Democratic Sen. Laphonza Butler made history when she became the only Black woman serving in "
              "the Senate. Which state does she represent?")  # "Which" opens a sentence: no name; "Sen." is a role
    assert missing_names(butler, "Newsom appointed Butler, a Black woman, to the Senate seat of California.") == []
    assert missing_names(butler, "Newsom appointed a Black woman to the Senate.") == ["Laphonza Butler"]
    assert missing_names("What did the New York Times report?", "The Times reported it.") == []
    assert missing_names("What did the New York Times report?", "A new report.") == ["York Times"]  # not "New"


def test_a_count_in_words_holds_how_many_only_of_what_it_counts():
    asked = "How many batches of formula were recalled at first?"
    assert has_type("Kelto recalled three batches of its formula.", NUMBER, asked)
    assert not has_type("The fire was contained nine days after it broke out.", NUMBER, asked)
    assert not has_type("The fire was contained nine days after it broke out.", NUMBER, "How big was the fire?")


def test_of_three_names_or_more_one_missing_in_three_leaves_the_evidence_on_topic():
    royals = "Which African country did King Charles and Queen Camilla visit this week?"
    assert rules.about_else(royals, "Charles recalled his family's memories of Kenya, an African country.") is False
    assert rules.about_else(royals, "The African Union met in Addis Ababa.") is True
    assert rules.about_else("How many soldiers does France keep in Chad?", "France keeps 1,000 soldiers.") is True


def test_a_count_of_an_event_needs_evidence_that_tells_of_one():
    from assistant.answering.rules import event_untold

    died = "How many firefighters died in the fire?"
    assert event_untold(died, "Some 150 firefighters were sent. One was treated for smoke inhalation.")
    assert not event_untold(died, "Two firefighters were killed when the wind turned.")
    assert not event_untold(died, "The death toll rose to 17.")
    assert event_untold("How many people were arrested?", "Police said 40 people took part.")
    assert not event_untold("How many people were arrested?", "Police detained 12 protesters.")
    assert not event_untold("How many were injured?", "Nine were taken to hospital.")
    assert not event_untold("How many hectares burned?", "Crews were sent.")
    assert not event_untold("Who died in the fire?", "Crews were sent.")  # counts nothing


def test_a_question_or_a_lead_in_states_nothing_and_is_never_quoted():
    from assistant.answering.rules import quotable

    text = "Which states have legal recreational marijuana?\nOhio is the 24th state to legalize it. Short."
    parts = ["Which states have legal recreational marijuana?", "Ohio is the 24th state to legalize it.", "Short."]
    spans = [(text.index(p), text.index(p) + len(p)) for p in parts]
    assert [quotable(text, s, e) for s, e in spans] == [False, True, False]
    said = '"Why would we leave?" he asked the crowd.'
    assert quotable(said, 0, len(said))
    assert not quotable('He asked: "Will it work?"', 0, 25)
    lead_in = "Only four managers have won a World Series with multiple teams:"
    assert not quotable(lead_in, 0, len(lead_in))  # what it introduces follows it


@pytest.mark.parametrize("question, sentence", [
    ("Which islands comprise a larger number of electors?", "The islands comprise a much smaller number of electors."),
    ("What are the most important mediators of the response?", "Innate cells are the least important mediators."),
    ("The officer balances similar viewpoints and whom?", "The officer balances different viewpoints and parties."),
    ("What do tumors express that are also found on normal cells?", "They express antigens not found on normal cells."),
    ("When the commission reached a decision, what happened?", "The commission reached no decision."),
    ("Which factor is unimportant for the outcome?", "Rainfall is important for the outcome."),
    ("What status has the movement obtained in the non-Islamic world?", "It is influential in the Islamic world."),
    ("Why did British operations succeed in 1755?", "British operations in 1755 all failed."),
])
def test_a_sentence_that_says_the_opposite_of_the_question_answers_another(question, sentence):
    assert rules.opposite_said(question, sentence)
    assert grounded_score(0.8, question, question, sentence, sentence) == pytest.approx(0.4)


@pytest.mark.parametrize("question, sentence", [
    ("Which islands comprise a larger number of electors?", "The larger islands, not the smaller, have more electors."),
    ("Who won the race?", "She won the race; her rival lost."),
    ("During which years was no census taken?", "No census was taken between 1377 and 1801."),
    ("What did the minister not say?", "The minister did not mention the budget."),
    ("Which is larger, the smaller or the older one?", "The smaller one is larger."),
    ("Where did the prices rise?", "Prices rose in Paris."),
    ("Which river flows through the city?", "The river is not navigable."),  # a word of the question not negated
])
def test_a_sentence_that_also_says_the_word_asked_or_negates_another_is_not_opposite(question, sentence):
    assert not rules.opposite_said(question, sentence)


def test_a_question_whether_something_is_so_is_answered_by_its_opposite_too():
    assert not rules.opposite_said("Has the union accepted a pay offer?", "The union rejected a pay offer.")
    assert not rules.opposite_said("Did the larger party win?", "The smaller party won.")
    assert rules.opposite_said("Which party accepted the offer?", "The union rejected the offer.")
