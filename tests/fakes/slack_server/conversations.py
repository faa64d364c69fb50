"""Channels and DMs as the Web API finds, opens and describes them, and messages' JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.slack_server.checks import SlackError
from tests.fakes.slack_server.records import JSON, Channel, Message, Token, Workspace

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack


def find_channel(fake: FakeSlack, team_id: str, ref: Any) -> Channel | None:
    """A channel of the team by id or name, or the bot's DM with a user id."""
    if not isinstance(ref, str) or not ref:
        return None
    channel = fake.channels.get(ref)
    if channel is not None:
        return channel if channel.team_id == team_id else None
    user = fake.users.get(ref)
    if user is not None and team_id in user.teams and not user.is_bot:
        existing = conversation_with(fake, team_id, [ref])
        return existing or new_conversation(fake, fake.workspaces[team_id], [ref])
    name = ref.removeprefix("#")
    for candidate in fake.channels.values():
        if candidate.team_id == team_id and candidate.name == name and candidate.is_public:
            return candidate
    return None


def postable(fake: FakeSlack, token: Token, ref: Any) -> Channel:
    """The channel, if the bot may post there; Slack's error otherwise."""
    workspace = fake.workspace_of(token)
    channel = find_channel(fake, workspace.id, ref)
    member = channel is not None and workspace.bot_user_id in channel.members
    if channel is None or (not channel.is_public and not member):
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    if not member and "chat:write.public" not in token.scopes:
        raise SlackError("not_in_channel")
    return channel


def find_message(fake: FakeSlack, channel: str, ts: str | None) -> Message | None:
    for message in fake.messages:
        if message.channel == channel and message.ts == ts and not message.deleted:
            return message
    return None


def conversation_with(fake: FakeSlack, team_id: str, users: list[str]) -> Channel | None:
    bot = fake.workspaces[team_id].bot_user_id
    for channel in fake.channels.values():
        if (
            channel.team_id == team_id
            and (channel.is_im or channel.is_mpim)
            and channel.members == {bot, *users}
        ):
            return channel
    return None


def new_conversation(fake: FakeSlack, workspace: Workspace, users: list[str]) -> Channel:
    single = len(users) == 1
    channel = Channel(
        id=fake.new_id("D" if single else "G"),
        team_id=workspace.id,
        name=users[0] if single else "mpdm-" + "--".join(users) + "-1",
        members={workspace.bot_user_id, *users},
        is_im=single,
        is_mpim=not single,
        user=users[0] if single else None,
    )
    fake.channels[channel.id] = channel
    return channel


def conversation_json(channel: Channel, *, full: bool) -> JSON:
    if not full:
        return {"id": channel.id}
    body: JSON = {
        "id": channel.id,
        "created": channel.created,
        "is_org_shared": False,
        "last_read": "0000000000.000000",
        "latest": None,
        "unread_count": 0,
        "unread_count_display": 0,
        "is_open": True,
        "priority": 0,
    }
    if channel.is_im:
        return {**body, "is_im": True, "user": channel.user}
    return {**body, "is_mpim": True, "is_private": True, "name": channel.name}


def message_json(fake: FakeSlack, message: Message) -> JSON:
    body: JSON = {
        "type": "message",
        "text": message.text,
        "user": message.user,
        "ts": message.ts,
        "team": message.team_id,
    }
    if message.bot_id:
        body.update(bot_id=message.bot_id, app_id=fake.app_id)
    if message.blocks is not None:
        body["blocks"] = message.blocks
    if message.attachments is not None:
        body["attachments"] = message.attachments
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    return body
