"""The phrase of a quote that answers: figures, dates, names, places; none when unsure."""

from __future__ import annotations

import pytest

from assistant.answering.rules import answer_type, has_type
from assistant.answering.spans import answer_span, kind_asked, leading

TROOPS = ("Currently, some 1,500 French soldiers are deployed in the country, on three bases: in the capital, "
          "Niamey, in Ouallam, north of the capital, and in Ayorou, near the border with Mali.")
DEBT = "\"Today we are at a stock of debts estimated at 5200 billion CFA Francs (7.92 billion euros)\", he stated."
AMBASSADOR = "Paris has also refused to recall the ambassador, Sylvain Itte, to the French capital."
ZEINE = "Niger's newly appointed Prime Minister Ali Mahaman Lamine Zeine said earlier that contacts were underway."
COUP = "\"It is normal to discuss it\" since the July 26 coup, added one of them."
OUSTED = "Talks took place with the Nigerien military who ousted president Mohamed Bazoum."


@pytest.mark.parametrize("question, sentence, span", [
    ("How many French soldiers are deployed in Niger?", TROOPS, "1,500"),
    ("How much debt does Niger have?", DEBT, "5200 billion CFA Francs"),
    ("Where are the French military bases in Niger?", TROOPS, "Niamey"),
    ("Who is the French ambassador?", AMBASSADOR, "Sylvain Itte"),
    ("Who is the prime minister of Niger?", ZEINE, "Ali Mahaman Lamine Zeine"),
    ("When did the coup happen?", COUP, "July 26"),
])
def test_the_phrase_that_answers_is_found_and_is_part_of_the_quote(question, sentence, span):
    assert answer_span(question, sentence) == span and span in sentence


@pytest.mark.parametrize("question, sentence", [
    ("Who ousted president Mohamed Bazoum?", OUSTED),  # the answer is no name: no lead rather than a wrong one
    ("Why is France leaving Niger?", TROOPS),
    ("How many German soldiers are deployed?", "No figure is given for the German contingent."),
    ("When did the coup happen?", "The coup shocked the region."),
    ("Where are the French military bases in Niger?",  # a person after "to" is no place
     "France's army is holding talks, a source close to Defense Minister Sebastien Lecornu told AFP."),
    ("Who is leading the Alsmere mayoral race?",  # a day or a month is no name
     "The race for mayor of Alsmere was too close to call on Tuesday after the first count gave the "
     "incumbent, Jonas Varga, 48.2% of the vote."),
    ("Where was the recount held?", "The recount was held in May after a delay."),
    ("How many firefighters died in the Karst fire?",  # a figure of something else is no answer
     "The wildfire in the Karst hills has grown to 3,200 hectares, the regional fire service said."),
])
def test_no_phrase_when_none_clearly_answers(question, sentence):
    assert answer_span(question, sentence) is None


def test_the_kind_asked():
    assert [kind_asked(q) for q in ["How many infants fell ill?", "When did the fire start?", "Who won?",
                                    "Where did it burn?", "Which company recalled the formula?",
                                    "Why did it burn?"]] == ["figure", "date", "name", "place", "name", None]


@pytest.mark.parametrize("question, sentence, span", [
    ("When did the notice period expire?",  # the date the question's words stand next to
     "The generals renounced several agreements with France on August 3, including one with a month-long "
     "notice period that expired on Sunday.", "on Sunday"),
    ("When did the generals renounce the agreements?",
     "The generals renounced several agreements with France on August 3, including one with a month-long "
     "notice period that expired on Sunday.", "August 3"),
    ("Who is the French defense minister?",  # the role the question names is not part of the answer
     "A source close to Defense Minister Sebastien Lecornu told AFP Tuesday.", "Sebastien Lecornu"),
    ("Who was ousted from his position as House speaker?",  # an abbreviated title is part of the name
     "The House plunged into chaos after the ousting of Rep. Kevin McCarthy from his position as speaker.",
     "Rep. Kevin McCarthy"),
    ("Who told AFP about the talks?",  # a day after a name is not part of it
     "The talks were confirmed by Le Monde Tuesday, a source close to the minister told AFP.", "Le Monde"),
])
def test_the_phrase_the_question_points_at(question, sentence, span):
    assert answer_span(question, sentence) == span


@pytest.mark.parametrize("sentence", [
    "Prime Minister Zeine began by discussing the status of French troops and ambassadors in Niger.",  # a place
    "A source close to Defense Minister Sebastien Lecornu told AFP Tuesday.",  # "Minister" is Lecornu's, not AFP's
    "The minister backed the Republican nomination of a French general.",  # adjectives name no one
])
def test_no_name_of_something_else_answers_who(sentence):
    assert answer_span("Who is the French defence minister?", sentence) is None


