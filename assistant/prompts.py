"""Prompts are files in prompts/, loaded by name and rendered strictly."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

PACKAGE = Path(__file__).resolve().parent


class PromptError(KeyError):
    """A prompt is missing, or was rendered with missing or unknown variables."""

    def __str__(self) -> str:
        return str(self.args[0])


def data_path(kind: str) -> Path:
    """The shipped `prompts` or `seeds` folder: beside the packages in a checkout, inside when installed."""
    for candidate in (PACKAGE.parent / kind, PACKAGE / "_data" / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped '{kind}' folder is missing; reinstall the package")


@cache
def load(name: str) -> Template:
    path = data_path("prompts") / f"{name}.md"
    if not path.is_file():
        names = sorted(p.stem for p in path.parent.glob("*.md"))
        raise PromptError(f"no prompt named '{name}'; the prompts are: {', '.join(names)}")
    return Template(path.read_text(encoding="utf-8"))


def variables(template: Template) -> set[str]:
    return {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)
            if m.group("named") or m.group("braced")}


def render(name: str, **values: str) -> str:
    """The prompt with every $variable filled; a missing or an unknown variable is an error."""
    template = load(name)
    wanted = variables(template)
    missing, unknown = wanted - set(values), set(values) - wanted
    if missing or unknown:
        raise PromptError(
            f"prompt '{name}': missing {sorted(missing) or 'none'}, unknown {sorted(unknown) or 'none'}"
        )
    return template.substitute(values)
