"""Recorded platform payloads, shaped as the vendors document them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def payload(platform: str, name: str, **changes: Any) -> dict[str, Any]:
    """A recorded payload, with top-level fields changed as given."""
    data: dict[str, Any] = json.loads((HERE / platform / "payloads" / f"{name}.json").read_text())
    return {**data, **changes}
