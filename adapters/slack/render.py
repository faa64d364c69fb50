"""Core replies as Slack messages: Block Kit blocks, a fallback text and the files to upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    Option,
    StaticSelectElement,
)

from adapters.slack.blocks import (
    MAX_BUTTON_TEXT,
    MAX_DIALOG_BUTTON,
    MAX_ELEMENTS,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    MAX_PLACEHOLDER,
    MAX_TEXT,
    Block,
    Group,
    clip,
    context,
    cut,
    escape,
    fit,
    link,
    pages,
    section,
    sections,
)
from adapters.slack.document import document
from adapters.slack.gallery import gallery
from adapters.slack.offer import offer
from adapters.slack.texts import (
    CONFIRM_CODE,
    CONFIRM_DENY,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    DOCUMENT_CONTINUED,
    GUIDE_HEADER,
    GUIDE_PHOTO,
    GUIDE_UMBRELLA,
    NOTICE,
    OPEN_FULL_SIZE,
    OPEN_LINK,
    PARENT_ASKED,
    WARNING,
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
    Reply,
    Statement,
    Templates,
)

#: Commands the Slack app registers on their own (``config/slack_manifest.yml``), by the
#: first word of core's command name: ``privacy`` is ``/privacy`` and ``/privacy export``.
#: Every command is also ``/aioe <name>``.
TOP_LEVEL = frozenset(
    {
        "imagine",
        "describe",
        "credits",
        "templates",
        "history",
        "forget",
        "privacy",
        "delete-me",
        "buy",
    }
)
#: Each command's arguments in Slack, by core's command name (photos come by form or
#: mention, so there is no ``--image``).
ARGUMENTS = {
    "imagine": "[prompt] [--url URL] [--template NAME] [--format NAME] [--n 1-4]",
    "describe": "--url URL",
    "reroll": "IMAGE_ID",
    "reformat": "IMAGE_ID FORMAT",
    "cancel": "JOB_ID",
    "history": "[PAGE]",
    "forget": "IMAGE_ID",
    "buy": "[team] [PACK | PLAN | portal]",
    "credits use": "team|personal",
    "credits share": "on|off",
    "credits cap": "CREDITS|off",
    "privacy consent": "analytics on|off",
    "privacy correct": "name|email VALUE",
    "privacy restrict": "on|off",
}

#: Every button's and select's ``action_id``: the app listens once, on ``ACTION_PATTERN``.
ACTION_IDS: Mapping[ActionKind, str] = {
    ActionKind.REROLL: "aioe.reroll",
    ActionKind.REFORMAT: "aioe.reformat",
    ActionKind.CANCEL: "aioe.cancel",
    ActionKind.CONFIRM: "aioe.confirm",
}
ACTION_PATTERN = r"^aioe\."


@dataclass(frozen=True)
class SlackMessage:
    """One reply ready for ``chat.postMessage`` / ``chat.postEphemeral``.

    ``images`` are the files a delivery uploads with the message (``files_upload_v2``);
    Slack cannot attach files to ephemeral messages, so an ephemeral message carries
    none and its blocks hold the links instead. ``notice`` is an ephemeral message for
    the requester alone, sent before a public message (an ephemeral message shows its
    notice at its top instead). ``continued`` are the messages that carry on a reply too
    long for one, sent after it.
    """

    text: str
    blocks: list[Block]
    ephemeral: bool
    images: tuple[ImageOut, ...]
    notice: SlackMessage | None = None
    continued: tuple[SlackMessage, ...] = ()


def render(reply: Reply, codec: ActionCodec) -> SlackMessage:
    """A core reply as Slack blocks; private replies become ephemeral messages.

    A document too long for one message continues in further messages; any other reply
    too long for one is cut between its items, with a note of how many were left off.
    """
    ephemeral = reply.audience is Audience.REQUESTER
    head, groups, plain = _body(reply, codec)
    tail = _actions(reply.actions, codec)
    if isinstance(reply, Confirm) and not reply.actions:
        tail.append(context(CONFIRM_CODE.format(code=escape(reply.code))))
    notice = sections(NOTICE.format(text=escape(reply.notice))) if reply.notice else []
    aside = None
    if notice and ephemeral:
        head = [*notice, *head]
        plain = f"{reply.notice}\n\n{plain}"
    elif notice:
        aside = SlackMessage(clip(escape(reply.notice), MAX_TEXT), notice, True, ())
    text = clip(escape(plain), MAX_TEXT)
    uploads = reply.images if isinstance(reply, Images) and not ephemeral else ()
    if isinstance(reply, Document):
        first, *rest = pages(head, groups, tail)
        more = clip(escape(DOCUMENT_CONTINUED.format(title=reply.title)), MAX_TEXT)
        continued = tuple(SlackMessage(more, page, ephemeral, ()) for page in rest)
        return SlackMessage(text, first, ephemeral, uploads, aside, continued)
    return SlackMessage(text, fit(head, groups, tail), ephemeral, uploads, aside)


def parent_text(user_id: str, summary: str) -> str:
    """The channel message a slash command's results go under: ``<@U123> asked for …``."""
    return clip(
        PARENT_ASKED.format(user=f"<@{escape(user_id)}>", summary=escape(summary)), MAX_TEXT
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
def _body(reply: Reply, codec: ActionCodec) -> tuple[list[Block], list[Group], str]:
    if isinstance(reply, Images):
        return _images(reply, codec)
    if isinstance(reply, Gallery):
        return gallery(reply)
    if isinstance(reply, Document):
        return document(reply)
    if isinstance(reply, Offer):
        return offer(reply)
    if isinstance(reply, Templates):
        return _listing(_templates(reply))
    if isinstance(reply, Statement):
        return _listing(_statement(reply))
    if isinstance(reply, Guide):
        return _listing(_guide(reply))
    if isinstance(reply, Error):
        return [section(WARNING.format(text=escape(reply.text)))], [], reply.text
    if isinstance(reply, Private) and reply.link:
        opens = link(reply.link, OPEN_LINK)
        text = clip(escape(reply.text), MAX_TEXT - len(opens) - 1)
        return [section(f"{text}\n{opens}")], [], f"{reply.text}\n{reply.link}"
    return [section(escape(reply.text))], [], reply.text


def _images(reply: Images, codec: ActionCodec) -> tuple[list[Block], list[Group], str]:
    groups: list[Group] = []
    for image in reply.images:
        caption = (
            f"{link(image.link, OPEN_FULL_SIZE)}  ·  {image.width}×{image.height} "
            f"{escape(image.encoding)}  ·  `{escape(image.id)}`"
        )
        groups.append(([section(caption), *_actions(image.actions, codec)], 1))
    plain = "\n".join([reply.text, *(f"{i.id}: {i.link}" for i in reply.images)])
    return [section(escape(reply.text))], groups, plain


def _listing(lines: list[tuple[str, str]]) -> tuple[list[Block], list[Group], str]:
    """(mrkdwn, plain) lines packed into as few sections as their length allows."""
    groups: list[Group] = []
    chunk: list[str] = []
    for mrkdwn, _ in lines:
        line = clip(mrkdwn, MAX_TEXT)
        if chunk and len("\n".join([*chunk, line])) > MAX_TEXT:
            groups.append(([section("\n".join(chunk))], len(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        groups.append(([section("\n".join(chunk))], len(chunk)))
    return [], groups, "\n".join(plain for _, plain in lines)


def _templates(reply: Templates) -> list[tuple[str, str]]:
    lines = [(f"*{escape(messages.TEMPLATES_HEADER)}*", messages.TEMPLATES_HEADER)]
    for t in reply.templates:
        lines.append(
            (
                f"• *{escape(t.name)}*  ·  {escape(t.default_format)}  ·  {escape(t.description)}",
                f"{t.name}  {t.default_format}  {t.description}",
            )
        )
    lines.append((f"*{escape(messages.FORMATS_HEADER)}*", messages.FORMATS_HEADER))
    for f in reply.formats:
        lines.append(
            (
                f"• *{escape(f.name)}*  ·  {f.width}×{f.height}  ·  {escape(f.description)}",
                f"{f.name}  {f.width}×{f.height}  {f.description}",
            )
        )
    return lines


def _statement(reply: Statement) -> list[tuple[str, str]]:
    summary = messages.CREDITS_SUMMARY.format(balance=reply.balance)
    recent = messages.CREDITS_RECENT if reply.lines else messages.NO_MOVEMENTS
    lines = [(f"*{escape(summary)}*", summary), (escape(recent), recent)]
    for line in reply.lines:
        when = line.at.strftime("%Y-%m-%d %H:%M")
        detail = " ".join(p for p in (line.reason, f"({line.job_id})" if line.job_id else "") if p)
        lines.append(
            (
                f"• `{when}`  {escape(line.kind)}  *{line.amount:+d}*  {escape(detail)}".rstrip(),
                f"{when}  {line.kind}  {line.amount:+d}  {detail}".rstrip(),
            )
        )
    return lines


def _guide(reply: Guide) -> list[tuple[str, str]]:
    lines = [(f"*{GUIDE_HEADER}*", GUIDE_HEADER)]
    for command in reply.commands:
        syntax = usage(command.name)
        lines.append(
            (f"• `{escape(syntax)}`  {escape(command.summary)}", f"{syntax}  {command.summary}")
        )
    lines.extend((escape(text), text) for text in (GUIDE_UMBRELLA, GUIDE_PHOTO))
    return lines


def usage(name: str) -> str:
    """A command as typed in Slack: ``/imagine [prompt] …``, ``/privacy export``,
    ``/aioe reroll IMAGE_ID``."""
    command = f"/{name}" if name.split()[0] in TOP_LEVEL else f"/aioe {name}"
    return f"{command} {ARGUMENTS.get(name, '')}".rstrip()


# --- buttons and selects --------------------------------------------------------------
def _actions(actions: Sequence[Action], codec: ActionCodec) -> list[Block]:
    """Actions blocks: a new block where an ``action_id`` would repeat (Slack wants them
    unique in a block), where a second select needs its own ``block_id``, or at 25."""
    blocks: list[Block] = []
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
                    placeholder=cut(action.label, MAX_PLACEHOLDER),
                    options=options,
                )
            )
        else:
            final = action.kind is ActionKind.CONFIRM
            elements.append(
                ButtonElement(
                    text=cut(action.label, MAX_BUTTON_TEXT),
                    action_id=action_id,
                    value=value,
                    style="danger" if final else None,
                    confirm=_dialog(action.label) if final else None,
                )
            )
    close()
    return blocks


def _dialog(label: str) -> ConfirmObject:
    """Slack's "are you sure?" dialog, shown before a button that cannot be undone acts."""
    return ConfirmObject(
        title=CONFIRM_TITLE,
        text=CONFIRM_TEXT,
        confirm=cut(label, MAX_DIALOG_BUTTON),
        deny=CONFIRM_DENY,
        style="danger",
    )


def _options(choices: Sequence[Choice]) -> list[Option]:
    """The first 100 choices Slack can carry (a value of at most 150 characters)."""
    fitting = [c for c in choices if 0 < len(c.value) <= MAX_OPTION_VALUE]
    return [
        Option(value=c.value, text=cut(c.label or c.value, MAX_OPTION_TEXT))
        for c in fitting[:MAX_OPTIONS]
    ]
