"""The ``chat`` test harness: drives the same core the adapters use, and awaits it directly."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from adapters.console.translate import translate
from bot.bootstrap import App, bootstrap
from bot.settings import Settings
from core.errors import BadInput
from core.identity import Requester
from core.model import ReplyAddress
from core.ports import ImageProvider
from core.replies import Error, Reply

ENDPOINT = "test"


class Chat:
    """Say terminal lines as any user; run the queued jobs; read what was delivered.

    Each ``Chat`` is one terminal-like endpoint (``console/<endpoint>``) with a worker
    that takes only its jobs."""

    def __init__(self, app: App, endpoint: str = ENDPOINT) -> None:
        self.app = app
        self.endpoint = endpoint
        self.route = f"console/{endpoint}"
        self.worker = app.worker(f"test-worker-{endpoint}", routes=(self.route,))
        self.delivered: list[Reply] = []
        self.recipients: list[str] = []
        app.deliveries.register(self.route, self)

    async def deliver(self, address: ReplyAddress, reply: Reply) -> None:
        self.recipients.append(address.get("user_id"))
        self.delivered.append(reply)

    def address(self, user: str) -> ReplyAddress:
        return ReplyAddress("console", endpoint=self.endpoint, fields={"user_id": user})

    async def say(self, line: str, user: str = "alice", key: str | None = None) -> Reply:
        try:
            command = await translate(line)
        except BadInput as error:
            return Error(error.message)
        requester = Requester("console", "local", user, user)
        return await self.app.bot.handle(requester, command, self.address(user), key)

    async def run_jobs(self) -> list[Reply]:
        """Run every due job to its end and return the replies they delivered."""
        await self.worker.drain()
        delivered, self.delivered = self.delivered, []
        return delivered

    async def balance(self, user: str = "alice") -> int:
        account = await self.app.bot.open_account(Requester("console", "local", user, user))
        return account.balance

    async def count(self, table: str) -> int:
        return await count_rows(self.app, table)


async def count_rows(app: App, table: str, where: str = "") -> int:
    """Rows in ``table``, read without taking SQLite's write lock (a test polling with a
    writing transaction would queue the bot's own writers behind it)."""
    from sqlalchemy import text

    from adapters.sql.engine import READONLY_OPTION

    async with app.engine.connect() as connection:
        option = (
            "postgresql_readonly" if connection.dialect.name == "postgresql" else READONLY_OPTION
        )
        reading = await connection.execution_options(**{option: True})
        condition = f" WHERE {where}" if where else ""
        result = await reading.execute(text(f"SELECT COUNT(*) FROM {table}{condition}"))
        return int(result.scalar_one())


def blob_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


@asynccontextmanager
async def running_app(
    data_dir: Path,
    database_url: str,
    *,
    image_provider: ImageProvider | None = None,
    **overrides: Any,
) -> AsyncIterator[App]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret",
        job_retry_base_seconds=0,
        **overrides,
    )
    async with bootstrap(settings, migrate=True, provider=image_provider) as app:
        yield app


def product_photo(size: tuple[int, int] = (640, 480), fmt: str = "PNG") -> bytes:
    """A teal box with a lighter lid on a white studio background."""
    image = Image.new("RGB", size, (250, 250, 250))
    w, h = size
    body = (int(w * 0.35), int(h * 0.3), int(w * 0.65), int(h * 0.85))
    image.paste((20, 140, 150), body)
    image.paste((90, 200, 205), (body[0], body[1], body[2], body[1] + int(h * 0.08)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


async def fund_team(app: App, buyer: Requester, pack: str = "starter") -> str:
    """The buyer's workspace or server bought ``pack`` for its shared wallet: the verified
    payment event, as a provider's webhook hands it to core. Returns the wallet's id."""
    from bot.bootstrap import utcnow
    from core.billing import PaymentEvent, PaymentKind

    account = await app.bot.open_account(buyer)
    async with app.uow_factory() as uow:
        wallet = await uow.wallets.team(buyer.platform, buyer.tenant, utcnow())
        await uow.commit()
    purchase = f"cs_team_{buyer.platform}_{buyer.tenant}"
    applied = await app.bot.billing.apply(
        PaymentEvent(
            id=f"evt_{purchase}",
            kind=PaymentKind.PAID,
            provider="stripe",
            account_id=account.id,
            wallet_id=wallet.id,
            item=pack,
            purchase=purchase,
            charge=f"pi_{purchase}",
            amount=500,
        )
    )
    item = app.bot.billing.catalogue.item(pack)
    assert item is not None and applied.credits == item.credits
    return wallet.id
