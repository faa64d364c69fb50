"""Core replies as Slack messages: Block Kit blocks, a fallback text and the files to upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
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
    Error,
    Guide,
    ImageOut,
    Images,
    Private,
    Reply,
    Statement,
    Templates,
)

# --- what a Slack user reads beyond core/messages.py ---------------------------------
OPEN_FULL_SIZE = "Open full size"
OPEN_LINK = "Open link"
WARNING = ":warning: {text}"
CONFIRM_CODE = "Confirmation code: {code}"
MORE_NOT_SHOWN = "…and {count} more not shown here."
PARENT_ASKED = "{user} asked for {summary}"
GUIDE_HEADER = "Commands:"
GUIDE_UMBRELLA = "Every command also works after /aioe, for example /aioe reroll or /aioe help."
GUIDE_PHOTO = (
    "To start from a photo, type /imagine on its own to open a form, "
    "or mention me in a message with the photo attached."
)

#: Commands the Slack app registers on their own (``config/slack_manifest.yml``); every
#: command is also ``/aioe <name>``.
TOP_LEVEL = frozenset({"imagine", "describe", "credits", "templates"})
#: Each command's arguments in Slack, by core's command name (photos come by form or
#: mention, so there is no ``--image``).
ARGUMENTS = {
    "imagine": "[prompt] [--url URL] [--template NAME] [--format NAME] [--n 1-4]",
    "describe": "--url URL",
    "reroll": "IMAGE_ID",
    "reformat": "IMAGE_ID FORMAT",
    "cancel": "JOB_ID",
}

#: Every button's and select's ``action_id``: the app listens once, on ``ACTION_PATTERN``.
ACTION_IDS: Mapping[ActionKind, str] = {
    ActionKind.REROLL: "aioe.reroll",
    ActionKind.REFORMAT: "aioe.reformat",
    ActionKind.CANCEL: "aioe.cancel",
    ActionKind.CONFIRM: "aioe.confirm",
}
ACTION_PATTERN = r"^aioe\."

# --- Slack's documented limits ------------------------------------------------------
MAX_BLOCKS = 50
MAX_TEXT = 3000  # a section's text, and what we allow the notification fallback
MAX_ELEMENTS = 25  # in one actions block
MAX_BUTTON_TEXT = 75
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


@dataclass(frozen=True)
class SlackMessage:
    """One reply ready for ``chat.postMessage`` / ``chat.postEphemeral``.

    ``images`` are the files a delivery uploads with the message (``files_upload_v2``);
    Slack cannot attach files to ephemeral messages, so an ephemeral message carries
    none and its blocks hold the links instead.
    """

    text: str
    blocks: list[dict[str, Any]]
    ephemeral: bool
    images: tuple[ImageOut, ...]


def render(reply: Reply, codec: ActionCodec) -> SlackMessage:
    """A core reply as Slack blocks; private replies become ephemeral messages."""
    ephemeral = reply.audience is Audience.REQUESTER
    head, groups, plain = _body(reply, codec)
    tail = _actions(reply.actions, codec)
    if isinstance(reply, Confirm) and not reply.actions:
        tail.append(_context(CONFIRM_CODE.format(code=_escape(reply.code))))
    uploads = reply.images if isinstance(reply, Images) and not ephemeral else ()
    return SlackMessage(
        text=_clip(_escape(plain), MAX_TEXT),
        blocks=_fit(head, groups, tail),
        ephemeral=ephemeral,
        images=uploads,
    )


def parent_text(user_id: str, summary: str) -> str:
    """The channel message a slash command's results go under: ``<@U123> asked for …``."""
    return _clip(
        PARENT_ASKED.format(user=f"<@{_escape(user_id)}>", summary=_escape(summary)), MAX_TEXT
    )


