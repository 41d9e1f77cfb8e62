"""The extractive generator on hand-made passages, with the test kit's word encoder: which
sentences it quotes, with what support, and what it does with time."""

from __future__ import annotations

from datetime import date

from assistant.answering.extractive import ExtractiveGenerator
from assistant.retrieval.when import read_time
from assistant.types import Hit
from tests.kit import WordEncoder


def hit(n: int, passage: str, published: str | None = None) -> Hit:
    return Hit(id=f"{n}:0", article_id=str(n), title=f"Report {n}", source=f"{n}.txt", url=None,
               published=published, passage=passage, start=0, end=len(passage), score=1.0)


ENCODER = WordEncoder()
FIRE = [hit(1, "The fire in the hills began on Monday. Firefighters said 2,000 hectares had burned by then.",
            "2024-08-05"),
        hit(2, "Local shops stayed open all week. The fire had burned 9,500 hectares by Thursday.", "2024-08-12")]


def draft(question: str, hits: list[Hit], as_of: date = date(2024, 8, 16), **kwargs):
    generator = ExtractiveGenerator(ENCODER, **kwargs)
    vector = ENCODER.embed([question])[0]
    return generator.draft(question, question, hits, vector, read_time(question, as_of))


def test_the_sentence_that_answers_is_quoted_verbatim_and_supports_the_draft():
    got = draft("How many hectares had burned by then?", FIRE[:1])
    best = got.claims[0]
    assert best.text == "Firefighters said 2,000 hectares had burned by then."
    assert best.hit is FIRE[0] and best.hit.passage[best.start:best.end] == best.text
    assert got.support == best.score > 0


def test_a_question_about_the_latest_state_quotes_the_newest_report():
    got = draft("How many hectares have burned so far?", FIRE)
    assert [c.hit.article_id for c in got.claims] == ["2"] and "9,500" in got.claims[0].text


def test_a_question_about_the_first_report_quotes_the_oldest():
    got = draft("How many hectares had burned at first?", FIRE)
    assert [c.hit.article_id for c in got.claims] == ["1"] and "2,000" in got.claims[0].text
    assert read_time("How many were recalled initially?", date(2024, 8, 16)).earliest
    assert not read_time("Who was the first woman in space?", date(2024, 8, 16)).earliest


def test_another_reports_other_figure_for_the_same_thing_is_a_disagreement():
    got = draft("How many hectares burned?", FIRE)
    figures = {c.text for c in got.claims + got.disagreeing}
    assert any("2,000 hectares" in t for t in figures) and any("9,500 hectares" in t for t in figures)


def test_a_question_whose_name_the_passage_never_mentions_is_less_supported():
    grounded = draft("How many hectares burned in the hills?", FIRE[:1])
    elsewhere = draft("How many hectares burned in Portugal?", FIRE[:1])
    assert elsewhere.support < grounded.support


def test_candidates_are_listed_best_first_and_nothing_is_drafted_from_nothing():
    got = draft("How many hectares burned?", FIRE, candidates=3)
    assert len(got.candidates) == 3
    assert [c.score for c in got.candidates] == sorted((c.score for c in got.candidates), reverse=True)
    empty = draft("How many hectares burned?", [hit(3, "Short.")])
    assert empty.claims == [] and empty.support == 0.0


WHY = [hit(5, "The junta denounced the military agreements with France. Protesters called for the French "
              "forces to leave. The junta said the troops are in an illegal position.", "2023-09-05"),
       hit(6, "France said the junta was not legitimate. The French troops are in an illegal position, the "
              "junta said again.", "2023-09-06")]


def test_a_why_question_gets_up_to_three_sentences_that_do_not_repeat_each_other():
    got = draft("Why does the junta want the French troops to leave?", WHY)
    texts = [c.text for c in got.claims]
    assert 2 <= len(texts) <= 3
    assert not ("The junta said the troops are in an illegal position." in texts
                and "The French troops are in an illegal position, the junta said again." in texts)


def test_what_someone_says_is_not_followed_by_what_others_did(monkeypatch):
    said = [hit(7, "The junta denounced the military agreements with France and said the French troops must "
                   "leave. Until now, the French authorities had always rejected requests for the withdrawal "
                   "of the French troops.", "2023-09-05")]
    question = "What does the junta say about the French troops?"
    texts = [c.text for c in draft(question, said).claims]
    assert texts == ["The junta denounced the military agreements with France and said the French troops must leave."]
    # without the actor rule the French authorities' sentence is near enough to be quoted too
    monkeypatch.setattr("assistant.answering.extractive.others_act", lambda text, who: False)
    assert len(draft(question, said).claims) == 2


def test_an_overview_question_gets_one_sentence_per_report():
    got = draft("What is the latest on the fire?", FIRE)
    assert sorted(c.hit.article_id for c in got.claims) == ["1", "2"]


