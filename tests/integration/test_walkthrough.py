"""The command walkthroughs of the README and the docs run as written, against a fresh store.

A walkthrough is a fenced `sh` block right after a `<!-- walkthrough -->` line. Each document's
blocks run in order, one command at a time, in a temporary directory of their own with a new
SQLite store (`FORESIGHT_DB_URL`); every command must exit 0, and the commands whose output
says something a reader relies on must say it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = re.compile(r"^<!-- walkthrough -->\n```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
DOCUMENTS = ("README.md", "docs/index.md", "docs/cli.md")

# What a command's output must hold (and, for `demo --no-serve`, must not): the first matching
# prefix decides.
EXPECTED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foresight demo --no-serve", ("Demo case FAM-0042", "foresight serve")),
    ("foresight chronology FAM-0042 --as-known-at", ("Chronology of FAM-0042",)),
    ("foresight foresight FAM-0042", ("Held elsewhere", "Learned later")),
    ("foresight export cin-census", ("Wrote",)),
    ("foresight export annex-a", ("Wrote",)),
    ("foresight verify --anchor", ("matching the anchor",)),
    ("foresight verify", ("every hash chain intact",)),
    ("foresight users add", ("fst_",)),
    ("foresight rebuild", ("Rebuilt the read models",)),
)
# `foresight demo --no-serve` only loads the store: it prints no address to open.
NOT_EXPECTED = {"foresight demo --no-serve": ("http://",)}


def walkthrough_commands(text: str) -> list[str]:
    """The commands of every walkthrough block, in order, continuation lines joined."""
    commands: list[str] = []
    for block in WALKTHROUGH.findall(text):
        joined = block.replace("\\\n", " ")
        commands.extend(
            line.strip()
            for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")
        )
    return commands


def expected_output(command: str) -> tuple[str, ...]:
    for prefix, lines in EXPECTED:
        if command.startswith(prefix):
            return lines
    return ()


def test_the_readme_and_the_docs_have_walkthroughs():
    """Each document run below holds at least one walkthrough command."""
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        assert walkthrough_commands(text), f"{document} has no walkthrough block"


@pytest.mark.sqlite
@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_walkthrough_runs_as_written(document: str, tmp_path: Path) -> None:
    """Every walkthrough command of the document exits 0 and prints what a reader relies on."""
    commands = walkthrough_commands((ROOT / document).read_text(encoding="utf-8"))
    env = {
        **os.environ,
        "FORESIGHT_DB_URL": f"sqlite:///{tmp_path / 'foresight.db'}",
        # The `foresight` of the Python running the tests, whatever else is on PATH.
        "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
        "COLUMNS": "100",
    }
    for command in commands:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{document}: `{command}` exited {done.returncode}:\n{said}"
        for line in expected_output(command):
            assert line in said, f"{document}: `{command}` did not say {line!r}:\n{said}"
        for prefix, absent in NOT_EXPECTED.items():
            if command.startswith(prefix):
                for line in absent:
                    assert line not in said, f"{document}: `{command}` said {line!r}:\n{said}"
