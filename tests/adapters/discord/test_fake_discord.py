"""The fake Discord holds up against the real discord.py: login, gateway, commands,
interaction responses, follow-ups with files, rate limits, shards and resumes."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from PIL import Image

from tests.fakes.discord_server import (
    ALL_PERMISSIONS,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    autocomplete_interaction,
    component_interaction,
    discord_server,
    slash_interaction,
)

GUILD = 290926798626357250  # shard 1 of 2
OTHER_GUILD = 613425648685547541  # shard 0 of 2
CHANNEL = 645027906669510667
STAFF_ONLY = 645027906669510668
OTHER_CHANNEL = 713425648685547541
MASON = {"id": "53908232506183680", "username": "mason", "global_name": "Mason"}
WITHIN = 5.0


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 128, 128)).save(buffer, "PNG")
    return buffer.getvalue()


class Bot(discord.Client):
    """A discord.py client with a command tree that reports what happened to it."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        super().__init__(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.readied = asyncio.Event()
        self.resumed = asyncio.Event()
        self.ready_count = 0
        self.seen: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before a second IDENTIFY: the fake does not pace them."""

    async def on_ready(self) -> None:
        self.ready_count += 1
        self.readied.set()

    async def on_resumed(self) -> None:
        self.resumed.set()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.put_nowait(message)


class ShardedBot(discord.AutoShardedClient):
    """The sharded client, asking GET /gateway/bot how many shards to run."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.readied = asyncio.Event()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause between shards."""

    async def on_ready(self) -> None:
        self.readied.set()


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake with one guild (#general, and #staff the bot cannot see), and discord.py's
    REST base and default gateway pointed at it (restored after the test)."""
    async with discord_server() as server:
        server.add_guild(
            GUILD,
            "Acme",
            channels=[CHANNEL, {"id": STAFF_ONLY, "name": "staff"}],
            hidden_channels=[STAFF_ONLY],
            members=[MASON],
        )
        monkeypatch.setattr(Route, "BASE", server.api_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


@contextlib.asynccontextmanager
async def connected(client: Bot | ShardedBot, token: str) -> AsyncIterator[None]:
    """Log in, connect, and wait (boundedly) for on_ready; always close the client."""
    connecting: asyncio.Task[None] | None = None
    try:
        await client.login(token)
        connecting = asyncio.create_task(client.connect())
        readied = asyncio.create_task(client.readied.wait())
        done, _ = await asyncio.wait(
            {connecting, readied}, timeout=WITHIN, return_when=asyncio.FIRST_COMPLETED
        )
        readied.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await readied
        if connecting in done:
            connecting.result()
            raise AssertionError("the client stopped before it was ready")
        assert done, "the client was not ready in time"
        yield
    finally:
        await client.close()
        if connecting is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(connecting, WITHIN)


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    client = Bot()
    async with connected(client, fake.bot_token):
        yield client


async def raw(
    method: str, url: str, *, token: str | None = None, **kwargs: Any
) -> tuple[int, str, Any]:
    """One plain HTTP request: status, exact Content-Type, and the JSON body (if any)."""
    headers = {"Authorization": f"Bot {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers, **kwargs) as response,
    ):
        text = await response.text()
        body = json.loads(text) if text and response.content_type == "application/json" else text
        return response.status, response.headers.get("Content-Type", ""), body


def command(tree: app_commands.CommandTree[Any], name: str) -> Any:
    """``@tree.command`` with a description made up from the name."""
    return tree.command(name=name, description=f"The {name} command")


# --- login and the gateway ---------------------------------------------------------


async def test_a_client_logs_in_and_sees_its_guild_when_ready(fake: FakeDiscord, bot: Bot) -> None:
    guild = bot.get_guild(GUILD)
    assert bot.user is not None and bot.user.id == fake.application_id
    assert bot.application_id == fake.application_id
    assert guild is not None and guild.name == "Acme"
    assert [channel.name for channel in guild.text_channels] == ["general", "staff"]
    assert guild.me is not None
    assert not guild.get_channel(STAFF_ONLY).permissions_for(guild.me).view_channel  # type: ignore[union-attr]
    assert fake.identifies[0]["intents"] == discord.Intents.default().value
    assert list(fake.sessions) == [0]
    assert fake.sessions[0].connection is not None and fake.sessions[0].connection.zlib_stream


async def test_a_wrong_bot_token_fails_at_login(fake: FakeDiscord) -> None:
    client = Bot()
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    assert fake.requests[-1].status == 401


async def test_the_gateway_closes_an_identify_with_the_wrong_token(fake: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive_json(timeout=WITHIN)
        await ws.send_json({"op": 1, "d": None})
        ack = await ws.receive_json(timeout=WITHIN)
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513, "properties": {}}})
        closing = await ws.receive(timeout=WITHIN)
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
    assert ack["op"] == 11
    assert (closing.type, closing.data, closing.extra) == (
        aiohttp.WSMsgType.CLOSE,
        4004,
        "Authentication failed.",
    )


async def test_privileged_intents_not_enabled_for_the_app_are_refused(fake: FakeDiscord) -> None:
    client = Bot(discord.Intents.default() | discord.Intents(message_content=True))
    await client.login(fake.bot_token)
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.connect(), WITHIN)
    finally:
        await client.close()


async def test_a_kicked_session_resumes_and_receives_what_it_missed(
    fake: FakeDiscord, bot: Bot
) -> None:
    answered: list[str] = []

    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        answered.append(interaction.command.name if interaction.command else "")
        await interaction.response.send_message("You have 10 credits.", ephemeral=True)

    await bot.tree.sync()
    await fake.kick(0)
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "credits")
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    await asyncio.wait_for(bot.resumed.wait(), WITHIN)
    assert (callback.content, callback.ephemeral, answered) == (
        "You have 10 credits.",
        True,
        ["credits"],
    )
    assert (fake.sessions[0].resumes, fake.sessions[0].replayed) == (1, 1)
    assert len(fake.identifies) == 1


async def test_an_invalidated_session_identifies_again(fake: FakeDiscord, bot: Bot) -> None:
    first = fake.sessions[0]
    bot.readied.clear()
    await fake.kick(0, resumable=False)
    await asyncio.wait_for(bot.readied.wait(), WITHIN)
    assert (len(fake.identifies), bot.ready_count) == (2, 2)
    assert list(fake.sessions) == [0]
    assert fake.sessions[0] is not first and fake.sessions[0].resumes == 0


async def test_each_shard_gets_the_guilds_that_hash_to_it(fake: FakeDiscord) -> None:
    fake.recommended_shards = 2
    fake.add_guild(OTHER_GUILD, "Other", channels=[OTHER_CHANNEL])
    client = ShardedBot()
    async with connected(client, fake.bot_token):
        await fake.wait_ready(1, within=WITHIN)
        seen: list[int] = []

        @command(client.tree, "credits")
        async def credits(interaction: discord.Interaction) -> None:
            seen.append(interaction.guild_id or 0)
            await interaction.response.defer(ephemeral=True)

        await client.tree.sync()
        interaction_id = await fake.send_interaction(
            slash_interaction(GUILD, CHANNEL, MASON, "credits")
        )
        await fake.callback_for(interaction_id, within=WITHIN)
        shards = {shard: session.identify["shard"] for shard, session in fake.sessions.items()}
        guild, other = client.get_guild(GUILD), client.get_guild(OTHER_GUILD)
        assert guild is not None and other is not None
        assert (guild.shard_id, other.shard_id) == (1, 0)
        assert fake.interactions[interaction_id].shard == 1
    assert shards == {0: [0, 2], 1: [1, 2]}
    assert seen == [GUILD]


# --- commands ------------------------------------------------------------------------


async def test_tree_sync_records_a_bulk_overwrite_with_ids(fake: FakeDiscord, bot: Bot) -> None:
    @command(bot.tree, "imagine")
    @app_commands.describe(prompt="What to draw")
    async def imagine(interaction: discord.Interaction, prompt: str) -> None: ...

    synced = await bot.tree.sync()
    guild_synced = await bot.tree.sync(guild=discord.Object(GUILD))
    assert [command.name for command in synced] == ["imagine"]
    assert [(o.guild_id, o.names) for o in fake.overwrites] == [(None, ["imagine"]), (GUILD, [])]
    assert synced[0].id == int(fake.commands[None][0]["id"])
    assert fake.commands[None][0]["options"][0]["name"] == "prompt"
    assert guild_synced == []


async def test_a_bulk_overwrite_with_an_invalid_name_is_refused(fake: FakeDiscord) -> None:
    status, content_type, body = await raw(
        "PUT",
        f"{fake.api_url}/applications/{fake.application_id}/commands",
        token=fake.bot_token,
        json=[{"name": "Imagine", "description": "Draw", "type": 1}],
    )
    assert (status, content_type, body["code"]) == (400, "application/json", 50035)
    assert body["errors"]["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert fake.overwrites == []


async def test_guild_commands_need_a_guild_the_bot_is_in(fake: FakeDiscord) -> None:
    status, _, body = await raw(
        "PUT",
        f"{fake.api_url}/applications/{fake.application_id}/guilds/{OTHER_GUILD}/commands",
        token=fake.bot_token,
        json=[],
    )
    assert (status, body) == (403, {"message": "Missing Access", "code": 50001})


async def test_an_interaction_for_an_unregistered_command_cannot_be_sent(
    fake: FakeDiscord, bot: Bot
) -> None:
    with pytest.raises(LookupError, match="no command 'imagine'"):
        await fake.send_interaction(slash_interaction(GUILD, CHANNEL, MASON, "imagine"))


TEAM_GROUP = {
    "name": "team",
    "description": "Shared credits",
    "type": 1,
    "options": [
        {"name": "credits", "description": "Show them", "type": 1, "options": []},
        {
            "name": "cap",
            "description": "Cap them",
            "type": 1,
            "options": [{"name": "credits", "description": "How many", "type": 4}],
        },
    ],
}
NELLY = {"id": "80351110224678912", "username": "nelly", "global_name": "Nelly"}


def team_cap(user: dict[str, str], **given: Any) -> dict[str, Any]:
    options = [{"name": "cap", "type": 1, "options": [{"name": "credits", "type": 4, "value": 5}]}]
    return slash_interaction(GUILD, CHANNEL, user, "team", options, **given)


async def test_an_interaction_carries_the_members_permissions_as_a_string(
    fake: FakeDiscord, bot: Bot
) -> None:
    seen: asyncio.Queue[discord.Permissions] = asyncio.Queue()
    group = app_commands.Group(name="team", description="Shared credits")

    @group.command(name="cap", description="Cap them")
    async def cap(interaction: discord.Interaction, credits: int | None = None) -> None:
        seen.put_nowait(interaction.permissions)
        await interaction.response.defer(ephemeral=True)

    bot.tree.add_command(group)
    await bot.tree.sync()
    sent = [
        await fake.send_interaction(team_cap(NELLY)),
        await fake.send_interaction(team_cap(NELLY, permissions=MANAGE_GUILD)),
        await fake.send_interaction(team_cap(MASON)),  # the guild's owner
    ]
    raw_permissions = [fake.interactions[i].payload["member"]["permissions"] for i in sent]
    assert raw_permissions == [str(MEMBER_PERMISSIONS), str(MANAGE_GUILD), str(ALL_PERMISSIONS)]
    read = [await asyncio.wait_for(seen.get(), WITHIN) for _ in sent]
    assert [(p.manage_guild, p.administrator) for p in read] == [
        (False, False),
        (True, False),
        (True, True),
    ]
    assert read[2] == discord.Permissions.all()  # the fake's "every permission" is Discord's


def test_a_direct_message_interaction_has_a_user_and_no_member() -> None:
    payload = slash_interaction(None, CHANNEL, MASON, "credits", permissions=ALL_PERMISSIONS)
    assert "member" not in payload and payload["user"]["id"] == MASON["id"]


async def test_an_interaction_names_only_registered_subcommands_and_options(
    fake: FakeDiscord, bot: Bot
) -> None:
    fake.register_commands([TEAM_GROUP])
    await fake.send_interaction(team_cap(NELLY))
    nothing = [{"name": "credits", "type": 1, "options": []}]
    await fake.send_interaction(slash_interaction(GUILD, CHANNEL, NELLY, "team", nothing))
    unknown = [{"name": "burn", "type": 1, "options": []}]
    with pytest.raises(LookupError, match="no option 'burn'"):
        await fake.send_interaction(slash_interaction(GUILD, CHANNEL, NELLY, "team", unknown))
    wrong_type = [
        {"name": "cap", "type": 1, "options": [{"name": "credits", "type": 3, "value": "5"}]}
    ]
    with pytest.raises(LookupError, match="/team cap registers no option 'credits' of type 3"):
        await fake.send_interaction(slash_interaction(GUILD, CHANNEL, NELLY, "team", wrong_type))


# --- interaction responses -------------------------------------------------------------


async def test_a_deferred_command_gets_its_image_as_a_followup(fake: FakeDiscord, bot: Bot) -> None:
    image = png()

    @command(bot.tree, "imagine")
    async def imagine(interaction: discord.Interaction, prompt: str) -> None:
        await interaction.response.defer()
        await interaction.followup.send(
            f"Here is {prompt}.", file=discord.File(io.BytesIO(image), "x.png")
        )

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "imagine", {"prompt": "a mug"})
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    await fake.wait_until(lambda: fake.followups_for(interaction_id) != [], within=WITHIN)
    [followup] = fake.followups_for(interaction_id)
    [attachment] = followup.attachments
    assert (callback.type, callback.after < 3) == (5, True)
    assert followup.content == "Here is a mug."
    assert (attachment.filename, attachment.data, attachment.content_type) == (
        "x.png",
        image,
        "image/png",
    )
    assert (attachment.width, attachment.height) == (64, 48)
    assert fake.original_for(interaction_id) is followup and not followup.loading


async def test_an_ephemeral_deferral_keeps_its_first_followup_ephemeral(
    fake: FakeDiscord, bot: Bot
) -> None:
    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send("10 credits")
        await interaction.followup.send("and a second note")

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "credits")
    )
    await fake.wait_until(lambda: len(fake.followups_for(interaction_id)) == 2, within=WITHIN)
    first, second = fake.followups_for(interaction_id)
    assert (first.content, first.ephemeral, first.id) == (
        "10 credits",
        True,
        fake.interactions[interaction_id].original_id,
    )
    assert (second.content, second.ephemeral) == ("and a second note", False)


async def test_editing_the_original_response_replaces_its_attachments(
    fake: FakeDiscord, bot: Bot
) -> None:
    draft, final = png((4, 4)), png((16, 16))

    @command(bot.tree, "imagine")
    async def imagine(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(
            content="Draft", attachments=[discord.File(io.BytesIO(draft), "draft.png")]
        )
        await interaction.edit_original_response(
            content="Final", attachments=[discord.File(io.BytesIO(final), "final.png")]
        )

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "imagine")
    )
    await fake.wait_until(
        lambda: getattr(fake.original_for(interaction_id), "content", "") == "Final",
        within=WITHIN,
    )
    original = fake.original_for(interaction_id)
    assert original is not None
    assert [(a.filename, a.data) for a in original.attachments] == [("final.png", final)]
    assert [version["content"] for version in original.previous] == ["", "Draft"]
    assert original.edited_timestamp is not None and not original.loading


async def test_a_response_with_a_file_is_recorded_and_can_be_deleted(
    fake: FakeDiscord, bot: Bot
) -> None:
    image = png((8, 8))

    @command(bot.tree, "imagine")
    async def imagine(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Here.", file=discord.File(io.BytesIO(image), "m.png")
        )
        await interaction.delete_original_response()

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "imagine")
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    await fake.wait_until(lambda: fake.messages_in(CHANNEL) == [], within=WITHIN)
    original = fake.original_for(interaction_id)
    assert (callback.type, callback.content, callback.attachments[0].data) == (4, "Here.", image)
    assert original is not None and original.deleted and original.type == 20


async def test_a_command_can_answer_with_a_modal(fake: FakeDiscord, bot: Bot) -> None:
    class Describe(discord.ui.Modal, title="Describe your product"):
        product: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Product")

    @command(bot.tree, "describe")
    async def describe(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Describe())

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "describe")
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    assert (callback.type, callback.data["title"], callback.message_id) == (
        9,
        "Describe your product",
        None,
    )
    assert fake.original_for(interaction_id) is None


async def test_autocomplete_answers_with_choices(fake: FakeDiscord, bot: Bot) -> None:
    async def styles(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=s, value=s)
            for s in ("studio", "street")
            if s.startswith(current)
        ]

    @command(bot.tree, "imagine")
    @app_commands.autocomplete(style=styles)
    async def imagine(interaction: discord.Interaction, style: str) -> None: ...

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        autocomplete_interaction(GUILD, CHANNEL, MASON, "imagine", {"style": "st"}, focused="style")
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    assert (callback.type, [c["name"] for c in callback.data["choices"]]) == (
        8,
        ["studio", "street"],
    )


async def test_a_direct_message_command_reaches_the_tree(fake: FakeDiscord, bot: Bot) -> None:
    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        kind = type(interaction.channel).__name__
        await interaction.response.send_message(f"{interaction.user.name} in {kind}")

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(None, 1183340000000000000, MASON, "credits")
    )
    assert (await fake.callback_for(interaction_id, within=WITHIN)).content == "mason in DMChannel"


async def test_a_second_response_is_refused(fake: FakeDiscord, bot: Bot) -> None:
    refused: asyncio.Future[Exception] = asyncio.get_running_loop().create_future()

    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("10 credits")
        try:
            await interaction.response.send_message("again")
        except discord.InteractionResponded as error:
            refused.set_result(error)

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "credits")
    )
    await asyncio.wait_for(refused, WITHIN)
    token = fake.interactions[interaction_id].token
    status, content_type, body = await raw(
        "POST",
        f"{fake.api_url}/interactions/{interaction_id}/{token}/callback",
        json={"type": 4, "data": {"content": "again"}},
    )
    assert (status, content_type) == (400, "application/json")
    assert body == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert (await fake.callback_for(interaction_id)).content == "10 credits"


async def test_a_callback_after_three_seconds_is_an_unknown_interaction(
    fake: FakeDiscord, bot: Bot
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    failure: asyncio.Future[discord.NotFound] = asyncio.get_running_loop().create_future()

    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        entered.set()
        await release.wait()
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as error:
            failure.set_result(error)

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "credits")
    )
    await asyncio.wait_for(entered.wait(), WITHIN)
    fake.age_interaction(interaction_id, 3.5)
    release.set()
    error = await asyncio.wait_for(failure, WITHIN)
    assert (error.status, error.code, error.text) == (404, 10062, "Unknown interaction")
    assert fake.interactions[interaction_id].callback is None


async def test_an_interaction_token_expires_after_fifteen_minutes(
    fake: FakeDiscord, bot: Bot
) -> None:
    @command(bot.tree, "credits")
    async def credits(interaction: discord.Interaction) -> None:
        await interaction.response.defer()

    await bot.tree.sync()
    interaction_id = await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "credits")
    )
    await fake.callback_for(interaction_id, within=WITHIN)
    token = fake.interactions[interaction_id].token
    webhook = f"{fake.api_url}/webhooks/{fake.application_id}/{token}"
    fresh = await raw("PATCH", f"{webhook}/messages/@original", json={"content": "Done."})
    fake.age_interaction(interaction_id, 15 * 60 + 1)
    expired = await raw("POST", f"{webhook}?wait=true", json={"content": "Later."})
    assert fresh[0] == 200 and fresh[2]["content"] == "Done." and fresh[2]["flags"] == 0
    assert expired == (401, "application/json", {"message": "Invalid Webhook Token", "code": 50027})


async def test_a_followup_before_any_response_is_an_unknown_webhook(fake: FakeDiscord) -> None:
    fake.register_commands([{"name": "credits", "description": "Credits", "type": 1}])
    bot = Bot()
    async with connected(bot, fake.bot_token):
        interaction_id = await fake.send_interaction(
            slash_interaction(GUILD, CHANNEL, MASON, "credits")
        )
    token = fake.interactions[interaction_id].token
    status, _, body = await raw(
        "POST", f"{fake.api_url}/webhooks/{fake.application_id}/{token}", json={"content": "hi"}
    )
    assert (status, body) == (404, {"message": "Unknown Webhook", "code": 10015})


async def test_a_command_reads_its_attachment_from_the_cdn(fake: FakeDiscord, bot: Bot) -> None:
    photo = png((20, 10))
    attachment = fake.add_attachment(photo, "mug.png", "image/png", channel_id=CHANNEL)
    read: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    @command(bot.tree, "describe")
    async def describe(interaction: discord.Interaction, photo: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=True)
        read.set_result(await photo.read())

    await bot.tree.sync()
    await fake.send_interaction(
        slash_interaction(GUILD, CHANNEL, MASON, "describe", attachments={"photo": attachment})
    )
    assert await asyncio.wait_for(read, WITHIN) == photo
    assert (attachment["width"], attachment["height"], attachment["size"]) == (20, 10, len(photo))
    assert fake.downloads == [int(attachment["id"])]
    unsigned = await raw("GET", attachment["url"].split("?")[0])
    assert unsigned[0] == 404 and fake.downloads == [int(attachment["id"])]


async def test_a_button_press_updates_the_message_it_is_on(fake: FakeDiscord, bot: Bot) -> None:
    class Again(discord.ui.View):
        @discord.ui.button(label="Again", custom_id="again")
        async def again(
            self, interaction: discord.Interaction, button: discord.ui.Button[Any]
        ) -> None:
            await interaction.response.edit_message(content="Drawing again…", view=None)

    channel = bot.get_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("Here is your mug.", view=Again())
    interaction_id = await fake.send_interaction(
        component_interaction(GUILD, CHANNEL, MASON, "again", message=fake.message_json(sent.id))
    )
    callback = await fake.callback_for(interaction_id, within=WITHIN)
    assert (callback.type, callback.content) == (7, "Drawing again…")
    assert fake.messages[sent.id].content == "Drawing again…"
    assert fake.messages[sent.id].components == []
    assert fake.messages[sent.id].previous[0]["content"] == "Here is your mug."


# --- channels, rate limits, entitlements --------------------------------------------------


async def test_a_rate_limited_post_is_retried_by_discord_py(fake: FakeDiscord, bot: Bot) -> None:
    fake.rate_limit("POST /channels/*/messages", times=1, retry_after=0.01)
    channel = bot.get_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(
        "Your image is ready.", file=discord.File(io.BytesIO(png()), "mug.png")
    )
    assert [r.status for r in fake.requests_to("POST /channels/*/messages")] == [429, 200]
    assert fake.messages_in(CHANNEL)[0].attachments[0].data == png()
    assert sent.attachments[0].filename == "mug.png"
    echoed = await asyncio.wait_for(bot.seen.get(), WITHIN)
    assert (echoed.id, echoed.author.id) == (sent.id, fake.application_id)


async def test_a_channel_the_bot_cannot_see_is_missing_access(fake: FakeDiscord, bot: Bot) -> None:
    channel = bot.get_channel(STAFF_ONLY)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("hello")
    assert (refused.value.code, refused.value.text) == (50001, "Missing Access")
    assert fake.messages_in(STAFF_ONLY) == []


async def test_an_empty_message_and_a_missing_token_are_refused(fake: FakeDiscord) -> None:
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"
    empty = await raw("POST", url, token=fake.bot_token, json={"content": "  "})
    anonymous = await raw("POST", url, json={"content": "hello"})
    assert empty == (
        400,
        "application/json",
        {"message": "Cannot send an empty message", "code": 50006},
    )
    assert anonymous == (401, "application/json", {"message": "401: Unauthorized", "code": 0})


async def test_embeds_over_discords_limits_are_refused_as_discord_refuses_them(
    fake: FakeDiscord,
) -> None:
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"

    async def post(*embeds: dict[str, Any]) -> Any:
        return await raw("POST", url, token=fake.bot_token, json={"embeds": list(embeds)})

    def field(value: str) -> dict[str, Any]:
        return {"name": "Rights", "value": value}

    status, _, long_value = await post({"title": "Terms", "fields": [field("x" * 1025)]})
    assert (status, long_value["code"]) == (400, 50035)
    assert long_value["errors"]["embeds"]["0"]["fields"]["0"]["value"]["_errors"] == [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 1024 or fewer in length."}
    ]
    status, _, too_much = await post(*({"fields": [field("x" * 1000)] * 2} for _ in range(3)))
    assert (status, too_much["errors"]["embeds"]["_errors"][0]["code"]) == (
        400,
        "MAX_EMBED_SIZE_EXCEEDED",
    )
    status, _, blank = await post({"fields": [field("")]})
    assert blank["errors"]["embeds"]["0"]["fields"]["0"]["value"]["_errors"][0]["code"] == (
        "BASE_TYPE_REQUIRED"
    )
    status, _, _ = await post(*({"fields": [field("x" * 994)] * 2} for _ in range(3)))
    assert status == 200 and len(fake.messages_in(CHANNEL)) == 1


async def test_entitlements_are_listed_and_consumed(fake: FakeDiscord, bot: Bot) -> None:
    granted = fake.add_entitlement(1234567890123456789, user_id=int(MASON["id"]), type=1)
    fake.add_entitlement(1234567890123456789, user_id=42)
    listed = [e async for e in bot.entitlements(user=discord.Object(int(MASON["id"])))]
    await listed[0].consume()
    assert [e.id for e in listed] == [int(granted["id"])]
    assert fake.consumed == [int(granted["id"])]


# --- the app's store ------------------------------------------------------------------------
SKU = 1088510058284990888


async def post_components(fake: FakeDiscord, *buttons: dict[str, Any]) -> tuple[int, Any]:
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"
    body = {"content": "Buy credits", "components": [{"type": 1, "components": list(buttons)}]}
    status, _, answer = await raw("POST", url, token=fake.bot_token, json=body)
    return status, answer


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"label": "Buy"}, "label"),
        ({"custom_id": "buy"}, "custom_id"),
        ({"url": "https://aioe.example/buy"}, "url"),
        ({"emoji": {"name": "💳"}}, "emoji"),
    ],
)
async def test_a_purchase_button_carries_its_sku_and_nothing_discord_draws_itself(
    fake: FakeDiscord, extra: dict[str, Any], field: str
) -> None:
    status, refused = await post_components(
        fake, {"type": 2, "style": 6, "sku_id": str(SKU), **extra}
    )
    assert (status, refused["code"]) == (400, 50035)
    assert field in refused["errors"]["components"]["0"]["components"]["0"]
    assert fake.messages_in(CHANNEL) == []
    status, _ = await post_components(fake, {"type": 2, "style": 6, "sku_id": str(SKU)})
    assert status == 200 and len(fake.messages_in(CHANNEL)) == 1


async def test_a_purchase_button_without_a_sku_and_a_sku_on_another_button_are_refused(
    fake: FakeDiscord,
) -> None:
    no_sku, refused = await post_components(fake, {"type": 2, "style": 6})
    assert no_sku == 400 and "sku_id" in refused["errors"]["components"]["0"]["components"]["0"]
    bad = {"type": 2, "style": 6, "sku_id": "starter"}
    assert (await post_components(fake, bad))[0] == 400
    stray = {"type": 2, "style": 1, "label": "Buy", "custom_id": "buy", "sku_id": str(SKU)}
    assert (await post_components(fake, stray))[0] == 400
    assert fake.messages_in(CHANNEL) == []


async def test_a_purchase_reaches_the_bot_as_entitlement_create(
    fake: FakeDiscord, bot: Bot
) -> None:
    created: asyncio.Queue[discord.Entitlement] = asyncio.Queue()
    bot.on_entitlement_create = created.put  # type: ignore[attr-defined]
    bought = await fake.buy(SKU, user_id=int(MASON["id"]))
    entitlement = await asyncio.wait_for(created.get(), WITHIN)
    assert (entitlement.id, entitlement.sku_id) == (int(bought["id"]), SKU)
    assert entitlement.user_id == int(MASON["id"]) and not entitlement.consumed
    assert entitlement.type is discord.EntitlementType.purchase


async def test_discord_sells_a_sku_again_only_once_the_app_consumed_it(
    fake: FakeDiscord, bot: Bot
) -> None:
    bought = await fake.buy(SKU, user_id=int(MASON["id"]))
    with pytest.raises(ValueError, match="unconsumed"):
        await fake.buy(SKU, user_id=int(MASON["id"]))
    listed = [e async for e in bot.entitlements(user=discord.Object(int(MASON["id"])))]
    await listed[0].consume()
    again = await fake.buy(SKU, user_id=int(MASON["id"]))
    assert again["id"] != bought["id"] and fake.consumed == [int(bought["id"])]


async def test_consuming_needs_the_bot_token_this_application_and_a_known_entitlement(
    fake: FakeDiscord,
) -> None:
    entitlement = fake.add_entitlement(SKU, user_id=int(MASON["id"]), type=1)
    base = f"{fake.api_url}/applications"
    ours = f"{base}/{fake.application_id}/entitlements/{entitlement['id']}/consume"
    assert (await raw("POST", ours))[0] == 401
    other_app = f"{base}/81384788765712384/entitlements/{entitlement['id']}/consume"
    assert (await raw("POST", other_app, token=fake.bot_token))[2]["code"] == 20012
    unknown = f"{base}/{fake.application_id}/entitlements/81384788765712384/consume"
    status, _, body = await raw("POST", unknown, token=fake.bot_token)
    assert (status, body) == (404, {"message": "Unknown Entitlement", "code": 10029})
    assert fake.consumed == []
    assert (await raw("POST", ours, token=fake.bot_token))[:2] == (204, "")
    assert fake.consumed == [int(entitlement["id"])]
    assert len(fake.requests_to("POST /applications/*/entitlements/*/consume")) == 4


async def test_an_interaction_carries_the_users_unconsumed_entitlements(
    fake: FakeDiscord, bot: Bot
) -> None:
    bot.tree.command(name="credits", description="Your credits")(_ignore)
    await bot.tree.sync()
    held = fake.add_entitlement(SKU, user_id=int(MASON["id"]), type=1)
    used = fake.add_entitlement(SKU + 1, user_id=int(MASON["id"]), type=1)
    fake.entitlements[int(used["id"])].consumed = True
    fake.add_entitlement(SKU, user_id=42, type=1)
    sent = await fake.send_interaction(slash_interaction(GUILD, CHANNEL, MASON, "credits"))
    assert fake.interactions[sent].payload["entitlements"] == [held]


async def test_a_failure_on_demand_is_answered_before_the_request_acts(
    fake: FakeDiscord, bot: Bot
) -> None:
    entitlement = fake.add_entitlement(SKU, user_id=int(MASON["id"]), type=1)
    fake.fail("POST /applications/*/entitlements/*/consume", status=503)
    (listed,) = [e async for e in bot.entitlements()]
    with pytest.raises(discord.DiscordServerError):
        await listed.consume()
    assert fake.consumed == []
    await listed.consume()
    assert fake.consumed == [int(entitlement["id"])]


async def _ignore(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("ok")
