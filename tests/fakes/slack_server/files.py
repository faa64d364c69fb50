"""Files: the upload URL flow, files.info, and the private URLs a token downloads from."""

from __future__ import annotations

import mimetypes
import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from tests.fakes.slack_server.checks import SlackError, bearer, invalid, json_arg, optional
from tests.fakes.slack_server.conversations import postable
from tests.fakes.slack_server.records import JSON, Download, Message, SlackFile, Token

if TYPE_CHECKING:
    from tests.fakes.slack_server.fake import FakeSlack

MAX_UPLOAD_BYTES = 1024 * 1024 * 1024


def file_json(fake: FakeSlack, file_id: str) -> JSON:
    """A file object shaped like files.info's ``file``."""
    file = fake.files[file_id]
    workspace = fake.workspaces[file.team_id]
    base = f"{fake.url}files-pri/{file.team_id}-{file.id}/"
    name = quote(file.filename)
    shares: JSON = {}
    for channel_id, ts in file.share_ts.items():
        channel = fake.channels[channel_id]
        share: JSON = {"ts": ts, "channel_name": channel.name, "team_id": channel.team_id}
        if file.thread_ts:
            share["thread_ts"] = file.thread_ts
        shares.setdefault("public" if channel.is_public else "private", {})[channel_id] = [share]
    return {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.filename,
        "title": file.title,
        "mimetype": file.mimetype,
        "filetype": file.filetype,
        "pretty_type": file.filetype.upper(),
        "user": file.user,
        "user_team": file.team_id,
        "editable": False,
        "size": file.size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": "public" in shares,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": base + name,
        "url_private_download": base + "download/" + name,
        "permalink": f"https://{workspace.domain}.slack.com/files/{file.user}/{file.id}/{name}",
        "permalink_public": f"https://slack-files.com/{file.team_id}-{file.id}-0f0f0f0f0f",
        "channels": [c for c in file.channels if fake.channels[c].is_public],
        "groups": [c for c in file.channels if fake.channels[c].is_private],
        "ims": [c for c in file.channels if fake.channels[c].is_im],
        "shares": shares,
        "comments_count": 0,
        "has_rich_preview": False,
        "file_access": "visible",
        **({"alt_txt": file.alt_txt} if file.alt_txt else {}),
    }


