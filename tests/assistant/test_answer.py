"""answer() on the seed article: the real model, real Chroma, the default extractive generator."""

import json

import pytest

from assistant import Assistant, QuestionError
from assistant.settings import load_settings
from ingest import ingest
from tests.helpers import SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, embedder):
    settings = load_settings(data_dir=tmp_path_factory.mktemp("seeded") / "index", chroma_host=None)
    ingest([SEEDS], settings, embedder=embedder)
    return Assistant(settings, embedder=embedder)


@pytest.mark.parametrize(
    "question, fact",
    [
        ("How many French soldiers are deployed in Niger?", "1,500"),
        ("Where are the French military bases in Niger?", "Ouallam"),
        ("Who is the French ambassador?", "Sylvain Itte"),
        ("How much debt does Niger have?", "5200 billion CFA Francs"),
    ],
)
def test_seed_questions_are_answered_with_a_citation_holding_the_fact(seeded, question, fact):
    a = seeded.answer(question)
    assert not a.abstained
    assert fact in a.text
    assert "[1]" in a.text
    cited = {c.n: c for c in a.citations}
    assert fact in cited[1].passage and fact in cited[1].quote
    c = cited[1]
    assert c.quote == " … ".join(c.passage[s:e] for s, e in c.quotes)  # each quoted sentence, verbatim
    assert c.title and c.source.endswith(".txt") and c.article_id == c.source  # the path under the folder


@pytest.mark.parametrize("question, lead", [
    ("When did the coup take place?", "**July 26**: "),  # not the "on Tuesday" of Le Monde's report
    ("When did the notice period expire?", "**on Sunday**: "),  # not the "August 3" of the same sentence
    ("How much debt does Niger have?", "**5200 billion CFA Francs**: "),  # from the second quoted sentence
    ("Who is the French ambassador?", "**Sylvain Itte**: "),
])
def test_the_answer_leads_with_the_phrase_the_question_points_at(seeded, question, lead):
    a = seeded.answer(question)
    assert a.text.startswith(lead) and lead.strip("*: ") in a.citations[0].quote


def test_a_name_answer_quotes_no_sentence_of_its_article_that_names_no_one_asked(seeded):
    a = seeded.answer("Who is the French ambassador?")
    assert "Sylvain Itte" in a.text and "began by discussing" not in a.text


@pytest.mark.parametrize("question, said", [
    ("What did Le Monde report?", "The Le Monde newspaper reported on Tuesday"),
    ("What did the source close to Lecornu tell AFP?", "a source close to Defense Minister Sebastien Lecornu told AFP"),
])
def test_a_question_about_what_someone_said_quotes_where_they_say_it(seeded, question, said):
    a = seeded.answer(question)
    assert not a.abstained and said in a.text


def test_citations_are_numbered_by_first_use_and_all_used(seeded):
    a = seeded.answer("Who is the French ambassador and what did Zeine say about his conduct?")
    markers = [int(m) for m in __import__("re").findall(r"\[(\d+)\]", a.text)]
    assert markers and markers[0] == 1
    assert sorted(set(markers)) == [c.n for c in a.citations]


@pytest.mark.parametrize(
    "question",
    ["Who won the 2022 football World Cup?", "What is the boiling point of mercury?",
     "Quel temps fera-t-il demain à Tokyo ?"],
)
def test_questions_the_article_does_not_cover_are_abstained(seeded, question):
    a = seeded.answer(question)
    assert a.abstained and a.citations == []
    assert a.text.startswith("The documents don't say")


def test_follow_up_is_rewritten_with_the_previous_topic(seeded):
    first = seeded.answer("Where are the French military bases in Niger?")
    follow = seeded.answer("And how many soldiers are there?", history=[(first.question, first.text)])
    assert follow.query != follow.question
    assert "bases" in follow.query and "Niger" in follow.query
    assert "1,500" in follow.text


