"""Slack installs of several workspaces live in our database, their secrets encrypted, and
bolt's uninstall and revocation events delete exactly the workspace they name."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.installs import (
    EncryptedInstallationStore,
    FixedToken,
    StoredTokens,
    TokenCipher,
    TokenUnreadable,
    oauth_state_store,
)
from adapters.sql.tables import slack_bots, slack_installations

SECRET = "a-server-secret-of-at-least-thirty-two-characters"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CLIENT_ID = "1111.2222"
TEAM_A, TEAM_B, TEAM_IN_GRID, GRID = "T0001", "T0002", "T0003", "E0001"
INSTALLED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()


def _installation(
    team_id: str | None, *, enterprise_id: str | None = None, **fields: Any
) -> Installation:
    workspace = team_id or enterprise_id
    defaults: dict[str, Any] = {
        "app_id": "A0001",
        "enterprise_id": enterprise_id,
        "team_id": team_id,
        "team_name": f"Workspace {workspace}",
        "bot_token": f"xoxb-{workspace}-bot-token",
        "bot_id": f"B{workspace}",
        "bot_user_id": f"U{workspace}BOT",
        "bot_scopes": "chat:write,commands",
        "bot_refresh_token": f"xoxe-1-{workspace}-bot-refresh",
        "user_id": f"U{workspace}ADMIN",
        "user_token": f"xoxp-{workspace}-user-token",
        "user_scopes": "files:write",
        "user_refresh_token": f"xoxe-1-{workspace}-user-refresh",
        "incoming_webhook_url": f"https://hooks.slack.com/services/{workspace}/B0HOOK/secretpart",
        "incoming_webhook_channel": "#general",
        "incoming_webhook_channel_id": "C0001",
        "is_enterprise_install": False,
        "token_type": "bot",
        "installed_at": INSTALLED_AT,
    }
    return Installation(**{**defaults, **fields})


SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(SECRET)


@pytest.fixture
def store(engine: AsyncEngine, cipher: TokenCipher) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(engine, client_id=CLIENT_ID, cipher=cipher)


async def _rows(engine: AsyncEngine, table: sa.Table) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text(f"SELECT * FROM {table.name} ORDER BY id"))
        return [dict(row) for row in result.mappings()]


# --- the cipher ---------------------------------------------------------------------


def test_a_token_comes_back_from_its_ciphertext_under_the_same_secret() -> None:
    ciphertext = TokenCipher(SECRET).encrypt("xoxb-1-secret")

    assert "xoxb-1-secret" not in ciphertext
    assert TokenCipher(SECRET).decrypt(ciphertext) == "xoxb-1-secret"


def test_the_same_token_encrypts_differently_each_time(cipher: TokenCipher) -> None:
    assert cipher.encrypt("xoxb-1-secret") != cipher.encrypt("xoxb-1-secret")


@pytest.mark.parametrize(
    "ciphertext",
    [
        TokenCipher("another-secret-of-at-least-thirty-two-chars").encrypt("xoxb-1-secret"),
        "xoxb-1-stored-before-encryption",
        "",
        "gAAAAA-not-fernet-ü",
    ],
    # A Fernet token differs on every run; parallel workers must collect the same ids.
    ids=["another-secret", "stored-before-encryption", "empty", "not-fernet"],
)
def test_what_this_secret_did_not_encrypt_is_refused_with_a_clear_error(
    cipher: TokenCipher, ciphertext: str
) -> None:
    with pytest.raises(TokenUnreadable, match="does not decrypt with this server's secret key"):
        cipher.decrypt(ciphertext)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        TokenCipher("")


# --- the installation store ---------------------------------------------------------


async def test_a_saved_installations_bot_token_is_found_again(
    store: EncryptedInstallationStore,
) -> None:
    await store.async_save(_installation(TEAM_A))

    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM_A)
    installation = await store.async_find_installation(enterprise_id=None, team_id=TEAM_A)

    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token) == (
        "xoxb-T0001-bot-token",
        "xoxe-1-T0001-bot-refresh",
    )
    assert installation is not None
    assert {name: getattr(installation, name) for name in SECRETS} == {
        name: getattr(_installation(TEAM_A), name) for name in SECRETS
    }


async def test_the_stored_rows_hold_ciphertext_and_never_the_secrets(
    store: EncryptedInstallationStore, engine: AsyncEngine, cipher: TokenCipher
) -> None:
    saved = _installation(TEAM_A)
    await store.async_save(saved)

    [installation_row] = await _rows(engine, slack_installations)
    [bot_row] = await _rows(engine, slack_bots)

    for row in (installation_row, bot_row):
        stored = " ".join(str(value) for value in row.values())
        for name in SECRETS:
            assert getattr(saved, name) not in stored
        assert cipher.decrypt(row["bot_token"]) == saved.bot_token
        assert cipher.decrypt(row["bot_refresh_token"]) == saved.bot_refresh_token
    for name in SECRETS:
        assert cipher.decrypt(installation_row[name]) == getattr(saved, name)
    assert (installation_row["team_id"], bot_row["bot_user_id"]) == (TEAM_A, "UT0001BOT")


async def test_a_rotating_tokens_ciphertext_fits_its_column(
    store: EncryptedInstallationStore,
) -> None:
    long_token = "xoxe.xoxb-1-" + "M" * 180  # tokens under rotation run to ~200 characters

    await store.async_save(_installation(TEAM_A, bot_token=long_token, bot_token_expires_in=43200))

    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM_A)
    assert bot is not None
    assert bot.bot_token == long_token


async def test_each_workspace_keeps_its_own_token(store: EncryptedInstallationStore) -> None:
    await store.async_save(_installation(TEAM_A))
    await store.async_save(_installation(TEAM_B))

    tokens = StoredTokens(store)

    assert await tokens.token_for(team_id=TEAM_A, enterprise_id=None) == "xoxb-T0001-bot-token"
    assert await tokens.token_for(team_id=TEAM_B, enterprise_id=None) == "xoxb-T0002-bot-token"
    assert await tokens.token_for(team_id="T0404", enterprise_id=None) is None


async def test_a_reinstall_replaces_the_token_in_use(store: EncryptedInstallationStore) -> None:
    await store.async_save(_installation(TEAM_A))
    await store.async_save(
        _installation(TEAM_A, bot_token="xoxb-T0001-new-token", installed_at=INSTALLED_AT + 60)
    )

    tokens = StoredTokens(store)

    assert await tokens.token_for(team_id=TEAM_A, enterprise_id=None) == "xoxb-T0001-new-token"


async def test_an_org_wide_install_serves_every_workspace_of_its_organisation(
    store: EncryptedInstallationStore,
) -> None:
    await store.async_save(_installation(None, enterprise_id=GRID, is_enterprise_install=True))

    bot = await store.async_find_bot(
        enterprise_id=GRID, team_id=TEAM_IN_GRID, is_enterprise_install=True
    )
    tokens = StoredTokens(store)

    assert bot is not None
    assert bot.bot_token == "xoxb-E0001-bot-token"
    assert await tokens.token_for(team_id=TEAM_IN_GRID, enterprise_id=GRID) == bot.bot_token
    assert await tokens.token_for(team_id=TEAM_IN_GRID, enterprise_id=None) is None
    assert await tokens.token_for(team_id=TEAM_IN_GRID, enterprise_id="E0404") is None


async def test_a_workspaces_own_install_comes_before_its_organisations(
    store: EncryptedInstallationStore,
) -> None:
    await store.async_save(_installation(None, enterprise_id=GRID, is_enterprise_install=True))
    await store.async_save(_installation(TEAM_IN_GRID, enterprise_id=GRID))

    tokens = StoredTokens(store)

    assert await tokens.token_for(team_id=TEAM_IN_GRID, enterprise_id=GRID) == (
        "xoxb-T0003-bot-token"
    )
    assert await tokens.token_for(team_id="T0009", enterprise_id=GRID) == "xoxb-E0001-bot-token"


async def test_a_different_secret_cannot_read_the_stored_tokens(
    store: EncryptedInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(TEAM_A))
    elsewhere = EncryptedInstallationStore(
        engine, client_id=CLIENT_ID, cipher=TokenCipher("another-secret-of-at-least-32-chars!")
    )

    with pytest.raises(TokenUnreadable, match="AIOE_SECRET_KEY"):
        await elsewhere.async_find_bot(enterprise_id=None, team_id=TEAM_A)
    with pytest.raises(TokenUnreadable):
        await StoredTokens(elsewhere).token_for(team_id=TEAM_A, enterprise_id=None)


# --- what bolt does when a workspace uninstalls the app or revokes its tokens ------------


def _event(event: dict[str, Any], team_id: str | None, enterprise_id: str | None) -> str:
    """An Events API callback as Slack sends it for an install of this app."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team_id or TEAM_IN_GRID,
            "enterprise_id": enterprise_id,
            "api_app_id": "A0001",
            "event": {**event, "event_ts": "1714564800.000100"},
            "type": "event_callback",
            "event_id": "Ev0001",
            "event_time": 1714564800,
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": team_id is None,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )


