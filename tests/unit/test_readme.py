"""The README's and the docs' examples are checked against the code, so the docs cannot rot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer.main

from api.cli import app
from events.envelope import parse_event

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def every_document() -> dict[Path, str]:
    documents = {ROOT / "README.md": README, ROOT / "mkdocs.yml": MKDOCS}
    documents.update({path: path.read_text(encoding="utf-8") for path in DOCS.rglob("*.md")})
    return documents


def test_the_envelope_example_is_a_valid_event():
    """The JSON example on the recording page parses as an event without errors."""
    block = re.search(r"```json\n(.*?)```", page("recording.md"), re.DOTALL)
    assert block is not None
    envelope = parse_event(json.loads(block.group(1)))
    assert envelope.type == "contact_received"


def test_every_command_in_the_command_table_exists():
    """Each `foresight X` named in the CLI page's command table is a real command of the CLI."""
    named = set(re.findall(r"^\| `foresight ([a-z-]+)", page("cli.md"), re.MULTILINE))
    group = typer.main.get_command(app)
    assert named, "the CLI page lists no commands"
    assert named <= set(group.commands), named - set(group.commands)


def test_every_command_of_the_cli_is_in_the_command_table():
    """No command of the CLI is missing from the CLI page's table."""
    named = set(re.findall(r"^\| `foresight ([a-z-]+)", page("cli.md"), re.MULTILINE))
    group = typer.main.get_command(app)
    assert set(group.commands) <= named, set(group.commands) - named


def test_ci_runs_exactly_the_readme_test_command():
    """`.ci/run` runs the README's install-and-test command, not something else."""
    test_command = "pip install -e '.[test]' && .ci/check"
    assert test_command in README
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_keeps_its_run_command():
    """The README's first command installs and runs the demo, as the issue asks."""
    assert "pip install -e . && foresight demo\n" in README


def test_the_decision_id_in_the_readme_is_the_demo_cases_first_decision():
    """The README's and the docs' foresight examples name the demo's first decision, whose id is
    fixed."""
    from api.samples.demo import demo_id

    decision = demo_id("decision-assess")
    assert decision in README
    assert decision in page("index.md")
    assert decision in page("api.md")


def test_nothing_points_outside_the_repository():
    """No document links to the shared folder or the product contract outside the clone."""
    for path, text in every_document().items():
        assert "../shared" not in text, path
        assert "SPEC.md" not in text, path
        assert "NOTES-eventsourcing" not in text, path


def test_every_relative_link_of_the_readme_resolves():
    """Each link and image of the README names a file of the repository."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    local = [target for target in targets if "://" not in target]
    assert local, "the README links to nothing in the repository"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert not missing, missing


def test_every_page_is_in_the_site_navigation():
    """Each Markdown page under docs/ is reachable from the site's navigation."""
    in_nav = set(re.findall(r":\s+(\S+\.md)\s*$", MKDOCS, re.MULTILINE))
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages == in_nav, pages ^ in_nav


def test_the_screenshot_is_a_small_png():
    """The README's screenshot is committed, is a PNG, and is small enough for a clone."""
    screenshot = DOCS / "images" / "case-page.png"
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 200_000


def test_the_readme_marks_a_walkthrough():
    """The README holds a command walkthrough that tests/integration/test_walkthrough.py runs."""
    assert re.search(r"<!-- walkthrough -->\n```sh\n", README)
