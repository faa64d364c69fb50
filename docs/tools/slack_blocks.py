"""Screenshots of AIOE's Slack messages and of the /imagine form, for docs/slack.md.

The messages are built by the adapter's own code (``adapters.slack.render.render``,
``adapters.slack.render.parent_text`` and ``adapters.slack.modal.imagine_view`` with the
catalog in ``config/templates.toml``); this script lays each Block Kit payload out as a
static HTML page in Slack's style and photographs it with headless Chromium, driven
through Playwright's Python API. The thumbnails are real output of the ``studio``
renderer. Nothing is fetched from the network.

Needs the Playwright package (not its browsers) and a system Chromium::

    .venv/bin/pip install playwright
    apt-get install -y chromium fonts-lato
    .venv/bin/python docs/tools/slack_blocks.py              # writes docs/screenshots/slack-*.png

``--html DIR`` also keeps the HTML pages, ``--json DIR`` the Block Kit payloads (paste
one into Slack's Block Kit Builder to compare), ``--no-shots`` skips the browser.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import io
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from adapters.imaging.studio import StudioProvider  # noqa: E402
from adapters.slack.modal import imagine_view  # noqa: E402
from adapters.slack.render import SlackMessage, parent_text, render  # noqa: E402
from core import messages  # noqa: E402
from core.actions import ActionCodec  # noqa: E402
from core.commands import Cancel, Reformat, Reroll  # noqa: E402
from core.imaging import RenderSpec, SourceImage  # noqa: E402
from core.replies import (  # noqa: E402
    Action,
    ActionKind,
    Choice,
    Error,
    FormatInfo,
    ImageOut,
    Images,
    Progress,
    Statement,
    StatementLine,
    TemplateInfo,
    Templates,
)
from core.templates import Catalog, load_catalog  # noqa: E402
from tests.harness import product_photo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 900, 1000

# --- the sample conversation ------------------------------------------------------------
USERS = {"U0ALICE01": "alice", "U0AIOEBOT": "AIOE"}
REQUESTER = "U0ALICE01"
OWNER = "acc_q3v8k2m9zt"  # alice's account: only she may press her buttons
JOB = "job_kszyuxaqbe"
IMAGE_IDS = ("img_becwgws47d", "img_h7tq2xw9mc")
PUBLIC_URL = "https://aioe.example.com"
ASKED = "/imagine --url https://shop.example/products/tea-tin --n 2"
TEMPLATE, FORMAT = "studio-white", "square"


def sample_link(image_id: str) -> str:
    token = base64.urlsafe_b64encode(json.dumps({"i": image_id}).encode()).decode().rstrip("=")
    return f"{PUBLIC_URL}/i/{token}"


def image_actions(catalog: Catalog, image_id: str, fmt: str) -> tuple[Action, ...]:
    """What core's generation offers with each image: more like this, other formats."""
    others = tuple(
        Choice(f.name, f"{f.name} {f.width}×{f.height}")
        for f in catalog.formats.values()
        if f.name != fmt
    )
    return (
        Action(ActionKind.REROLL, messages.ACTION_LABEL_REROLL, Reroll(image_id), OWNER),
        Action(
            ActionKind.REFORMAT,
            messages.ACTION_LABEL_REFORMAT,
            Reformat(image_id, ""),
            OWNER,
            choices=others,
        ),
    )


def progress_reply() -> Progress:
    text = messages.JOB_QUEUED.format(n=2, template=TEMPLATE, format=FORMAT, job_id=JOB, cost=2)
    cancel = Action(ActionKind.CANCEL, messages.ACTION_LABEL_CANCEL, Cancel(JOB), OWNER)
    return Progress(text=text, job_id=JOB, actions=(cancel,))


def images_reply(catalog: Catalog) -> Images:
    fmt = catalog.formats[FORMAT]
    return Images(
        text=messages.JOB_DONE.format(n=2, template=TEMPLATE, format=FORMAT),
        images=tuple(
            ImageOut(
                id=image_id,
                link=sample_link(image_id),
                width=fmt.width,
                height=fmt.height,
                encoding="png",
                actions=image_actions(catalog, image_id, FORMAT),
            )
            for image_id in IMAGE_IDS
        ),
    )


