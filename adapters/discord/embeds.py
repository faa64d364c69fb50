"""Embeds within Discord's limits: listings (the catalogue, a statement, the guide, a
page of history, what there is to buy) packed into a message's embeds, and documents laid
out as pages of embeds, one page a message, without losing a word."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.discord.commands import MAKE_IMAGES, usage
from core import messages
from core.replies import Document, Gallery, Guide, HistoryEntry, Offer, Statement, Templates

# --- what a Discord user reads beyond core/messages.py --------------------------------
TEMPLATE_FIELD = "{description}\nDefault format: {default_format}"
FORMAT_FIELD = "{width}×{height} · {description}"
NO_DETAIL = "—"
GUIDE_HEADER = "Commands"
GALLERY_TITLE = "Your images · page {page} of {pages}"
GALLERY_TOTAL = "{total} in all, newest first."
GALLERY_OLDER = "Older ones: /history page:{page}"
GALLERY_EMPTY = "You have no images yet; make some with /imagine."
GALLERY_PAGE_EMPTY = (
    "There is nothing on page {page}; your {total} images are on pages 1 to {pages}."
)
HISTORY_ENTRY = "{template} · {format} · {width}×{height} · {date}\n{link}"
OPEN_LINK = "[Open full size]({link})"
CONTINUED = "{title} (continued)"
STORE_BUTTONS = "Or buy a pack in Discord with the buttons below."
GUIDE_PHOTO = (
    f"To start from a photo, attach it to /imagine, or open a message's Apps menu and "
    f"choose {MAKE_IMAGES}."
)

# --- Discord's documented limits ------------------------------------------------------
MAX_EMBEDS = 10  # and at most 10 attached files
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_EMBED_TOTAL = 6000  # titles, descriptions, field names and values of all embeds

Listing = tuple[str, str, list[tuple[str, str]]]  # title, description, (name, value) fields


# --- documents: sections as fields, continued over embeds and messages -----------------------
def document_pages(reply: Document) -> list[list[dict[str, Any]]]:
    """Every word of every section, as fields of at most 1024 characters: 25 to an embed,
    10 embeds and 6000 characters to a page (a message), then further pages."""
    pages: list[list[dict[str, Any]]] = []
    budget = 0
    for name, value in _document_fields(reply):
        cost = len(name) + len(value)
        fields: list[dict[str, Any]] = pages[-1][-1]["fields"] if pages else []
        full = len(fields) == MAX_FIELDS
        if not pages or cost > budget or (full and len(pages[-1]) == MAX_EMBEDS):
            title = reply.title if not pages else CONTINUED.format(title=reply.title)
            embed: dict[str, Any] = {"title": cut(title or NO_DETAIL, MAX_TITLE), "fields": []}
            pages.append([embed])
            budget = MAX_EMBED_TOTAL - len(embed["title"])
        elif full:
            pages[-1].append({"fields": []})
        pages[-1][-1]["fields"].append({"name": name, "value": value, "inline": False})
        budget -= cost
    return pages or [[{"title": cut(reply.title or NO_DETAIL, MAX_TITLE)}]]


def _document_fields(reply: Document) -> list[tuple[str, str]]:
    """Each section as one field, or several when its text is longer than a field holds
    (the later ones named ``… (continued)``)."""
    fields: list[tuple[str, str]] = []
    for section in reply.sections:
        heading = section.heading.strip() or NO_DETAIL
        for number, piece in enumerate(_pieces(section.body, MAX_FIELD_VALUE) or [NO_DETAIL]):
            name = heading if number == 0 else CONTINUED.format(title=heading)
            fields.append((cut(name, MAX_FIELD_NAME), piece))
    return fields


def _pieces(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, each broken after a paragraph,
    a line, a sentence or a word in its second half where there is one; only the
    whitespace at the breaks is dropped."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = _break(rest, limit)
        piece, rest = rest[:at].rstrip(), rest[at:].lstrip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _break(text: str, limit: int) -> int:
    for mark in ("\n\n", "\n", ". ", " "):
        found = text.rfind(mark, limit // 2, limit)
        if found >= 0:
            return found + len(mark)
    return limit


# --- listings: a field per item -------------------------------------------------------------
def catalogue(reply: Templates) -> list[Listing]:
    templates = [
        (t.name, TEMPLATE_FIELD.format(description=t.description, default_format=t.default_format))
        for t in reply.templates
    ]
    formats = [
        (f.name, FORMAT_FIELD.format(width=f.width, height=f.height, description=f.description))
        for f in reply.formats
    ]
    return [
        (messages.TEMPLATES_HEADER.rstrip(":"), "", templates),
        (messages.FORMATS_HEADER.rstrip(":"), "", formats),
    ]


def statement(reply: Statement) -> list[Listing]:
    lines = [
        (
            f"{line.at.strftime('%Y-%m-%d %H:%M')} · {line.kind} · {line.amount:+d}",
            " ".join(p for p in (line.reason, f"({line.job_id})" if line.job_id else "") if p),
        )
        for line in reply.lines
    ]
    recent = messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS
    return [(messages.CREDITS_SUMMARY.format(balance=reply.balance), recent, lines)]


def guide(reply: Guide) -> list[Listing]:
    lines = [(usage(c.name), c.summary) for c in reply.commands]
    return [(GUIDE_HEADER, GUIDE_PHOTO, lines)]


def gallery(reply: Gallery) -> list[Listing]:
    """A page of history: a field per image (its id; template, format, size, date and
    link), the page and the total above."""
    title = GALLERY_TITLE.format(page=reply.page, pages=reply.pages)
    if not reply.total:
        return [(title, GALLERY_EMPTY, [])]
    if not reply.entries:
        empty = GALLERY_PAGE_EMPTY.format(page=reply.page, total=reply.total, pages=reply.pages)
        return [(title, empty, [])]
    about = GALLERY_TOTAL.format(total=reply.total)
    if reply.page < reply.pages:
        about += " " + GALLERY_OLDER.format(page=reply.page + 1)
    return [(title, about, [(entry.id, _history_entry(entry)) for entry in reply.entries])]


def offer(reply: Offer, *, buttons: bool) -> list[Listing]:
    """Packs, then plans, each under the line that says how to buy it with /buy; with
    ``buttons``, a last line pointing to Discord's own purchase buttons."""
    lines: list[str] = []
    for heading, template, items in (
        (messages.BUY_PACKS, messages.BUY_OFFER_PACK, [i for i in reply.items if not i.monthly]),
        (messages.BUY_PLANS, messages.BUY_OFFER_PLAN, [i for i in reply.items if i.monthly]),
    ):
        if items:
            lines.extend(("", f"**{heading}**"))
            lines.extend(
                template.format(name=i.name, credits=i.credits, price=i.price) for i in items
            )
    if buttons:
        lines.extend(("", STORE_BUTTONS))
    return [(messages.BUY_TITLE, "\n".join(lines).strip("\n"), [])]


