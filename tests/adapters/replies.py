"""Replies of every kind, as core builds them, for the renderers' tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.actions import ActionCodec
from core.commands import COMMANDS, Cancel, Reformat, Reroll
from core.replies import (
    Action,
    ActionKind,
    Audience,
    Choice,
    CommandInfo,
    Confirm,
    Error,
    FormatInfo,
    Guide,
    ImageOut,
    Images,
    Private,
    Progress,
    Reply,
    Statement,
    StatementLine,
    TemplateInfo,
    Templates,
    Text,
)
from core.templates import load_catalog

CODEC = ActionCodec("test-secret")
OWNER = "0123456789abcdef0123456789abcdef"
ROOT = Path(__file__).parents[2]
CATALOG = load_catalog(ROOT / "config" / "templates.toml")
FORMATS = tuple(Choice(f.name, f"{f.name} {f.width}×{f.height}") for f in CATALOG.formats.values())


def image(image_id: str, choices: tuple[Choice, ...] = FORMATS[1:]) -> ImageOut:
    return ImageOut(
        id=image_id,
        link=f"https://aioe.example/i/{image_id}.token",
        width=1080,
        height=1080,
        actions=(
            Action(ActionKind.REROLL, "More like this", Reroll(image_id), OWNER),
            Action(ActionKind.REFORMAT, "Other formats", Reformat(image_id, ""), OWNER, choices),
        ),
    )


def images(count: int) -> Images:
    return Images(
        text="Here you are: images with studio-white as square.",
        images=tuple(image(f"img_{n:010d}") for n in range(count)),
    )


class PrivateImages(Images):
    """Images only the requester sees (a history page, say)."""

    audience = Audience.REQUESTER


#: One reply of each kind core answers with; renderer tests add their own edge cases.
SAMPLES: dict[str, Reply] = {
    "text": Text("Your prompt is ready."),
    "private": Private("Your export is ready.", link="https://aioe.example/x/abc"),
    "progress": Progress(
        "Working on it (job job_k3m9x2qa7p).",
        job_id="job_k3m9x2qa7p",
        actions=(Action(ActionKind.CANCEL, "Cancel", Cancel("job_k3m9x2qa7p"), OWNER),),
    ),
    "confirm": Confirm("Delete your account and everything in it?", code="K3M9"),
    "error": Error("You have no job job_x; job IDs are in the reply to /imagine."),
    "templates": Templates(
        templates=tuple(
            TemplateInfo(t.name, t.default_format, t.description)
            for t in CATALOG.templates.values()
        ),
        formats=tuple(
            FormatInfo(f.name, f.width, f.height, f.description) for f in CATALOG.formats.values()
        ),
    ),
    "statement": Statement(
        balance=42,
        lines=(
            StatementLine(datetime(2024, 5, 1, 12, 30, tzinfo=UTC), "reserve", -4, "held", "job_a"),
            StatementLine(datetime(2024, 5, 1, 12, 0, tzinfo=UTC), "grant", 50, "welcome credits"),
        ),
    ),
    "guide": Guide(tuple(CommandInfo(name, f"what {name} does") for name in COMMANDS)),
    "two cancels": Text(
        "Two jobs are running.",
        actions=tuple(
            Action(ActionKind.CANCEL, "Cancel", Cancel(job), OWNER) for job in ("job_a", "job_b")
        ),
    ),
}
