"""Every `kassa ... --help` reads as whole sentences at 80 columns and shows its defaults."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from kassa.cli import app

COMMAND = typer.main.get_command(app)


def _paths(group: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(group, "commands", {}).items():
        paths += _paths(sub, (*prefix, name))
    return paths


def _commands(group: click.Command = COMMAND) -> list[click.Command]:
    subs = getattr(group, "commands", {}).values()
    return [group] + [command for sub in subs for command in _commands(sub)]


PATHS = _paths(COMMAND)


def _help(path: tuple[str, ...], columns: int) -> str:
    done = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert done.exit_code == 0, done.output
    return done.output


def _description(output: str) -> list[list[str]]:
    """The paragraphs between the usage line and the first box, each as its lines."""
    lines = output.split("\n")
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("╭")), len(lines))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def test_the_paths_cover_every_command() -> None:
    assert ("serve",) in PATHS and ("events", "import") in PATHS and len(PATHS) == 22
    assert ("fx", "import") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "kassa")
def test_help_wraps_only_where_the_line_is_full(path: tuple[str, ...]) -> None:
    """At 80 columns (78 of text) a line breaks only when the next word would not fit."""
    output = _help(path, 80)
    paragraphs = _description(output)
    assert paragraphs, output
    for paragraph in paragraphs:
        for line, following in zip(paragraph, paragraph[1:], strict=False):
            assert len(line) + 1 + len(following.split()[0]) > 78, f"broken after {line!r}"
        assert paragraph[-1].endswith((".", ")", ":")), paragraph
    for line in output.split("\n"):  # a metavar such as <sandbox|production> stays whole
        brackets = line.replace("<=", "").replace(">=", "")
        assert brackets.count("<") == brackets.count(">"), line


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "kassa")
def test_wide_help_keeps_each_paragraph_on_one_line(path: tuple[str, ...]) -> None:
    for paragraph in _description(_help(path, 500)):
        assert len(paragraph) == 1, paragraph


def test_every_option_help_is_a_sentence() -> None:
    for command in _commands():
        for param in command.params:
            text = getattr(param, "help", None)
            if param.name in {"help", "install_completion", "show_completion"}:
                continue
            assert text and text[0].isupper() and text.endswith("."), (command.name, param.name)


def test_serve_help_shows_the_default_host_and_port() -> None:
    output = _help(("serve",), 500)
    assert "[default: 127.0.0.1]" in output and "[default: 8000]" in output
