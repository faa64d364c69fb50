"""Creating and editing the bot's messages as Discord does, and echoing them on the gateway."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_server.checks import EDIT_FLAGS, Upload, empty_message, invalid_form
from tests.fakes.discord_server.payloads import JSON, LOADING, timestamp
from tests.fakes.discord_server.records import Attachment, Message

if TYPE_CHECKING:
    from tests.fakes.discord_server.fake import FakeDiscord

GUILD_MESSAGES_INTENT = 1 << 9


def _empty(
    content: str,
    embeds: Sequence[Any],
    components: Sequence[Any],
    attachments: Sequence[Any],
    body: Mapping[str, Any],
) -> bool:
    return not (
        content.strip()
        or embeds
        or components
        or attachments
        or body.get("sticker_ids")
        or body.get("poll")
    )


def attach(
    fake: FakeDiscord,
    uploads: Sequence[Upload],
    listed: Sequence[Any] | None,
    channel_id: int,
    existing: Sequence[Attachment] = (),
) -> list[Attachment]:
    """A message's attachments from its body's ``attachments`` and ``files[n]``: listed
    entries keep an existing attachment (by id) or name an upload (by index); without a
    list, existing ones stay and every upload is added."""
    by_index = {upload.index: upload for upload in uploads}
    kept = {attachment.id: attachment for attachment in existing}
    result = list(existing) if listed is None else []
    if listed is None:
        listed = [{"id": upload.index} for upload in uploads]
    for position, entry in enumerate(listed):
        ref = entry.get("id") if isinstance(entry, Mapping) else None
        if not str(ref).isdigit():
            raise invalid_form(
                ["attachments", position, "id"],
                "NUMBER_TYPE_COERCE",
                f'Value "{ref}" is not snowflake.',
            )
        number = int(str(ref))
        if number in kept:
            result.append(kept[number])
        elif number in by_index:
            upload = by_index[number]
            stored = fake.cdn.store(
                upload.data,
                str(entry.get("filename") or upload.filename),
                None,
                channel_id,
                description=entry.get("description"),
            )
            result.append(stored)
        else:
            raise invalid_form(
                ["attachments", position, "id"],
                "ATTACHMENT_NOT_FOUND",
                f"No file was uploaded as files[{ref}]",
            )
    return result


def create(
    fake: FakeDiscord,
    channel_id: int,
    via: str,
    body: Mapping[str, Any],
    fields: JSON,
    uploads: Sequence[Upload],
    **extra: Any,
) -> Message:
    """A new message from checked ``fields`` (50006 when it would be empty)."""
    attachments = attach(fake, uploads, fields.get("attachments"), channel_id)
    content = fields.get("content", "")
    embeds, components = fields.get("embeds", []), fields.get("components", [])
    if _empty(content, embeds, components, attachments, body):
        raise empty_message()
    return fake.new_message(
        channel_id,
        via,
        content=content,
        embeds=embeds,
        components=components,
        attachments=attachments,
        flags=fields.get("flags", 0),
        **extra,
    )


def edit(
    fake: FakeDiscord,
    message: Message,
    body: Mapping[str, Any],
    fields: JSON,
    uploads: Sequence[Upload],
) -> Message:
    """Apply an edit: only the fields present change; only SUPPRESS_EMBEDS and
    IS_COMPONENTS_V2 can change among flags; a "thinking…" message stops loading."""
    attachments: list[Attachment] = message.attachments
    if uploads or "attachments" in fields:
        attachments = attach(
            fake, uploads, fields.get("attachments"), message.channel_id, message.attachments
        )
    content = fields.get("content", message.content)
    embeds = fields.get("embeds", message.embeds)
    components = fields.get("components", message.components)
    if _empty(content, embeds, components, attachments, body):
        raise empty_message()
    message.previous.append(message.json())
    flags = message.flags & ~LOADING
    if "flags" in fields:
        flags = (flags & ~EDIT_FLAGS) | (fields["flags"] & EDIT_FLAGS)
    if not message.loading:
        message.edited_timestamp = timestamp()
    message.content, message.embeds, message.components = content, embeds, components
    message.attachments, message.flags = attachments, flags
    return message


async def announce(fake: FakeDiscord, event: str, message: Message) -> None:
    """Echo MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE of a guild message to the
    guild's shard, as Discord does (ephemeral messages are never dispatched)."""
    if message.ephemeral or message.guild_id is None:
        return
    session = fake.gateway.latest.get(fake.shard_of(message.guild_id))
    if session is None or not session.ready or not session.intents & GUILD_MESSAGES_INTENT:
        return
    guild_id = str(message.guild_id)
    if event == "MESSAGE_DELETE":
        data: JSON = {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "guild_id": guild_id,
        }
    else:
        data = {**message.json(), "guild_id": guild_id}
    if event == "MESSAGE_CREATE":
        member = next(
            (
                m
                for m in fake.guilds[message.guild_id].members
                if m["user"]["id"] == message.author["id"]
            ),
            None,
        )
        if member is not None:
            data["member"] = {key: value for key, value in member.items() if key != "user"}
    await session.dispatch(event, data)
