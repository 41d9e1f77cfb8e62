"""Time: the reference date, dates and periods in the question, the latest report, and a story's
development, on a small dated archive of evolving stories made here."""

from __future__ import annotations

from datetime import date

import pytest

from assistant import Assistant, QuestionError
from assistant.retrieval.when import read_time
from assistant.settings import load_settings
from ingest import ingest

AS_OF = date(2024, 8, 16)  # a Friday

# (file, date or None, title, text): a wildfire whose burned area grows, a strike that starts,
# stalls and ends, an undated article, and a report published after the reference date.
ARTICLES = [
    ("fire-1.md", "2024-08-05", "Wildfire breaks out above Lorvane",
     "A wildfire broke out in the hills above Lorvane on Monday. The fire service put the burned area at "
     "1,200 hectares by the evening. Two villages were evacuated as a precaution."),
    ("fire-2.md", "2024-08-09", "Lorvane wildfire spreads east",
     "The Lorvane wildfire spread east overnight. The fire service put the burned area at 4,800 hectares "
     "on Friday. Water bombers from three regions joined the effort."),
    ("fire-3.md", "2024-08-12", "Lorvane wildfire contained",
     "Firefighters contained the Lorvane wildfire on Monday. The fire service put the burned area at "
     "9,500 hectares, the largest in the region in a decade. Residents began returning home."),
    ("fire-late.md", "2024-08-20", "Lorvane wildfire: final assessment",
     "A final assessment published on Tuesday put the burned area of the Lorvane wildfire at "
     "9,900 hectares."),
    ("strike-1.md", "2024-07-29", "Dock workers strike in Portaven",
     "Dock workers in Portaven went on strike on Monday over pay. The union said 2,300 workers had "
     "walked out and that the port was closed."),
    ("strike-2.md", "2024-08-06", "Portaven strike talks stall",
     "Talks between the Portaven port authority and the dock workers' union stalled on Tuesday. "
     "The union rejected a pay offer of 3 percent."),
    ("strike-3.md", "2024-08-14", "Portaven dock strike ends",
     "The Portaven dock strike ended on Wednesday after workers accepted a pay rise of 6 percent. "
     "Ships began unloading again the same evening."),
    ("museum.md", None, "Halvern museum reopens",
     "The Halvern maritime museum reopened after a renovation that added 14 new galleries."),
]


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("time")
    for name, day, title, text in ARTICLES:
        head = f'---\ntitle: "{title}"\n' + (f"date: {day}\n" if day else "") + "---\n"
        (root / "articles").mkdir(exist_ok=True)
        (root / "articles" / name).write_text(head + text + "\n")
    settings = load_settings(data_dir=root / "index", chroma_host=None)
    assert ingest([root / "articles"], settings, embedder=embedder).failed == 0
    return Assistant(settings, embedder=embedder)


@pytest.mark.parametrize("question, since, until", [
    ("What happened on August 9?", "2024-08-09", "2024-08-11"),
    ("What happened in July 2024?", "2024-07-01", "2024-07-31"),
    ("How large was the fire by August 9?", None, "2024-08-09"),
    ("What happened last week?", "2024-08-05", "2024-08-11"),
    ("What happened this week?", "2024-08-10", "2024-08-16"),
    ("What happened yesterday?", "2024-08-15", "2024-08-15"),
    ("What changed in the past month?", "2024-07-16", "2024-08-16"),
    ("What happened since 2023?", "2023-01-01", "2024-08-16"),
    ("Who won on 3 March?", "2024-03-03", "2024-03-05"),
])
def test_dates_and_periods_are_read_against_the_reference_date(question, since, until):
    period = read_time(question, AS_OF).period
    assert period is not None and period.iso() == (since, until)


@pytest.mark.parametrize("question", [
    "May the workers march on the port?", "Will the union march to the town hall?",
    "How many hectares burned?", "Could the strike spread in the region?",
])
def test_ordinary_words_never_become_dates(question):
    assert read_time(question, AS_OF).period is None


def test_latest_and_development_questions_are_recognised():
    assert read_time("What is the latest figure for the burned area?", AS_OF).latest
    assert read_time("Is the strike still on?", AS_OF).latest
    assert read_time("How has the Lorvane wildfire developed?", AS_OF).developed
    assert not read_time("How many hectares burned above Lorvane?", AS_OF).latest
    assert read_time("How many infants have fallen ill?", AS_OF).latest  # the count as it stands
    assert not read_time("How many hectares had burned by then?", AS_OF).latest
    # whether something has happened, or who is doing it, asks how things stand
    assert read_time("Has the union accepted a pay offer?", AS_OF).latest
    assert read_time("Has France withdrawn its troops?", AS_OF).latest
    assert read_time("Who is leading the mayoral race?", AS_OF).latest
    assert not read_time("Who is the mayor of Portaven?", AS_OF).latest
    assert not read_time("Has to be signed by whom?", AS_OF).latest