def press_from_action(action: Mapping[str, Any]) -> tuple[str, str | None]:
    """The encoded value and the choice of one element of a ``block_actions`` payload's
    ``actions``, ready for ``ActionCodec.decode(value, choice)``.

    A button carries its value itself: ``(action["value"], None)``. A select has no
    value of its own, so ``render`` puts the encoded action in its actions block's
    ``block_id`` and the choice (a format name) in each option's ``value``:
    ``(action["block_id"], action["selected_option"]["value"])``. Anything else was not
    rendered here and is refused with core's sentence.
    """
    kind = action.get("type")
    if kind == "button" and isinstance(action.get("value"), str):
        return action["value"], None
    if kind == "static_select" and isinstance(action.get("block_id"), str):
        selected = action.get("selected_option") or {}
        choice = selected.get("value")
        return action["block_id"], choice if isinstance(choice, str) else None
    raise ActionRefused(messages.ACTION_INVALID)


# --- bodies: leading blocks, groups that may be cut as a whole, the plain text -------
Group = tuple[list[dict[str, Any]], int]  # blocks, and how many items they show


def _body(reply: Reply, codec: ActionCodec) -> tuple[list[dict[str, Any]], list[Group], str]:
    if isinstance(reply, Images):
        return _images(reply, codec)
    if isinstance(reply, Templates):
        return _listing(_templates(reply))
    if isinstance(reply, Statement):
        return _listing(_statement(reply))
    if isinstance(reply, Guide):
        return _listing(_guide(reply))
    if isinstance(reply, Error):
        return [_section(WARNING.format(text=_escape(reply.text)))], [], reply.text
    if isinstance(reply, Private) and reply.link:
        link = _link(reply.link, OPEN_LINK)
        text = _clip(_escape(reply.text), MAX_TEXT - len(link) - 1)
        return [_section(f"{text}\n{link}")], [], f"{reply.text}\n{reply.link}"
    return [_section(_escape(reply.text))], [], reply.text


def _images(reply: Images, codec: ActionCodec) -> tuple[list[dict[str, Any]], list[Group], str]:
    groups: list[Group] = []
    for image in reply.images:
        caption = (
            f"{_link(image.link, OPEN_FULL_SIZE)}  ·  {image.width}×{image.height} "
            f"{_escape(image.encoding)}  ·  `{_escape(image.id)}`"
        )
        groups.append(([_section(caption), *_actions(image.actions, codec)], 1))
    plain = "\n".join([reply.text, *(f"{i.id}: {i.link}" for i in reply.images)])
    return [_section(_escape(reply.text))], groups, plain


