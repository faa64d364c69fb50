"""The privacy policy as configured (``config/privacy.toml``): what /privacy tells, what the
export's README says, and what each user is told once when its version changes."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Category:
    """One category of personal data: what, why, how long, from where, in which files."""

    name: str
    data: str
    purpose: str
    retention: str
    source: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    receives: str
    why: str
    when: str  # always, or the setting that brings it in (openai, stripe, slack, discord)


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    date: str
    controller: str
    contact: str
    authority: str
    changes: tuple[str, ...]
    categories: tuple[Category, ...]
    recipients: tuple[Recipient, ...]
    rights: str
    erasure: str

    def recipients_for(self, active: Iterable[str]) -> tuple[Recipient, ...]:
        """The recipients this installation really has (``active``: openai, slack, …)."""
        switched_on = {"always", *active}
        return tuple(r for r in self.recipients if r.when in switched_on)

    def announcement(self) -> str:
        """What each user is told once when the version changes."""
        changes = " ".join(f"• {change}" for change in self.changes)
        return (
            f"Our privacy policy changed on {self.date} (version {self.version}). {changes} "
            "Type /privacy to read it."
        ).strip()


def load_policy(path: Path) -> Policy:
    """The policy in a TOML file; raises ``ValueError`` naming what is missing."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _policy(data)
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: not a valid privacy policy ({error})") from None


def _policy(data: Mapping[str, Any]) -> Policy:
    return Policy(
        version=str(data["version"]),
        date=str(data["date"]),
        controller=str(data["controller"]),
        contact=str(data["contact"]),
        authority=str(data["authority"]),
        changes=tuple(str(change) for change in data.get("changes", ())),
        categories=tuple(
            Category(
                name=str(c["name"]),
                data=str(c["data"]),
                purpose=str(c["purpose"]),
                retention=str(c["retention"]),
                source=str(c["source"]),
                files=tuple(str(f) for f in c.get("files", ())),
            )
            for c in data["categories"]
        ),
        recipients=tuple(
            Recipient(str(r["name"]), str(r["receives"]), str(r["why"]), str(r["when"]))
            for r in data["recipients"]
        ),
        rights=str(data["rights"]["text"]).strip(),
        erasure=str(data["erasure"]["text"]).strip(),
    )
