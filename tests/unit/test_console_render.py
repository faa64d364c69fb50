"""Replies as terminal text and as the --json contract of DESIGN §10."""

from __future__ import annotations

import json

from adapters.console.render import to_line, to_text
from core.commands import Reformat, Reroll
from core.replies import Action, ActionKind, Choice, Error, ImageOut, Images, Private, Progress

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
