"""Discord across processes: ``aioe discord run`` holds the gateway, ``aioe worker``
delivers over REST, ``aioe discord sync`` registers the commands."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from adapters.discord.commands import MAKE_IMAGES
from adapters.sql.engine import migrate_async
from tests.e2e.test_processes import environment, process
from tests.fakes.discord_server import (
    FakeDiscord,
    component_interaction,
    discord_server,
    slash_interaction,
)
from tests.harness import product_photo

AIOE = str(Path(sys.executable).with_name("aioe"))
GUILD, OTHER_GUILD, CHANNEL, OTHER_CHANNEL = 1001, 2002, 3003, 4004
MASON = {"id": "53908232506183680", "username": "mason", "global_name": "Mason"}
DEFERRED = 5
EPHEMERAL = 64


def discord_environment(tmp_path: Path, database_url: str, fake: FakeDiscord) -> dict[str, str]:
    return environment(
        tmp_path / "var",
        database_url,
        DISCORD_TOKEN=fake.bot_token,
        AIOE_DISCORD_API_URL=fake.api_url,
    )


async def sync(env: dict[str, str]) -> str:
    async with process(AIOE, "discord", "sync", env=env) as child:
        out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, err.decode()
    return out.decode()


@dataclass
class Deployment:
    fake: FakeDiscord
    env: dict[str, str]
    stack: AsyncExitStack
    gateway: asyncio.subprocess.Process


@asynccontextmanager
async def deployment(tmp_path: Path, database_url: str) -> AsyncIterator[Deployment]:
    """A fake Discord with two guilds, the commands registered, the gateway process and
    a worker process on one database."""
    await migrate_async(database_url)
    async with discord_server() as fake, AsyncExitStack() as stack:
        fake.add_guild(GUILD, "Makers", channels=(CHANNEL,))
        fake.add_guild(OTHER_GUILD, "Shop owners", channels=(OTHER_CHANNEL,))
        env = discord_environment(tmp_path, database_url, fake)
        await sync(env)
        gateway = await stack.enter_async_context(process(AIOE, "discord", "run", env=env))
        await stack.enter_async_context(process(AIOE, "worker", env=env))
        await fake.wait_ready(within=60)
        yield Deployment(fake, env, stack, gateway)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def followed_up(fake: FakeDiscord, interaction: int, within: float = 90) -> list[Any]:
    await fake.wait_until(lambda: bool(fake.followups_for(interaction)), within=within)
    return fake.followups_for(interaction)


async def test_sync_registers_every_command_in_one_bulk_overwrite(
    tmp_path: Path, database_url: str
) -> None:
    async with discord_server() as fake:
        out = await sync(discord_environment(tmp_path, database_url, fake))
        (overwrite,) = fake.overwrites
        assert {"imagine", "describe", "credits", "templates", "help"} <= set(overwrite.names)
        assert "registered" in out


async def test_imagine_with_an_attachment_is_deferred_then_followed_up_with_the_png(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as running:
        fake = running.fake
        photo = fake.add_attachment(product_photo(), "box.png", "image/png", channel_id=CHANNEL)
        payload = slash_interaction(
            GUILD, CHANNEL, MASON, "imagine", {"format": "square"}, {"image": photo}
        )
        interaction = await fake.send_interaction(payload)
        answered = await fake.callback_for(interaction, within=10)
        assert answered.type == DEFERRED and answered.after < 3
        results = [m for m in await followed_up(fake, interaction) if m.attachments]
        (message,) = results
        assert not message.flags & EPHEMERAL  # the results are for the whole channel
        (attachment,) = message.attachments
        assert attachment.content_type == "image/png" and png_size(attachment.data) == (1080, 1080)
        assert len(fake.downloads) == 1  # the photo was downloaded once


async def test_an_attachment_that_is_not_an_image_gets_one_private_sentence(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as running:
        fake = running.fake
        text = fake.add_attachment(b"not a picture", "notes.png", "text/plain", channel_id=CHANNEL)
        huge = fake.add_attachment(product_photo(), "huge.png", "image/png", channel_id=CHANNEL)
        huge["size"] = 30 * 1024 * 1024  # what Discord says of it: over our 20 MB
        for attachment in (text, huge):
            payload = slash_interaction(GUILD, CHANNEL, MASON, "imagine", {}, {"image": attachment})
            interaction = await fake.send_interaction(payload)
            answered = await fake.callback_for(interaction, within=10)
            assert answered.after < 3
            await fake.wait_until(lambda i=interaction: _private_sentence(fake, i), within=30)
        assert fake.downloads == []  # refused before anything was downloaded
        public = [m for m in fake.messages_in(CHANNEL) if not m.flags & EPHEMERAL]
        assert public == []  # and nothing was posted for all to see


def _private_sentence(fake: FakeDiscord, interaction: int) -> bool:
    """The interaction was answered with one sentence only the requester sees."""
    answered = fake.followups_for(interaction) + [
        m for m in (fake.original_for(interaction),) if m is not None and m.content
    ]
    return any(m.flags & EPHEMERAL and m.content.count(".") <= 2 for m in answered)


async def test_credits_and_templates_are_private_and_credits_the_same_in_every_guild(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as running:
        fake = running.fake
        templates = await fake.send_interaction(
            slash_interaction(GUILD, CHANNEL, MASON, "templates")
        )
        answered = await fake.callback_for(templates, within=10)
        assert answered.after < 3 and answered.flags & EPHEMERAL
        balances = []
        for guild, channel in ((GUILD, CHANNEL), (OTHER_GUILD, OTHER_CHANNEL)):
            interaction = await fake.send_interaction(
                slash_interaction(guild, channel, MASON, "credits")
            )
            answered = await fake.callback_for(interaction, within=10)
            assert answered.after < 3 and answered.flags & EPHEMERAL
            await fake.wait_until(
                lambda i=interaction: (
                    fake.original_for(i) is not None and bool(fake.original_for(i).embeds)
                ),
                within=30,
            )
            original = fake.original_for(interaction)
            assert original is not None
            balances.append(str(original.embeds))
        assert balances[0] == balances[1] and "10" in balances[0]


def reroll_button(message: Any) -> str:
    """The custom id of the first "More like this" button on a message."""
    for row in message.components:
        for component in row.get("components", ()):
            if component.get("type") == 2 and ":r:" in str(component.get("custom_id", "")):
                return str(component["custom_id"])
    raise AssertionError("no more-like-this button on the message")


async def test_a_button_still_works_after_the_gateway_restarted_and_only_for_its_owner(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as running:
        fake, env, stack = running.fake, running.env, running.stack
        photo = fake.add_attachment(product_photo(), "box.png", "image/png", channel_id=CHANNEL)
        payload = slash_interaction(
            GUILD, CHANNEL, MASON, "imagine", {"format": "square"}, {"image": photo}
        )
        first = await fake.send_interaction(payload)
        (result,) = [m for m in await followed_up(fake, first) if m.attachments]
        custom_id = reroll_button(result)

        # The gateway process dies and another starts: nothing in memory survives.
        running.gateway.kill()
        await running.gateway.wait()
        await stack.enter_async_context(process(AIOE, "discord", "run", env=env))
        await fake.wait_until(lambda: len(fake.identifies) >= 2, within=60)
        await fake.wait_ready(within=60)

        other = {"id": "80351110224678912", "username": "nelly", "global_name": "Nelly"}
        refused = await fake.send_interaction(
            component_interaction(
                GUILD, CHANNEL, other, custom_id, message=fake.message_json(result.id)
            )
        )
        answered = await fake.callback_for(refused, within=10)
        assert answered.after < 3 and answered.flags & EPHEMERAL
        await fake.wait_until(lambda: bool(getattr(fake.original_for(refused), "content", "")))
        refusal = fake.original_for(refused)
        assert refusal is not None and "Only the person who asked" in refusal.content

        pressed = await fake.send_interaction(
            component_interaction(
                GUILD, CHANNEL, MASON, custom_id, message=fake.message_json(result.id)
            )
        )
        assert (await fake.callback_for(pressed, within=10)).after < 3
        rerolled = [m for m in await followed_up(fake, pressed) if m.attachments]
        assert len(rerolled) == 1


async def test_the_message_command_makes_images_from_the_photo_in_a_message(
    tmp_path: Path, database_url: str
) -> None:
    async with deployment(tmp_path, database_url) as running:
        fake = running.fake
        photo = fake.add_attachment(product_photo(), "mug.png", "image/png", channel_id=CHANNEL)
        payload = slash_interaction(GUILD, CHANNEL, MASON, "imagine")
        target = "1183349100000000000"
        payload["data"] = {
            "name": MAKE_IMAGES,
            "type": 3,
            "target_id": target,
            "resolved": {
                "messages": {
                    target: {
                        "id": target,
                        "channel_id": str(CHANNEL),
                        "content": "new mugs are in",
                        "attachments": [photo],
                    }
                }
            },
        }
        interaction = await fake.send_interaction(payload)
        assert (await fake.callback_for(interaction, within=10)).after < 3
        (result,) = [m for m in await followed_up(fake, interaction) if m.attachments]
        assert result.attachments[0].content_type == "image/png"


async def test_two_gateway_processes_hold_one_shard_each_and_answer_each_interaction_once(
    tmp_path: Path, database_url: str
) -> None:
    await migrate_async(database_url)
    on_shard = {0: 2 << 22, 1: 3 << 22}  # (guild_id >> 22) % shard_count picks the shard
    async with discord_server() as fake, AsyncExitStack() as stack:
        for shard, guild in on_shard.items():
            fake.add_guild(guild, f"Guild on shard {shard}", channels=(guild + 1,))
        env = discord_environment(tmp_path, database_url, fake)
        await sync(env)
        for shard in on_shard:
            await stack.enter_async_context(
                process(
                    AIOE,
                    "discord",
                    "run",
                    "--shard-ids",
                    str(shard),
                    "--shard-count",
                    "2",
                    env=env,
                )
            )
        for shard in on_shard:
            await fake.wait_ready(shard=shard, within=60)
        assert set(fake.sessions) == {0, 1}  # each process holds its own shard
        for shard, guild in on_shard.items():
            payload = slash_interaction(guild, guild + 1, MASON, "credits")
            interaction = await fake.send_interaction(payload, shard=shard)
            assert (await fake.callback_for(interaction, within=10)).after < 3
        callbacks = fake.requests_to("POST /interactions/*/callback")
        assert len(callbacks) == 2 and all(c.status < 300 for c in callbacks)