def _listing(lines: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[Group], str]:
    """(mrkdwn, plain) lines packed into as few sections as their length allows."""
    groups: list[Group] = []
    chunk: list[str] = []
    for mrkdwn, _ in lines:
        line = _clip(mrkdwn, MAX_TEXT)
        if chunk and len("\n".join([*chunk, line])) > MAX_TEXT:
            groups.append(([_section("\n".join(chunk))], len(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        groups.append(([_section("\n".join(chunk))], len(chunk)))
    return [], groups, "\n".join(plain for _, plain in lines)


def _templates(reply: Templates) -> list[tuple[str, str]]:
    lines = [(f"*{_escape(messages.TEMPLATES_HEADER)}*", messages.TEMPLATES_HEADER)]
    for t in reply.templates:
        lines.append(
            (
                f"• *{_escape(t.name)}*  ·  {_escape(t.default_format)}  ·  "
                f"{_escape(t.description)}",
                f"{t.name}  {t.default_format}  {t.description}",
            )
        )
    lines.append((f"*{_escape(messages.FORMATS_HEADER)}*", messages.FORMATS_HEADER))
    for f in reply.formats:
        lines.append(
            (
                f"• *{_escape(f.name)}*  ·  {f.width}×{f.height}  ·  {_escape(f.description)}",
                f"{f.name}  {f.width}×{f.height}  {f.description}",
            )
        )
    return lines


def _statement(reply: Statement) -> list[tuple[str, str]]:
    summary = messages.CREDITS_SUMMARY.format(balance=reply.balance)
    recent = messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS
    lines = [(f"*{_escape(summary)}*", summary), (_escape(recent), recent)]
    for line in reply.lines:
        when = line.at.strftime("%Y-%m-%d %H:%M")
        detail = " ".join(p for p in (line.reason, f"({line.job_id})" if line.job_id else "") if p)
        lines.append(
            (
                f"• `{when}`  {_escape(line.kind)}  *{line.amount:+d}*  {_escape(detail)}".rstrip(),
                f"{when}  {line.kind}  {line.amount:+d}  {detail}".rstrip(),
            )
        )
    return lines


def _guide(reply: Guide) -> list[tuple[str, str]]:
    lines = [(f"*{GUIDE_HEADER}*", GUIDE_HEADER)]
    for command in reply.commands:
        syntax = usage(command.name)
        lines.append(
            (f"• `{_escape(syntax)}`  {_escape(command.summary)}", f"{syntax}  {command.summary}")
        )
    lines.extend((_escape(text), text) for text in (GUIDE_UMBRELLA, GUIDE_PHOTO))
    return lines


def usage(name: str) -> str:
    """A command as typed in Slack: ``/imagine [prompt] …``, ``/aioe reroll IMAGE_ID``."""
    command = f"/{name}" if name in TOP_LEVEL else f"/aioe {name}"
    return f"{command} {ARGUMENTS.get(name, '')}".rstrip()


# --- buttons and selects --------------------------------------------------------------
def _actions(actions: Sequence[Action], codec: ActionCodec) -> list[dict[str, Any]]:
    """Actions blocks: a new block where an ``action_id`` would repeat (Slack wants them
    unique in a block), where a second select needs its own ``block_id``, or at 25."""
    blocks: list[dict[str, Any]] = []
    elements: list[ButtonElement | StaticSelectElement] = []
    block_id: str | None = None

    def close() -> None:
        if elements:
            blocks.append(ActionsBlock(block_id=block_id, elements=list(elements)).to_dict())
            elements.clear()

    for action in actions:
        action_id = ACTION_IDS[action.kind]
        value = codec.encode(action)
        options = _options(action.choices)
        if action.choices and not options:
            continue  # nothing Slack can show to choose from
        repeated = any(e.action_id == action_id for e in elements)
        if repeated or len(elements) == MAX_ELEMENTS or (options and block_id is not None):
            close()
            block_id = None
        if options:
            block_id = value
            elements.append(
                StaticSelectElement(
                    action_id=action_id,
                    placeholder=_cut(action.label, MAX_PLACEHOLDER),
                    options=options,
                )
            )
        else:
            elements.append(
                ButtonElement(
                    text=_cut(action.label, MAX_BUTTON_TEXT),
                    action_id=action_id,
                    value=value,
                    style="primary" if action.kind is ActionKind.CONFIRM else None,
                )
            )
    close()
    return blocks


def _options(choices: Sequence[Choice]) -> list[Option]:
    """The first 100 choices Slack can carry (a value of at most 150 characters)."""
    fitting = [c for c in choices if 0 < len(c.value) <= MAX_OPTION_VALUE]
    return [
        Option(value=c.value, text=_cut(c.label or c.value, MAX_OPTION_TEXT))
        for c in fitting[:MAX_OPTIONS]
    ]


# --- blocks and text --------------------------------------------------------------------
def _fit(
    head: list[dict[str, Any]], groups: Sequence[Group], tail: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """At most 50 blocks: whole groups in order, and a note for the ones left off."""
    budget = MAX_BLOCKS - len(head) - len(tail)
    if sum(len(blocks) for blocks, _ in groups) <= budget:
        return [*head, *(b for blocks, _ in groups for b in blocks), *tail]
    kept: list[dict[str, Any]] = []
    left_off = 0
    for blocks, count in groups:
        if left_off or len(kept) + len(blocks) > budget - 1:
            left_off += count
        else:
            kept.extend(blocks)
    return [*head, *kept, _context(MORE_NOT_SHOWN.format(count=left_off)), *tail]


def _section(mrkdwn: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=_clip(mrkdwn, MAX_TEXT))).to_dict()


def _context(mrkdwn: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=_clip(mrkdwn, MAX_TEXT))]).to_dict()


def _escape(text: str) -> str:
    """Slack's three control characters, as its formatting rules ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    """``<url|label>``; characters that would end the link early are percent-encoded."""
    safe = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{_escape(label)}>"


def _clip(escaped: str, limit: int) -> str:
    """Escaped text cut to ``limit`` characters with an ellipsis, never inside an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _cut(plain: str, limit: int) -> str:
    """Plain text (a button, a placeholder, an option) cut to ``limit`` characters."""
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"
