"""Signed links: genuine, forged, foreign and expired tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.security.signer import HmacSigner
from core.errors import LinkExpired, LinkInvalid
from core.links import IMAGE, Links


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_a_fresh_link_names_its_image() -> None:
    links = Links(HmacSigner("s3cret"), "http://h:1/", Clock())
    link = links.image_link("img_abc")
    assert link.startswith("http://h:1/i/")
    assert links.verify(IMAGE, token_of(link)).target == "img_abc"


def test_a_link_signed_with_another_secret_is_invalid() -> None:
    clock = Clock()
    token = token_of(Links(HmacSigner("other"), "http://h", clock).image_link("img_abc"))
    with pytest.raises(LinkInvalid):
        Links(HmacSigner("s3cret"), "http://h", clock).verify(IMAGE, token)


def test_a_link_of_another_kind_is_invalid() -> None:
    links = Links(HmacSigner("s3cret"), "http://h", Clock())
    token = token_of(links.link("x", "exp_1", timedelta(hours=1)))
    with pytest.raises(LinkInvalid):
        links.verify(IMAGE, token)


def test_a_link_expires_after_its_time() -> None:
    clock = Clock()
    links = Links(HmacSigner("s3cret"), "http://h", clock, image_ttl=timedelta(days=7))
    token = token_of(links.image_link("img_abc"))
    clock.now += timedelta(days=7) - timedelta(seconds=1)
    assert links.verify(IMAGE, token).target == "img_abc"
    clock.now += timedelta(seconds=1)
    with pytest.raises(LinkExpired):
        links.verify(IMAGE, token)


def test_every_single_character_change_is_refused() -> None:
    links = Links(HmacSigner("s3cret"), "http://h", Clock())
    token = token_of(links.image_link("img_abc"))
    for position in range(len(token)):
        for replacement in ("A", "B", "-", "_", "é", "="):
            if replacement == token[position]:
                continue
            forged = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(LinkInvalid):
                links.verify(IMAGE, forged)
