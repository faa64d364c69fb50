"""Core replies as terminal text or as one JSON object per line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.console.syntax import typed, typed_command, usage
from core import messages
from core.commands import History
from core.replies import (
    Audience,
    Confirm,
    Document,
    Error,
    Gallery,
    Guide,
    HistoryEntry,
    ImageOut,
    Images,
    Offer,
    Private,
    Progress,
    Reply,
    Statement,
    Templates,
)

GALLERY_HEADER = "Your images (page {page} of {pages}, {total} in all):"
GALLERY_EMPTY = "You have no images yet; make some with /imagine."
GALLERY_PAST_END = "There is no page {page} of your images; the last is {last}."
GALLERY_NEXT = "next page: {command}"
NOTICE = "notice: "


def _image_json(image: ImageOut) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": image.id,
        "link": image.link,
        "width": image.width,
        "height": image.height,
        "format": image.encoding,
    }
    if image.actions:
        data["actions"] = [typed(action) for action in image.actions]
    return data


def _entry_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "template": entry.template,
        "format": entry.format,
        "width": entry.width,
        "height": entry.height,
        "created_at": _utc(entry.created_at).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "link": entry.link,
    }


def _json_type(reply: Reply) -> str:
    """The contract's types: catalogue, statement, guide, gallery, document and offer are
    text, private or not."""
    if isinstance(reply, Templates | Statement | Guide | Gallery | Document | Offer):
        return "private" if reply.audience is Audience.REQUESTER else "text"
    return reply.kind


def to_json(reply: Reply) -> dict[str, Any]:
    """The ``--json`` shape of DESIGN §10; fields that do not apply are left out.

    Beyond the contract: ``job_id`` on progress replies, ``actions`` (the follow-up
    commands a reply or an image offers, as they would be typed), a gallery's images and
    pages, an offer's ``items``, and ``notice`` (something the requester must be told
    once) when there is one.
    """
    data: dict[str, Any] = {"type": _json_type(reply), "text": body(reply)}
    if reply.notice.strip():
        data["notice"] = reply.notice
    if isinstance(reply, Images):
        data["images"] = [_image_json(image) for image in reply.images]
    if isinstance(reply, Gallery):
        data["images"] = [_entry_json(entry) for entry in reply.entries]
        data.update(page=reply.page, pages=reply.pages, total=reply.total)
    if isinstance(reply, Offer):
        data["items"] = [
            {"name": i.name, "credits": i.credits, "price": i.price, "monthly": i.monthly}
            for i in reply.items
        ]
    if isinstance(reply, Private) and reply.link:
        data["link"] = reply.link
    if isinstance(reply, Confirm):
        data["code"] = reply.code
    if isinstance(reply, Progress):
        data["job_id"] = reply.job_id
    if reply.actions:
        data["actions"] = [typed(action) for action in reply.actions]
    return data


def to_line(reply: Reply) -> str:
    return json.dumps(to_json(reply), ensure_ascii=False)


def body(reply: Reply) -> str:
    """A reply's own text; catalogue, statement, guide and gallery laid out in columns,
    a document in indented sections, an offer as packs then plans. A ``notice`` is not
    part of it."""
    if isinstance(reply, Templates):
        return _templates(reply)
    if isinstance(reply, Statement):
        return _statement(reply)
    if isinstance(reply, Guide):
        return _guide(reply)
    if isinstance(reply, Gallery):
        return _gallery(reply)
    if isinstance(reply, Document):
        return _document(reply)
    if isinstance(reply, Offer):
        return _offer(reply)
    return reply.text


def to_text(reply: Reply) -> str:
    text = body(reply)
    lines = _notice(reply.notice)
    lines.append(f"error: {text}" if isinstance(reply, Error) else text)
    if isinstance(reply, Images):
        for image in reply.images:
            lines.append(
                f"  {image.id}  {image.width}×{image.height} {image.encoding}  {image.link}"
            )
            if image.actions:
                lines.append("    " + "   ".join(typed(a) for a in image.actions))
    if isinstance(reply, Private) and reply.link:
        lines.append(f"  {reply.link}")
    if isinstance(reply, Confirm):
        lines.append(
            f"  to confirm, type: {typed(reply.actions[0])}"
            if reply.actions
            else f"  code: {reply.code}"
        )
    elif reply.actions:
        lines.append("  next: " + "   ".join(typed(a) for a in reply.actions))
    return "\n".join(lines)


def _templates(reply: Templates) -> str:
    lines = [messages.TEMPLATES_HEADER]
    width = max((len(t.name) for t in reply.templates), default=0)
    for t in reply.templates:
        lines.append(f"  {t.name:<{width}}  {t.default_format:<11}  {t.description}")
    lines.append(messages.FORMATS_HEADER)
    for f in reply.formats:
        lines.append(f"  {f.name:<11}  {f.width}×{f.height}  {f.description}")
    return "\n".join(lines)


def _statement(reply: Statement) -> str:
    lines = [
        messages.CREDITS_SUMMARY.format(balance=reply.balance),
        messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS,
    ]
    for line in reply.lines:
        when = line.at.strftime("%Y-%m-%d %H:%M")
        detail = " ".join(
            part for part in (line.reason, f"({line.job_id})" if line.job_id else "") if part
        )
        lines.append(f"  {when}  {line.kind:<8} {line.amount:>+4d}  {detail}".rstrip())
    return "\n".join(lines)


def _guide(reply: Guide) -> str:
    lines = ["Commands:"]
    for command in reply.commands:
        syntax = usage(command.name)
        if len(syntax) <= 22:
            lines.append(f"  {syntax:<22} {command.summary}")
        else:
            lines.extend((f"  {syntax}", f"{'':<25}{command.summary}"))
    return "\n".join(lines)


def _notice(notice: str) -> list[str]:
    """A notice on lines of its own, its later lines under its first."""
    if not notice.strip():
        return []
    first, *more = notice.strip().splitlines()
    return [NOTICE + first, *(" " * len(NOTICE) + line if line else "" for line in more)]


def _utc(at: datetime) -> datetime:
    """A time in UTC; a time without a zone is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _gallery(reply: Gallery) -> str:
    if not reply.total:
        return GALLERY_EMPTY
    if not reply.entries:
        last = typed_command(History(page=max(reply.pages, 1)))
        return GALLERY_PAST_END.format(page=reply.page, last=last)
    lines = [GALLERY_HEADER.format(page=reply.page, pages=reply.pages, total=reply.total)]
    rows = [
        (
            e.id,
            e.template,
            e.format,
            f"{e.width}×{e.height}",
            _utc(e.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            e.link,
        )
        for e in reply.entries
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for *columns, link in rows:
        cells = "  ".join(f"{cell:<{width}}" for cell, width in zip(columns, widths, strict=True))
        lines.append(f"  {cells}  {link}")
    if reply.page < reply.pages:
        next_page = typed_command(History(page=reply.page + 1))
        lines.append("  " + GALLERY_NEXT.format(command=next_page))
    return "\n".join(lines)


def _document(reply: Document) -> str:
    lines = [reply.title]
    for section in reply.sections:
        lines.extend(("", section.heading))
        lines.extend(f"  {line}" if line.strip() else "" for line in section.body.splitlines())
    return "\n".join(lines)


def _offer(reply: Offer) -> str:
    """Packs, then plans, each under the line that says how to buy it."""
    packs = [
        messages.BUY_OFFER_PACK.format(name=i.name, credits=i.credits, price=i.price)
        for i in reply.items
        if not i.monthly
    ]
    plans = [
        messages.BUY_OFFER_PLAN.format(name=i.name, credits=i.credits, price=i.price)
        for i in reply.items
        if i.monthly
    ]
    lines = [messages.BUY_TITLE]
    for heading, items in ((messages.BUY_PACKS, packs), (messages.BUY_PLANS, plans)):
        if items:
            lines.extend(("", heading, *(f"  {item}" for item in items)))
    return "\n".join(lines)
