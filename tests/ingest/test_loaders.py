import json

import pytest

from ingest.loaders import LoadError, discover, load_file, parse_date

MB = 10**6


def load(path, root=None):
    return load_file(path, root or path.parent, 20 * MB)


def test_txt_title_is_first_line_and_id_is_relative_path(tmp_path):
    (tmp_path / "a").mkdir()
    f = tmp_path / "a" / "story.txt"
    f.write_text("Troops leave Niger\n\nSome 1,500 soldiers are deployed.\n")
    [article] = load(f, tmp_path).articles
    assert article.id == "a/story.txt"
    assert article.title == "Troops leave Niger"
    assert "1,500 soldiers" in article.text
    assert article.source == str(f)


def test_markdown_front_matter(tmp_path):
    f = tmp_path / "m.md"
    f.write_text("---\ntitle: Talks begin\ndate: 2023-09-05\nurl: https://ex.com/talks#top\n---\n"
                 "# Heading\nBody text here.\n")
    [a] = load(f).articles
    url = "https://ex.com/talks"
    assert (a.title, a.published, a.url, a.id) == ("Talks begin", "2023-09-05", url, url)
    assert a.text.startswith("# Heading")


def test_markdown_heading_is_title_without_front_matter(tmp_path):
    f = tmp_path / "m.md"
    f.write_text("Intro line\n# The real title\ntext\n")
    assert load(f).articles[0].title == "The real title"


def test_html_main_text_title_date_and_canonical_url(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(
        '<html><head><title>Site | x</title><link rel="canonical" href="https://news.example/troops">'
        '<meta property="article:published_time" content="2023-09-05T10:00:00Z">'
        '<meta property="og:title" content="Troops leave Niger"></head><body><nav>Home | Sports</nav>'
        "<article><h1>Troops leave Niger</h1><p>France has started talks with Nigerien officials over "
        "the withdrawal of troops from the country this week.</p><p>Some 1,500 French soldiers are "
        "deployed in the country on three bases.</p></article><footer>Copyright</footer></body></html>"
    )
    [a] = load(f).articles
    assert a.title == "Troops leave Niger"
    assert a.published == "2023-09-05"
    assert a.id == a.url == "https://news.example/troops"
    assert "1,500 French soldiers" in a.text and "Copyright" not in a.text


def test_jsonl_records_with_alternative_keys_and_a_bad_line(tmp_path):
    f = tmp_path / "export.jsonl"
    lines = [
        json.dumps({"title": "One", "content": "First body.", "url": "https://ex.com/1", "publish_date": "2023/10/06"}),
        "{not json",
        json.dumps({"title": "Two", "body": "Second body.", "published": "Oct 7, 2023"}),
        json.dumps({"title": "No text"}),
    ]
    f.write_text("\n".join(lines))
    loaded = load(f)
    assert [a.id for a in loaded.articles] == ["https://ex.com/1", "export.jsonl#1"]
    assert [a.published for a in loaded.articles] == ["2023-10-06", "2023-10-07"]
    assert len(loaded.problems) == 2
    assert "line 2" in loaded.problems[0] and "line 4" in loaded.problems[1]


def test_json_array_and_wrapped_object(tmp_path):
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"articles": [{"title": "T", "text": "Body."}]}))
    assert load(f).articles[0].title == "T"


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("binary.txt", b"\x00\x01\x02PNG\x00" * 10, "binary"),
        ("latin.txt", "caf\u00e9 cr\u00e8me".encode("latin-1"), "UTF-8"),
        ("broken.json", b'{"title": "x", ', "not valid JSON"),
        ("nothing.html", b"<html><body><div></div></body></html>", "no article text"),
        ("image.png", b"\x89PNG", "unsupported format"),
        ("fake.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\nbody\n", "front matter"),
    ],
)
def test_bad_files_raise_a_clear_error_naming_the_file(tmp_path, name, content, reason):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load(f)
    assert str(f) in str(err.value) and reason in str(err.value)


def test_oversized_file_is_refused_before_reading(tmp_path):
    f = tmp_path / "huge.txt"
    with f.open("wb") as out:
        out.truncate(50 * MB)
    with pytest.raises(LoadError, match="50.0 MB is over the 20 MB limit"):
        load(f)


def test_discover_is_recursive_sorted_and_skips_hidden(tmp_path):
    for rel in ["b.txt", "a/c.md", ".git/x.txt", "a/skip.exe"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p, _ in discover([tmp_path])] == ["a/c.md", "b.txt"]
    with pytest.raises(LoadError, match="no such file"):
        discover([tmp_path / "missing"])


@pytest.mark.parametrize(
    "value, iso",
    [("2023-09-05T10:00:00Z", "2023-09-05"), ("2023/09/29", "2023-09-29"), ("Sep 5, 2023", "2023-09-05"),
     (0, "1970-01-01"), ("", None), ("not a date at all", None)],
)
def test_parse_date(value, iso):
    assert parse_date(value) == iso
