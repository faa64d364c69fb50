"""Slack payloads name their sender: workspace users per team, Grid users per organisation."""

from __future__ import annotations

import pytest

from adapters.slack.identity import requester
from core.identity import Identity
from tests.adapters.payloads import payload


@pytest.mark.parametrize(
    ("name", "tenant", "identity"),
    [
        ("slash_command", "T0001", Identity("slack", "T0001", "U2147483697")),
        ("app_mention", "T0002", Identity("slack", "T0002", "U2147483697")),
        ("block_actions", "T0001", Identity("slack", "T0001", "U2147483697")),
        ("grid_message", "T0003", Identity("slack", "E0001", "W0GRID0001")),
    ],
)
def test_each_payload_names_its_sender_and_workspace(
    name: str, tenant: str, identity: Identity
) -> None:
    sent_by = requester(payload("slack", name))
    assert (sent_by.tenant, sent_by.identity) == (tenant, identity)


def test_a_slash_command_carries_the_senders_name() -> None:
    assert requester(payload("slack", "slash_command")).display_name == "steve"


def test_a_grid_users_identity_is_the_same_in_every_workspace_of_the_organisation() -> None:
    grid = payload("slack", "grid_message")
    elsewhere = {**grid, "team_id": "T0009", "event": {**grid["event"], "team": "T0009"}}
    assert requester(grid).identity == requester(elsewhere).identity
    assert requester(grid).tenant != requester(elsewhere).tenant
