"""Core replies as Discord messages: content, embeds, components and the files to attach.

A reply is usually one message. A notice (something the requester must be told once)
opens an ephemeral message, or comes first as one of its own before a public message; a
document longer than one message's embeds allow continues in further messages.

Layout of an images reply: one embed per image (its number and id as a title linked to
the full-size file, size and encoding below, the attached file shown inside), then the
controls: every button in rows of five first ("More like this #1" … "#4"), then one
"Other formats" select per image, each on its own row as Discord requires. Discord allows
five rows, so four images take two to five rows (one of buttons, four selects); with more
images, the selects that do not fit are left off and the content says to type /reformat.

What there is to buy (an offer) is one embed of packs and plans, each to be bought with
/buy (a Stripe link), and below it Discord's own purchase button (a premium button: no
label, no custom id, only the SKU, which Discord shows with its name and price) for every
pack that is also a SKU in the app's store: Discord requires what an app sells to be
offered there too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import discord

from adapters.discord.embeds import (
    MAX_DESCRIPTION,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_TITLE,
    catalogue,
    cut,
    document_pages,
    embed_size,
    gallery,
    guide,
    href,
    is_web,
    offer,
    pack,
    statement,
)
from core import messages
from core.actions import ActionCodec
from core.errors import ActionRefused
from core.replies import (
    Action,
    ActionKind,
    Audience,
    Choice,
    Confirm,
    Document,
    Error,
    Gallery,
    Guide,
    ImageOut,
    Images,
    Offer,
    Private,
    Progress,
    Reply,
    Statement,
    Templates,
    Text,
)

# --- what a Discord user reads beyond core/messages.py --------------------------------
WARNING = "⚠️ {text}"
NOTICE = "ℹ️ {text}"
CONFIRM_CODE = "Confirmation code: {code}"
MORE_NOT_SHOWN = "…and {count} more not shown here."
IMAGE_TITLE = "#{number} · {id}"
IMAGE_DETAILS = "{width}×{height} {encoding} · [Open full size]({link})"
NUMBERED = "{label} #{number}"
REFORMAT_TYPED = "For the other images, use /reformat with the image ID."
CONTROLS_LEFT_OFF = "{count} more buttons did not fit here; type the command instead."

# --- Discord's documented limits ------------------------------------------------------
MAX_CONTENT = 2000
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
PRIMARY, SECONDARY, DANGER, PREMIUM = 1, 2, 4, 6
STYLES: Mapping[ActionKind, int] = {
    ActionKind.REROLL: PRIMARY,
    ActionKind.CONFIRM: DANGER,  # the only confirmation erases an account
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
    ``is_notice``: the message is only a public reply's notice, going first on its own.
    """

    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    ephemeral: bool
    images: tuple[ImageOut, ...]
    is_notice: bool = False


def render(reply: Reply, codec: ActionCodec, *, private: bool = False) -> list[DiscordMessage]:
    """A core reply as the messages that carry it, in order, each within Discord's
    limits; private replies become ephemeral. ``private``: the messages go where only the
    requester sees them anyway (a deferred ephemeral response), so a notice may join any.
    """
    ephemeral = private or reply.audience is Audience.REQUESTER
    if isinstance(reply, Document):
        sent = _document(reply, codec)
    elif isinstance(reply, Images):
        sent = [_images(reply, codec, ephemeral)]
    elif isinstance(reply, Offer):
        sent = [_offer(reply, codec, ephemeral)]
    else:
        sent = [_message(reply, codec, ephemeral)]
    return _with_notice(reply.notice, sent)


def _message(reply: OneMessage, codec: ActionCodec, ephemeral: bool) -> DiscordMessage:
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
            if item["type"] == BUTTON and item["style"] == PREMIUM:
                view.add_item(discord.ui.Button(sku_id=int(item["sku_id"]), row=row))
            elif item["type"] == BUTTON:
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
        if len(embeds) == MAX_EMBEDS or embed_size(embed) > budget:
            break
        embeds.append(embed)
        budget -= embed_size(embed)
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
        width=image.width, height=image.height, encoding=image.encoding, link=href(image.link)
    )
    embed: dict[str, Any] = {
        "title": cut(IMAGE_TITLE.format(number=number, id=image.id), MAX_TITLE),
        "description": cut(details, MAX_DESCRIPTION),
        "image": {"url": f"attachment://{image.filename}"},
    }
    if is_web(image.link):
        embed["url"] = image.link
    return embed


