"""The README and the --help texts say what mikke does: every command, option, setting and file they name."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mikke.search.cli import cli
from mikke.search.config import SETTINGS
from mikke.search.indexer import build_index
from mikke.search.synonyms import parse_owner_synonyms

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


def _yaml_blocks_of(section_start: str) -> list[str]:
    """The ```yaml blocks of the README from the line starting ``section_start`` to the next bullet."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(section_start))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].strip() and not lines[i].startswith(" " * (indent + 1))
        ),
        len(lines),
    )
    blocks, block = [], None
    for line in lines[start:end]:
        stripped = line.strip()
        if block is None and stripped == "```yaml":
            block = []
        elif block is not None and stripped == "```":
            blocks.append("\n".join(block))
            block = None
        elif block is not None:
            block.append(line[indent + 2 :])
    return blocks


def test_every_synonyms_file_the_readme_shows_is_read_as_groups() -> None:
    blocks = _yaml_blocks_of("- **The owner's list**")
    assert blocks
    for block in blocks:
        groups = parse_owner_synonyms(block.encode("utf-8"))
        assert len(groups) == len([line for line in block.splitlines() if line.strip()]), block


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_example_command_in_help_is_shown_on_a_line_of_its_own(name: str) -> None:
    examples = [line.strip() for line in (cli.commands[name].help or "").splitlines()]
    examples = [line for line in examples if line.startswith("mikke ")]
    shown = CliRunner().invoke(cli, [name, "--help"], terminal_width=100).output
    for example in examples:
        assert example in [line.strip() for line in shown.splitlines()], shown


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_that_repeats_says_so_in_its_help(name: str) -> None:
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and param.multiple:
            assert "(repeatable" in (param.help or ""), f"{name} {param.opts[0]}"


def test_the_readme_names_the_commands_that_take_no_index_option() -> None:
    line = next(line for line in README.splitlines() if "takes `--index DIR`" in line)
    for name, command in cli.commands.items():
        takes_index = any("--index" in param.opts for param in command.params)
        assert (f"`mikke {name}`" in line) != takes_index, name


def test_the_readme_names_every_lock_file_a_reader_opens_for_writing(site: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(site, index, jobs=1)
    locks = sorted(index.glob("gen-*/**/.tantivy-meta.lock"))
    assert locks
    for lock in locks:
        _generation, *rest = lock.relative_to(index).parts
        assert f"`{'/'.join(['gen-*', *rest])}`" in README
