"""oauth.v2.access: an install's code exchanged, by the app's client, for its tokens."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes.slack_server.checks import SlackError, basic, optional
from tests.fakes.slack_server.records import JSON, Grant, Token

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack


class OAuth:
    """The code exchange, which the app's client id and secret authenticate (no token)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def exchange_code(self, request: web.Request, args: JSON) -> JSON:
        """oauth.v2.access: the app's client id and secret (HTTP Basic, as slack_sdk sends
        them, or form fields) and a code an install issued, for the install's tokens."""
        client_id, client_secret = basic(request) or (
            optional(args, "client_id"),
            optional(args, "client_secret"),
        )
        if client_id is None or client_id not in self.fake.oauth_clients:
            raise SlackError("invalid_client_id")
        if client_secret != self.fake.oauth_clients[client_id]:
            raise SlackError("bad_client_secret")
        grant_type = optional(args, "grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            raise SlackError("invalid_refresh_token")  # the fake rotates no tokens
        if grant_type != "authorization_code":
            raise SlackError("invalid_grant_type")
        code = self.fake.oauth_codes.get(optional(args, "code") or "")
        if (
            code is None
            or code.used
            or code.client_id != client_id
            or time.monotonic() - code.issued > self.fake.oauth_code_ttl
        ):
            raise SlackError("invalid_code")
        if code.redirect_uri is not None and optional(args, "redirect_uri") != code.redirect_uri:
            raise SlackError("bad_redirect_uri")
        code.used = True
        workspace = self.fake.workspaces[code.team_id]
        bot = self._bot_token_for(code.team_id, code.scopes)
        installer: JSON = {"id": code.user_id}
        user_token = None
        if code.user_scopes:
            user_token = f"xoxp-{self.fake.serial()}-{secrets.token_hex(12)}"
            self.fake.tokens[user_token] = Token(
                user_token, code.team_id, code.user_scopes, user_id=code.user_id
            )
            installer.update(
                scope=",".join(sorted(code.user_scopes)),
                access_token=user_token,
                token_type="user",
            )
        self.fake.grants.append(
            Grant(
                client_id,
                code.team_id,
                code.user_id,
                bot.value,
                bot.scopes,
                user_token,
                code.user_scopes,
            )
        )
        enterprise = (
            {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
            if workspace.enterprise_id
            else None
        )
        return {
            "ok": True,
            "access_token": bot.value,
            "token_type": "bot",
            "scope": ",".join(sorted(bot.scopes)),
            "bot_user_id": workspace.bot_user_id,
            "app_id": self.fake.app_id,
            "team": {"id": workspace.id, "name": workspace.name},
            "enterprise": enterprise,
            "authed_user": installer,
            "is_enterprise_install": False,
        }

    def _bot_token_for(self, team_id: str, scopes: frozenset[str]) -> Token:
        """A reinstall keeps the team's working bot token (with the scopes added); after an
        uninstall revoked it, the install gets a new one."""
        for token in reversed(self.fake.tokens.values()):
            if token.team_id == team_id and token.kind == "bot" and not token.revoked:
                token.scopes |= scopes
                return token
        return self.fake.add_token(
            team_id, f"xoxb-{self.fake.serial()}-{secrets.token_hex(12)}", scopes=scopes
        )
