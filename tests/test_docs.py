"""The README documents every command and setting, and the two newcomer commands come first."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from mikke.search.cli import cli
from mikke.search.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip()
    assert f"mikke {name}" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_has_help(name: str) -> None:
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and param.name not in {"help"}:
            assert param.help, f"{name} {param.name}"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:  # type: ignore[no-untyped-def]
    assert f"MIKKE_{setting.name.upper()}" in README


def test_readme_opens_with_the_run_and_test_commands() -> None:
    head = README[:2500]
    assert "mikke serve" in head
    assert "pytest" in head


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.bounds], ids=lambda s: s.name)
def test_every_settings_range_is_in_its_row_of_the_readme_table(setting) -> None:  # type: ignore[no-untyped-def]
    row = next(line for line in README.splitlines() if line.startswith(f"| `MIKKE_{setting.name.upper()}` |"))
    assert setting.range_text() in row
