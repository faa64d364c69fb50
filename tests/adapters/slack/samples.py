"""Replies of the kinds core added for history, privacy and buying, shaped as core builds
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.commands import DeleteMe
from core.replies import (
    Action,
    ActionKind,
    Confirm,
    Document,
    Gallery,
    HistoryEntry,
    Offer,
    OfferItem,
    Section,
)
from tests.adapters.replies import OWNER

NOTICE = (
    "Our privacy policy changed on 2026-12-01: exports now include your prompts. "
    "/privacy shows the summary."
)
CREATED = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def entry(n: int) -> HistoryEntry:
    return HistoryEntry(
        id=f"img_{n:010d}",
        template="studio-white",
        format="square",
        width=1080,
        height=1080,
        created_at=CREATED - timedelta(hours=n),
        link=f"https://aioe.example/i/img_{n:010d}.token",
    )


def gallery(page: int = 1, pages: int = 3, per_page: int = 10, total: int = 24) -> Gallery:
    first = (page - 1) * per_page
    count = max(0, min(per_page, total - first))
    return Gallery(
        entries=tuple(entry(first + n) for n in range(count)),
        page=page,
        pages=pages,
        total=total,
    )


def _paragraphs(topic: str, count: int) -> str:
    sentence = (
        f"We keep {topic} for the purposes this policy names & no others; <you> can ask "
        "for a copy, a correction or its deletion at any time, and we answer within a month. "
    )
    return "\n\n".join(sentence * 4 for _ in range(count))


#: The privacy summary: about 8,000 characters, one body well over Slack's 3,000.
PRIVACY = Document(
    title="Your data and your rights",
    sections=(
        Section("What we store", _paragraphs("your account and your images", 2)),
        Section("Why", _paragraphs("your prompts", 1)),
        Section("Who receives it", _paragraphs("what the image service sees", 1)),
        Section("How long", _paragraphs("your ledger", 8)),
        Section("Your rights", "/privacy export, /privacy correct, /delete-me."),
    ),
)

CONFIRM_CODE = "K3M9X2"
#: What core answers to /delete-me: a button only the requester may press.
DELETE_ME = Confirm(
    text="This erases your account, your images and your credits. Press the button "
    "within 10 minutes to go ahead.",
    code=CONFIRM_CODE,
    actions=(Action(ActionKind.CONFIRM, "Delete my account", DeleteMe(code=CONFIRM_CODE), OWNER),),
)

#: What /buy alone answers: packs (one also sold in Discord's store) and a plan.
OFFER = Offer(
    items=(
        OfferItem("starter", 50, "€5", sku="1088510058284990888"),
        OfferItem("studio", 250, "€20", sku="1088510058284990889"),
        OfferItem("agency", 1000, "€60 & VAT <incl.>"),
        OfferItem("pro", 500, "€30", monthly=True),
    )
)
