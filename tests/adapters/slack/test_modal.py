"""The /imagine modal is a view Slack accepts, and its submission becomes the request shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

from adapters.slack.modal import CALLBACK_ID, ModalRequest, imagine_view, modal_request
from core.errors import BadInput
from core.templates import load_catalog
from tests.adapters.payloads import payload

CATALOG = load_catalog(Path(__file__).parents[3] / "config" / "templates.toml")


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each input block's element, by block id."""
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def submitted(view: dict[str, Any], **chosen: dict[str, Any]) -> dict[str, Any]:
    """``view.state`` as Slack sends it when a person submits ``view`` untouched, except
    for the element states in ``chosen`` (by block id)."""
    empty = {
        "file_input": {"files": []},
        "url_text_input": {"value": None},
        "plain_text_input": {"value": None},
        "static_select": {"selected_option": None},
    }
    values: dict[str, Any] = {}
    for block_id, element in inputs(view).items():
        state = {"type": element["type"], **empty[element["type"]]}
        if "initial_option" in element:
            option = element["initial_option"]
            state["selected_option"] = {"text": option["text"], "value": option["value"]}
        state.update(chosen.get(block_id, {}))
        values[block_id] = {element["action_id"]: state}
    return {"values": values}


def test_the_modal_is_a_view_slack_accepts() -> None:
    view = imagine_view(CATALOG, private_metadata="C2147483705")
    assert View(**view).to_dict() == view  # validates every limit of the view and blocks
    assert (view["type"], view["callback_id"]) == ("modal", CALLBACK_ID)
    assert view["private_metadata"] == "C2147483705"
    assert all(b["optional"] for b in view["blocks"] if b["type"] == "input")


def test_the_photo_input_takes_one_png_jpeg_or_webp() -> None:
    photo = inputs(imagine_view(CATALOG, ""))["photo"]
    assert photo["type"] == "file_input"
    assert (sorted(photo["filetypes"]), photo["max_files"]) == (["jpeg", "jpg", "png", "webp"], 1)
    assert inputs(imagine_view(CATALOG, ""))["url"]["type"] == "url_text_input"


def test_the_selects_offer_the_catalogue_with_the_default_template_chosen() -> None:
    fields = inputs(imagine_view(CATALOG, ""))
    template, fmt, count = fields["template"], fields["format"], fields["n"]
    assert [o["value"] for o in template["options"]] == list(CATALOG.templates)
    assert template["initial_option"]["value"] == CATALOG.default_template
    assert [o["value"] for o in fmt["options"]] == list(CATALOG.formats)
    assert "initial_option" not in fmt  # no choice: the template's default format
    assert [o["value"] for o in count["options"]] == ["1", "2", "3", "4"]
    for select in (template, fmt, count):
        assert len(select["options"]) <= 100
        for option in select["options"]:
            assert len(option["text"]["text"]) <= 75
            assert len(option.get("description", {}).get("text", "")) <= 75


def test_the_prompt_is_a_long_text_field() -> None:
    prompt = inputs(imagine_view(CATALOG, ""))["prompt"]
    assert (prompt["type"], prompt["multiline"]) == ("plain_text_input", True)


def test_a_recorded_submission_gives_the_request_it_shows() -> None:
    state = payload("slack", "view_submission_imagine")["view"]["state"]
    request = modal_request(state)
    (photo,) = state["values"]["photo"]["photo"]["files"]
    assert request == ModalRequest(
        prompt="on a sunny windowsill",
        url=None,
        template="marble",
        format=None,
        n=2,
        files=(photo,),
    )
    assert request.file_ids == ("F0123ABCDEF",)
    assert request.files[0]["url_private_download"].endswith("/download/mug.png")


def test_a_modal_submitted_untouched_asks_for_the_defaults() -> None:
    view = imagine_view(CATALOG, "")
    assert modal_request(submitted(view)) == ModalRequest(
        prompt="", url=None, template=CATALOG.default_template, format=None, n=1
    )


def test_each_choice_in_the_modal_reaches_the_request() -> None:
    view = imagine_view(CATALOG, "")
    story = next(o for o in inputs(view)["format"]["options"] if o["value"] == "story")
    state = submitted(
        view,
        url={"value": " https://shop.example/products/mug "},
        format={"selected_option": story},
        n={"selected_option": {"text": {"type": "plain_text", "text": "4"}, "value": "4"}},
        prompt={"value": "on a beach"},
    )
    request = modal_request(state)
    assert (request.url, request.format, request.n, request.prompt) == (
        "https://shop.example/products/mug",
        "story",
        4,
        "on a beach",
    )


def test_a_count_that_is_not_a_number_is_refused_with_one_sentence() -> None:
    view = imagine_view(CATALOG, "")
    state = submitted(view, n={"selected_option": {"text": {}, "value": "many"}})
    with pytest.raises(BadInput, match="1 to 4 images"):
        modal_request(state)
