"""Team credits: a Slack workspace's or Discord server's shared wallet, which its members
spend when a manager lets them, up to an optional monthly cap each."""

from __future__ import annotations

from core import messages
from core.commands import CapCredits, ShareCredits, TeamCredits, UseCredits
from core.context import Context
from core.credits import NO_TEAM, month_start
from core.errors import ActionRefused, BadInput
from core.model import Wallet
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Document, Private, Reply, Section

SOURCES = ("team", "personal")


class Teams:
    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def _team(self, context: Context) -> Wallet:
        if not context.tenant or context.tenant in NO_TEAM:
            raise BadInput(messages.TEAM_NOT_HERE)
        async with self._uow() as uow:
            team = await uow.wallets.team(context.platform, context.tenant, self._clock())
            await uow.commit()
        return team

    async def show(self, context: Context, command: TeamCredits) -> Reply:
        team = await self._team(context)
        account = context.account
        async with self._uow(readonly=True) as uow:
            rules = await uow.wallets.rules(team.id)
            source = await uow.wallets.source(account.id, context.platform, context.tenant)
            used = await uow.wallets.spent(
                team.id, account.id, month_start(self._clock()), lock=False
            )
            recent = await uow.ledger.recent(team.id, 10)
            balance = await uow.ledger.balance(team.id)
        where = "workspace" if context.platform == "slack" else "server"
        movements = "\n".join(
            f"{e.created_at:%Y-%m-%d %H:%M}  {e.kind.value:<8} {e.amount:+d}  {e.reason}".rstrip()
            for e in recent
        )
        return Document(
            messages.TEAM_TITLE.format(where=where),
            (
                Section(messages.TEAM_BALANCE, messages.TEAM_BALANCE_TEXT.format(balance=balance)),
                Section(
                    messages.TEAM_RULES,
                    "\n".join(
                        (
                            messages.TEAM_SHARING_ON
                            if rules.sharing
                            else messages.TEAM_SHARING_OFF,
                            messages.TEAM_CAP.format(cap=rules.member_cap)
                            if rules.member_cap is not None
                            else messages.TEAM_NO_CAP,
                        )
                    ),
                ),
                Section(
                    messages.TEAM_YOURS, messages.TEAM_YOURS_TEXT.format(source=source, used=used)
                ),
                Section(messages.TEAM_RECENT, movements or messages.TEAM_NO_MOVEMENTS),
            ),
        )

    async def use(self, context: Context, command: UseCredits) -> Reply:
        source = command.source.strip().lower()
        if source not in SOURCES:
            raise BadInput(messages.TEAM_SOURCE_UNKNOWN.format(source=source))
        team = await self._team(context)
        async with self._uow() as uow:
            await uow.wallets.choose(
                context.account.id, context.platform, context.tenant, source, self._clock()
            )
            rules = await uow.wallets.rules(team.id)
            await uow.commit()
        if source == "team" and not rules.sharing:
            return Private(messages.TEAM_USING_BUT_CLOSED)
        return Private(
            messages.TEAM_USING.format(source="the team's" if source == "team" else "your own")
        )

    async def share(self, context: Context, command: ShareCredits) -> Reply:
        team = await self._managed(context)
        async with self._uow() as uow:
            await uow.wallets.set_rules(team.id, self._clock(), sharing=command.on)
            await uow.commit()
        return Private(
            messages.TEAM_SHARING_NOW_ON if command.on else messages.TEAM_SHARING_NOW_OFF
        )

    async def cap(self, context: Context, command: CapCredits) -> Reply:
        if command.limit is not None and command.limit < 1:
            raise BadInput(messages.TEAM_CAP_BAD)
        team = await self._managed(context)
        async with self._uow() as uow:
            await uow.wallets.set_rules(team.id, self._clock(), cap=command.limit)
            await uow.commit()
        if command.limit is None:
            return Private(messages.TEAM_CAP_OFF)
        return Private(messages.TEAM_CAP_SET.format(cap=command.limit))

    async def _managed(self, context: Context) -> Wallet:
        if not context.manager:
            raise ActionRefused(messages.TEAM_ONLY_MANAGERS)
        return await self._team(context)

    async def team_wallet(self, context: Context) -> str:
        """The team wallet a manager buys credits for (``/buy team …``)."""
        return (await self._managed(context)).id
