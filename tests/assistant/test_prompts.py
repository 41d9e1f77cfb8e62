"""One golden test per prompt, rendered from the seed article."""

import os
from pathlib import Path

import pytest

from assistant.answering.base import Claim
from assistant.answering.selector import numbered
from assistant.answering.written import evidence_text
from assistant.prompts import PromptError, data_path, render
from assistant.types import Hit
from tests.helpers import SEED_FILE

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def seed_passages():
    """Two sentences of the seed as a written answer's numbered evidence."""
    text = SEED_FILE.read_text()
    hit = Hit(id="seed:0", article_id="seed", title="France in Niger", source=str(SEED_FILE), url=None,
              published="2023-09-05", passage=text, start=0, end=len(text), score=1.0)
    sentences = [p for p in text.split("\n") if p.strip()][5:7]
    claims = [Claim(s, hit, text.index(s), text.index(s) + len(s), 0.5) for s in sentences]
    return evidence_text(claims)


VALUES = {
    "answer": {"passages": seed_passages(), "question": "How many French soldiers are in Niger?"},
    "check": {"title": "France in Niger", "evidence": "About 1,500 French soldiers are deployed in Niger.",
              "question": "How many French soldiers are in Niger?"},
    "entail": {"evidence": "About 1,500 French soldiers are deployed in Niger.",
               "statement": "Some 1,500 French troops are in Niger."},
    "select": {"question": "How many French soldiers are in Niger?",
               "sentences": numbered([("France in Niger", "About 1,500 French soldiers are deployed in Niger."),
                                      ("France in Niger", "Paris has also refused to recall the ambassador.")])},
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
