"""Verified claims -> text and numbered citations, without a model or an index."""

from __future__ import annotations

from assistant.answering.base import Claim
from assistant.answering.compose import WrittenText, compose, compose_disagreement, compose_overview, compose_timeline
from assistant.types import Hit


def hit(n: int, passage: str, published: str | None = None, article: str | None = None) -> Hit:
    article = article or f"{n}.txt"
    return Hit(id=f"{article}:0", article_id=article, title=f"Report {n}", source=f"/srv/news/{n}.txt",
               url=None, published=published, passage=passage, start=100 * n, end=100 * n + len(passage),
               score=1.0 / n)


def claim(h: Hit, sentence: str, score: float = 0.5) -> Claim:
    start = h.passage.index(sentence)
    return Claim(sentence, h, start, start + len(sentence), score)


ONE = hit(1, "Some 1,500 French soldiers are in Niger. They are on three bases. The junta wants them out.",
          "2023-09-05")
TWO = hit(2, "France has 1,000 soldiers left in Niger.", "2023-09-20")


def test_claims_read_in_their_passages_order_with_one_marker_per_run():
    claims = [claim(ONE, "They are on three bases."), claim(ONE, "Some 1,500 French soldiers are in Niger."),
              claim(TWO, "France has 1,000 soldiers left in Niger.")]
    *_, (text, citations) = compose(claims, [ONE, TWO])
    assert text == ("Some 1,500 French soldiers are in Niger. They are on three bases. [1] "
                    "France has 1,000 soldiers left in Niger. [2]")
    assert [c.n for c in citations] == [1, 2]
    first = citations[0]
    assert first.quote == "Some 1,500 French soldiers are in Niger. They are on three bases."
    assert first.passage[first.quote_start:first.quote_end] == first.quote
    assert first.start == ONE.start and first.source == "1.txt"  # its path under the folder, not the disk's


def test_two_quotes_of_one_passage_are_kept_apart_and_an_absolute_id_shows_its_last_folders():
    far = hit(3, "Some 1,500 French soldiers are in Niger. Talks went on. The junta wants them out.",
              article="/srv/news/b/3.txt")
    claims = [claim(far, "Some 1,500 French soldiers are in Niger."), claim(far, "The junta wants them out.")]
    *_, (text, [cited]) = compose(claims, [far])
    assert [cited.passage[s:e] for s, e in cited.quotes] == ["Some 1,500 French soldiers are in Niger.",
                                                             "The junta wants them out."]
    assert cited.quote == "Some 1,500 French soldiers are in Niger. … The junta wants them out."
    assert cited.source == "news/b/3.txt" and "/srv" not in cited.source


def test_a_latest_answer_opens_with_the_reports_date():
    *_, (text, _) = compose([claim(TWO, "France has 1,000 soldiers left in Niger.")], [ONE, TWO], dated=True)
    assert text == "On 20 September 2023: France has 1,000 soldiers left in Niger. [1]"


def test_a_disagreement_shows_each_report_newest_first_and_grows_one_report_at_a_time():
    parts = list(compose_disagreement([claim(ONE, "Some 1,500 French soldiers are in Niger.")],
                                      [claim(TWO, "France has 1,000 soldiers left in Niger.")]))
    assert len(parts) == 2
    text, citations = parts[-1]
    assert text.startswith("The sources give different figures. On 20 September 2023: France has 1,000")
    assert text.endswith("On 5 September 2023: Some 1,500 French soldiers are in Niger. [2]")
    assert [c.title for c in citations] == ["Report 2", "Report 1"]


def test_a_timeline_runs_oldest_first_and_an_undated_report_says_so():
    undated = hit(3, "Talks went on in Niamey.")
    *_, (text, _) = compose_timeline([claim(TWO, "France has 1,000 soldiers left in Niger."),
                                      claim(undated, "Talks went on in Niamey."),
                                      claim(ONE, "The junta wants them out.")])
    assert text.index("In an undated report") < text.index("On 5 September 2023") < text.index("On 20 September")


def test_written_sentences_cite_the_evidence_they_rest_on_numbered_by_first_use():
    evidence = [claim(ONE, "Some 1,500 French soldiers are in Niger."), claim(TWO, "France has 1,000 soldiers "
                                                                                "left in Niger.")]
    text = WrittenText(evidence)
    text.add("France has 1,000 soldiers there.", (2,))
    shown, citations = text.add("Earlier it had 1,500.", (1, 2))
    assert shown == "France has 1,000 soldiers there. [1] Earlier it had 1,500. [2][1]"
    assert [c.quote for c in citations] == ["France has 1,000 soldiers left in Niger.",
                                            "Some 1,500 French soldiers are in Niger."]


def test_an_overview_gives_each_report_newest_first_with_its_date():
    parts = list(compose_overview([claim(ONE, "Some 1,500 French soldiers are in Niger."),
                                   claim(TWO, "France has 1,000 soldiers left in Niger.")]))
    text, citations = parts[-1]
    assert text.index("On 20 September 2023") < text.index("On 5 September 2023")
    assert [c.n for c in citations] == [1, 2] and citations[0].title == "Report 2"


def test_a_lead_opens_the_answer_in_bold_with_the_passage_it_is_part_of():
    best = claim(TWO, "France has 1,000 soldiers left in Niger.")
    *_, (text, citations) = compose([claim(ONE, "They are on three bases."), best], [ONE, TWO], lead=("1,000", best))
    assert text == "**1,000**: France has 1,000 soldiers left in Niger. [1] They are on three bases. [2]"
    assert citations[0].title == "Report 2"
