"""Fixtures for the imaging adapters: the real template catalogue and a decoded photo."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.imaging.decode import PillowDecoder
from core.imaging import SourceImage
from core.templates import Catalog, load_catalog
from tests.adapters.imaging.photos import encode, product_photo

CONFIG = Path(__file__).resolve().parents[3] / "config" / "templates.toml"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CONFIG)


@pytest.fixture
def decoder() -> PillowDecoder:
    return PillowDecoder()


@pytest.fixture
async def photo(decoder: PillowDecoder) -> SourceImage:
    return await decoder.load(encode(product_photo(), "JPEG", quality=92))
