"""A local Discord that speaks the real wire formats: REST v10, the gateway, the CDN.

``async with discord_server() as fake:`` then point discord.py at ``fake.api_url``
(``discord.http.Route.BASE``) and ``fake.gateway_url``
(``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``).

The app's store: ``await fake.buy(sku, user_id=…)`` sells a one-time SKU (refused while
the buyer holds an unconsumed entitlement to it, as Discord refuses it) and sends
ENTITLEMENT_CREATE; entitlements are listed (``GET /applications/{id}/entitlements``),
consumed (``POST …/entitlements/{id}/consume``, recorded in ``fake.consumed``) and carried
on the buyer's interactions while unconsumed; purchase buttons (style 6) are checked as
Discord documents them: a ``sku_id`` and no label, custom id, url or emoji.

Interactions in a guild carry ``member.permissions`` as a string bitfield, as Discord
does (``slash_interaction(..., permissions=MANAGE_GUILD)``; the guild's owner, its first
member, holds ``ALL_PERMISSIONS``), and name only subcommands and options the command was
registered with (anything else raises ``LookupError``: Discord would never send it)."""

from tests.fakes.discord_server.checks import DiscordError, Upload
from tests.fakes.discord_server.fake import CALLBACK_DEADLINE, TOKEN_LIFETIME, FakeDiscord
from tests.fakes.discord_server.gateway import Session
from tests.fakes.discord_server.payloads import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACHMENT_SIZE_LIMIT,
    EPHEMERAL,
    LOADING,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    autocomplete_interaction,
    component_interaction,
    slash_interaction,
    user_json,
)
from tests.fakes.discord_server.records import (
    ApiRequest,
    Attachment,
    Callback,
    CommandOverwrite,
    DirectChannel,
    Entitlement,
    Guild,
    Interaction,
    Message,
)
from tests.fakes.discord_server.server import (
    DEFAULT_APPLICATION_ID,
    DEFAULT_BOT_TOKEN,
    discord_server,
)

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "ATTACHMENT_SIZE_LIMIT",
    "CALLBACK_DEADLINE",
    "DEFAULT_APPLICATION_ID",
    "DEFAULT_BOT_TOKEN",
    "EPHEMERAL",
    "LOADING",
    "MANAGE_GUILD",
    "MEMBER_PERMISSIONS",
    "TOKEN_LIFETIME",
    "ApiRequest",
    "Attachment",
    "Callback",
    "CommandOverwrite",
    "DirectChannel",
    "DiscordError",
    "Entitlement",
    "FakeDiscord",
    "Guild",
    "Interaction",
    "Message",
    "Session",
    "Upload",
    "autocomplete_interaction",
    "component_interaction",
    "discord_server",
    "slash_interaction",
    "user_json",
]
