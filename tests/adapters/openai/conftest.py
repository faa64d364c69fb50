"""Fixtures for the OpenAI adapters: a local fake API, a client for it, a sleep that never waits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from adapters.imaging.openai_client import Retrier, make_client
from tests.adapters.openai.support import Sleeps
from tests.fakes.openai_server import FakeOpenAI, serve_openai


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with serve_openai() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with make_client(api_key=fake.api_key, base_url=fake.base_url, timeout=10) as sdk:
        yield sdk


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retrier(sleeps: Sleeps) -> Retrier:
    return Retrier(attempts=3, sleep=sleeps)