async def _deliver(store: EncryptedInstallationStore, body: str) -> None:
    app = AsyncApp(
        signing_secret=SIGNING_SECRET, installation_store=store, process_before_response=True
    )
    app.enable_token_revocation_listeners()
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    response = await app.async_dispatch(
        AsyncBoltRequest(
            body=body,
            headers={
                "content-type": ["application/json"],
                "x-slack-request-timestamp": [timestamp],
                "x-slack-signature": [signature],
            },
        )
    )
    assert response.status == 200, response.body


async def _saved_teams(engine: AsyncEngine, table: sa.Table) -> list[str | None]:
    return [row["team_id"] or row["enterprise_id"] for row in await _rows(engine, table)]


async def test_uninstalling_removes_that_workspaces_rows_and_keeps_the_others(
    store: EncryptedInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(TEAM_A))
    await store.async_save(_installation(TEAM_A, installed_at=INSTALLED_AT + 60))
    await store.async_save(_installation(TEAM_B))

    await _deliver(store, _event({"type": "app_uninstalled"}, TEAM_A, None))

    assert await _saved_teams(engine, slack_installations) == [TEAM_B]
    assert await _saved_teams(engine, slack_bots) == [TEAM_B]
    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM_A) is None


async def test_uninstalling_an_org_wide_install_keeps_the_organisations_own_workspaces(
    store: EncryptedInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(None, enterprise_id=GRID, is_enterprise_install=True))
    await store.async_save(_installation(TEAM_IN_GRID, enterprise_id=GRID))

    await _deliver(store, _event({"type": "app_uninstalled"}, None, GRID))

    assert await _saved_teams(engine, slack_installations) == [TEAM_IN_GRID]
    assert await _saved_teams(engine, slack_bots) == [TEAM_IN_GRID]


