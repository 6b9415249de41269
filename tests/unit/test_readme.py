"""The README's examples are checked against the code, so the docs cannot rot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer.main

from api.cli import app
from events.envelope import parse_event

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_envelope_example_is_a_valid_event():
    """The JSON example in the README parses as an event without errors."""
    block = re.search(r"```json\n(.*?)```", README, re.DOTALL)
    assert block is not None
    envelope = parse_event(json.loads(block.group(1)))
    assert envelope.type == "contact_received"


def test_every_command_in_the_readme_table_exists():
    """Each `foresight X` named in the command table is a real command of the CLI."""
    named = set(re.findall(r"^\| `foresight ([a-z-]+)", README, re.MULTILINE))
    group = typer.main.get_command(app)
    assert named, "the README lists no commands"
    assert named <= set(group.commands), named - set(group.commands)


def test_ci_runs_exactly_the_readme_test_command():
    """`.ci/run` runs the README's install-and-test command, not something else."""
    test_command = "pip install -e '.[test]' && .ci/check"
    assert test_command in README
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_decision_id_in_the_readme_is_the_demo_cases_first_decision():
    """The README's foresight example names the demo's first decision, whose id is fixed."""
    from api.samples.demo import demo_id

    assert demo_id("decision-assess") in README