def test_stream_grows_to_the_final_answer(seeded):
    parts = list(seeded.stream("How much debt does Niger have?"))
    assert len(parts) >= 2
    assert all(later.text.startswith(earlier.text) for earlier, later in zip(parts, parts[1:]))
    assert parts[-1].text == seeded.answer("How much debt does Niger have?").text


def test_date_filter_excludes_undated_and_out_of_range(seeded):
    assert seeded.search("French soldiers", since="2000-01-01") == []  # the seed has no date
    assert seeded.answer("How many French soldiers are in Niger?", until="2030-01-01").abstained


@pytest.mark.parametrize(
    "question, message",
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 100_000, "100,000 characters"), (None, "must be text"),
     ("\udcff Niger", "undecodable byte or a lone surrogate"), ("French \ud800 soldiers", "character 8")],
)
def test_bad_questions_get_a_clear_error(seeded, question, message):
    with pytest.raises(QuestionError, match=message):
        seeded.answer(question)


def test_control_characters_are_ignored(seeded):
    a = seeded.answer("How many French\x00 soldiers\x1b are in Niger?\x07")
    assert "1,500" in a.text


def test_empty_index_says_so(settings, embedder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "bad.txt").write_bytes(b"")
    ingest([empty], settings, embedder=embedder)
    a = Assistant(settings, embedder=embedder).answer("Anything?")
    assert a.abstained and "empty" in a.text


def test_cli_ask_json_and_errors(seeded, capsys):
    from assistant.cli import main

    data_dir = str(seeded.settings.data_dir)
    assert main(["--data-dir", data_dir, "ask", "Who is the French ambassador?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"text", "citations", "abstained", "query"}
    assert "Sylvain Itte" in out["citations"][0]["quote"]
    assert main(["--data-dir", data_dir, "ask", " "]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["--data-dir", data_dir + "-missing", "ask", "hi"]) == 2
    assert "no index at" in capsys.readouterr().err


def test_cli_ask_prints_sources(seeded, capsys):
    from assistant.cli import main

    main(["--data-dir", str(seeded.settings.data_dir), "ask", "How many French soldiers are in Niger?"])
    out = capsys.readouterr().out
    assert "Sources:" in out and "[1]" in out and '"Currently, some 1,500' in out


def test_near_duplicate_is_cited_once_with_both_sources(settings, embedder, seed_copy):
    text = (seed_copy / next(SEEDS.glob("*.txt")).name).read_text()
    (seed_copy / "wire-copy.txt").write_text(text + "\n(AFP)")
    ingest([seed_copy], settings, embedder=embedder)
    a = Assistant(settings, embedder=embedder).answer("How many French soldiers are deployed in Niger?")
    assert len(a.citations) == 1
    # the other copy by its last folders, never by the server's whole path
    assert a.citations[0].also_sources == ("/".join((seed_copy / "wire-copy.txt").parts[-3:]),)


def test_an_index_built_with_another_model_is_refused(seeded, capsys):
    from assistant.cli import main

    collection = seeded.index.collection
    meta = dict(collection.metadata)
    collection.modify(metadata={**meta, "embedding_model": "some-other-model"})
    try:
        assert main(["--data-dir", str(seeded.settings.data_dir), "ask", "Who is the French ambassador?"]) == 2
        assert "built with the embedding model 'some-other-model'" in capsys.readouterr().err
    finally:
        collection.modify(metadata=meta)


def test_a_follow_up_with_its_own_topic_is_answered_on_that_topic(seeded):
    first = seeded.answer("Where are the French military bases in Niger?")
    follow = seeded.answer("And how much debt does the country have?", history=[(first.question, first.text)])
    assert "Niger" in follow.query
    assert "5200 billion" in follow.text and "1,500" not in follow.text


def test_terminal_chat_keeps_history(seeded):
    import subprocess
    import sys

    turns = "How many French soldiers are deployed in Niger?\nAnd where are their bases?\n\n"
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "chat", "--data-dir", str(seeded.settings.data_dir)],
                          input=turns, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.split("> ")[1:3]
    assert "1,500" in first and "Sources:" in first
    assert "(searched for: And where are their bases (" in second and "Ouallam" in second
