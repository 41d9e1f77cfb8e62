"""The chat-model seam's contract, run against the test kit's scripted model and the real local
model (the 0.5B one) alike."""

from __future__ import annotations

import pytest

from assistant.prompts import render
from tests.kit import ScriptedModel

EVIDENCE = "Currently, some 1,500 French soldiers are deployed in Niger."


@pytest.fixture(scope="module", params=["scripted", pytest.param("local", marks=pytest.mark.integration)])
def model(request):
    if request.param == "scripted":
        return ScriptedModel("Some 1,500 French soldiers are in Niger [1].",
                             beliefs={"German": 0.02, "French": 0.97})
    from assistant.models import LocalModel

    return LocalModel("qwen2.5-0.5b", threads=2)


def test_yes_is_a_probability_and_follows_the_evidence(model):
    prompt = render("check", title="France in Niger", evidence=EVIDENCE, question="How many French soldiers "
                    "are in Niger?").strip()
    wrong = render("check", title="France in Niger", evidence=EVIDENCE, question="How many German soldiers "
                   "are in Niger?").strip()
    yes, no = model.yes_probability(prompt), model.yes_probability(wrong)
    assert 0.0 <= no < yes <= 1.0


def test_choice_shares_are_one_probability_per_label_summing_to_one(model):
    prompt = render("select", question="How many French soldiers are deployed in Niger?", sentences=(
        "1. (France in Niger) The junta asked the ambassador to leave the country.\n"
        f"2. (France in Niger) {EVIDENCE}\n"
        "3. (France in Niger) The German government has not commented on the decision.")).strip()
    shares = model.choice_shares(prompt, ["1", "2", "3"])
    assert len(shares) == 3 and sum(shares) == pytest.approx(1.0) and all(0.0 <= s <= 1.0 for s in shares)
    # (Which sentence the model favours is its quality, not the seam's contract: the 0.5B model's
    # shares here are nearly even; the 1.5B model's choice is tested with the real model.)


def test_a_reply_arrives_in_pieces_of_text(model):
    prompt = render("answer", passages=f"From \"France in Niger\":\n[1] {EVIDENCE}",
                    question="How many French soldiers are in Niger?").strip()
    model.keep(prompt)
    pieces = model.write(prompt, 40)
    first = next(pieces)
    pieces.close()  # a reader may stop early; the model is free again
    reply = "".join(model.write(prompt, 40))
    assert isinstance(first, str) and "1,500" in reply
    assert isinstance(model.name, str) and model.name