async def test_revoked_tokens_are_forgotten_for_that_workspace_only(
    store: EncryptedInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(TEAM_A))
    await store.async_save(_installation(TEAM_B))
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["UT0001ADMIN"], "bot": ["UT0001BOT"]}}

    await _deliver(store, _event(revoked, TEAM_A, None))

    assert await store.async_find_installation(enterprise_id=None, team_id=TEAM_A) is None
    assert await StoredTokens(store).token_for(team_id=TEAM_A, enterprise_id=None) is None
    assert await StoredTokens(store).token_for(team_id=TEAM_B, enterprise_id=None) == (
        "xoxb-T0002-bot-token"
    )
    assert await _saved_teams(engine, slack_installations) == [TEAM_B]


# --- OAuth states and fixed tokens ----------------------------------------------------


async def test_an_oauth_state_is_accepted_once(engine: AsyncEngine) -> None:
    states = oauth_state_store(engine)

    state = await states.async_issue()

    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("a-state-never-issued") is False


async def test_an_expired_oauth_state_is_refused(engine: AsyncEngine) -> None:
    states = oauth_state_store(engine, expiration_seconds=-60)

    assert await states.async_consume(await states.async_issue()) is False


async def test_a_fixed_token_answers_for_its_workspace() -> None:
    tokens = FixedToken("xoxb-single-workspace")

    assert await tokens.token_for(team_id=TEAM_A, enterprise_id=None) == "xoxb-single-workspace"
    assert await tokens.token_for(team_id=None, enterprise_id=None) == "xoxb-single-workspace"


def test_a_fixed_token_must_be_given() -> None:
    with pytest.raises(ValueError, match="bot token"):
        FixedToken("")


async def test_stored_tokens_answer_none_without_a_workspace(
    store: EncryptedInstallationStore,
) -> None:
    await store.async_save(_installation(TEAM_A))

    assert await StoredTokens(store).token_for(team_id=None, enterprise_id=None) is None
    assert await StoredTokens(store).token_for(team_id="", enterprise_id="") is None
