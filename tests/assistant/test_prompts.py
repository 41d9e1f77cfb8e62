"""One golden test per prompt, rendered from the seed article."""

import os
from pathlib import Path

import pytest

from assistant.prompts import PromptError, number_passages, render
from assistant.resources import data_path
from tests.conftest import SEED_FILE

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def seed_passages():
    paragraphs = [p for p in SEED_FILE.read_text().split("\n") if p.strip()]
    return number_passages(paragraphs[5:7])


VALUES = {
    "answer": {"passages": seed_passages(), "question": "How many French soldiers are in Niger?"},
    "check": {"title": "France in Niger", "evidence": "About 1,500 French soldiers are deployed in Niger.",
              "question": "How many French soldiers are in Niger?"},
    "entail": {"evidence": "About 1,500 French soldiers are deployed in Niger.",
               "statement": "Some 1,500 French troops are in Niger."},
    "condense": {"history": "user: Where are the French bases in Niger?\nassistant: In Niamey, Ouallam "
                 "and Ayorou [1].", "question": "And how many soldiers are there?"},
}


def test_every_shipped_prompt_has_a_golden_test():
    assert {p.stem for p in data_path("prompts").glob("*.md")} == set(VALUES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_prompt_matches_golden(name):
    rendered = render(name, **VALUES[name])
    golden = GOLDEN / f"prompt_{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()
    assert "$" not in rendered


def test_missing_unknown_and_absent_are_errors():
    with pytest.raises(PromptError, match="missing \\['passages'\\]"):
        render("answer", question="q")
    with pytest.raises(PromptError, match="unknown \\['extra'\\]"):
        render("condense", history="h", question="q", extra="x")
    with pytest.raises(PromptError, match="no prompt named 'nope'"):
        render("nope")