def test_the_answer_leads_with_the_sentence_whose_phrase_answers():
    reported = ("The Le Monde newspaper reported on Tuesday that exchanges were taking place with the "
                "military who ousted president Mohamed Bazoum.")
    assert leading("When did the coup take place?", [reported, COUP]) == (1, "July 26")
    assert leading("When did Le Monde report it?", [reported, COUP]) == (0, "on Tuesday")
    debt_burden = "Zeine revealed that the country faced a substantial debt burden."
    assert leading("How much debt does Niger have?", [debt_burden, DEBT]) == (1, "5200 billion CFA Francs")
    assert leading("Why is France leaving Niger?", [reported, COUP]) is None


def test_a_date_still_to_come_is_not_read_from_what_was():
    question = "When will the new mayor of Alsmere be sworn in?"
    past = "Elin Moss was declared mayor of Alsmere on Friday after a recount."
    future = "Moss, a former schoolteacher, will be sworn in on 1 June."
    assert answer_span(question, past) is None
    assert answer_span(question, future) == "1 June"
    assert leading(question, [past, future]) == (1, "1 June")
    # the present tense of a fixed date still answers, and a past question still reads the past
    assert answer_span("When will daylight saving time end?",
                       "Daylight saving time officially ends Sunday, Nov. 5 at 2 a.m.") is not None
    assert answer_span("When was Moss declared mayor?", past) == "on Friday"


def test_what_will_be_is_not_held_by_a_sentence_of_what_was():
    question = "When will the new mayor of Alsmere be sworn in?"
    wants = answer_type(question)
    assert has_type("Elin Moss was declared mayor of Alsmere on Friday.", wants, question) == 0.0
    assert has_type("Moss will be sworn in on 1 June.", wants, question) == 1.0
    assert has_type("The mayor had said she is due to be sworn in on 1 June.", wants, question) == 1.0


def test_a_date_beside_the_question_s_words_in_a_fitting_tense_is_anchored():
    from assistant.answering.spans import anchored

    question = "When will the new mayor be sworn in?"
    assert anchored(question, "Moss, a former schoolteacher, will be sworn in on 1 June.")
    assert not anchored(question, "Moss was declared mayor on Friday after a recount.")  # what was
    assert not anchored(question, "On 1 June, the council said, the new mayor takes office.")  # apart
    assert not anchored("How many were sworn in?", "They were sworn in on 1 June.")  # no date asked


def test_when_asks_for_a_date_as_the_question_s_word_not_inside_a_clause():
    from assistant.answering.rules import INNER_NAME, YEAR_OR_DATE, answer_type

    clause = "Which NBA team did Mac McClung represent when he won the 2023 Slam Dunk Contest?"
    assert kind_asked(clause) is None and answer_type(clause) is INNER_NAME
    after = "Sen. Laphonza Butler made history this week when she became a senator. Which state does she represent?"
    assert kind_asked(after) == "place"
    for asked in ["When will she be sworn in?", "The cap on bonuses will be lifted when?", "And when did it start?"]:
        assert kind_asked(asked) == "date" and answer_type(asked) is YEAR_OR_DATE, asked
    # any other "which X" gets no lead: in news, the name its words stand next to is mostly not the answer
    assert kind_asked("Which European royal announced an abdication?") is None
    assert kind_asked("Which US state became the 24th to legalize marijuana?") == "place"
    assert kind_asked("Which of the following is not a candidate?") is None


def test_a_sentence_refers_back_to_what_is_asked_by_its_noun_or_a_pronoun():
    from assistant.answering.spans import refers_back

    assert refers_back("Which comedian announced he will return?", "The comedian will return to host.")
    assert refers_back("Who won the prize?", "She won a Golden Globe.")
    assert not refers_back("Which state passed the bill?", "The state Senate will soon vote.")
    assert not refers_back("Who won?", "They will be the first meetings.")
    assert not refers_back("Which comedian returns?", "The network said so.")
    assert not refers_back("When did he return?", "He returned in February.")


def test_the_name_of_the_role_a_question_s_subject_holds_is_not_whom_it_asks_for():
    from assistant.answering.spans import answer_span

    sentence = "Prime Minister Zeine began by discussing the status of French troops."
    assert answer_span("Who is the prime minister?", sentence) == "Zeine"
    assert answer_span("Who did the prime minister meet?", sentence) is None
    meeting = "Prime Minister Zeine will meet Sylvain Itte."
    assert answer_span("Who will the prime minister meet?", meeting) == "Sylvain Itte"


def test_a_name_written_beyond_ascii_is_led_with_whole():
    sentence = "Alumni include Costa Rican President José María Figueres and the writer Émile Zola."
    assert answer_span("Who is the Costa Rican President that went to Harvard?", sentence) == "José María Figueres"
    assert answer_span("Who was the writer?", sentence) == "Émile Zola"
