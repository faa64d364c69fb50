"""The client ``aioe discord run`` connects: no privileged intent, and the store's
catch-up on READY in the one process that holds shard 0."""

from __future__ import annotations

from typing import cast

import pytest

from adapters.discord.client import AioeClient, AioeShardedClient, intents
from adapters.discord.gateway import DiscordGateway
from core.app import Bot

NO_BOT = cast(Bot, None)
NO_ANSWERS = cast(DiscordGateway, None)


def test_the_client_asks_for_guilds_alone() -> None:
    assert intents().value == 1
    assert AioeClient(bot=NO_BOT, answering=NO_ANSWERS).intents.value == 1


@pytest.mark.parametrize(
    ("shard_ids", "holds"), [(None, True), ([0, 1], True), ([2, 3], False), ([1], False)]
)
def test_only_the_process_holding_shard_zero_catches_up_on_the_store(
    shard_ids: list[int] | None, holds: bool
) -> None:
    client = AioeShardedClient(bot=NO_BOT, answering=NO_ANSWERS, shard_ids=shard_ids, shard_count=4)
    assert client.holds_shard_zero is holds


def test_an_unsharded_client_holds_every_shard() -> None:
    assert AioeClient(bot=NO_BOT, answering=NO_ANSWERS).holds_shard_zero
