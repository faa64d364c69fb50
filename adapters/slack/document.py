"""A long private text (the privacy summary) as Block Kit: a header, then each of its
sections in as many Slack sections as its length needs, nothing cut."""

from __future__ import annotations

from adapters.slack.blocks import Block, Group, escape, header, sections
from core.replies import Document


def document(reply: Document) -> tuple[list[Block], list[Group], str]:
    """The title, one group per section (heading in bold, then the body), and the plain
    text for notifications."""
    groups: list[Group] = []
    for part in reply.sections:
        heading = f"*{escape(part.heading.strip())}*" if part.heading.strip() else ""
        text = "\n".join(p for p in (heading, escape(part.body.strip("\n"))) if p)
        if text:
            groups.append((sections(text), 1))
    plain = "\n\n".join(
        [reply.title, *(f"{part.heading}\n{part.body}".strip() for part in reply.sections)]
    )
    head = [header(reply.title.strip())] if reply.title.strip() else []
    return head, groups, plain