# --- offers ---------------------------------------------------------------------------------
def _offer(reply: Offer, codec: ActionCodec, ephemeral: bool) -> DiscordMessage:
    """The packs and plans in an embed, and a premium button per pack sold in the store."""
    store = [
        {"type": BUTTON, "style": PREMIUM, "sku_id": item.sku}
        for item in reply.items
        if not item.monthly and _is_snowflake(item.sku)
    ]
    embeds, _ = pack(offer(reply, buttons=bool(store)))
    buttons, selects = _controls(reply.actions, codec)
    components, dropped = _rows(store + buttons, selects)
    notes = [CONTROLS_LEFT_OFF.format(count=dropped)] if dropped else []
    return DiscordMessage(_content("", notes), embeds, components, ephemeral, ())


def _is_snowflake(value: str) -> bool:
    """A SKU id Discord would take (a misconfigured one would make it refuse the whole
    message, so it gets no button)."""
    return value.isascii() and value.isdigit() and 0 < len(value) <= 20


# --- notices --------------------------------------------------------------------------------
def _with_notice(notice: str, sent: list[DiscordMessage]) -> list[DiscordMessage]:
    """The notice opens the first message if only the requester sees it and there is
    room; otherwise it goes first, as an ephemeral message of its own."""
    if not notice:
        return sent
    told = cut(NOTICE.format(text=notice), MAX_CONTENT)
    first, *rest = sent
    if first.ephemeral:
        joined = f"{told}\n\n{first.content}" if first.content else told
        if len(joined) <= MAX_CONTENT:
            return [replace(first, content=joined), *rest]
    return [DiscordMessage(told, [], [], True, (), is_notice=True), *sent]


# --- documents ------------------------------------------------------------------------------
def _document(reply: Document, codec: ActionCodec) -> list[DiscordMessage]:
    """A page of embeds a message, all private; the actions go with the last message."""
    pages = document_pages(reply)
    buttons, selects = _controls(reply.actions, codec)
    components, dropped = _rows(buttons, selects)
    notes = [CONTROLS_LEFT_OFF.format(count=dropped)] if dropped else []
    sent = [DiscordMessage("", embeds, [], True, ()) for embeds in pages]
    sent[-1] = replace(sent[-1], content=_content("", notes), components=components)
    return sent


# --- everything else: content, or embeds with fields --------------------------------------
#: The replies that are always one message of content or listed embeds.
OneMessage = Text | Private | Progress | Confirm | Error | Templates | Statement | Guide | Gallery


def _body(reply: OneMessage) -> tuple[str, list[dict[str, Any]], int]:
    """Content, embeds, and how many listed items did not fit."""
    if isinstance(reply, Gallery):
        return "", *pack(gallery(reply))
    if isinstance(reply, Templates):
        return "", *pack(catalogue(reply))
    if isinstance(reply, Statement):
        return "", *pack(statement(reply))
    if isinstance(reply, Guide):
        return "", *pack(guide(reply))
    if isinstance(reply, Error):
        return _content(WARNING.format(text=reply.text), []), [], 0
    if isinstance(reply, Private) and reply.link:
        return _content(reply.text, [reply.link]), [], 0
    if isinstance(reply, Confirm) and not reply.actions:
        return _content(reply.text, [CONFIRM_CODE.format(code=reply.code)]), [], 0
    return reply.text, [], 0


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
                    "label": cut(label, MAX_LABEL),
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
                    "placeholder": cut(label, MAX_PLACEHOLDER),
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
        {"label": cut(c.label or c.value, MAX_OPTION_LABEL), "value": c.value}
        for c in fitting[:MAX_OPTIONS]
    ]


def _rows(
    buttons: Sequence[dict[str, Any]], selects: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Action rows: buttons five to a row, then a row per select, at most five rows; a
    custom id already used is skipped (Discord wants them unique in a message), and so
    is a second purchase button for the same SKU. Returns the rows and how many controls
    did not fit."""
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
    key = control.get("custom_id") or f"sku:{control['sku_id']}"
    if key in seen:
        return True
    seen.add(key)
    return False


# --- text -----------------------------------------------------------------------------------
def _content(text: str, notes: Sequence[str]) -> str:
    """``text`` and its notes on lines below, within 2000 characters: the text is what
    gets shortened, so links and counts survive."""
    tail = "".join(f"\n{note}" for note in notes)
    if not text:
        return cut(tail.lstrip("\n"), MAX_CONTENT)
    return cut(text, MAX_CONTENT - len(tail)) + tail
