"""Core replies as Discord messages: content, embeds, components and the files to attach.

Layout of an images reply: one embed per image (its number and id as a title linked to
the full-size file, size and encoding below, the attached file shown inside), then the
controls: every button in rows of five first ("More like this #1" … "#4"), then one
"Other formats" select per image, each on its own row as Discord requires. Discord allows
five rows, so four images take two to five rows (one of buttons, four selects); with more
images, the selects that do not fit are left off and the content says to type /reformat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.commands import COMMAND_OPTIONS, MAKE_IMAGES, usage
from core import messages
from core.actions import ActionCodec
from core.errors import ActionRefused
from core.replies import (
    Action,
    ActionKind,
    Audience,
    Choice,
    Confirm,
    Error,
    Guide,
    ImageOut,
    Images,
    Private,
    Reply,
    Statement,
    Templates,
)

# --- what a Discord user reads beyond core/messages.py --------------------------------
WARNING = "⚠️ {text}"
CONFIRM_CODE = "Confirmation code: {code}"
MORE_NOT_SHOWN = "…and {count} more not shown here."
IMAGE_TITLE = "#{number} · {id}"
IMAGE_DETAILS = "{width}×{height} {encoding} · [Open full size]({link})"
NUMBERED = "{label} #{number}"
REFORMAT_TYPED = "For the other images, use /reformat with the image ID."
CONTROLS_LEFT_OFF = "{count} more buttons did not fit here; type the command instead."
TEMPLATE_FIELD = "{description}\nDefault format: {default_format}"
FORMAT_FIELD = "{width}×{height} · {description}"
NO_DETAIL = "—"
GUIDE_HEADER = "Commands"
GUIDE_PHOTO = (
    f"To start from a photo, attach it to /imagine, or open a message's Apps menu and "
    f"choose {MAKE_IMAGES}."
)

# --- Discord's documented limits ------------------------------------------------------
MAX_CONTENT = 2000
MAX_EMBEDS = 10  # and at most 10 attached files
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_EMBED_TOTAL = 6000  # titles, descriptions, field names and values of all embeds
MAX_ROWS = 5
MAX_BUTTONS = 5  # in one action row; a select fills a row on its own
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 25
MAX_OPTION_LABEL = 100
MAX_OPTION_VALUE = 100

# --- Discord's numbers ------------------------------------------------------------------
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
PRIMARY, SECONDARY, DANGER = 1, 2, 4
STYLES: Mapping[ActionKind, int] = {
    ActionKind.REROLL: PRIMARY,
    ActionKind.CONFIRM: PRIMARY,
    ActionKind.CANCEL: DANGER,
}
EPHEMERAL = 1 << 6  # the message flag, for deliveries that speak REST
#: ``allowed_mentions`` for every message: a prompt echoed back never pings anyone.
NO_MENTIONS: Mapping[str, Any] = {"parse": []}


@dataclass(frozen=True)
class DiscordMessage:
    """One reply as Discord API JSON, ready for an interaction response or follow-up.

    ``images`` are the files a delivery attaches (as ``<id>.<encoding>``, the names the
    embeds show with ``attachment://``); an ephemeral follow-up may carry them too.
    """

    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    ephemeral: bool
    images: tuple[ImageOut, ...]


def render(reply: Reply, codec: ActionCodec) -> DiscordMessage:
    """A core reply within Discord's limits; private replies become ephemeral."""
    ephemeral = reply.audience is Audience.REQUESTER
    if isinstance(reply, Images):
        return _images(reply, codec, ephemeral)
    content, embeds, left_off = _body(reply)
    buttons, selects = _controls(reply.actions, codec)
    components, dropped = _rows(buttons, selects)
    notes = [MORE_NOT_SHOWN.format(count=left_off)] if left_off else []
    if dropped:
        notes.append(CONTROLS_LEFT_OFF.format(count=dropped))
    return DiscordMessage(_content(content, notes), embeds, components, ephemeral, ())


def press_from_component(data: Mapping[str, Any]) -> tuple[str, str | None]:
    """The encoded action and the choice of a component interaction's ``data``, ready
    for ``ActionCodec.decode(value, choice)``: a button gives ``(custom_id, None)``, a
    string select ``(custom_id, values[0])``. Anything else was not rendered here."""
    custom_id = data.get("custom_id")
    kind = data.get("component_type")
    if not isinstance(custom_id, str):
        raise ActionRefused(messages.ACTION_INVALID)
    if kind == BUTTON:
        return custom_id, None
    if kind == STRING_SELECT:
        values = data.get("values") or ()
        return custom_id, values[0] if values and isinstance(values[0], str) else None
    raise ActionRefused(messages.ACTION_INVALID)


async def to_discord_py(message: DiscordMessage) -> dict[str, Any]:
    """Keyword arguments for discord.py's senders (``InteractionResponse.send_message``,
    ``Webhook.send`` for follow-ups, ``Messageable.send``), all but ``files``: the
    delivery that holds the bytes adds ``files=[discord.File(...)]`` named as
    ``message.images``. ``ephemeral`` appears only when true (channel sends have no such
    argument). Async because a ``discord.ui.View`` belongs to a running event loop; the
    view has no timeout and its items no callbacks: presses arrive as interactions and
    go through ``press_from_component``."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = [discord.Embed.from_dict(embed) for embed in message.embeds]
    if message.components:
        kwargs["view"] = _view(message.components)
    if message.ephemeral:
        kwargs["ephemeral"] = True
    return kwargs


def _view(components: Sequence[Mapping[str, Any]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for row, action_row in enumerate(components):
        for item in action_row["components"]:
            if item["type"] == BUTTON:
                view.add_item(
                    discord.ui.Button(
                        style=discord.ButtonStyle(item["style"]),
                        label=item["label"],
                        custom_id=item["custom_id"],
                        row=row,
                    )
                )
            else:
                view.add_item(
                    discord.ui.Select(
                        custom_id=item["custom_id"],
                        placeholder=item["placeholder"],
                        min_values=item["min_values"],
                        max_values=item["max_values"],
                        options=[
                            discord.SelectOption(label=o["label"], value=o["value"])
                            for o in item["options"]
                        ],
                        row=row,
                    )
                )
    return view


# --- images -----------------------------------------------------------------------------
def _images(reply: Images, codec: ActionCodec, ephemeral: bool) -> DiscordMessage:
    embeds: list[dict[str, Any]] = []
    budget = MAX_EMBED_TOTAL
    for number, image in enumerate(reply.images, 1):
        embed = _image_embed(image, number)
        if len(embeds) == MAX_EMBEDS or _size(embed) > budget:
            break
        embeds.append(embed)
        budget -= _size(embed)
    shown = reply.images[: len(embeds)]
    numbered = len(reply.images) > 1
    buttons: list[dict[str, Any]] = []
    selects: list[dict[str, Any]] = []
    for number, image in enumerate(shown, 1):
        more_buttons, more_selects = _controls(image.actions, codec, number if numbered else None)
        buttons += more_buttons
        selects += more_selects
    more_buttons, more_selects = _controls(reply.actions, codec)
    components, dropped = _rows(buttons + more_buttons, selects + more_selects)
    notes = []
    if len(shown) < len(reply.images):
        notes.append(MORE_NOT_SHOWN.format(count=len(reply.images) - len(shown)))
    if dropped:
        notes.append(REFORMAT_TYPED)
    return DiscordMessage(_content(reply.text, notes), embeds, components, ephemeral, shown)


def _image_embed(image: ImageOut, number: int) -> dict[str, Any]:
    details = IMAGE_DETAILS.format(
        width=image.width, height=image.height, encoding=image.encoding, link=_href(image.link)
    )
    embed: dict[str, Any] = {
        "title": _cut(IMAGE_TITLE.format(number=number, id=image.id), MAX_TITLE),
        "description": _cut(details, MAX_DESCRIPTION),
        "image": {"url": f"attachment://{image.filename}"},
    }
    if image.link.startswith(("https://", "http://")):
        embed["url"] = image.link
    return embed


def _href(link: str) -> str:
    """A link that cannot end a markdown link early."""
    return link.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# --- everything else: content, or embeds with fields --------------------------------------
Section = tuple[str, str, list[tuple[str, str]]]  # title, description, (name, value) fields


def _body(reply: Reply) -> tuple[str, list[dict[str, Any]], int]:
    """Content, embeds, and how many listed items did not fit."""
    if isinstance(reply, Templates):
        return "", *_pack(_templates(reply))
    if isinstance(reply, Statement):
        return "", *_pack(_statement(reply))
    if isinstance(reply, Guide):
        return "", *_pack(_guide(reply))
    if isinstance(reply, Error):
        return _content(WARNING.format(text=reply.text), []), [], 0
    if isinstance(reply, Private) and reply.link:
        return _content(reply.text, [reply.link]), [], 0
    if isinstance(reply, Confirm) and not reply.actions:
        return _content(reply.text, [CONFIRM_CODE.format(code=reply.code)]), [], 0
    return reply.text, [], 0


def _templates(reply: Templates) -> list[Section]:
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


def _statement(reply: Statement) -> list[Section]:
    lines = [
        (
            f"{line.at.strftime('%Y-%m-%d %H:%M')} · {line.kind} · {line.amount:+d}",
            " ".join(p for p in (line.reason, f"({line.job_id})" if line.job_id else "") if p),
        )
        for line in reply.lines
    ]
    recent = messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS
    return [(messages.CREDITS_SUMMARY.format(balance=reply.balance), recent, lines)]


def _guide(reply: Guide) -> list[Section]:
    lines = [
        (usage(c.name) if c.name in COMMAND_OPTIONS else f"/{c.name}", c.summary)
        for c in reply.commands
    ]
    return [(GUIDE_HEADER, GUIDE_PHOTO, lines)]


def _pack(sections: Sequence[Section]) -> tuple[list[dict[str, Any]], int]:
    """Sections as embeds within every limit: a section continues in a further embed
    after 25 fields; once something does not fit, it and all after it are counted as
    left off, never shown out of order."""
    embeds: list[dict[str, Any]] = []
    budget = MAX_EMBED_TOTAL
    left_off = 0
    for title, description, lines in sections:
        embed: dict[str, Any] = {"title": _cut(title, MAX_TITLE)}
        if description:
            embed["description"] = _cut(description, MAX_DESCRIPTION)
        if left_off or len(embeds) == MAX_EMBEDS or _size(embed) > budget:
            left_off += len(lines)
            continue
        embeds.append(embed)
        budget -= _size(embed)
        for name, value in lines:
            field: dict[str, Any] = {
                "name": _cut(name or NO_DETAIL, MAX_FIELD_NAME),
                "value": _cut(value or NO_DETAIL, MAX_FIELD_VALUE),
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


def _size(embed: Mapping[str, Any]) -> int:
    """What Discord counts against the 6000 characters of a message's embeds."""
    fields = embed.get("fields", ())
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
        + len(embed.get("footer", {}).get("text", ""))
        + len(embed.get("author", {}).get("name", ""))
    )


