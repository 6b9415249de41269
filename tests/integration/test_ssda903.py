"""The SSDA903 tables of a generated authority, read from a real store (SQLite)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from typer.testing import CliRunner

from api.bootstrap import bootstrap
from api.cli import app
from api.formats.ssda903_csv import ssda903_files, ssda903_from_store
from api.samples.generator import generate_authority
from api.settings import Settings
from events.envelope import parse_event
from events.timepoints import parse_instant
from tests.backends import new_sqlite_url

NOW = parse_instant("2026-11-01T12:00Z")


def test_a_generated_authoritys_looked_after_children_make_contiguous_episodes(
    tmp_path: Path,
) -> None:
    """Every looked-after child of the authority has a header row and episodes that follow
    one another (an X1 end is the next episode's start); what is reported missing is only what
    the vocabulary does not record (the home postcode, whether a girl is a mother), a young
    child's UPN and a category of need from an N0/N9 referral; the files are the same twice."""
    foresight = bootstrap(Settings(db_url=new_sqlite_url(tmp_path / "store")))
    try:
        families = generate_authority(200, year=2026, seed=11)
        for family in families:
            foresight.service.append([parse_event(event) for event in family])
        foresight.runner.catch_up()
        found = ssda903_from_store(foresight.queries, year=2026, as_known_at=NOW)
        again = ssda903_from_store(foresight.queries, year=2026, as_known_at=NOW)
    finally:
        foresight.service.close()
    assert found.episodes
    by_child = defaultdict(list)
    for episode in found.episodes:
        by_child[episode.CHILD].append(episode)
    assert sorted(by_child) == sorted(row.CHILD for row in found.header)
    for episodes in by_child.values():
        assert episodes[0].RNE == "S"  # care began in the year
        for earlier, later in pairwise(episodes):
            assert (earlier.REC, earlier.DEC) == ("X1", later.DECOM)
            assert later.RNE in ("L", "P", "T")
    assert {episode.LS for episode in found.episodes} <= {"V2", "C1", "C2", "L1", "L2", "J1"}
    # What the vocabulary does not record, and N0/N9 referrals with no SSDA903 category.
    assert {issue.field for issue in found.issues} <= {"HOME_POST", "MOTHER", "UPN", "CIN"}
    assert len([issue for issue in found.issues if issue.field == "HOME_POST"]) == len(by_child)
    assert ssda903_files(found) == ssda903_files(again)


def test_the_cli_writes_the_csv_files_and_prints_the_completeness_report(
    db_url: str, point_cli_at: Callable[[str], None], tmp_path: Path
) -> None:
    """`foresight export ssda903` over a generated authority: the three files, the same bytes
    twice, and the completeness report naming the home postcode; a year out of range is
    refused with exit code 2 and nothing written."""
    point_cli_at(db_url)
    runner = CliRunner()
    generated = runner.invoke(
        app, ["generate", "--cases", "60", "--seed", "5", "--census-year", "2026"]
    )
    assert generated.exit_code == 0, generated.output
    arguments = ["export", "ssda903", "--year", "2026", "--as-known-at", "2026-11-01T12:00Z"]
    first = runner.invoke(app, [*arguments, "-o", str(tmp_path / "a")], env={"COLUMNS": "250"})
    assert first.exit_code == 0, first.output
    assert "HOME_POST" in first.stdout
    assert runner.invoke(app, [*arguments, "-o", str(tmp_path / "b")]).exit_code == 0
    names = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert names == ["episodes.csv", "header.csv", "missing.csv"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "episodes.csv").read_text().count("\n") > 1
    refused = runner.invoke(app, ["export", "ssda903", "--year", "99", "-o", str(tmp_path / "c")])
    assert refused.exit_code == 2
    assert "--year" in refused.output
    assert not (tmp_path / "c").exists()
