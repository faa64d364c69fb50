"""The shipped template catalogue: complete, well-formed and readable by the studio."""

from __future__ import annotations

from adapters.imaging.backgrounds import KINDS, colour
from core.templates import Catalog

REQUIRED = {
    "studio-white",
    "studio-grey",
    "soft-gradient",
    "pastel",
    "dark-luxe",
    "marble",
    "kitchen-counter",
    "outdoor-wood",
    "sale-banner",
    "price-tag",
}


def test_the_catalogue_has_the_required_formats(catalog: Catalog) -> None:
    sizes = {name: (f.width, f.height) for name, f in catalog.formats.items()}
    assert sizes["square"] == (1080, 1080)
    assert sizes["portrait"] == (1080, 1350)
    assert sizes["story"] == (1080, 1920)
    assert sizes["landscape"] == (1200, 628)
    assert sizes["marketplace"] == (2000, 2000)
    market = catalog.formats["marketplace"]
    assert market.pure_white and market.fill == 0.85
    assert not any(f.pure_white for name, f in catalog.formats.items() if name != "marketplace")


def test_the_catalogue_has_the_required_templates(catalog: Catalog) -> None:
    assert catalog.default_template == "studio-white"
    assert len(catalog.templates) >= 10
    assert set(catalog.templates) >= REQUIRED
    assert {n for n, t in catalog.templates.items() if t.headline} == {"sale-banner", "price-tag"}


def test_every_template_is_well_formed(catalog: Catalog) -> None:
    for name, template in catalog.templates.items():
        assert "{subject}" in template.prompt, name
        assert template.prompt.format(subject="a mug") != template.prompt
        assert template.description and "\n" not in template.description, name
        assert template.background["kind"] in KINDS, name
        for key, value in template.background.items():
            if isinstance(value, str) and value.startswith("#"):
                colour(value)
            if key == "colours":
                [colour(c) for c in value]
