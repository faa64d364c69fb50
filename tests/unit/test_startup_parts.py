"""Parts a process may never need are built at their first use, once, and stand in for
themselves until then."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.bootstrap import OnFirstUse, build_fetcher, on_first_use
from bot.settings import Settings


class Part:
    """A part that counts how often it was made."""

    made = 0

    def __init__(self) -> None:
        Part.made += 1
        self.name = "part"

    def double(self, value: int) -> int:
        return 2 * value


@pytest.fixture(autouse=True)
def none_made() -> None:
    Part.made = 0


def test_a_part_is_made_at_its_first_use_and_only_once() -> None:
    part = on_first_use(Part)
    assert Part.made == 0

    assert part.double(21) == 42
    assert part.name == "part"
    assert part.double(1) == 2
    assert Part.made == 1


def test_asking_whether_it_was_built_builds_nothing() -> None:
    stand_in = OnFirstUse(Part)
    assert not stand_in.built

    made = stand_in.get()

    assert stand_in.built and stand_in.get() is made and Part.made == 1


def test_a_stand_in_never_hands_out_private_names_nor_builds_for_them() -> None:
    part = on_first_use(Part)

    with pytest.raises(AttributeError):
        part._secret  # noqa: B018

    assert Part.made == 0


def test_a_missing_attribute_is_missing_on_the_stand_in_too() -> None:
    part = on_first_use(Part)

    with pytest.raises(AttributeError, match="nothing_here"):
        part.nothing_here  # type: ignore[attr-defined]  # noqa: B018


async def test_the_fetcher_waits_for_its_first_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        async with AsyncExitStack() as stack:
            fetcher = build_fetcher(Settings(data_dir=tmp_path, fetch_allow=""), stack)
            assert isinstance(fetcher, OnFirstUse) and not fetcher.built
    assert "AIOE_FETCH_ALLOW" not in caplog.text


async def test_a_fetcher_opened_to_loopback_addresses_is_made_at_once_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, fetch_allow="127.0.0.1:8123")
    with caplog.at_level(logging.WARNING):
        async with AsyncExitStack() as stack:
            fetcher = build_fetcher(settings, stack)
            assert isinstance(fetcher, OnFirstUse) and fetcher.built
            assert "AIOE_FETCH_ALLOW is set" in caplog.text
