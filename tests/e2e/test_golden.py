"""What a person sees in the terminal is unchanged, though the layout moved out of core."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

AIOE = str(Path(sys.executable).with_name("aioe"))
GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "console_session.txt"
SESSION = "/credits\n/templates\n/help\n/imagine --image BOX --format square\n"


def normalised(text: str, photo: Path) -> str:
    """Ids, times and signatures differ from run to run; nothing else may."""
    text = re.sub(r"job_[a-z0-9]{10}", "job_ID", text)
    text = re.sub(r"img_[a-z0-9]{10}", "img_ID", text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "YYYY-MM-DD HH:MM", text)
    text = re.sub(r"/i/[A-Za-z0-9_.\-]+", "/i/TOKEN", text)
    return text.replace(str(photo), "BOX")


def test_credits_templates_help_and_imagine_read_as_they_always_did(
    tmp_path: Path, photo: Path
) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIOE_", "OPENAI_"))}
    env = {**keep, "AIOE_DATA_DIR": str(tmp_path / "var"), "AIOE_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [AIOE, "chat"],
        input=SESSION.replace("BOX", str(photo)),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert normalised(result.stdout, photo) == GOLDEN.read_text()
    with sqlite3.connect(tmp_path / "var" / "aioe.db") as database:  # exited once recorded
        undelivered = database.execute("SELECT COUNT(*) FROM jobs WHERE delivered_at IS NULL")
        assert undelivered.fetchone() == (0,)
