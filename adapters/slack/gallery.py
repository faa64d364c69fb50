"""A page of someone's image history as Block Kit: a section per image, and paging."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.slack.blocks import Block, Group, context, escape, link, section
from adapters.slack.texts import (
    GALLERY_EMPTY,
    GALLERY_ENTRY,
    GALLERY_FORGET,
    GALLERY_HEADING,
    GALLERY_NEXT,
    GALLERY_NO_PAGE,
    OPEN_FULL_SIZE,
)
from core.replies import Gallery, HistoryEntry


def gallery(reply: Gallery) -> tuple[list[Block], list[Group], str]:
    """Leading blocks (where this page is, how to turn it), one group per image, and
    the plain text for notifications."""
    if not reply.total:
        return [section(escape(GALLERY_EMPTY))], [], GALLERY_EMPTY
    if not reply.entries:
        missing = GALLERY_NO_PAGE.format(page=reply.page, pages=reply.pages)
        return [section(escape(missing))], [], missing
    heading = GALLERY_HEADING.format(page=reply.page, pages=reply.pages, total=reply.total)
    if reply.page < reply.pages:
        heading = f"{heading} {GALLERY_NEXT.format(page=reply.page + 1)}"
    head = [section(escape(heading)), context(escape(GALLERY_FORGET))]
    groups: list[Group] = [([section(_entry(entry))], 1) for entry in reply.entries]
    plain = "\n".join([heading, *(f"{e.id}: {e.link}" for e in reply.entries)])
    return head, groups, plain


def _entry(entry: HistoryEntry) -> str:
    return GALLERY_ENTRY.format(
        link=link(entry.link, OPEN_FULL_SIZE),
        id=escape(entry.id),
        template=escape(entry.template),
        format=escape(entry.format),
        width=entry.width,
        height=entry.height,
        date=local_date(entry.created_at),
    )


def local_date(at: datetime) -> str:
    """A moment as Slack shows it in each reader's own time zone ("Yesterday at 14:05"),
    in UTC where a client cannot; a naive datetime is read as UTC."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
