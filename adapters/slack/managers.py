"""Who may manage a workspace's shared credits: its admins and owners, as users.info says."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from adapters.slack.delivery import SlackUnavailable, SlackWeb
from core.commands import Buy, CapCredits, Command, ShareCredits
from core.identity import Requester

log = logging.getLogger(__name__)

#: How long an answer of users.info counts (a demoted admin is one for at most this long).
REMEMBERED_FOR = 60.0
#: The most answers remembered at once; the oldest go first.
REMEMBERED_AT_MOST = 1000
_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def needs_manager(command: Command) -> bool:
    """Commands core lets only a manager run: sharing, the cap, buying for the team."""
    return isinstance(command, ShareCredits | CapCredits) or (
        isinstance(command, Buy) and command.team
    )


class WorkspaceManagers:
    """Asks Slack (``users.info``, with the workspace's token) whether a person is an
    admin or owner of the workspace, only for the commands that need it, and remembers
    each answer for a minute. When Slack does not answer, the person is no manager: core
    then refuses with its sentence."""

    def __init__(
        self,
        web: SlackWeb,
        *,
        remembered_for: float = REMEMBERED_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._web = web
        self._ttl = remembered_for
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    async def requester(
        self, requester: Requester, command: Command, fields: Mapping[str, str]
    ) -> Requester:
        """The requester, marked a manager when the command needs one and they are."""
        if not needs_manager(command):
            return requester
        manager = await self.is_manager(fields, requester.user_id)
        return dataclasses.replace(requester, manager=manager)

    async def is_manager(self, fields: Mapping[str, str], user_id: str) -> bool:
        """Whether ``user_id`` is an admin or owner of the workspace ``fields`` name."""
        key = (fields.get("team", ""), user_id)
        known = self._known.get(key)
        if known is not None and self._clock() - known[0] < self._ttl:
            return known[1]
        try:
            client = await self._web.client(fields)
            answer = await client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return False
        except (SlackClientError, SlackUnavailable, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info for %s failed: %s", user_id, type(error).__name__)
            return False
        user = answer.get("user") or {}
        manager = any(user.get(flag) is True for flag in _FLAGS)
        self._remember(key, manager)
        return manager

    def _remember(self, key: tuple[str, str], manager: bool) -> None:
        self._known.pop(key, None)
        while len(self._known) >= REMEMBERED_AT_MOST:
            del self._known[next(iter(self._known))]
        self._known[key] = (self._clock(), manager)
