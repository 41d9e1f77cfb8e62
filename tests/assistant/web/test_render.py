from assistant.types import Answer, Citation
from assistant.web.library import safe_name
from assistant.web.render import as_markdown, chat_text, escape_markdown, sources_panel

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def citation(**kw):
    base = dict(n=1, article_id="a", title=EVIL, source="https://ex.com/a?x=<b>", published=None,
                passage=f"Before. {EVIL} is the quote. After.", quote=f"{EVIL} is the quote.",
                start=0, end=10, quote_start=8, quote_end=8 + len(EVIL) + 13, score=1.0)
    return Citation(**{**base, **kw})


def test_sources_panel_escapes_everything_and_highlights_the_quote():
    html = sources_panel(Answer("x [1]", [citation()], False, "q", "q"))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert '<mark class="quote">&lt;script&gt;' in html
    assert 'href="https://ex.com/a?x=&lt;b&gt;"' in html and 'id="src-1"' in html


def test_each_quote_of_a_passage_is_highlighted_on_its_own():
    passage = "One fact. Something between. Another fact."
    cited = citation(passage=passage, quote="One fact. … Another fact.", quote_start=0, quote_end=len(passage),
                     quotes=((0, 9), (29, 43)))
    html = sources_panel(Answer("x [1]", [cited], False, "q", "q"))
    assert html.count('<mark class="quote">') == 2
    assert '<mark class="quote">One fact.</mark> Something between. <mark class="quote">Another fact.</mark>' in html


def test_abstained_answer_shows_no_sources():
    assert "No sources" in sources_panel(Answer("The documents don't say.", [], True))


def test_chat_text_links_markers_and_escapes_markup():
    text = chat_text(Answer(f"{EVIL} Some *fact* [1] and [2].", [], False))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "[\\[1\\]](#src-1)" in text and "[\\[2\\]](#src-2)" in text
    assert "\\*fact\\*" in text
    assert escape_markdown("a_b") == "a\\_b"


def test_the_phrase_that_answers_stays_bold_and_the_rest_is_escaped():
    shown = chat_text(Answer("**1,500**: Some *1,500* soldiers [1]", [citation()], False, "q", "q"))
    assert shown.startswith("**1,500**:") and "\\*1,500\\*" in shown and "(#src-1)" in shown


def test_markdown_export_lists_sources_with_quotes():
    md = as_markdown(Answer("Fact [1].", [citation(title="T", source="/x.txt", published="2023-09-05",
                                                    quote="the quote")], False))
    assert md == "Fact [1].\n\n[1] T (2023-09-05), /x.txt\n> the quote\n"


def test_safe_name_strips_paths_and_odd_characters():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\win.ini") == "win.ini"
    assert safe_name("<img onerror=x>.md") == "_img onerror_x_.md"
    assert safe_name("...") == "upload"
