"""The selector: a language model chooses among the reader's likeliest sentences in one prompt; its
arithmetic, its prompt, and what it changes in the extractive generator's draft."""

from __future__ import annotations

import pytest

from assistant.answering import ExtractiveGenerator, Selector
from assistant.answering.selector import MAX_WORDS, mixed, numbered, select_prompt
from assistant.retrieval.when import read_time
from assistant.types import Hit
from tests.kit import ScriptedModel, WordEncoder

ENCODER = WordEncoder()
TROOPS = ("The troops that France keeps in Niger are to leave the country by the end of the year. "
          "Currently, some 1,500 French soldiers are deployed in Niger.")
HITS = [Hit(id="a:0", article_id="a", title="France in Niger", source="a.txt", url=None, published="2023-09-25",
            passage=TROOPS, start=0, end=len(TROOPS), score=1.0)]
QUESTION = "How many French troops are in Niger?"


def test_the_chosen_sentence_keeps_its_score_and_the_others_fall_behind_by_the_weight():
    assert mixed([0.6, 0.5, 0.4], [0.1, 0.8, 0.1], 0.5) == pytest.approx([0.25, 0.5, 0.05])
    # a sentence the model was not shown falls behind as one given nothing
    assert mixed([0.6, 0.5, 0.3], [0.2, 0.8], 0.5) == pytest.approx([0.3, 0.5, -0.1])
    assert mixed([0.6, 0.5], [0.3, 0.7], 0.0) == [0.6, 0.5]  # weight 0: the reader alone


def test_the_prompt_numbers_each_sentence_under_its_title_and_cuts_long_ones():
    long = " ".join(["word"] * (MAX_WORDS + 10))
    listed = numbered([("France in Niger", "Some 1,500 soldiers are there."), ("", long)])
    first, second = listed.splitlines()
    assert first == "1. (France in Niger) Some 1,500 soldiers are there."
    assert second.startswith("2. (untitled) word") and second.endswith(" ...")
    assert len(second.split()) == 2 + MAX_WORDS + 1  # number and title, the words kept, the ellipsis
    prompt = select_prompt(QUESTION, [("France in Niger", "Some 1,500 soldiers are there.")])
    assert QUESTION in prompt and first in prompt and "number" in prompt


def test_the_model_moves_its_choice_ahead_of_the_readers_first():
    generator = ExtractiveGenerator(ENCODER)
    vector = ENCODER.embed([QUESTION])[0]
    time = read_time(QUESTION, None)
    alone = generator.draft(QUESTION, QUESTION, HITS, vector, time)
    assert "1,500" in alone.claims[0].text  # the reader's own choice, which the model is now told is wrong
    model = ScriptedModel(beliefs={"1,500": 0.05, "leave": 0.95})
    selected = ExtractiveGenerator(ENCODER, selector=Selector(model, weight=1.0)).draft(
        QUESTION, QUESTION, HITS, vector, time)
    assert selected.claims[0].text.startswith("The troops that France keeps")
    (prompt,) = model.prompts  # one prompt for the whole choice
    assert "1,500" in prompt and "leave the country" in prompt and QUESTION in prompt
    # the support is what the chosen sentence's own score allows, never raised by the model
    assert selected.support <= alone.support


def test_a_weight_of_zero_leaves_the_readers_order_and_one_sentence_needs_no_model():
    vector = ENCODER.embed([QUESTION])[0]
    model = ScriptedModel(beliefs={"1,500": 0.05, "leave": 0.95})
    generator = ExtractiveGenerator(ENCODER, selector=Selector(model, weight=0.0))
    got = generator.draft(QUESTION, QUESTION, HITS, vector, read_time(QUESTION, None))
    assert "1,500" in got.claims[0].text
    assert Selector(model).shares(QUESTION, [("t", "only one")]) == [1.0]
    assert len(model.prompts) == 1  # the second call asked nothing


def test_a_model_that_cannot_choose_is_a_clear_error():
    from assistant.models import LLMError

    class YesOnly:
        name = "yes-only"

        def yes_probability(self, prompt: str) -> float:
            return 0.9

    with pytest.raises(LLMError, match="yes-only cannot choose.*ASSISTANT_ANSWERER=checked"):
        Selector(YesOnly()).shares(QUESTION, [("t", "one"), ("t", "two")])
