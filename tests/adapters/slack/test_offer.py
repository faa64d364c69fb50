"""/buy alone as Slack shows it: private, packs then plans, each with how to buy it."""

from __future__ import annotations

from adapters.slack.render import render
from core.replies import Offer, OfferItem
from tests.adapters.replies import CODEC
from tests.adapters.slack.blockkit import assert_slack_accepts, texts
from tests.adapters.slack.samples import OFFER


def test_the_offer_is_a_private_message_headed_buy_credits() -> None:
    message = render(OFFER, CODEC)
    assert_slack_accepts(message)
    assert message.ephemeral and message.images == ()
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Buy credits"},
    }


def test_each_item_shows_its_credits_and_price_under_the_command_that_buys_it() -> None:
    packs, plans = [block["text"]["text"] for block in render(OFFER, CODEC).blocks[1:]]
    assert packs.splitlines() == [
        "*Packs (once): /buy NAME*",
        "• *starter*: 50 credits for €5",
        "• *studio*: 250 credits for €20",
        "• *agency*: 1000 credits for €60 &amp; VAT &lt;incl.&gt;",
    ]
    assert plans.splitlines() == [
        "*Plans (every month): /buy NAME*",
        "• *pro*: 500 credits a month for €30",
    ]


def test_notifications_read_the_offer_in_plain_words() -> None:
    text = render(OFFER, CODEC).text
    assert text.startswith("Buy credits\nPacks (once): /buy NAME\n• starter: 50 credits for €5")
    assert "• pro: 500 credits a month for €30" in text
    assert "*" not in text


def test_an_offer_of_packs_alone_has_no_plans_heading() -> None:
    shown = texts(render(Offer(items=OFFER.items[:2]), CODEC))
    assert "Packs (once)" in shown and "Plans" not in shown


def test_a_long_offer_stays_within_slacks_limits_and_counts_what_is_left_off() -> None:
    many = Offer(items=tuple(OfferItem(f"pack-{n}-" + "x" * 60, n, "€1" * 40) for n in range(400)))
    message = render(many, CODEC)
    assert_slack_accepts(message)
    shown = texts(message)
    assert "*pack-0-" in shown and "*pack-399-" not in shown
    kept = sum(f"*pack-{n}-" in shown for n in range(400))
    note = message.blocks[-1]["elements"][0]["text"]
    assert note == f"…and {400 - kept} more not shown here."
