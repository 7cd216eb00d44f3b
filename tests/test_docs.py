"""Every command has help text, an example, and a section in the README; the README's library example runs."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from policyscan.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(main), ids=lambda x: x if isinstance(x, str) else "")
def test_command_is_documented(name, command):
    assert command.help and "Example:" in command.help, f"{name}: docstring needs an Example: block"
    assert f"policyscan {name}" in README, f"{name} is not described in README.md"
    for option in command.params:
        if isinstance(option, click.Option):
            assert option.help, f"{name} {option.opts[0]} has no help text"


def test_readme_library_example_runs(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    code = re.search(r"## As a library\n\n```python\n(.*?)```", README, re.S).group(1)
    code = code.replace("print(", "_ = (")
    exec(compile(code, "README.md", "exec"), {})
