"""Builds the Slack side from settings: tokens, the delivery, and the bolt app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.app import SlackAdapter
from adapters.slack.delivery import SlackDelivery, SlackWeb
from adapters.slack.files import SlackFiles
from adapters.slack.identity import PLATFORM
from adapters.slack.installs import (
    EncryptedInstallationStore,
    FixedToken,
    SlackTokens,
    StoredTokens,
    TokenCipher,
    oauth_state_store,
)
from adapters.slack.managers import WorkspaceManagers
from core.actions import ActionCodec
from core.app import Bot
from core.files import ImageFiles
from core.templates import Catalog

log = logging.getLogger(__name__)


class TenantRemoval:
    """``app_uninstalled`` and ``tokens_revoked`` (of the bot token): core cancels and
    refunds that workspace's unfinished jobs, and the stored installation is forgotten
    (bolt's own revocation handling, which a listener of ours replaces: bolt runs only
    the first listener that matches an event). With one workspace from settings nothing
    is stored; the operator is told that the token no longer works."""

    def __init__(self, bot: Bot, store: EncryptedInstallationStore | None) -> None:
        self._bot = bot
        self._revocation = AsyncTokenRevocationListeners(store) if store is not None else None

    def register(self, app: AsyncApp) -> None:
        app.event("app_uninstalled")(self.uninstalled)
        app.event("tokens_revoked")(self.revoked)

    async def uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._removed(body, context)
        if self._revocation is not None:
            await self._revocation.handle_app_uninstalled_events(context)

    async def revoked(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("tokens", {}).get("bot"):
            await self._removed(body, context)
        if self._revocation is not None:
            await self._revocation.handle_tokens_revoked_events(event, context)

    async def _removed(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        team = str(body.get("team_id") or context.team_id or "")
        if self._revocation is None:
            log.warning(
                "the Slack app was removed from workspace %s; its SLACK_BOT_TOKEN no longer works",
                team or "?",
            )
        await self._bot.tenant_removed(PLATFORM, team)


#: The least bot scopes that work (config/slack_manifest.yml lists the same).
SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "im:history",
    "im:write",
    "users:read",
)


@dataclass(frozen=True)
class SlackConfig:
    """What the Slack side needs from settings."""

    api_url: str
    secret: str
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)


class SlackSide:
    """The Slack delivery (every process) and, on demand, the bolt app (processes that
    receive Slack's requests)."""

    def __init__(self, config: SlackConfig, engine: AsyncEngine, files: ImageFiles) -> None:
        self.config = config
        self._engine = engine
        self.store: EncryptedInstallationStore | None = None
        tokens: SlackTokens
        if config.oauth:
            self.store = EncryptedInstallationStore(
                client_id=str(config.client_id),
                engine=engine,
                cipher=TokenCipher(config.secret),
            )
            tokens = StoredTokens(self.store)
        else:
            tokens = FixedToken(str(config.bot_token))
        self.web = SlackWeb(tokens, config.api_url)
        self.delivery = SlackDelivery(self.web, files, ActionCodec(config.secret))

    def bolt_app(self, bot: Bot, catalog: Catalog) -> AsyncApp:
        """The bolt app with every listener; verifies Slack's signatures when requests
        come over HTTP (a signing secret is then required)."""
        config = self.config
        client = AsyncWebClient(
            token=None if config.oauth else config.bot_token, base_url=config.api_url
        )
        oauth = None
        if config.oauth and self.store is not None:
            oauth = AsyncOAuthSettings(
                client_id=config.client_id,
                client_secret=config.client_secret,
                scopes=list(SCOPES),
                installation_store=self.store,
                state_store=oauth_state_store(self._engine),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
            )
        app = AsyncApp(
            client=client,
            signing_secret=config.signing_secret,
            request_verification_enabled=bool(config.signing_secret),
            installation_store=self.store,
            oauth_settings=oauth,
        )
        TenantRemoval(bot, self.store).register(app)
        SlackAdapter(
            bot=bot,
            catalog=catalog,
            web=self.web,
            delivery=self.delivery,
            files=SlackFiles(config.api_url),
            managers=WorkspaceManagers(self.web),
        ).register(app)
        return app

    @asynccontextmanager
    async def socket_mode(self, bot: Bot, catalog: Catalog) -> AsyncIterator[None]:
        """Receive Slack's requests over a Socket Mode connection (no public URL)."""
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.bolt_app(bot, catalog), self.config.app_token)
        await handler.connect_async()
        try:
            yield
        finally:
            await handler.close_async()
