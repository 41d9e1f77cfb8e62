"""Prompts are files in prompts/, loaded by name and rendered strictly."""

from __future__ import annotations

from functools import cache
from string import Template

from .resources import data_path


class PromptError(KeyError):
    """A prompt is missing, or was rendered with missing or unknown variables."""

    def __str__(self) -> str:
        return str(self.args[0])


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