def test_the_questions_that_ask_for_explanations_and_overviews():
    from assistant.answering.rules import explaining, overview

    assert [explaining(q) for q in ["Why did France leave?", "How did the talks go?", "How many soldiers?",
                                    "What is the junta's position on the troops?", "Who is the ambassador?"]] == [
        True, True, False, True, False]
    assert [overview(q) for q in ["What happened at the summit last week?", "What is the latest on the strike?",
                                  "What is the latest death toll?", "How many died?"]] == [True, True, False, False]


SPREAD = [hit(11, "A fire in the hills broke out on Monday and burned 800 hectares of forest.", "2024-08-05"),
          hit(12, "The fire in the hills had burned 4,000 hectares by Friday.", "2024-08-09"),
          hit(13, "Crews declared the fire in the hills fully contained on Wednesday. Residents went home. "
                  "The final burned area was put at 9,900 hectares.", "2024-08-14")]


def test_a_report_that_gives_no_figure_of_what_the_others_track_is_followed_by_its_own_that_does():
    got = draft("How has the fire in the hills developed?", SPREAD)
    texts = [c.text for c in got.claims]
    assert [c.hit.article_id for c in got.claims] == ["11", "12", "13", "13"]
    assert texts[2] == "Crews declared the fire in the hills fully contained on Wednesday."
    assert texts[3] == "The final burned area was put at 9,900 hectares."
    assert "Residents went home." not in texts
    # one report alone tracks nothing: no sentence is added to it
    two = draft("How has the fire in the hills developed?", SPREAD[1:])
    assert [c.text for c in two.claims] == ["The fire in the hills had burned 4,000 hectares by Friday.",
                                             "Crews declared the fire in the hills fully contained on Wednesday."]


def test_a_long_story_is_told_by_its_first_report_and_its_newest():
    days = ["2024-08-01", "2024-08-03", "2024-08-05", "2024-08-07", "2024-08-09", "2024-08-11"]
    reports = [hit(20 + i, f"The fire in the hills had burned {1000 * (i + 1):,} hectares by then.", day)
               for i, day in enumerate(days)]
    got = draft("How has the fire in the hills developed?", reports, passages=6)
    assert [c.hit.published for c in got.claims] == ["2024-08-01", "2024-08-07", "2024-08-09", "2024-08-11"]


def test_a_count_of_deaths_is_not_answered_by_evidence_that_tells_of_none():
    sent = [hit(30, "Some 150 firefighters were sent to the fire in the hills.", "2024-08-05")]
    killed = [hit(31, "Two firefighters were killed by the fire in the hills.", "2024-08-05")]
    untold = draft("How many firefighters died in the fire in the hills?", sent)
    told = draft("How many firefighters died in the fire in the hills?", killed)
    assert untold.support < 0.6 * told.support
    # the same evidence answers a count that asks for no event in full
    assert draft("How many firefighters were sent to the fire in the hills?", sent).support > untold.support


def test_a_date_asked_and_given_beside_the_question_s_words_is_surer():
    from assistant.answering.rules import ANCHORED_BONUS

    beside = draft("When will the new mayor be sworn in?",
                   [hit(40, "The new mayor will be sworn in on 1 June, the council said.", "2025-05-16")])
    apart = draft("When will the new mayor be sworn in?",
                  [hit(41, "On 1 June, the council said, the new mayor will be sworn in.", "2025-05-16")])
    assert beside.support == beside.claims[0].score + ANCHORED_BONUS
    assert apart.support == apart.claims[0].score


def test_a_question_the_article_asks_is_not_an_answer():
    asked = [hit(50, "Which states have legal recreational marijuana? Ohio became the 24th state to legalize "
                     "recreational marijuana on Tuesday.", "2023-11-08")]
    got = draft("Which state became the 24th to legalize recreational marijuana?", asked, candidates=3)
    assert [c.text for c in got.claims + got.candidates] == [
        "Ohio became the 24th state to legalize recreational marijuana on Tuesday."] * 2


def test_a_sentence_that_refers_to_what_is_asked_without_naming_it_is_quoted_with_the_one_that_names_it():
    comeback = hit(1, "Jon Stewart is going home again.\n\nThe comedian will return to host the show every "
                      "Monday beginning in February, the network announced.")
    got = draft("Which comedian announced he will return to host the show every Monday?", [comeback])
    best = got.claims[0]
    assert best.text == ("Jon Stewart is going home again. The comedian will return to host the show every "
                         "Monday beginning in February, the network announced.")
    assert best.start == 0 and best.end == len(comeback.passage)
    # The sentence before names no one new, or is a title line: the sentence is quoted alone.
    plain = hit(2, "The network has news.\n\nThe comedian will return to host the show every Monday.")
    assert draft("Which comedian will return to host the show every Monday?", [plain]).claims[0].text == \
        "The comedian will return to host the show every Monday."
    titled = hit(3, "Jon Stewart returns\n\nThe comedian will return to host the show every Monday.")
    assert draft("Which comedian will return to host the show every Monday?", [titled]).claims[0].text == \
        "The comedian will return to host the show every Monday."
