"""The fake CDN: attachments stored behind signed URLs (``ex``, ``is``, ``hm``), served
without authentication like Discord's, every request recorded and every download counted."""

from __future__ import annotations

import hashlib
import hmac
import io
import mimetypes
import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from tests.fakes.discord_server.records import ApiRequest, Attachment

#: Attachment URLs are signed for a day, as Discord's CDN signs them.
URL_LIFETIME = 24 * 3600
ROUTES = ("/attachments/{channel_id:\\d+}/{attachment_id:\\d+}/{filename}",)
MEDIA_PREFIX = "/media"


class Cdn:
    """The files users and the bot uploaded, by attachment id."""

    def __init__(self, snowflake: Callable[[], int]) -> None:
        self.base = ""
        self.files: dict[int, Attachment] = {}
        self.downloads: list[int] = []
        self.requests: list[ApiRequest] = []
        self._snowflake = snowflake
        self._key = secrets.token_bytes(16)

    def add_to(self, router: web.UrlDispatcher) -> None:
        for route in ROUTES:
            router.add_get(route, self.serve)
            router.add_get(f"{MEDIA_PREFIX}{route}", self.serve)

    def store(
        self,
        data: bytes,
        filename: str,
        content_type: str | None,
        channel_id: int,
        *,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> Attachment:
        """Keep a file; image sizes are read as Discord reads them."""
        attachment_id = self._snowflake()
        path = f"/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
        kind = content_type or sniff(data, filename)
        width = height = None
        if kind.startswith("image/"):
            try:
                with Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
            except (UnidentifiedImageError, OSError):
                pass
        signature = self._signature(path)
        attachment = Attachment(
            id=attachment_id,
            filename=filename,
            content_type=kind,
            data=data,
            url=f"{self.base}{path}?{signature}",
            proxy_url=f"{self.base}{MEDIA_PREFIX}{path}?{signature}",
            width=width,
            height=height,
            description=description,
            ephemeral=ephemeral,
        )
        self.files[attachment_id] = attachment
        return attachment

    async def serve(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.raw_path.removeprefix(MEDIA_PREFIX)
        attachment = self.files.get(int(request.match_info["attachment_id"]))
        authorization = request.headers.get("Authorization", "")
        if attachment is None or not self.signed(path, request.query):
            self.requests.append(ApiRequest(request.method, request.path, 404, authorization))
            return web.Response(status=404, text="This content is no longer available.")
        self.requests.append(ApiRequest(request.method, request.path, 200, authorization))
        self.downloads.append(attachment.id)
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    def signed(self, path: str, query: Mapping[str, str]) -> bool:
        """Whether a URL carries this path's signature and has not expired."""
        try:
            expected = self._signature(path, issued=int(query.get("is", ""), 16))
            fresh = int(query.get("ex", ""), 16) > time.time()
        except ValueError:
            return False
        given = "&".join(f"{key}={query.get(key)}" for key in ("ex", "is", "hm"))
        return fresh and hmac.compare_digest(expected, given)

    def _signature(self, path: str, *, issued: int | None = None) -> str:
        issued = int(time.time()) if issued is None else issued
        expires = issued + URL_LIFETIME
        signed = f"{path}|{expires:x}|{issued:x}".encode()
        digest = hmac.new(self._key, signed, hashlib.sha256).hexdigest()
        return f"ex={expires:x}&is={issued:x}&hm={digest}"


def sniff(data: bytes, filename: str) -> str:
    """The content type Discord gives an upload: by its bytes, else by its name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
