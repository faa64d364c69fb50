"""Running a discord.py client against the fake Discord for the length of a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord

WITHIN = 5.0


C = TypeVar("C", bound=discord.Client)


@contextlib.asynccontextmanager
async def connected(client: C, token: str, within: float = WITHIN) -> AsyncIterator[C]:
    """The client logged in and through READY (it sets its ``readied`` event then);
    closed, and its connection wound down, at the end."""
    connecting: asyncio.Task[None] | None = None
    try:
        await client.login(token)
        connecting = asyncio.create_task(client.connect())
        await asyncio.wait_for(client.readied.wait(), within)  # type: ignore[attr-defined]
        yield client
    finally:
        await client.close()
        if connecting is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(connecting, within)
