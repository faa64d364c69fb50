"""/history as Slack shows it: private, a section per image, and how to turn the page."""

from __future__ import annotations

from datetime import datetime

from adapters.slack.gallery import local_date
from adapters.slack.render import render
from adapters.slack.texts import MORE_NOT_SHOWN
from tests.adapters.replies import CODEC
from tests.adapters.slack.blockkit import assert_slack_accepts, texts
from tests.adapters.slack.samples import CREATED, entry, gallery


def test_a_page_shows_each_image_with_its_link_id_template_format_size_and_date() -> None:
    message = render(gallery(page=1), CODEC)
    assert message.ephemeral and message.images == ()
    shown = texts(message)
    for n in range(10):
        image = entry(n)
        assert (
            f"<{image.link}|Open full size>  ·  `{image.id}`  ·  *studio-white* as square  ·  "
            f"1080×1080  ·  {local_date(image.created_at)}"
        ) in shown
    assert entry(10).id not in shown  # the next page's
    assert f"{entry(0).id}: {entry(0).link}" in message.text  # notifications, too


def test_a_page_says_where_it_is_and_how_to_get_the_next() -> None:
    shown = texts(render(gallery(page=2), CODEC))
    assert "page 2 of 3, 24 in all" in shown
    assert "`/history 3` shows the next page" in shown


def test_the_last_page_offers_no_next_page() -> None:
    message = render(gallery(page=3), CODEC)
    assert "page 3 of 3" in texts(message)
    assert "/history 4" not in texts(message) + message.text
    assert texts(message).count("Open full size") == 4


def test_each_page_says_how_to_forget_an_image() -> None:
    message = render(gallery(), CODEC)
    assert message.blocks[1]["type"] == "context"
    assert "`/forget IMAGE_ID`" in message.blocks[1]["elements"][0]["text"]


def test_an_empty_history_says_so() -> None:
    message = render(gallery(page=1, pages=1, total=0), CODEC)
    assert_slack_accepts(message)
    assert texts(message) == "You have no images yet; /imagine makes some."


def test_a_page_past_the_last_names_the_last() -> None:
    message = render(gallery(page=7, pages=3, total=24), CODEC)
    assert_slack_accepts(message)
    assert texts(message) == "There is no page 7; the last one is `/history 3`."


def test_a_page_longer_than_slack_allows_is_cut_whole_images_and_counted() -> None:
    message = render(gallery(page=1, pages=1, per_page=80, total=80), CODEC)
    assert_slack_accepts(message)
    shown = texts(message).count("Open full size")
    assert 0 < shown < 80
    note = message.blocks[-1]["elements"][0]["text"]
    assert note == MORE_NOT_SHOWN.format(count=80 - shown)


def test_dates_show_in_each_readers_time_zone_with_utc_for_old_clients() -> None:
    stamp = int(CREATED.timestamp())
    expected = f"<!date^{stamp}^{{date_short_pretty}} {{time}}|2026-05-01 12:30 UTC>"
    assert local_date(CREATED) == expected
    assert local_date(datetime(2026, 5, 1, 12, 30)) == expected  # naive is UTC
