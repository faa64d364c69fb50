"""Slack installs of several workspaces, kept in our database with their secrets encrypted."""

from __future__ import annotations

import base64
import copy
from logging import Logger
from typing import Protocol, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import (
    SLACK_BOT_SECRETS,
    SLACK_INSTALLATION_SECRETS,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)

KEY_INFO = b"aioe.slack.tokens"
TOKEN_UNREADABLE = (
    "A stored Slack secret does not decrypt with this server's secret key: the key "
    "(AIOE_SECRET_KEY) changed since it was stored, or the stored value is damaged. "
    "Install the app in that workspace again."
)


class TokenUnreadable(Exception):
    """A stored secret does not decrypt with this server's key."""


class TokenCipher:
    """Fernet (AES-128-CBC and HMAC-SHA256) under a key that HKDF-SHA256 derives from the
    server secret, so the secret itself never encrypts anything."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("TokenCipher needs the server's secret key; it was empty")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenUnreadable(TOKEN_UNREADABLE) from None


_Record = TypeVar("_Record", Installation, Bot)


def _sealed(record: _Record, fields: tuple[str, ...], cipher: TokenCipher) -> _Record:
    sealed = copy.copy(record)
    for field in fields:
        if (value := getattr(record, field, None)) is not None:
            setattr(sealed, field, cipher.encrypt(value))
    return sealed


def _opened(record: _Record | None, fields: tuple[str, ...], cipher: TokenCipher) -> _Record | None:
    if record is not None:
        for field in fields:
            if (value := getattr(record, field, None)) is not None:
                setattr(record, field, cipher.decrypt(value))
    return record


class EncryptedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy store over our engine and tables (which our migrations
    create), with tokens and the incoming webhook URL encrypted at rest.

    Bolt's ``app_uninstalled`` listener calls ``async_delete_all`` and its ``tokens_revoked``
    listener ``async_delete_installation`` (per user) and ``async_delete_bot``; each deletes
    the rows of that enterprise and team only.
    """

    def __init__(self, engine: AsyncEngine, *, client_id: str, cipher: TokenCipher) -> None:
        self._rows = AsyncSQLAlchemyInstallationStore(
            client_id=client_id,
            engine=engine,
            bots_table_name=slack_bots.name,
            installations_table_name=slack_installations.name,
        )
        self._rows.bots = slack_bots
        self._rows.installations = slack_installations
        self._cipher = cipher

    @property
    def logger(self) -> Logger:
        return self._rows.logger

    async def async_save(self, installation: Installation) -> None:
        # slack_sdk saves the bot row from this sealed copy too (``to_bot()``).
        await self._rows.async_save(_sealed(installation, SLACK_INSTALLATION_SECRETS, self._cipher))

    async def async_save_bot(self, bot: Bot) -> None:
        await self._rows.async_save_bot(_sealed(bot, SLACK_BOT_SECRETS, self._cipher))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = await self._rows.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return _opened(bot, SLACK_BOT_SECRETS, self._cipher)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await self._rows.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return _opened(installation, SLACK_INSTALLATION_SECRETS, self._cipher)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._rows.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await self._rows.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


def oauth_state_store(
    engine: AsyncEngine, expiration_seconds: int = 600
) -> AsyncSQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store (each state consumed once) on our table."""
    store = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds, engine=engine, table_name=slack_oauth_states.name
    )
    store.oauth_states = slack_oauth_states
    return store


class SlackTokens(Protocol):
    """The bot token to call Slack with for a workspace."""

    async def token_for(self, *, team_id: str | None, enterprise_id: str | None) -> str | None:
        """The workspace's bot token, or None when the app is not installed there."""
        ...


class StoredTokens:
    """Implements ``SlackTokens`` from an installation store: the workspace's own install,
    else its Enterprise Grid organisation's org-wide install."""

    def __init__(self, store: AsyncInstallationStore) -> None:
        self._store = store

    async def token_for(self, *, team_id: str | None, enterprise_id: str | None) -> str | None:
        team_id, enterprise_id = team_id or None, enterprise_id or None
        if team_id is None and enterprise_id is None:
            return None
        bot = await self._store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=False
        )
        if bot is None and enterprise_id is not None and team_id is not None:
            bot = await self._store.async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return bot.bot_token if bot is not None else None


class FixedToken:
    """Implements ``SlackTokens`` for a single workspace (``SLACK_BOT_TOKEN``, no OAuth):
    Slack sends that app's events from its one workspace, so every answer is the token."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("FixedToken needs a bot token; it was empty")
        self._token = token

    async def token_for(self, *, team_id: str | None, enterprise_id: str | None) -> str | None:
        return self._token
