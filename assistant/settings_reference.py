"""The settings reference, read from the settings model itself: every environment variable, its
default, the values it takes and what it means. The docs' settings page and `assistant settings`
both print it, so a setting cannot be added without its line."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from .settings import Settings


@dataclass(frozen=True)
class SettingLine:
    """One setting as a user sets it."""

    field: str
    variables: tuple[str, ...]
    default: str
    choices: tuple[str, ...]
    meaning: str


class UndocumentedSetting(ValueError):
    """A setting without a description: the reference would have no meaning to give."""


def variables_of(name: str, info: FieldInfo, model: type[BaseSettings]) -> tuple[str, ...]:
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(choice for choice in alias.choices if isinstance(choice, str))
    if isinstance(alias, str):
        return (alias,)
    return ((model.model_config.get("env_prefix") or "") + name).upper(),


def shown(value) -> str:
    """A value as it would be written in the environment."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def choices_of(annotation) -> tuple[str, ...]:
    """The values a Literal setting takes (through `X | None` too)."""
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(choice) for choice in typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(choice for arg in typing.get_args(annotation) for choice in choices_of(arg))
    return ()


def reference(model: type[BaseSettings] = Settings) -> list[SettingLine]:
    """Every setting of `model`, in the order the model declares them."""
    lines = []
    for name, info in model.model_fields.items():
        meaning = " ".join((info.description or "").split())
        if not meaning:
            raise UndocumentedSetting(f"the setting {name} has no description; give its Field a description")
        lines.append(SettingLine(name, variables_of(name, info, model), shown(info.get_default()),
                                 choices_of(info.annotation), meaning))
    return lines


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(model: type[BaseSettings] = Settings) -> str:
    """The reference as a Markdown table: variable, default, meaning (with the values it takes)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for line in reference(model):
        names = ", ".join(f"`{name}`" for name in line.variables)
        meaning = line.meaning + (f" One of: {', '.join(f'`{c}`' for c in line.choices)}." if line.choices else "")
        rows.append(f"| {names} | `{cell(line.default)}` | {cell(meaning)} |")
    return "\n".join(rows) + "\n"


def current(settings: Settings) -> list[tuple[SettingLine, str]]:
    """Each setting with the value `settings` holds, as it would be written in the environment."""
    return [(line, shown(getattr(settings, line.field))) for line in reference(type(settings))]
