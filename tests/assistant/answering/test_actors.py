"""Who did what: acts given to another actor than the evidence gives them to."""

from __future__ import annotations

import pytest

from assistant.answering.actors import acts, misattributed, others_act
from assistant.answering.base import Claim
from assistant.answering.written import WrittenAnswerer
from assistant.types import Hit
from tests.kit import ScriptedModel

REJECTED = ("Meanwhile, the French government has so far rejected the idea of a departure of its troops deployed "
            "in Niger as part of its wider fight against extremist forces all across the Sahel region.")
REFUSED = "Paris has also refused to recall the ambassador, Sylvain Itte, to the French capital."
OUSTED = ("The Le Monde newspaper reported on Tuesday that exchanges were taking place with the Nigerien military "
          "who ousted president Mohamed Bazoum.")
HOPED = "Zeine nevertheless said Monday that he hoped to maintain cooperation if possible with France."


@pytest.mark.parametrize("sentence, evidence, act", [
    ("The junta wants French troops out because they have rejected the idea of a departure.", REJECTED, "reject"),
    ("The junta has rejected the idea of a departure of French troops.", REJECTED, "reject"),
    ("Niger refused to recall the ambassador.", REFUSED, "refus"),
    ("Le Monde ousted President Bazoum.", OUSTED, "oust"),
    ("Macron said he hoped to maintain cooperation.", HOPED, "said"),
])
def test_an_act_given_to_another_actor_is_named(sentence, evidence, act):
    assert misattributed(sentence, [evidence]) == act


@pytest.mark.parametrize("sentence, evidence", [
    ("The French government has rejected the idea of a departure of its troops.", REJECTED),
    ("Paris has refused to recall its ambassador, Sylvain Itte.", REFUSED),
    ("The Nigerien military ousted President Bazoum.", OUSTED),
    ("Zeine said he hoped to maintain cooperation with France.", HOPED),
    ("Some 1,500 French soldiers are deployed in Niger.", REJECTED),  # no act the evidence reports
])
def test_an_act_given_to_its_own_actor_passes(sentence, evidence):
    assert misattributed(sentence, [evidence]) is None


def test_a_relative_clause_gives_the_act_to_the_noun_before_it():
    assert ("oust", {"nigerien", "military", "place", "taking", "exchanges"}) in acts(OUSTED)


def test_a_written_misattribution_is_dropped_before_it_is_shown():
    hit = Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published=None,
              passage=REJECTED, start=0, end=len(REJECTED), score=1.0)
    evidence = [Claim(REJECTED, hit, 0, len(REJECTED), 0.8)]
    model = ScriptedModel("The junta wants French troops out because they have rejected the idea of a departure "
                          "of its troops deployed in Niger [1].")
    [written] = WrittenAnswerer(model).write("What does the junta want?", evidence)
    assert written.dropped.startswith("gives an act (reject...)")


def test_a_question_about_what_someone_said_finds_the_sentences_where_they_say_it():
    from assistant.answering.actors import reporter_asked, reports

    assert reporter_asked("What did Le Monde report?") == {"le", "monde"}
    assert reporter_asked("What did the source close to Lecornu tell AFP?") == {"source", "close", "lecornu"}
    assert reporter_asked("Who is the French ambassador?") == set()
    assert reports(OUSTED, {"le", "monde"})  # "The Le Monde newspaper reported ..."
    assert not reports(REJECTED, {"le", "monde"})
    told = "Talks are under way, a source close to Defense Minister Sebastien Lecornu told AFP Tuesday."
    assert reports(told, {"source", "close", "lecornu"}) and not reports(told, {"junta"})


def test_a_sentence_that_gives_its_acts_to_others_only_is_told_apart():
    assert others_act(REJECTED, {"junta"})  # the French government rejected
    assert not others_act("The junta said the troops are in an illegal position.", {"junta"})
    assert not others_act("Protesters in the streets waved flags.", {"junta"})  # no act at all
