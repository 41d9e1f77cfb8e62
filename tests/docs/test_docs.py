"""The docs: the site builds strictly, the settings reference holds every setting, and no page
sends a reader to files they do not have."""

import os
import re
import subprocess
import sys

import pytest
from pydantic import Field

from assistant.settings import Settings
from assistant.settings_reference import UndocumentedSetting, markdown, reference
from tests.helpers import ROOT

DOCS = ROOT / "docs"
PAGES = sorted((DOCS / "pages").glob("*.md"))


def test_every_setting_has_a_line_with_its_variable_default_and_meaning():
    table = markdown()
    lines = reference()
    assert [line.field for line in lines] == list(Settings.model_fields)
    for line in lines:
        row = next((r for r in table.splitlines() if f"`{line.variables[0]}`" in r), None)
        assert row is not None, f"{line.field} has no line in the settings reference"
        assert f"`{line.default}`" in row and line.meaning.split()[0] in row
    assert "`ASSISTANT_DATA_DIR` | `data` |" in table
    assert "`CHROMA_HOST`, `ASSISTANT_CHROMA_HOST`" in table
    assert "One of: `rules`, `trained`." in table


def test_a_setting_without_a_meaning_is_refused():
    class Careless(Settings):
        new_knob: int = Field(3)

    with pytest.raises(UndocumentedSetting, match="new_knob"):
        reference(Careless)


def test_the_cli_prints_the_reference_and_the_values_now(tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "news"), "ASSISTANT_API_KEY": "sk-secret"}
    run = [sys.executable, "-m", "assistant.cli", "settings"]
    now = subprocess.run(run, capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout
    assert f"ASSISTANT_DATA_DIR = {tmp_path / 'news'}   (changed)" in now
    assert "ASSISTANT_API_KEY = (set)   (changed)" in now and "sk-secret" not in now
    assert "ASSISTANT_ABSTAIN_THRESHOLD = 0.45\n" in now
    table = subprocess.run([*run, "--markdown"], capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=True).stdout
    assert table == markdown()


def test_no_page_speaks_of_folders_beside_the_project():
    for page in [*PAGES, ROOT / "README.md"]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/eval" not in text, page.name


def test_the_readme_is_short_and_links_only_to_pages_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    links = re.findall(r"\]\((docs/pages/[^)#]+)", readme)
    assert links, "the README links to the docs"
    for link in links:
        assert (ROOT / link).is_file(), link


@pytest.mark.integration
def test_the_site_builds_strictly_with_the_generated_settings_page(tmp_path):
    site = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(DOCS / "mkdocs.yml"),
                            "-d", str(site)], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stderr[-3000:]
    settings_page = (site / "settings" / "index.html").read_text(encoding="utf-8")
    for line in reference():
        assert line.variables[0] in settings_page, line.field
    for page in PAGES:
        assert (site / ("" if page.stem == "index" else page.stem) / "index.html").is_file(), page.name
    python_page = (site / "python" / "index.html").read_text(encoding="utf-8")
    assert "QuestionError" in python_page and "as_retriever" in python_page
    reader_page = (site / "reader" / "index.html").read_text(encoding="utf-8")
    assert "Held-out figures" in reader_page  # the shipped card, included from the package
