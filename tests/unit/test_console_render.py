"""Replies as terminal text and as the --json contract of DESIGN §10."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from adapters.console.render import to_line, to_text
from core.commands import DeleteMe, Reformat, Reroll
from core.replies import (
    Action,
    ActionKind,
    Choice,
    Confirm,
    Document,
    Error,
    Gallery,
    HistoryEntry,
    ImageOut,
    Images,
    Offer,
    OfferItem,
    Private,
    Progress,
    Section,
)

IMAGE = ImageOut(
    id="img_1",
    link="http://h/i/t",
    width=2000,
    height=2000,
    actions=(
        Action(ActionKind.REROLL, "More like this", Reroll("img_1"), "acct"),
        Action(
            ActionKind.REFORMAT,
            "Other formats",
            Reformat("img_1", ""),
            "acct",
            choices=(Choice("story", "story 1080×1920"),),
        ),
    ),
)
IMAGES = Images(text="Here you are.", images=(IMAGE,))


def test_images_as_json_follow_the_contract() -> None:
    assert json.loads(to_line(IMAGES)) == {
        "type": "images",
        "text": "Here you are.",
        "images": [
            {
                "id": "img_1",
                "link": "http://h/i/t",
                "width": 2000,
                "height": 2000,
                "format": "png",
                "actions": ["/reroll img_1", "/reformat img_1 FORMAT"],
            }
        ],
    }


def test_fields_that_do_not_apply_are_left_out() -> None:
    assert json.loads(to_line(Error("No."))) == {"type": "error", "text": "No."}
    assert json.loads(to_line(Private("Yours.", link="http://h/x/t"))) == {
        "type": "private",
        "text": "Yours.",
        "link": "http://h/x/t",
    }
    progress = json.loads(to_line(Progress("Working.", job_id="job_1")))
    assert progress == {"type": "progress", "text": "Working.", "job_id": "job_1"}


def test_images_as_text_show_each_link_with_its_follow_ups() -> None:
    assert to_text(IMAGES).splitlines() == [
        "Here you are.",
        "  img_1  2000×2000 png  http://h/i/t",
        "    /reroll img_1   /reformat img_1 FORMAT",
    ]


def test_errors_are_marked_as_such() -> None:
    assert to_text(Error("That file is not an image.")) == "error: That file is not an image."


NEW_YORK = timezone(timedelta(hours=-5))
ENTRIES = (
    HistoryEntry(
        id="img_2",
        template="marble",
        format="story",
        width=1080,
        height=1920,
        created_at=datetime(2026, 12, 1, 12, 30, tzinfo=NEW_YORK),
        link="http://h/i/2",
    ),
    HistoryEntry(
        id="img_10",
        template="studio-white",
        format="square",
        width=2000,
        height=2000,
        created_at=datetime(2026, 11, 30, 9, 5),
        link="http://h/i/10",
    ),
)
GALLERY = Gallery(entries=ENTRIES, page=1, pages=3, total=24)


def test_a_gallery_lists_one_image_a_line_with_a_hint_for_the_next_page() -> None:
    assert to_text(GALLERY).splitlines() == [
        "Your images (page 1 of 3, 24 in all):",
        "  img_2   marble        story   1080×1920  2026-12-01 17:30 UTC  http://h/i/2",
        "  img_10  studio-white  square  2000×2000  2026-11-30 09:05 UTC  http://h/i/10",
        "  next page: /history 2",
    ]


def test_the_last_page_of_a_gallery_has_no_next_page() -> None:
    last = Gallery(entries=ENTRIES[:1], page=3, pages=3, total=21)
    assert to_text(last).splitlines()[-1].endswith("http://h/i/2")


def test_an_empty_history_says_so() -> None:
    empty = Gallery(entries=(), page=1, pages=0, total=0)
    assert to_text(empty) == "You have no images yet; make some with /imagine."
    assert json.loads(to_line(empty)) == {
        "type": "private",
        "text": "You have no images yet; make some with /imagine.",
        "images": [],
        "page": 1,
        "pages": 0,
        "total": 0,
    }


def test_a_page_past_the_end_names_the_last_one() -> None:
    past = Gallery(entries=(), page=9, pages=3, total=24)
    assert to_text(past) == "There is no page 9 of your images; the last is /history 3."


def test_a_gallery_as_json_lists_its_images_in_utc() -> None:
    data = json.loads(to_line(GALLERY))
    assert data["type"] == "private"
    assert data["text"] == to_text(GALLERY)
    assert (data["page"], data["pages"], data["total"]) == (1, 3, 24)
    assert data["images"] == [
        {
            "id": "img_2",
            "template": "marble",
            "format": "story",
            "width": 1080,
            "height": 1920,
            "created_at": "2026-12-01T17:30:00Z",
            "link": "http://h/i/2",
        },
        {
            "id": "img_10",
            "template": "studio-white",
            "format": "square",
            "width": 2000,
            "height": 2000,
            "created_at": "2026-11-30T09:05:00Z",
            "link": "http://h/i/10",
        },
    ]
    assert datetime.fromisoformat(data["images"][0]["created_at"]) == ENTRIES[0].created_at
    assert "notice" not in data


DOCUMENT = Document(
    title="Your data and your rights",
    sections=(
        Section("What we store", "Your user ID and display name.\n\nThe images you made."),
        Section("How long", "Images: 30 days."),
    ),
)


def test_a_document_shows_its_title_then_each_section_indented() -> None:
    assert to_text(DOCUMENT).splitlines() == [
        "Your data and your rights",
        "",
        "What we store",
        "  Your user ID and display name.",
        "",
        "  The images you made.",
        "",
        "How long",
        "  Images: 30 days.",
    ]
    assert json.loads(to_line(DOCUMENT)) == {"type": "private", "text": to_text(DOCUMENT)}


POLICY = "Our privacy policy changed on 2026-12-01: see /privacy."


def test_a_notice_comes_first_on_its_own_line() -> None:
    reply = Error("That file is not an image.", notice=POLICY)
    assert to_text(reply).splitlines() == [
        f"notice: {POLICY}",
        "error: That file is not an image.",
    ]


def test_a_notice_of_several_lines_stays_together_before_the_reply() -> None:
    reply = Private("Yours.", notice="Our policy changed.\nRead it with /privacy.")
    assert to_text(reply).splitlines() == [
        "notice: Our policy changed.",
        "        Read it with /privacy.",
        "Yours.",
    ]


def test_a_notice_in_json_is_its_own_key_beside_the_text() -> None:
    assert json.loads(to_line(Gallery((), 1, 0, 0, notice=POLICY)))["notice"] == POLICY
    data = json.loads(to_line(replace(DOCUMENT, notice=POLICY)))
    assert data["notice"] == POLICY
    assert POLICY not in data["text"]


CONFIRM = Confirm(
    text="This erases your account and all your images. It cannot be undone.",
    code="K7P2Q",
    actions=(Action(ActionKind.CONFIRM, "Erase my account", DeleteMe(code="K7P2Q"), "acct"),),
)


def test_a_delete_me_confirmation_says_what_to_type() -> None:
    assert to_text(CONFIRM).splitlines() == [
        "This erases your account and all your images. It cannot be undone.",
        "  to confirm, type: /delete-me confirm K7P2Q",
    ]
    assert json.loads(to_line(CONFIRM)) == {
        "type": "confirm",
        "text": "This erases your account and all your images. It cannot be undone.",
        "code": "K7P2Q",
        "actions": ["/delete-me confirm K7P2Q"],
    }


OFFER = Offer(
    items=(
        OfferItem("starter", 50, "€5", sku="1088510058284990888"),
        OfferItem("studio", 250, "€20"),
        OfferItem("pro", 500, "€30", monthly=True),
    )
)


def test_an_offer_lists_packs_then_plans_under_how_to_buy_them() -> None:
    assert to_text(OFFER).splitlines() == [
        "Buy credits",
        "",
        "Packs (once): /buy NAME",
        "  • starter: 50 credits for €5",
        "  • studio: 250 credits for €20",
        "",
        "Plans (every month): /buy NAME",
        "  • pro: 500 credits a month for €30",
    ]


def test_an_offer_as_json_is_private_with_its_items() -> None:
    assert json.loads(to_line(OFFER)) == {
        "type": "private",
        "text": to_text(OFFER),
        "items": [
            {"name": "starter", "credits": 50, "price": "€5", "monthly": False},
            {"name": "studio", "credits": 250, "price": "€20", "monthly": False},
            {"name": "pro", "credits": 500, "price": "€30", "monthly": True},
        ],
    }


def test_an_offer_without_plans_has_no_plans_heading() -> None:
    packs_only = Offer(items=OFFER.items[:1])
    assert "Plans" not in to_text(packs_only)
    assert json.loads(to_line(packs_only))["items"][0]["name"] == "starter"
