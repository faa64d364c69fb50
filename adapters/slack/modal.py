"""The /imagine modal: a form for a photo or page, template, format and count, and its answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    InputInteractiveElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from core import messages
from core.errors import BadInput
from core.generation import MAX_IMAGES, MAX_PROMPT
from core.templates import Catalog

# --- what a Slack user reads beyond core/messages.py ---------------------------------
TITLE = "Make images"
SUBMIT = "Make images"
CLOSE = "Cancel"
INTRO = "Attach a product photo or give a product-page URL; add a prompt to say what you want."
PHOTO_LABEL = "Product photo"
URL_LABEL = "Product page"
URL_PLACEHOLDER = "https://shop.example/products/…"
TEMPLATE_LABEL = "Template"
FORMAT_LABEL = "Format"
FORMAT_PLACEHOLDER = "The template's default format"
COUNT_LABEL = "Number of images"
PROMPT_LABEL = "Prompt"
PROMPT_PLACEHOLDER = "What to show, e.g. on a marble kitchen counter in morning light"

CALLBACK_ID = "aioe.imagine"
#: Each input's ``block_id``; its element's ``action_id`` is the same word.
PHOTO, URL, TEMPLATE, FORMAT, COUNT, PROMPT = "photo", "url", "template", "format", "n", "prompt"
FILETYPES = ("png", "jpg", "jpeg", "webp")
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


@dataclass(frozen=True)
class ModalRequest:
    """What a submitted /imagine modal asks for; ``files`` are Slack's file objects as
    submitted (``id``, ``name``, ``mimetype``, ``url_private_download``, …), so the app
    can download them with the workspace token."""

    prompt: str
    url: str | None
    template: str | None
    format: str | None
    n: int
    files: tuple[Mapping[str, Any], ...] = ()

    @property
    def file_ids(self) -> tuple[str, ...]:
        return tuple(str(file["id"]) for file in self.files)


def imagine_view(catalog: Catalog, private_metadata: str) -> dict[str, Any]:
    """The modal ``views.open`` shows for ``/imagine`` with no text; every input is
    optional, since core answers a request with nothing to make in one sentence.
    ``private_metadata`` (at most 3,000 characters) comes back with the submission."""
    templates = [
        _option(t.name, t.name, t.description)
        for t in list(catalog.templates.values())[:MAX_OPTIONS]
    ]
    default = next((o for o in templates if o.value == catalog.default_template), None)
    formats = [
        _option(f.name, f"{f.name} {f.width}×{f.height}", f.description)
        for f in list(catalog.formats.values())[:MAX_OPTIONS]
    ]
    counts = [_option(str(n), str(n)) for n in range(1, MAX_IMAGES + 1)]
    blocks = [
        SectionBlock(text=INTRO),
        _input(
            PHOTO,
            PHOTO_LABEL,
            FileInputElement(action_id=PHOTO, filetypes=list(FILETYPES), max_files=1),
        ),
        _input(URL, URL_LABEL, UrlInputElement(action_id=URL, placeholder=URL_PLACEHOLDER)),
        _input(
            TEMPLATE,
            TEMPLATE_LABEL,
            StaticSelectElement(action_id=TEMPLATE, options=templates, initial_option=default),
        ),
        _input(
            FORMAT,
            FORMAT_LABEL,
            StaticSelectElement(action_id=FORMAT, placeholder=FORMAT_PLACEHOLDER, options=formats),
        ),
        _input(
            COUNT,
            COUNT_LABEL,
            StaticSelectElement(action_id=COUNT, options=counts, initial_option=counts[0]),
        ),
        _input(
            PROMPT,
            PROMPT_LABEL,
            PlainTextInputElement(
                action_id=PROMPT,
                placeholder=PROMPT_PLACEHOLDER,
                multiline=True,
                max_length=MAX_PROMPT,
            ),
        ),
    ]
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=TITLE,
        submit=SUBMIT,
        close=CLOSE,
        private_metadata=private_metadata,
        blocks=blocks,
    )
    return view.to_dict()


def modal_request(view_state: Mapping[str, Any]) -> ModalRequest:
    """The request in a ``view_submission`` payload's ``view["state"]``: its ``values``
    map each block id to its element's action id and the element's state
    (``value`` for text and URL inputs, ``selected_option`` for selects, ``files``
    for a file input); a field left empty is ``None`` or missing."""
    values: Mapping[str, Any] = view_state.get("values") or {}

    def state(block: str) -> Mapping[str, Any]:
        return (values.get(block) or {}).get(block) or {}

    count = _selected(state(COUNT))
    try:
        n = int(count) if count is not None else 1
    except ValueError:
        raise BadInput(messages.N_OUT_OF_RANGE) from None
    return ModalRequest(
        prompt=(state(PROMPT).get("value") or "").strip(),
        url=(state(URL).get("value") or "").strip() or None,
        template=_selected(state(TEMPLATE)),
        format=_selected(state(FORMAT)),
        n=n,
        files=tuple(dict(file) for file in state(PHOTO).get("files") or ()),
    )


def _input(block_id: str, label: str, element: InputInteractiveElement) -> InputBlock:
    """An optional input whose element's ``action_id`` is its ``block_id``."""
    return InputBlock(block_id=block_id, label=label, element=element, optional=True)


def _option(value: str, text: str, description: str = "") -> Option:
    return Option(
        value=value,
        text=_cut(text, MAX_OPTION_TEXT),
        description=_cut(description, MAX_OPTION_TEXT) if description else None,
    )


def _selected(state: Mapping[str, Any]) -> str | None:
    option = state.get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None


def _cut(plain: str, limit: int) -> str:
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"
