"""Photos people share with the bot: size-checked, then downloaded with the bot token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from core import messages
from core.commands import ImageUpload
from core.errors import BadInput

MAX_BYTES = 20 * 1024 * 1024
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})
NO_IMAGE = "Attach a PNG, JPEG or WebP photo to the message that mentions me."
NOT_FROM_SLACK = "That file is not stored on Slack, so I won't download it."


def image_files(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The files of a message (or of a modal's file input) that could be images."""
    files = payload.get("files") or ()
    return [f for f in files if str(f.get("mimetype") or "image/").startswith("image/")]


class SlackFiles:
    """Downloads ``url_private_download`` with the bot token, only from Slack's own
    hosts (and the configured API host), after checking the size Slack reports."""

    def __init__(self, api_url: str, max_bytes: int = MAX_BYTES) -> None:
        self._hosts = SLACK_FILE_HOSTS | {urlsplit(api_url).hostname or ""}
        self._max = max_bytes

    async def download(self, file: Mapping[str, Any], token: str) -> ImageUpload:
        url = str(file.get("url_private_download") or file.get("url_private") or "")
        if not url:
            raise BadInput(NO_IMAGE)
        if urlsplit(url).hostname not in self._hosts:
            raise BadInput(NOT_FROM_SLACK)
        if int(file.get("size") or 0) > self._max:
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=self._max // 2**20))
        headers = {"Authorization": f"Bearer {token}"}
        timeout = aiohttp.ClientTimeout(total=60)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise BadInput(messages.FETCH_HTTP_ERROR.format(status=response.status))
            data = await response.content.read(self._max + 1)
        if len(data) > self._max:
            raise BadInput(messages.IMAGE_TOO_LARGE.format(limit_mb=self._max // 2**20))
        return ImageUpload(data=data, filename=str(file.get("name") or "upload"))