def _history_entry(entry: HistoryEntry) -> str:
    return HISTORY_ENTRY.format(
        template=entry.template,
        format=entry.format,
        width=entry.width,
        height=entry.height,
        date=_utc(entry.created_at).strftime("%Y-%m-%d %H:%M UTC"),
        link=OPEN_LINK.format(link=href(entry.link)) if is_web(entry.link) else entry.link,
    )


def _utc(at: datetime) -> datetime:
    """A time in UTC; a time without a zone is taken as UTC already."""
    return at.astimezone(UTC) if at.tzinfo else at


def pack(sections: Sequence[Listing]) -> tuple[list[dict[str, Any]], int]:
    """Sections as embeds within every limit: a section continues in a further embed
    after 25 fields; once something does not fit, it and all after it are counted as
    left off, never shown out of order."""
    embeds: list[dict[str, Any]] = []
    budget = MAX_EMBED_TOTAL
    left_off = 0
    for title, description, lines in sections:
        embed: dict[str, Any] = {"title": cut(title, MAX_TITLE)}
        if description:
            embed["description"] = cut(description, MAX_DESCRIPTION)
        if left_off or len(embeds) == MAX_EMBEDS or embed_size(embed) > budget:
            left_off += len(lines)
            continue
        embeds.append(embed)
        budget -= embed_size(embed)
        for name, value in lines:
            field: dict[str, Any] = {
                "name": cut(name or NO_DETAIL, MAX_FIELD_NAME),
                "value": cut(value or NO_DETAIL, MAX_FIELD_VALUE),
                "inline": False,
            }
            cost = len(field["name"]) + len(field["value"])
            full = len(embed.get("fields", ())) == MAX_FIELDS
            if left_off or cost > budget or (full and len(embeds) == MAX_EMBEDS):
                left_off += 1
                continue
            if full:
                embed = {}
                embeds.append(embed)
            embed.setdefault("fields", []).append(field)
            budget -= cost
    return embeds, left_off


def embed_size(embed: Mapping[str, Any]) -> int:
    """What Discord counts against the 6000 characters of a message's embeds."""
    fields = embed.get("fields", ())
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
        + len(embed.get("footer", {}).get("text", ""))
        + len(embed.get("author", {}).get("name", ""))
    )


# --- text ----------------------------------------------------------------------------------
def is_web(link: str) -> bool:
    return link.startswith(("https://", "http://"))


def href(link: str) -> str:
    """A link that cannot end a markdown link early."""
    return link.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
