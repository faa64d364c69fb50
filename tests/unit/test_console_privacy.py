"""The privacy lines of the terminal (``/privacy …`` and ``/delete-me``) become commands,
or one sentence saying what is wrong."""

from __future__ import annotations

import pytest

from adapters.console.translate import translate
from core import messages
from core.commands import (
    Command,
    DeleteMe,
    PrivacyConsent,
    PrivacyCorrect,
    PrivacyExport,
    PrivacyInfo,
    PrivacyObject,
    PrivacyRestrict,
)
from core.errors import BadInput


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/privacy", PrivacyInfo()),
        ("/PRIVACY", PrivacyInfo()),
        ("/privacy export", PrivacyExport()),
        ("/privacy Export", PrivacyExport()),
        ("/privacy consent analytics on", PrivacyConsent("analytics", granted=True)),
        ("/privacy consent analytics off", PrivacyConsent("analytics", granted=False)),
        ("/privacy consent Analytics ON", PrivacyConsent("analytics", granted=True)),
        ("/privacy consent newsletters on", PrivacyConsent("newsletters", granted=True)),
        ("/privacy correct name Ada Lovelace", PrivacyCorrect("name", "Ada Lovelace")),
        ('/privacy correct name "Ada  Lovelace"', PrivacyCorrect("name", "Ada  Lovelace")),
        ("/privacy correct name Ada O'Brien", PrivacyCorrect("name", "Ada O'Brien")),
        ("/privacy correct email ada@example.com", PrivacyCorrect("email", "ada@example.com")),
        ("/privacy correct phone 555", PrivacyCorrect("phone", "555")),
        ("/privacy restrict on", PrivacyRestrict(on=True)),
        ("/privacy restrict off", PrivacyRestrict(on=False)),
        ("/privacy object", PrivacyObject()),
        ("/privacy delete", DeleteMe()),
        ("/delete-me", DeleteMe()),
        ("/delete-me confirm K7P2Q", DeleteMe(code="K7P2Q")),
        ("/delete-me CONFIRM k7p2q", DeleteMe(code="k7p2q")),
        ("/privacy delete confirm K7P2Q", DeleteMe(code="K7P2Q")),
    ],
)
async def test_privacy_lines(line: str, expected: Command) -> None:
    assert await translate(line) == expected


def _bad(detail: str) -> str:
    return messages.BAD_OPTIONS.format(detail=detail)


SUBCOMMANDS = "the subcommands are export, consent, correct, restrict, object and delete"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/privacy xyz", _bad(f"/privacy has no subcommand xyz; {SUBCOMMANDS}")),
        ("/privacy delete-me", _bad(f"/privacy has no subcommand delete-me; {SUBCOMMANDS}")),
        ("/privacy export now", _bad("use /privacy export")),
        ("/privacy object analytics", _bad("use /privacy object")),
        ("/privacy consent", _bad("use /privacy consent analytics on|off")),
        ("/privacy consent on", _bad("use /privacy consent analytics on|off")),
        ("/privacy consent analytics on please", _bad("use /privacy consent analytics on|off")),
        ("/privacy consent analytics yes", _bad("/privacy consent takes on or off, not yes")),
        ("/privacy correct", _bad("use /privacy correct name|email VALUE")),
        ("/privacy correct name", _bad("use /privacy correct name|email VALUE")),
        ('/privacy correct name ""', _bad("use /privacy correct name|email VALUE")),
        ("/privacy correct name --as Ada", _bad("/privacy correct has no option --as")),
        ("/privacy restrict", _bad("use /privacy restrict on|off")),
        ("/privacy restrict maybe", _bad("/privacy restrict takes on or off, not maybe")),
        ("/delete-me now", _bad("use /delete-me [confirm CODE]")),
        ("/delete-me confirm", _bad("use /delete-me [confirm CODE]")),
        ("/delete-me please K7P2Q", _bad("use /delete-me [confirm CODE]")),
        ("/delete-me confirm K7P2Q again", _bad("use /delete-me [confirm CODE]")),
        ("/privacy delete K7P2Q", _bad("use /delete-me [confirm CODE]")),
        ("/delete", messages.UNKNOWN_COMMAND.format(command="/delete")),
        ("/privacy consent 'analytics on", _bad("no closing quotation")),
    ],
)
async def test_bad_privacy_lines_get_one_sentence(line: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        await translate(line)
    assert caught.value.message == message
    assert "\n" not in caught.value.message