def statement_reply() -> Statement:
    at = datetime(2026, 11, 26, 10, 42, tzinfo=UTC)
    return Statement(
        balance=8,
        lines=(
            StatementLine(at, "capture", 0, messages.LEDGER_SPENT.format(cost=2), JOB),
            StatementLine(at, "reserve", -2, messages.LEDGER_HELD, JOB),
            StatementLine(at.replace(minute=40), "grant", 10, messages.LEDGER_WELCOME),
        ),
    )


def templates_reply(catalog: Catalog) -> Templates:
    """What core answers to /templates (``core.app``): the catalog, in its order."""
    return Templates(
        templates=tuple(
            TemplateInfo(t.name, t.default_format, t.description)
            for t in catalog.templates.values()
        ),
        formats=tuple(
            FormatInfo(f.name, f.width, f.height, f.description) for f in catalog.formats.values()
        ),
    )


def thumbnails(catalog: Catalog, size: int = 200) -> list[str]:
    """Two studio renders of the test suite's product photo, as small JPEG data URIs."""
    photo = product_photo()
    with Image.open(io.BytesIO(photo)) as opened:
        width, height = opened.size
    spec = RenderSpec(
        prompt="",
        template=catalog.templates[TEMPLATE],
        format=catalog.formats[FORMAT],
        source=SourceImage(data=photo, width=width, height=height, has_alpha=False),
        seed=7,
    )
    rendered = asyncio.run(StudioProvider().render(spec, 2))
    uris = []
    for image in rendered:
        with Image.open(io.BytesIO(image.data)) as full:
            small = full.convert("RGB")
            small.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            small.save(out, "JPEG", quality=88)
        uris.append("data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode())
    return uris


# --- mrkdwn ----------------------------------------------------------------------------
_ANGLE = re.compile(r"<([^<>]+)>")
_URL = re.compile(r"https?://[^\s<>]+")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
WARNING_SVG = (
    '<svg class="emoji" viewBox="0 0 20 20" aria-label="warning"><path d="M10 1.5 19 18H1z" '
    'fill="#f2c744" stroke="#c99a17" stroke-width="1"/><rect x="9" y="7" width="2" '
    'height="6" rx="1" fill="#3b3b3b"/><circle cx="10" cy="15.3" r="1.1" fill="#3b3b3b"/></svg>'
)
EMOJI = {"warning": WARNING_SVG}


def _unescape(text: str) -> str:
    """Slack's three entities back to characters (``&amp;`` last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _styles(escaped_html: str) -> str:
    out = _BOLD.sub(r"<b>\1</b>", escaped_html)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    out = _STRIKE.sub(r"<s>\1</s>", out)
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)


def _plain_run(text: str) -> str:
    """Slack-escaped text without ``<…>`` sequences: code spans, bare URLs, styles."""
    parts = _unescape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick is a character
        parts[-2:] = ["`".join(parts[-2:])]
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        pos = 0
        for url in _URL.finditer(part):
            out.append(_styles(html.escape(part[pos : url.start()])))
            out.append(f'<a href="{html.escape(url.group(0))}">{html.escape(url.group(0))}</a>')
            pos = url.end()
        out.append(_styles(html.escape(part[pos:])))
    return "".join(out)


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn as HTML: links, user mentions, code, bold, italic, strike, emoji."""
    out, pos = [], 0
    for match in _ANGLE.finditer(text):
        out.append(_plain_run(text[pos : match.start()]))
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            name = USERS.get(target[1:], label or target[1:])
            out.append(f'<span class="mention">@{html.escape(name)}</span>')
        elif target.startswith(("#", "!")):
            out.append(f'<span class="mention">{html.escape(label or target[1:])}</span>')
        else:
            shown = _plain_run(label) if label else html.escape(_unescape(target))
            out.append(f'<a href="{html.escape(_unescape(target))}">{shown}</a>')
        pos = match.end()
    out.append(_plain_run(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def text_object(obj: Mapping[str, Any]) -> str:
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj["text"]))
    return html.escape(str(obj["text"]))


# --- blocks ----------------------------------------------------------------------------
CARET = (
    '<svg class="caret" viewBox="0 0 10 6"><path d="M1 1l4 4 4-4" fill="none" '
    'stroke="#1d1c1d" stroke-width="1.6"/></svg>'
)


def element(el: Mapping[str, Any], *, wide: bool = False) -> str:
    kind = el["type"]
    if kind == "button":
        style = {"primary": " primary", "danger": " danger"}.get(el.get("style") or "", "")
        return f'<span class="button{style}">{text_object(el["text"])}</span>'
    if kind == "static_select":
        chosen = el.get("initial_option")
        shown = (
            text_object(chosen["text"])
            if chosen
            else f'<span class="placeholder">{text_object(el["placeholder"])}</span>'
            if el.get("placeholder")
            else '<span class="placeholder">Select an item</span>'
        )
        width = " wide" if wide else ""
        return f'<span class="select{width}"><span>{shown}</span>{CARET}</span>'
    if kind in {"plain_text_input", "url_text_input"}:
        placeholder = text_object(el["placeholder"]) if el.get("placeholder") else ""
        tall = " tall" if el.get("multiline") else ""
        return f'<div class="textbox{tall}"><span class="placeholder">{placeholder}</span></div>'
    if kind == "file_input":
        return (
            '<div class="dropzone"><span class="upload">⇪</span> Drag and drop a file or '
            '<span class="link">upload from your computer</span></div>'
        )
    raise ValueError(f"this script cannot draw a {kind!r} element yet")


def block(b: Mapping[str, Any]) -> str:
    kind = b["type"]
    if kind == "section":
        extra = ""
        if b.get("accessory"):
            extra = f'<div class="accessory">{element(b["accessory"])}</div>'
        return f'<div class="section"><div>{text_object(b["text"])}</div>{extra}</div>'
    if kind == "context":
        parts = [text_object(e) for e in b["elements"] if e["type"] in {"mrkdwn", "plain_text"}]
        return f'<div class="context">{" ".join(parts)}</div>'
    if kind == "actions":
        return f'<div class="actions">{"".join(element(e) for e in b["elements"])}</div>'
    if kind == "divider":
        return "<hr>"
    if kind == "input":
        optional = ' <span class="optional">(optional)</span>' if b.get("optional") else ""
        return (
            f'<div class="input"><label>{text_object(b["label"])}{optional}</label>'
            f"{element(b['element'], wide=True)}</div>"
        )
    raise ValueError(f"this script cannot draw a {kind!r} block yet")


def blocks(items: Sequence[Mapping[str, Any]]) -> str:
    return "".join(block(b) for b in items)


# --- messages and pages -------------------------------------------------------------------
@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>.png
    page: str  # the HTML page; the element #shot is photographed
    payloads: dict[str, Any]  # the Block Kit JSON it shows


def avatar(user: str) -> str:
    if user == "AIOE":
        return '<div class="avatar bot">AI</div>'
    return f'<div class="avatar person">{html.escape(user[:1].upper())}</div>'


def message(
    body: str, *, user: str = "AIOE", time: str = "10:42 AM", ephemeral: bool = False
) -> str:
    app = ' <span class="app">APP</span>' if user == "AIOE" else ""
    only = (
        '<div class="only-you"><span class="eye">◉</span> Only visible to you</div>'
        if ephemeral
        else ""
    )
    return (
        f'<div class="message">{only}<div class="row">{avatar(user)}<div class="content">'
        f'<div class="meta"><b>{html.escape(user)}</b>{app}<span class="time">{time}</span>'
        f"</div>{body}</div></div></div>"
    )


def slack_message(msg: SlackMessage, **kwargs: Any) -> str:
    """A rendered reply as Slack draws it: its blocks, or its text when it has none."""
    body = blocks(msg.blocks) if msg.blocks else f'<div class="section">{mrkdwn(msg.text)}</div>'
    return message(body, ephemeral=msg.ephemeral, **kwargs)


def files_message(uris: Sequence[str], time: str) -> str:
    """What ``files_upload_v2`` leaves in the thread: the bot's message with the files."""
    images = "".join(f'<img class="file" src="{uri}" alt="">' for uri in uris)
    return message(f'<div class="files">{images}</div>', time=time)


def page(title: str, inner: str, *, width: int) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{CSS}
#shot {{ width: {width}px; }}</style></head>
<body><div id="shot">{inner}</div></body></html>"""


def pane(header: str, inner: str) -> str:
    return f'<div class="pane"><div class="header">{header}</div>{inner}</div>'


def thread_shot(catalog: Catalog, codec: ActionCodec, uris: Sequence[str]) -> Shot:
    """``/imagine`` from a slash command: the parent message, then the thread's replies,
    exactly as ``SlackAdapter._thread_under_parent`` and ``SlackDelivery`` post them."""
    progress = render(progress_reply(), codec)
    heading = parent_text(REQUESTER, ASKED)
    parent_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    parent_blocks += progress.blocks
    parent = SlackMessage(text=heading, blocks=parent_blocks, ephemeral=False, images=())
    done = render(images_reply(catalog), codec)
    replies = (
        '<div class="replies"><span>2 replies</span><hr></div>'
        + files_message(uris, "10:43 AM")
        + slack_message(done, time="10:43 AM")
    )
    header = '<b>Thread</b> <span class="channel"># marketing</span>'
    inner = pane(header, slack_message(parent) + replies)
    return Shot(
        "slack-thread",
        page("Thread", inner, width=760),
        {"parent": parent.blocks, "results": done.blocks},
    )


def credits_shot(codec: ActionCodec) -> Shot:
    statement = render(statement_reply(), codec)
    inner = pane('<span class="channel"># marketing</span>', slack_message(statement))
    return Shot("slack-credits", page("/credits", inner, width=760), {"credits": statement.blocks})


def templates_shot(catalog: Catalog, codec: ActionCodec) -> Shot:
    error = render(Error(messages.UNKNOWN_TEMPLATE.format(name="neon")), codec)
    listing = render(templates_reply(catalog), codec)
    inner = pane(
        '<span class="channel"># marketing</span>',
        slack_message(error, time="10:40 AM") + slack_message(listing, time="10:41 AM"),
    )
    return Shot(
        "slack-templates",
        page("/templates", inner, width=820),
        {"error": error.blocks, "templates": listing.blocks},
    )


def form_shot(catalog: Catalog) -> Shot:
    view = imagine_view(catalog, private_metadata=json.dumps({"team": "T0", "channel": "C0"}))
    footer = (
        f'<span class="button">{text_object(view["close"])}</span>'
        f'<span class="button primary">{text_object(view["submit"])}</span>'
    )
    dialog = (
        f'<div class="modal"><div class="modal-head"><span>{text_object(view["title"])}</span>'
        f'<span class="close">×</span></div><div class="modal-body">{blocks(view["blocks"])}'
        f'</div><div class="modal-foot">{footer}</div></div>'
    )
    return Shot(
        "slack-form",
        page("/imagine form", f'<div class="backdrop">{dialog}</div>', width=620),
        {"view": view},
    )


CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; font-family: Lato, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 22px; color: #1d1c1d; -webkit-font-smoothing: antialiased; }
a { color: #1264a3; text-decoration: none; }
b { font-weight: 900; }
code { font-family: Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px;
  line-height: 16px; color: #e01e5a; background: rgba(29,28,29,.04);
  border: 1px solid rgba(29,28,29,.13); border-radius: 3px; padding: 1px 3px; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
.emoji { width: 18px; height: 18px; vertical-align: -3px; }
.pane { background: #fff; border: 1px solid #dddddd; }
.header { height: 49px; padding: 0 20px; display: flex; align-items: center; gap: 10px;
  border-bottom: 1px solid #dddddd; font-size: 18px; }
.channel { font-size: 14px; color: #616061; }
.message { padding: 8px 20px; }
.row { display: flex; gap: 8px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 50%; color: #fff;
  display: flex; align-items: center; justify-content: center; font-weight: 900; font-size: 14px;
  margin-top: 3px; }
.avatar.bot { background: #1f2933; }
.avatar.person { background: #e8912d; }
.content { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; gap: 6px; }
.app { font-size: 10px; font-weight: 700; color: rgba(29,28,29,.7); background: rgba(29,28,29,.06);
  border-radius: 2px; padding: 0 3px; line-height: 16px; }
.time { font-size: 12px; color: #616061; }
.only-you { font-size: 13px; color: #616061; margin: 0 0 2px 44px; }
.eye { font-size: 11px; }
.section { display: flex; gap: 12px; margin: 4px 0; }
.context { font-size: 13px; color: #616061; margin: 4px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 10px; }
.button { display: inline-flex; align-items: center; height: 28px; padding: 0 12px;
  border: 1px solid rgba(29,28,29,.3); border-radius: 4px; font-size: 13px; font-weight: 700;
  background: #fff; white-space: nowrap; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { color: #e01e5a; }
.select { display: inline-flex; align-items: center; justify-content: space-between; gap: 16px;
  height: 28px; min-width: 170px; padding: 0 10px 0 12px; border: 1px solid rgba(29,28,29,.3);
  border-radius: 4px; font-size: 13px; background: #fff; }
.select.wide { width: 100%; height: 40px; font-size: 15px; }
.caret { width: 10px; height: 6px; flex: none; }
.placeholder { color: #868686; }
.replies { display: flex; align-items: center; gap: 10px; padding: 4px 20px; font-size: 13px;
  color: #616061; }
.replies hr { flex: 1; border: 0; border-top: 1px solid #dddddd; }
hr { border: 0; border-top: 1px solid #dddddd; }
.files { display: flex; gap: 8px; margin: 6px 0 4px; }
.file { width: 200px; height: 200px; border-radius: 8px; border: 1px solid rgba(29,28,29,.13); }
.backdrop { background: rgba(29,28,29,.55); padding: 28px 50px; }
.modal { background: #fff; border-radius: 8px; box-shadow: 0 18px 48px rgba(0,0,0,.35);
  overflow: hidden; }
.modal-head { display: flex; justify-content: space-between; align-items: center;
  padding: 20px 28px 12px; font-size: 22px; font-weight: 900; line-height: 28px; }
.close { font-weight: 400; color: #616061; font-size: 26px; }
.modal-body { padding: 0 28px 8px; }
.modal-foot { display: flex; justify-content: flex-end; gap: 12px; padding: 20px 28px;
  border-top: 1px solid #dddddd; }
.modal-foot .button { height: 36px; padding: 0 16px; font-size: 15px; }
.input { margin: 16px 0; }
.input label { display: block; font-weight: 900; margin-bottom: 8px; }
.optional { font-weight: 400; color: #616061; }
.textbox { height: 40px; border: 1px solid rgba(29,28,29,.3); border-radius: 4px;
  padding: 8px 12px; }
.textbox.tall { height: 84px; }
.dropzone { border: 1px dashed rgba(29,28,29,.35); border-radius: 6px; padding: 18px 12px;
  text-align: center; color: #616061; font-size: 14px; }
.upload { font-size: 16px; }
.link { color: #1264a3; }
"""


# --- output --------------------------------------------------------------------------------
def shots() -> list[Shot]:
    catalog = load_catalog(ROOT / "config" / "templates.toml")
    codec = ActionCodec("docs")
    return [
        thread_shot(catalog, codec, thumbnails(catalog)),
        credits_shot(codec),
        templates_shot(catalog, codec),
        form_shot(catalog),
    ]


def photograph(made: Sequence[Shot], out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(
                viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT}, device_scale_factor=1
            )
            for shot in made:
                page.set_content(shot.page, wait_until="load")
                page.evaluate("document.fonts.ready")
                target = out / f"{shot.name}.png"
                page.locator("#shot").screenshot(path=str(target))
                print(
                    f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                    f"  {target.stat().st_size // 1024} KB"
                )
        finally:
            browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--html", type=Path, help="also write the HTML pages here")
    parser.add_argument("--json", type=Path, help="also write the Block Kit payloads here")
    parser.add_argument("--chromium", default=CHROMIUM, help="the browser executable")
    parser.add_argument("--no-shots", action="store_true", help="do not start the browser")
    args = parser.parse_args(argv)
    made = shots()
    for folder, suffix in ((args.html, ".html"), (args.json, ".json")):
        if folder is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for shot in made:
            content = shot.page if suffix == ".html" else json.dumps(shot.payloads, indent=2)
            (folder / f"{shot.name}{suffix}").write_text(content, encoding="utf-8")
    if not args.no_shots:
        photograph(made, args.out, args.chromium)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