# --- buttons and selects ------------------------------------------------------------------
def _controls(
    actions: Sequence[Action], codec: ActionCodec, number: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Buttons, and selects for the actions that still need a choice; labels carry the
    image's number when a message shows several."""
    buttons: list[dict[str, Any]] = []
    selects: list[dict[str, Any]] = []
    for action in actions:
        custom_id = _custom_id(action, codec)
        label = (
            action.label if number is None else NUMBERED.format(label=action.label, number=number)
        )
        if not action.choices:
            buttons.append(
                {
                    "type": BUTTON,
                    "style": STYLES.get(action.kind, SECONDARY),
                    "label": _cut(label, MAX_LABEL),
                    "custom_id": custom_id,
                }
            )
            continue
        options = _options(action.choices)
        if options:  # else nothing Discord can show to choose from
            selects.append(
                {
                    "type": STRING_SELECT,
                    "custom_id": custom_id,
                    "placeholder": _cut(label, MAX_PLACEHOLDER),
                    "min_values": 1,
                    "max_values": 1,
                    "options": options,
                }
            )
    return buttons, selects


def _custom_id(action: Action, codec: ActionCodec) -> str:
    custom_id = codec.encode(action)
    if not 0 < len(custom_id) <= MAX_CUSTOM_ID:
        raise ValueError(
            f"{action.kind} encodes to {len(custom_id)} characters, over Discord's 100"
        )
    return custom_id


def _options(choices: Sequence[Choice]) -> list[dict[str, str]]:
    """The first 25 choices Discord can carry (a value of at most 100 characters)."""
    fitting = [c for c in choices if 0 < len(c.value) <= MAX_OPTION_VALUE]
    return [
        {"label": _cut(c.label or c.value, MAX_OPTION_LABEL), "value": c.value}
        for c in fitting[:MAX_OPTIONS]
    ]


def _rows(
    buttons: Sequence[dict[str, Any]], selects: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Action rows: buttons five to a row, then a row per select, at most five rows; a
    custom id already used is skipped (Discord wants them unique in a message). Returns
    the rows and how many controls did not fit."""
    seen: set[str] = set()
    unique_buttons = [b for b in buttons if not _repeat(b, seen)]
    unique_selects = [s for s in selects if not _repeat(s, seen)]
    groups = [
        unique_buttons[i : i + MAX_BUTTONS] for i in range(0, len(unique_buttons), MAX_BUTTONS)
    ]
    groups += [[select] for select in unique_selects]
    kept = groups[:MAX_ROWS]
    dropped = sum(len(group) for group in groups[MAX_ROWS:])
    return [{"type": ACTION_ROW, "components": group} for group in kept], dropped


def _repeat(control: Mapping[str, Any], seen: set[str]) -> bool:
    if control["custom_id"] in seen:
        return True
    seen.add(control["custom_id"])
    return False


# --- text -----------------------------------------------------------------------------------
def _content(text: str, notes: Sequence[str]) -> str:
    """``text`` and its notes on lines below, within 2000 characters: the text is what
    gets shortened, so links and counts survive."""
    tail = "".join(f"\n{note}" for note in notes)
    if not text:
        return _cut(tail.lstrip("\n"), MAX_CONTENT)
    return _cut(text, MAX_CONTENT - len(tail)) + tail


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
