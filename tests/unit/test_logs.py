"""Logs never show what people wrote: no local variables in tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import configure_logging


def test_a_logged_exception_shows_no_local_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")

        def handle(prompt: str) -> None:
            raise ValueError("the provider said no")

        said = "a very private prompt " + "about a mug"
        try:
            handle(said)
        except ValueError:
            logging.getLogger("core.test").exception("command failed")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in ("aioe", "core", "adapters", "bot"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    written = stream.getvalue()
    assert "command failed" in written and "ValueError" in written
    assert "very private prompt" not in written