@pytest.mark.integration
def test_the_latest_figure_is_the_newest_report_by_the_reference_date_with_its_date(newsroom):
    a = newsroom.answer("What is the latest figure for the area burned by the Lorvane wildfire?", as_of="2024-08-16")
    assert "9,500 hectares" in a.text and "On 12 August 2024" in a.text
    assert "9,900" not in a.text  # published after the reference date
    assert a.citations[0].published == "2024-08-12" and a.as_of == "2024-08-16"
    later = newsroom.answer("What is the latest figure for the area burned by the Lorvane wildfire?",
                            as_of="2024-08-21")
    assert "9,900 hectares" in later.text and "On 20 August 2024" in later.text


@pytest.mark.integration
def test_whether_something_has_happened_is_answered_by_the_newest_report(newsroom):
    a = newsroom.answer("Has the union accepted a pay offer?", as_of="2024-08-16")
    assert "6 percent" in a.text and "On 14 August 2024" in a.text and "3 percent" not in a.text
    before = newsroom.answer("Has the union accepted a pay offer?", as_of="2024-08-10")
    assert "rejected a pay offer of 3 percent" in before.text and "6 percent" not in before.text


@pytest.mark.integration
def test_the_figure_as_of_a_given_day(newsroom):
    a = newsroom.answer("How many hectares had the Lorvane wildfire burned by August 10?", as_of="2024-08-16")
    assert "4,800 hectares" in a.text and a.period == (None, "2024-08-10")
    assert all(c.published <= "2024-08-10" for c in a.citations)


@pytest.mark.integration
def test_relative_periods_choose_the_reports_of_that_period(newsroom):
    a = newsroom.answer("What happened to the Portaven dock strike this week?", as_of="2024-08-16")
    assert "ended" in a.text and a.citations[0].published == "2024-08-14"
    b = newsroom.answer("What happened to the Portaven dock strike last week?", as_of="2024-08-16")
    assert "stalled" in b.text and b.citations[0].published == "2024-08-06"


@pytest.mark.integration
def test_nothing_in_the_asked_period_is_abstained_on(newsroom):
    a = newsroom.answer("What happened to the Portaven dock strike yesterday?", as_of="2024-08-16")
    assert a.abstained and "(yesterday)" in a.text and a.period == ("2024-08-15", "2024-08-15")


@pytest.mark.integration
def test_articles_after_the_reference_date_are_not_evidence_and_undated_ones_are(newsroom):
    fire = newsroom.search("Lorvane wildfire burned area", k=10, as_of="2024-08-10")
    assert fire and all(h.published is None or h.published <= "2024-08-10" for h in fire)
    museum = newsroom.answer("How many new galleries did the Halvern museum add?", as_of="2024-08-16")
    assert "14 new galleries" in museum.text and museum.citations[0].published is None


@pytest.mark.integration
def test_a_story_s_development_is_told_in_date_order_with_dates(newsroom):
    a = newsroom.answer("How has the Lorvane wildfire developed?", as_of="2024-08-16")
    order = [a.text.index(day) for day in ("5 August 2024", "9 August 2024", "12 August 2024") if day in a.text]
    assert len(order) >= 2 and order == sorted(order)
    assert [c.published for c in a.citations] == sorted(c.published for c in a.citations)


@pytest.mark.integration
def test_a_bad_reference_date_is_the_questions_error(newsroom):
    with pytest.raises(QuestionError, match="'soon' is not a date"):
        newsroom.answer("What happened?", as_of="soon")


@pytest.mark.integration
def test_a_date_without_its_year_is_read_in_the_latest_year_the_archive_has_reports_near(newsroom):
    # asked more than a year after the archive's reports: "August 10" is not the last one before
    # the reference date (the archive holds nothing near it) but the one its reports are about
    a = newsroom.answer("How many hectares had the Lorvane wildfire burned by August 10?", as_of="2026-03-02")
    assert "4,800" in a.text and "9,500" not in a.text and "9,900" not in a.text
    assert a.period == (None, "2024-08-10")
    b = newsroom.answer("How many hectares had the Lorvane wildfire burned by August 10, 2024?", as_of="2026-03-02")
    assert "4,800" in b.text and b.period == (None, "2024-08-10")
    assert read_time("What was burned in August?", date(2026, 3, 2)).period.yearless
    assert not read_time("What was burned in August 2024?", date(2026, 3, 2)).period.yearless