class Files:
    """The files.* Web API methods and the upload and download URLs."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/upload/v1/{key}", self.handle_upload)
        router.add_get("/files-pri/{team_file}/{download:download}/{name}", self.handle_download)
        router.add_get("/files-pri/{team_file}/{name}", self.handle_download)

    async def upload_url(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        filename = optional(args, "filename")
        if not filename:
            raise invalid("missing required field: filename")
        raw_length = args.get("length")
        if raw_length is None or raw_length == "":
            raise invalid("missing required field: length")
        try:
            length = int(raw_length)
        except (TypeError, ValueError):
            raise invalid("invalid type for field: length (expected integer)") from None
        if length == 0:
            raise SlackError("missing_argument")
        if length < 0 or length > MAX_UPLOAD_BYTES:
            raise SlackError("file_upload_size_restricted")
        alt_txt = optional(args, "alt_txt")
        if alt_txt is not None and len(alt_txt) > 1000:
            raise SlackError("alt_txt_too_large")
        file = SlackFile(
            id=self.fake.new_id("F"),
            team_id=workspace.id,
            user=workspace.bot_user_id,
            filename=filename,
            title=filename,
            length=length,
            data=None,
            by_bot=True,
            alt_txt=alt_txt,
        )
        self.fake.files[file.id] = file
        key = secrets.token_urlsafe(24)
        self.fake.upload_keys[key] = file.id
        return {"ok": True, "upload_url": f"{self.fake.url}upload/v1/{key}", "file_id": file.id}

    async def complete_upload(self, token: Token, args: JSON) -> JSON:
        workspace = self.fake.workspace_of(token)
        entries = json_arg(args.get("files"))
        if entries is None:
            raise invalid("missing required field: files")
        if not isinstance(entries, list) or not entries:
            raise invalid("must provide a non-empty array [json-pointer:/files]")
        files: list[tuple[SlackFile, JSON]] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise invalid(f"missing required field: id [json-pointer:/files/{index}]")
            file = self.fake.files.get(entry["id"])
            if (
                file is None
                or not file.by_bot
                or file.team_id != workspace.id
                or file.completed
                or file.data is None
                or len(file.data) != file.length
            ):
                # Also what the fake answers when the bytes at the upload URL were not
                # exactly the announced length: the upload never finished.
                raise SlackError("file_not_found")
            files.append((file, entry))
        targets = [optional(args, "channel_id")] if optional(args, "channel_id") else []
        listed = args.get("channels") or ""
        listed = listed if isinstance(listed, list) else str(listed).split(",")
        targets += [str(c).strip() for c in listed if str(c).strip()]
        if len(targets) > 100:
            raise SlackError("channels_limit_exceeded")
        thread_ts = optional(args, "thread_ts")
        if thread_ts is not None and len(targets) != 1:
            raise invalid("thread_ts requires exactly one channel")
        channels = [postable(self.fake, token, target) for target in targets]
        comment = optional(args, "initial_comment")
        for file, entry in files:
            file.completed = True
            file.title = str(entry.get("title") or file.filename)
            file.mimetype = sniff(file.data or b"", file.filename)
            file.channels = [channel.id for channel in channels]
            file.thread_ts, file.initial_comment = thread_ts, comment
        ids = tuple(file.id for file, _ in files)
        for channel in channels:
            message = Message(
                team_id=workspace.id,
                channel=channel.id,
                ts=self.fake.next_ts(),
                text=comment or "",
                blocks=None,
                user=workspace.bot_user_id,
                thread_ts=thread_ts,
                file_ids=ids,
                via="files.completeUploadExternal",
                bot_id=workspace.bot_id,
            )
            self.fake.messages.append(message)
            for file, _ in files:
                file.share_ts[channel.id] = message.ts
        return {"ok": True, "files": [file_json(self.fake, file.id) for file, _ in files]}

    async def file_info(self, token: Token, args: JSON) -> JSON:
        file = self.fake.files.get(optional(args, "file") or "")
        if file is None or file.team_id != token.team_id or not file.completed:
            raise SlackError("file_not_found")
        return {
            "ok": True,
            "file": file_json(self.fake, file.id),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    async def handle_upload(self, request: web.Request) -> web.Response:
        file_id = self.fake.upload_keys.get(request.match_info["key"])
        if request.method != "POST" or file_id is None or self.fake.files[file_id].completed:
            return web.Response(status=404, text="Not Found")
        if request.content_type == "multipart/form-data":
            data = await multipart_file(request)
        else:
            data = await request.read()
        self.fake.files[file_id].data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def handle_download(self, request: web.Request) -> web.Response:
        team_id, _, file_id = request.match_info["team_file"].partition("-")
        value = bearer(request)
        token = self.fake.tokens.get(value or "")
        allowed = (
            token is not None
            and not token.revoked
            and token.team_id == team_id
            and "files:read" in token.scopes
        )
        file = self.fake.files.get(file_id)
        found = file is not None and file.team_id == team_id and file.completed
        self.fake.downloads.append(Download(file_id, value, allowed and found))
        if not allowed:
            # Slack sends a request it cannot authorize to the workspace's sign-in page,
            # which answers 200 with HTML: the bytes a careless client saves as the "file".
            login = f"/?redir={quote(request.path)}"
            return web.Response(status=302, headers={"Location": login})
        if file is None or not found or file.data is None:
            return web.Response(status=404, text="<html>Not found</html>", content_type="text/html")
        disposition = "attachment" if request.match_info.get("download") else "inline"
        return web.Response(
            body=file.data,
            content_type=file.mimetype,
            headers={"Content-Disposition": f'{disposition}; filename="{quote(file.filename)}"'},
        )


def sniff(data: bytes, filename: str) -> str:
    """The mimetype Slack would give an upload: by its bytes, else by its name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


async def multipart_file(request: web.Request) -> bytes:
    reader = await request.multipart()
    data = b""
    async for part in reader:
        if isinstance(part, BodyPartReader):
            content = bytes(await part.read(decode=True))
            if part.filename is not None or part.name == "file":
                data = content
    return data
