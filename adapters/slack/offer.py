"""What there is to buy (/buy alone) as Block Kit: a header, then the packs and the plans,
each under the line that says how to buy one. Slack has no store: buying is /buy NAME."""

from __future__ import annotations

from adapters.slack.blocks import MAX_TEXT, Block, Group, clip, escape, header, section
from core import messages
from core.replies import Offer, OfferItem


def offer(reply: Offer) -> tuple[list[Block], list[Group], str]:
    """The title; the packs, then the plans, in sections as long as Slack allows (each a
    group that is kept or left off whole); and the plain text for notifications."""
    groups: list[Group] = []
    plain = [messages.BUY_TITLE]
    for heading, items in (
        (messages.BUY_PACKS, [i for i in reply.items if not i.monthly]),
        (messages.BUY_PLANS, [i for i in reply.items if i.monthly]),
    ):
        if not items:
            continue
        chunk, count = [f"*{escape(heading)}*"], 0
        for item in items:
            line = clip(_line(item, bold=True), MAX_TEXT)
            if count and len("\n".join([*chunk, line])) > MAX_TEXT:
                groups.append(([section("\n".join(chunk))], count))
                chunk, count = [], 0
            chunk.append(line)
            count += 1
        groups.append(([section("\n".join(chunk))], count))
        plain.extend([heading, *(_line(item, bold=False) for item in items)])
    return [header(messages.BUY_TITLE)], groups, "\n".join(plain)


def _line(item: OfferItem, *, bold: bool) -> str:
    """One item, escaped for mrkdwn with its name in bold, or as plain text."""
    template = messages.BUY_OFFER_PLAN if item.monthly else messages.BUY_OFFER_PACK
    if not bold:
        return template.format(name=item.name, credits=item.credits, price=item.price)
    return template.format(
        name=f"*{escape(item.name)}*", credits=item.credits, price=escape(item.price)
    )
