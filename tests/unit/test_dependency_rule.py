"""core/ imports only the standard library and pydantic."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "core"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside core
                continue
            names.add(node.module or "")
    return names


def forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top not in ALLOWED_THIRD_PARTY and top not in sys.stdlib_module_names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_only_the_standard_library_and_pydantic(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) if forbidden(m))
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    "module",
    [
        "slack_bolt",
        "slack_sdk.web",
        "discord",
        "openai",
        "stripe",
        "aiohttp.web",
        "sqlalchemy",
        "adapters.sql",
        "bot.web",
        "PIL.Image",
    ],
)
def test_the_rule_catches_every_forbidden_import(tmp_path: Path, module: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(f"import os\nfrom {module} import thing\n")
    assert forbidden(module) and module in imported_modules(sample)
