"""Templates and formats: data from ``config/templates.toml``, never code."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core import messages
from core.errors import BadInput


@dataclass(frozen=True, slots=True)
class Format:
    """An output size. ``fill`` is the share of the longer side the product takes."""

    name: str
    width: int
    height: int
    description: str = ""
    fill: float = 0.7
    pure_white: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    """A look: a background recipe for ``studio``, a prompt scaffold for AI providers.

    ``background`` is read only by the studio renderer; ``headline`` templates print the
    product's name and price when a product page supplied them.
    """

    name: str
    description: str
    default_format: str
    prompt: str
    background: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    headline: bool = False


@dataclass(frozen=True, slots=True)
class Catalog:
    templates: Mapping[str, Template]
    formats: Mapping[str, Format]
    default_template: str

    def template(self, name: str | None) -> Template:
        key = (name or self.default_template).strip().lower()
        try:
            return self.templates[key]
        except KeyError:
            raise BadInput(messages.UNKNOWN_TEMPLATE.format(name=name)) from None

    def format(self, name: str | None, template: Template) -> Format:
        key = (name or template.default_format).strip().lower()
        try:
            return self.formats[key]
        except KeyError:
            choices = ", ".join(self.formats)
            raise BadInput(messages.UNKNOWN_FORMAT.format(name=name, choices=choices)) from None


def load_catalog(path: Path) -> Catalog:
    """Read and check a templates file; a broken file fails at start, not mid-request."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    formats = {
        name: Format(
            name=name,
            width=int(spec["width"]),
            height=int(spec["height"]),
            description=str(spec.get("description", "")),
            fill=float(spec.get("fill", 0.7)),
            pure_white=bool(spec.get("pure_white", False)),
        )
        for name, spec in raw["formats"].items()
    }
    templates = {}
    for name, spec in raw["templates"].items():
        default_format = str(spec["default_format"])
        if default_format not in formats:
            raise ValueError(f"template {name}: unknown default_format {default_format}")
        templates[name] = Template(
            name=name,
            description=str(spec["description"]),
            default_format=default_format,
            prompt=str(spec["prompt"]),
            background=MappingProxyType(dict(spec.get("background", {}))),
            headline=bool(spec.get("headline", False)),
        )
    default = str(raw.get("default_template", next(iter(templates))))
    if default not in templates:
        raise ValueError(f"default_template {default} is not a template")
    return Catalog(
        templates=MappingProxyType(templates),
        formats=MappingProxyType(formats),
        default_template=default,
    )
