"""Core replies become Discord messages that Discord accepts, and their controls come back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import discord
import pytest

from adapters.discord.commands import usage
from adapters.discord.embeds import GALLERY_EMPTY, GALLERY_PAGE_EMPTY
from adapters.discord.render import (
    CONTROLS_LEFT_OFF,
    EPHEMERAL,
    MORE_NOT_SHOWN,
    NO_MENTIONS,
    NOTICE,
    REFORMAT_TYPED,
    DiscordMessage,
    press_from_component,
    render,
    to_discord_py,
)
from core.commands import COMMANDS, Cancel, DeleteMe, Reformat, Reroll
from core.errors import ActionRefused
from core.replies import (
    Action,
    ActionKind,
    Audience,
    Choice,
    Confirm,
    Document,
    FormatInfo,
    Gallery,
    HistoryEntry,
    Images,
    Offer,
    OfferItem,
    Private,
    Reply,
    Section,
    Statement,
    TemplateInfo,
    Templates,
    Text,
)
from tests.adapters.discord.documents import LONG_DOCUMENT, paragraph
from tests.adapters.payloads import payload
from tests.adapters.replies import (
    CATALOG,
    CODEC,
    FORMATS,
    OWNER,
    PrivateImages,
    image,
    images,
)
from tests.adapters.replies import SAMPLES as SHARED

POLICY_CHANGED = "Our privacy policy changed on 2026-12-01: /privacy show has the new summary."
CODE = "K3M9X2QA"
DELETE = Action(ActionKind.CONFIRM, "Delete my account", DeleteMe(code=CODE), OWNER)


def entry(number: int) -> HistoryEntry:
    return HistoryEntry(
        id=f"img_{number:010d}",
        template="studio-white",
        format="story",
        width=1080,
        height=1920,
        created_at=datetime(2026, 11, 30, 14, 5, tzinfo=UTC) - timedelta(hours=number),
        link=f"https://aioe.example/i/img_{number:010d}.eyJ0b2tlbiI6InNpZ25lZCJ9.abcdefghijkl",
    )


def gallery(page: int = 1, pages: int = 3, total: int = 23, count: int = 10) -> Gallery:
    return Gallery(tuple(entry(n) for n in range(count)), page=page, pages=pages, total=total)


STARTER_SKU, STUDIO_SKU = "1088510058284990888", "1088510058284990889"
OFFER = Offer(
    items=(
        OfferItem("starter", 50, "€5", sku=STARTER_SKU),
        OfferItem("studio", 250, "€20", sku=STUDIO_SKU),
        OfferItem("agency", 1000, "€60"),
        OfferItem("pro", 500, "€30", monthly=True),
    )
)

SAMPLES: dict[str, Reply] = {
    **SHARED,
    "one image": images(1),
    "four images": images(4),
    "private images": PrivateImages("Your images.", images(2).images),
    "empty statement": Statement(balance=0, lines=()),
    "gallery": gallery(),
    "empty gallery": Gallery((), page=1, pages=1, total=0),
    "document": Document(
        "Your privacy", (Section("What we store", "Your ID."), Section("Why", "To answer."))
    ),
    "long document": LONG_DOCUMENT,
    "confirm with a button": Confirm("Erase your account?", code=CODE, actions=(DELETE,)),
    "text with a notice": Text("Job job_a was cancelled.", notice=POLICY_CHANGED),
    "images with a notice": replace(images(2), notice=POLICY_CHANGED),
    "statement with a notice": Statement(balance=3, lines=(), notice=POLICY_CHANGED),
    "long document with a notice": replace(LONG_DOCUMENT, notice=POLICY_CHANGED),
    "offer": OFFER,
    "offer without store": Offer(items=OFFER.items[2:]),
    "offer with a notice": replace(OFFER, notice=POLICY_CHANGED),
}


def only(reply: Reply) -> DiscordMessage:
    """The one message a reply becomes (most do)."""
    (message,) = render(reply, CODEC)
    return message


# --- what Discord checks ----------------------------------------------------------------
def controls(message: DiscordMessage) -> Iterator[dict[str, Any]]:
    for row in message.components:
        yield from row["components"]


def embed_size(embed: dict[str, Any]) -> int:
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
        + len(embed.get("footer", {}).get("text", ""))
        + len(embed.get("author", {}).get("name", ""))
    )


def within(ours: Any, theirs: Any) -> bool:
    """``theirs`` says all that ``ours`` says (and may add defaults such as
    ``disabled``)."""
    if isinstance(ours, dict):
        return isinstance(theirs, dict) and all(
            key in theirs and within(value, theirs[key]) for key, value in ours.items()
        )
    if isinstance(ours, list):
        return (
            isinstance(theirs, list)
            and len(ours) == len(theirs)
            and all(within(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    return bool(ours == theirs)


def assert_discord_accepts(message: DiscordMessage) -> None:
    assert message.content or message.embeds
    assert len(message.content) <= 2000
    assert len(message.embeds) <= 10 and len(message.images) <= 10
    assert sum(embed_size(embed) for embed in message.embeds) <= 6000
    for embed in message.embeds:
        assert len(embed.get("title", "")) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", ())) <= 25
        for field in embed.get("fields", ()):
            assert 0 < len(field["name"]) <= 256 and 0 < len(field["value"]) <= 1024
        assert embed.get("url", "https://").startswith("https://")
        assert embed_size(embed) > 0 or embed.get("image")
    assert len(message.components) <= 5
    for row in message.components:
        assert row["type"] == 1
        kinds = [item["type"] for item in row["components"]]
        assert kinds == [3] or (0 < len(kinds) <= 5 and set(kinds) == {2})
    custom_ids = [item["custom_id"] for item in controls(message) if "custom_id" in item]
    assert len(custom_ids) == len(set(custom_ids))
    for item in controls(message):
        if item["type"] == 2 and item["style"] == 6:  # a purchase button: the SKU alone
            assert set(item) == {"type", "style", "sku_id"} and item["sku_id"].isdigit()
            continue
        assert 0 < len(item["custom_id"]) <= 100
        if item["type"] == 2:
            assert item["style"] in (1, 2, 4) and 0 < len(item["label"]) <= 80
            assert CODEC.decode(item["custom_id"]).owner == OWNER
        else:
            assert len(item["placeholder"]) <= 150
            assert (item["min_values"], item["max_values"]) == (1, 1)
            assert 0 < len(item["options"]) <= 25
            for option in item["options"]:
                assert 0 < len(option["label"]) <= 100 and 0 < len(option["value"]) <= 100
            assert CODEC.decode(item["custom_id"], item["options"][0]["value"]).owner == OWNER


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("private", [False, True])
def test_every_kind_of_reply_fits_discords_limits(name: str, private: bool) -> None:
    for message in render(SAMPLES[name], CODEC, private=private):
        assert_discord_accepts(message)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_reply_is_ephemeral_exactly_when_only_the_requester_may_see_it(name: str) -> None:
    reply = SAMPLES[name]
    for message in render(reply, CODEC):
        assert message.ephemeral is (reply.audience is Audience.REQUESTER or message.is_notice)


@pytest.mark.parametrize("name", SAMPLES)
async def test_discord_py_builds_the_same_embeds_and_components(name: str) -> None:
    for message in render(SAMPLES[name], CODEC):
        await assert_discord_py_builds(message)


async def assert_discord_py_builds(message: DiscordMessage) -> None:
    kwargs = await to_discord_py(message)
    assert [e.to_dict() for e in kwargs.get("embeds", [])] == [
        {**embed, "flags": 0} for embed in message.embeds
    ]
    view = kwargs.get("view")
    assert (view is None) is (not message.components)
    if view is not None:
        assert view.timeout is None and view.is_persistent()
        built = view.to_components()
        assert len(built) == len(message.components)
        assert within(message.components, built)
    assert kwargs.get("ephemeral", False) is message.ephemeral
    assert kwargs.get("content", "") == message.content
    assert kwargs["allowed_mentions"].to_dict() == NO_MENTIONS
    assert "files" not in kwargs


# --- images -----------------------------------------------------------------------------
def test_each_image_is_an_embed_showing_its_attached_file_link_and_size() -> None:
    message = only(images(2))
    assert message.images == images(2).images
    for number, (embed, out) in enumerate(zip(message.embeds, message.images, strict=True), 1):
        assert embed["title"] == f"#{number} · {out.id}"
        assert embed["url"] == out.link
        assert embed["image"] == {"url": f"attachment://{out.id}.png"}
        assert embed["description"] == f"1080×1080 png · [Open full size]({out.link})"
    assert message.content == images(2).text


def test_four_images_take_a_row_of_buttons_and_a_select_each() -> None:
    message = only(images(4))
    buttons, *selects = message.components
    assert [b["label"] for b in buttons["components"]] == [
        f"More like this #{n}" for n in range(1, 5)
    ]
    assert [row["components"][0]["placeholder"] for row in selects] == [
        f"Other formats #{n}" for n in range(1, 5)
    ]
    assert REFORMAT_TYPED not in message.content


def test_a_single_image_has_unnumbered_controls() -> None:
    message = only(images(1))
    assert [c.get("label") or c.get("placeholder") for c in controls(message)] == [
        "More like this",
        "Other formats",
    ]


def test_selects_that_do_not_fit_five_rows_are_left_to_the_typed_command() -> None:
    many = Images("Here.", tuple(image(f"img_{n}") for n in range(7)))
    message = only(many)
    assert_discord_accepts(message)
    rows = [row["components"] for row in message.components]
    assert [len(row) for row in rows] == [5, 2, 1, 1, 1]
    assert message.content == f"Here.\n{REFORMAT_TYPED}"


def test_more_images_than_ten_embeds_are_cut_whole_and_counted() -> None:
    message = only(images(14))
    assert_discord_accepts(message)
    assert len(message.embeds) == len(message.images) == 10
    assert message.images == images(14).images[:10]
    assert MORE_NOT_SHOWN.format(count=4) in message.content.splitlines()


def test_private_images_still_carry_their_files() -> None:
    message = only(SAMPLES["private images"])
    assert message.ephemeral and len(message.images) == 2


def test_a_more_like_this_button_decodes_to_a_reroll_of_its_image_by_its_owner() -> None:
    message = only(images(3))
    buttons = [c for c in controls(message) if c["type"] == 2]
    pressed = [CODEC.decode(*press_from_component({**b, "component_type": 2})) for b in buttons]
    assert [(p.command, p.owner) for p in pressed] == [
        (Reroll(out.id), OWNER) for out in message.images
    ]


def test_an_other_formats_choice_decodes_to_a_reformat_in_the_chosen_format() -> None:
    message = only(images(1))
    (select,) = [c for c in controls(message) if c["type"] == 3]
    assert [o["value"] for o in select["options"]] == [c.value for c in FORMATS[1:]]
    data = {"custom_id": select["custom_id"], "component_type": 3, "values": ["story"]}
    pressed = CODEC.decode(*press_from_component(data))
    assert (pressed.command, pressed.owner) == (Reformat("img_0000000000", "story"), OWNER)


def test_a_select_offers_at_most_25_options_with_short_labels() -> None:
    many = tuple(Choice(f"format-{n}", f"format {n} " + "wide " * 30) for n in range(40))
    message = only(Images("Here.", (image("img_a", many),)))
    assert_discord_accepts(message)
    (select,) = [c for c in controls(message) if c["type"] == 3]
    assert len(select["options"]) == 25
    assert select["options"][0]["label"].endswith("…")


def test_a_select_with_nothing_it_can_offer_is_left_out() -> None:
    unusable = (Choice("x" * 101, "too long a value"),)
    message = only(Images("Here.", (image("img_a", unusable),)))
    assert [c["type"] for c in controls(message)] == [2]


def test_an_action_that_encodes_past_100_characters_is_refused() -> None:
    long_owner = Action(ActionKind.REROLL, "More", Reroll("img_" + "x" * 90), OWNER)
    with pytest.raises(ValueError, match="over Discord's 100"):
        only(Text("Here.", actions=(long_owner,)))


def test_the_same_action_twice_becomes_one_button() -> None:
    cancel = Action(ActionKind.CANCEL, "Cancel", Cancel("job_a"), OWNER)
    assert len(list(controls(only(Text("Hm.", actions=(cancel, cancel)))))) == 1


def test_buttons_beyond_five_rows_are_counted_in_the_content() -> None:
    cancels = tuple(
        Action(ActionKind.CANCEL, "Cancel", Cancel(f"job_{n}"), OWNER) for n in range(27)
    )
    message = only(Text("Many jobs.", actions=cancels))
    assert_discord_accepts(message)
    assert len(list(controls(message))) == 25
    assert message.content == "Many jobs.\n" + CONTROLS_LEFT_OFF.format(count=2)


# --- other replies ------------------------------------------------------------------------
def test_progress_offers_a_danger_cancel_button_for_its_job() -> None:
    message = only(SAMPLES["progress"])
    assert message.content == "Working on it (job job_k3m9x2qa7p)."
    ((button,),) = [row["components"] for row in message.components]
    assert (button["label"], button["style"]) == ("Cancel", 4)
    pressed = CODEC.decode(*press_from_component({**button, "component_type": 2}))
    assert (pressed.command, pressed.owner) == (Cancel("job_k3m9x2qa7p"), OWNER)


def test_a_private_reply_shows_its_link_below_the_text() -> None:
    message = only(SAMPLES["private"])
    assert message.ephemeral and message.images == ()
    assert message.content == "Your export is ready.\nhttps://aioe.example/x/abc"


def test_a_long_text_is_cut_at_2000_characters_and_keeps_its_link() -> None:
    message = only(Private("x" * 5000, link="https://aioe.example/x/abc"))
    assert len(message.content) == 2000
    assert message.content.endswith("…\nhttps://aioe.example/x/abc")
    assert len(only(Text("y" * 5000)).content) == 2000


def test_an_error_is_one_sentence_with_a_warning_sign() -> None:
    message = only(SAMPLES["error"])
    assert message.ephemeral
    assert message.content == "⚠️ " + SAMPLES["error"].text  # type: ignore[union-attr]
    assert message.embeds == [] and message.components == []


def test_a_confirmation_without_buttons_shows_its_code() -> None:
    message = only(SAMPLES["confirm"])
    assert message.content.splitlines()[-1] == "Confirmation code: K3M9"


def test_the_catalogue_is_two_embeds_with_a_field_per_template_and_format() -> None:
    templates, formats = only(SAMPLES["templates"]).embeds
    assert templates["title"] == "Templates (name, default format, description)"
    assert [f["name"] for f in templates["fields"]] == list(CATALOG.templates)
    assert [f["name"] for f in formats["fields"]] == list(CATALOG.formats)
    story = next(f for f in formats["fields"] if f["name"] == "story")
    assert story["value"] == "1080×1920 · Stories and Reels covers (9:16)"
    white = templates["fields"][0]
    assert white["value"].endswith("\nDefault format: square")


def test_a_catalogue_too_long_for_one_message_is_cut_with_a_note() -> None:
    huge = Templates(
        templates=tuple(TemplateInfo(f"look-{n}", "square", "x" * 300) for n in range(600)),
        formats=(FormatInfo("square", 1080, 1080, "feed"),),
    )
    message = only(huge)
    assert_discord_accepts(message)
    shown = sum(len(embed.get("fields", ())) for embed in message.embeds)
    assert 0 < shown < 600
    assert message.content == MORE_NOT_SHOWN.format(count=601 - shown)


def test_more_than_25_fields_continue_in_a_further_embed() -> None:
    many = Templates(
        templates=tuple(TemplateInfo(f"look-{n}", "square", "short") for n in range(30)),
        formats=(),
    )
    first, second, formats = only(many).embeds
    assert (len(first["fields"]), len(second["fields"])) == (25, 5)
    assert "title" not in second and formats["title"] == "Formats"


def test_the_statement_shows_the_balance_and_each_movement() -> None:
    (embed,) = only(SAMPLES["statement"]).embeds
    assert (embed["title"], embed["description"]) == (
        "You have 42 credits.",
        "Last movements (UTC):",
    )
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("2024-05-01 12:30 · reserve · -4", "held (job_a)"),
        ("2024-05-01 12:00 · grant · +50", "welcome credits"),
    ]
    (empty,) = only(SAMPLES["empty statement"]).embeds
    assert empty["description"] == "No credit movements yet." and "fields" not in empty


def test_the_guide_shows_every_command_in_discord_syntax() -> None:
    (embed,) = only(SAMPLES["guide"]).embeds
    shown = {f["name"]: f["value"] for f in embed["fields"]}
    assert shown == {usage(name): f"what {name} does" for name in COMMANDS}
    assert "/reformat <image_id> <format>" in shown
    assert "Make marketing images" in embed["description"]


# --- presses ------------------------------------------------------------------------------
def test_a_recorded_button_press_decodes_to_its_reroll() -> None:
    value, choice = press_from_component(payload("discord", "button_press")["data"])
    assert choice is None
    pressed = CODEC.decode(value, choice)
    assert (pressed.kind, pressed.command, pressed.owner) == (
        ActionKind.REROLL,
        Reroll("img_k3m9x2qa7p"),
        OWNER,
    )


def test_a_recorded_select_choice_decodes_to_a_reformat_in_that_format() -> None:
    value, choice = press_from_component(payload("discord", "select_press")["data"])
    assert choice == "story"
    pressed = CODEC.decode(value, choice)
    assert (pressed.command, pressed.owner) == (Reformat("img_k3m9x2qa7p", "story"), OWNER)


def test_the_recorded_message_holds_the_controls_render_makes() -> None:
    recorded = payload("discord", "button_press")["message"]
    reply = Images(recorded["content"], (image("img_k3m9x2qa7p", FORMATS[1:3]),))
    message = only(reply)
    assert within(message.components, recorded["components"])  # Discord adds ids
    (embed,) = message.embeds
    assert within({k: v for k, v in embed.items() if k != "image"}, recorded["embeds"][0])


def test_an_empty_select_choice_asks_for_a_choice_when_decoded() -> None:
    data = {**payload("discord", "select_press")["data"], "values": []}
    value, choice = press_from_component(data)
    assert choice is None
    with pytest.raises(ActionRefused):
        CODEC.decode(value, choice)


@pytest.mark.parametrize(
    "data",
    [
        {"component_type": 5, "custom_id": "aioe:1:r:x:y:z", "values": ["1"]},
        {"component_type": 2},
        {"component_type": 3, "custom_id": 7, "values": ["story"]},
    ],
)
def test_a_component_not_rendered_here_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ActionRefused):
        press_from_component(data)


def test_a_tampered_custom_id_is_refused() -> None:
    data = payload("discord", "button_press")["data"]
    tampered = {**data, "custom_id": data["custom_id"].replace("img_k3m9", "img_zzzz")}
    with pytest.raises(ActionRefused):
        CODEC.decode(*press_from_component(tampered))


def test_a_link_that_is_not_a_web_address_stays_out_of_the_embed_url() -> None:
    local = replace(image("img_a"), link="var/images/img_a.png")
    (embed,) = only(Images("Here.", (local,))).embeds
    assert "url" not in embed and "var/images/img_a.png" in embed["description"]


def test_the_rest_constants_are_the_ones_discord_py_sends() -> None:
    assert discord.MessageFlags(ephemeral=True).value == EPHEMERAL
    assert discord.AllowedMentions.none().to_dict() == NO_MENTIONS


# --- history --------------------------------------------------------------------------------
def test_a_history_page_lists_each_image_with_its_details_and_link() -> None:
    message = only(gallery())
    assert message.ephemeral and message.content == "" and message.components == []
    (embed,) = message.embeds
    assert embed["title"] == "Your images · page 1 of 3"
    assert embed["description"] == "23 in all, newest first. Older ones: /history page:2"
    assert [f["name"] for f in embed["fields"]] == [e.id for e in gallery().entries]
    first = gallery().entries[0]
    assert embed["fields"][0]["value"] == (
        f"studio-white · story · 1080×1920 · 2026-11-30 14:05 UTC\n[Open full size]({first.link})"
    )


def test_the_last_history_page_points_to_no_older_page() -> None:
    (embed,) = only(gallery(page=3, pages=3, count=3)).embeds
    assert embed["description"] == "23 in all, newest first."
    assert len(embed["fields"]) == 3


def test_a_history_date_is_shown_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    local = replace(entry(0), created_at=datetime(2026, 11, 30, 15, 5, tzinfo=paris))
    (embed,) = only(Gallery((local,), page=1, pages=1, total=1)).embeds
    assert "2026-11-30 14:05 UTC" in embed["fields"][0]["value"]


def test_an_empty_history_says_so() -> None:
    (embed,) = only(SAMPLES["empty gallery"]).embeds
    assert embed["description"] == GALLERY_EMPTY and "fields" not in embed
    (past,) = only(Gallery((), page=9, pages=3, total=23)).embeds
    assert past["description"] == GALLERY_PAGE_EMPTY.format(page=9, total=23, pages=3)


# --- documents ------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return text.split()


def test_a_short_document_is_one_private_embed_with_a_field_per_section() -> None:
    message = only(SAMPLES["document"])
    assert message.ephemeral
    (embed,) = message.embeds
    assert embed["title"] == "Your privacy"
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("What we store", "Your ID."),
        ("Why", "To answer."),
    ]


def test_a_long_document_continues_over_messages_and_loses_no_word() -> None:
    sent = render(LONG_DOCUMENT, CODEC)
    assert len(sent) > 1 and all(m.ephemeral and not m.is_notice for m in sent)
    for message in sent:
        assert_discord_accepts(message)
    fields = [f for m in sent for embed in m.embeds for f in embed.get("fields", ())]
    shown = [word for f in fields for word in words(f["value"])]
    assert shown == [word for section in LONG_DOCUMENT.sections for word in words(section.body)]
    assert all(len(f["value"]) <= 1024 and not f["value"].endswith("…") for f in fields)
    headings = [f["name"] for f in fields if not f["name"].endswith(" (continued)")]
    assert headings == [section.heading for section in LONG_DOCUMENT.sections]
    titles = [m.embeds[0]["title"] for m in sent]
    assert titles == [LONG_DOCUMENT.title] + [f"{LONG_DOCUMENT.title} (continued)"] * (
        len(sent) - 1
    )


def test_a_long_section_breaks_between_lines_or_sentences_where_it_can() -> None:
    lines = "\n".join(paragraph(n, 60) for n in range(10))
    sentences = " ".join(f"Sentence {n} has a few words in it." for n in range(100))
    terms = Document("Terms", (Section("Lines", lines), Section("Sentences", sentences)))
    values = [f["value"] for m in render(terms, CODEC) for e in m.embeds for f in e["fields"]]
    assert len(values) > 4 and all(value.endswith(".") for value in values)
    assert values[0] == paragraph(0, 60)  # two lines are longer than a field


def test_a_word_longer_than_a_field_is_split_not_dropped() -> None:
    endless = Document("Terms", (Section("One word", "x" * 2500),))
    (embed,) = only(endless).embeds
    assert [len(f["value"]) for f in embed["fields"]] == [1024, 1024, 452]
    assert [f["name"] for f in embed["fields"]] == ["One word"] + ["One word (continued)"] * 2


def test_more_than_25_sections_continue_in_a_further_embed_of_the_same_message() -> None:
    many = Document("Rights", tuple(Section(f"Right {n}", f"You may {n}.") for n in range(30)))
    message = only(many)
    assert_discord_accepts(message)
    first, second = message.embeds
    assert (len(first["fields"]), len(second["fields"])) == (25, 5)
    assert "title" not in second


def test_a_documents_actions_go_with_its_last_message() -> None:
    erase = Action(ActionKind.CONFIRM, "Delete my account", DeleteMe(code=CODE), OWNER)
    *before, last = render(replace(LONG_DOCUMENT, actions=(erase,)), CODEC)
    assert all(m.components == [] for m in before)
    ((button,),) = [row["components"] for row in last.components]
    assert button["label"] == "Delete my account"


# --- notices ------------------------------------------------------------------------------
def test_a_notice_opens_a_private_reply() -> None:
    message = only(Private("You have 3 credits.", notice=POLICY_CHANGED))
    assert message.content == f"ℹ️ {POLICY_CHANGED}\n\nYou have 3 credits."
    (statement,) = render(SAMPLES["statement with a notice"], CODEC)
    assert statement.content == NOTICE.format(text=POLICY_CHANGED) and statement.embeds


def test_a_public_replys_notice_comes_first_in_a_private_message_of_its_own() -> None:
    notice, shown = render(SAMPLES["images with a notice"], CODEC)
    assert notice.is_notice and notice.ephemeral
    assert notice.content == NOTICE.format(text=POLICY_CHANGED)
    assert (notice.embeds, notice.components, notice.images) == ([], [], ())
    assert not shown.ephemeral and POLICY_CHANGED not in shown.content
    assert shown == only(images(2))


def test_where_only_the_requester_sees_the_answer_the_notice_joins_it() -> None:
    (message,) = render(SAMPLES["text with a notice"], CODEC, private=True)
    assert message.ephemeral and not message.is_notice
    assert message.content == f"ℹ️ {POLICY_CHANGED}\n\nJob job_a was cancelled."


def test_a_notice_that_does_not_fit_beside_the_text_goes_before_it() -> None:
    notice, shown = render(Private("x" * 1990, notice=POLICY_CHANGED), CODEC)
    assert notice.is_notice and notice.content == NOTICE.format(text=POLICY_CHANGED)
    assert shown.content == "x" * 1990


def test_a_long_documents_notice_opens_its_first_message() -> None:
    first, *_ = render(SAMPLES["long document with a notice"], CODEC)
    assert first.content == NOTICE.format(text=POLICY_CHANGED)
    assert first.embeds[0]["title"] == LONG_DOCUMENT.title


# --- confirmations --------------------------------------------------------------------------
def test_the_delete_me_confirmation_is_a_private_danger_button_for_its_owner() -> None:
    message = only(SAMPLES["confirm with a button"])
    assert message.ephemeral and message.content == "Erase your account?"
    assert CODE not in message.content  # the button carries it
    ((button,),) = [row["components"] for row in message.components]
    assert (button["type"], button["style"], button["label"]) == (2, 4, "Delete my account")
    pressed = CODEC.decode(*press_from_component({**button, "component_type": 2}))
    assert (pressed.kind, pressed.command, pressed.owner) == (
        ActionKind.CONFIRM,
        DeleteMe(code=CODE),
        OWNER,
    )


def test_the_confirm_button_cannot_be_moved_to_another_owner() -> None:
    (button,) = controls(only(SAMPLES["confirm with a button"]))
    body, _, mac = button["custom_id"].rpartition(":")
    stolen = body.replace(OWNER, "f" * len(OWNER)) + ":" + mac
    with pytest.raises(ActionRefused):
        CODEC.decode(stolen)


# --- what there is to buy ----------------------------------------------------------------
def test_an_offer_is_a_private_embed_of_packs_then_plans() -> None:
    message = only(OFFER)
    assert message.ephemeral and message.content == ""
    (embed,) = message.embeds
    assert embed["title"] == "Buy credits"
    assert embed["description"].splitlines() == [
        "**Packs (once): /buy NAME**",
        "• starter: 50 credits for €5",
        "• studio: 250 credits for €20",
        "• agency: 1000 credits for €60",
        "",
        "**Plans (every month): /buy NAME**",
        "• pro: 500 credits a month for €30",
        "",
        "Or buy a pack in Discord with the buttons below.",
    ]


def test_each_pack_in_discords_store_gets_a_purchase_button_and_nothing_else_does() -> None:
    assert only(OFFER).components == [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 6, "sku_id": STARTER_SKU},
                {"type": 2, "style": 6, "sku_id": STUDIO_SKU},
            ],
        }
    ]


def test_an_offer_with_nothing_in_the_store_has_no_buttons_and_does_not_mention_them() -> None:
    message = only(SAMPLES["offer without store"])
    assert message.components == []
    assert "buttons below" not in message.embeds[0]["description"]


def test_a_sku_that_is_not_a_snowflake_gets_no_button() -> None:
    misconfigured = Offer(items=(OfferItem("starter", 50, "€5", sku="starter-sku"),))
    assert only(misconfigured).components == []


def test_purchase_buttons_beyond_five_rows_are_counted_and_left_to_buy() -> None:
    many = Offer(items=tuple(OfferItem(f"p{n}", n, "€1", sku=str(10**17 + n)) for n in range(27)))
    message = only(many)
    assert sum(len(row["components"]) for row in message.components) == 25
    assert message.content == CONTROLS_LEFT_OFF.format(count=2)


async def test_discord_py_sends_a_purchase_button_as_the_sku_alone() -> None:
    view = (await to_discord_py(only(OFFER)))["view"]
    (row,) = view.to_components()
    assert row["components"] == [
        {"type": 2, "style": 6, "disabled": False, "sku_id": STARTER_SKU},
        {"type": 2, "style": 6, "disabled": False, "sku_id": STUDIO_SKU},
    ]
