"""The SSDA903 tables of a generated authority, read from a real store (SQLite)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import httpx
import sqlalchemy
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap import bootstrap
from api.cli import app
from api.formats.ssda903_csv import ssda903_files, ssda903_from_store
from api.http.app import create_app
from api.samples.generator import generate_authority
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from events.timepoints import parse_instant
from tests.backends import new_sqlite_url

NOW = parse_instant("2026-11-01T12:00Z")
LA = "E08000035"


def test_a_generated_authoritys_looked_after_children_make_contiguous_episodes(
    tmp_path: Path,
) -> None:
    """Every looked-after child of the authority has a header row and episodes that follow
    one another (an X1 end is the next episode's start), full home and placement postcodes,
    reviews with the child's participation and a social worker; what is reported missing is
    nothing; the files are the same twice."""
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
    # Everything the 903 reads is recorded: a young child's UPN by its UN code, each girl's
    # motherhood (0: no child of hers recorded), previous permanence and the social workers'
    # registration numbers and reasons for a change.
    assert {issue.field for issue in found.issues} == set(), found.issues[:3]
    assert all(episode.HOME_POST and " " in str(episode.PL_POST) for episode in found.episodes)
    assert all(episode.CIN for episode in found.episodes)
    # Every child started care in the year: each has a PrevPerm row, its permanence blank,
    # a review with how they took part and an allocated social worker.
    assert [row.CHILD for row in found.previous_permanence] == sorted(by_child)
    assert {row.CHILD for row in found.reviews if row.REVIEW_CODE} == set(by_child)
    assert {row.CHILD for row in found.social_workers} == set(by_child)
    assert ssda903_files(found, la=LA) == ssda903_files(again, la=LA)


def test_the_cli_writes_the_csv_files_and_prints_the_completeness_report(
    db_url: str, point_cli_at: Callable[[str], None], tmp_path: Path
) -> None:
    """`foresight export ssda903` over a generated authority: the three files, the same bytes
    twice, and the completeness report naming previous permanence; a year out of range is
    refused with exit code 2 and nothing written."""
    point_cli_at(db_url)
    runner = CliRunner()
    generated = runner.invoke(
        app, ["generate", "--cases", "60", "--seed", "5", "--census-year", "2026"]
    )
    assert generated.exit_code == 0, generated.output
    arguments = [
        *("export", "ssda903", "--year", "2026", "--la", LA),
        *("--as-known-at", "2026-11-01T12:00Z"),
    ]
    first = runner.invoke(app, [*arguments, "-o", str(tmp_path / "a")], env={"COLUMNS": "250"})
    assert first.exit_code == 0, first.output
    assert "every child's record is complete" in first.stdout
    assert runner.invoke(app, [*arguments, "-o", str(tmp_path / "b")]).exit_code == 0
    names = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert names == [
        *("ad1.csv", "episodes.csv", "header.csv", "metadata.json", "missing.csv", "oc2.csv"),
        *("placed_for_adoption.csv", "previous_permanence.csv", "reviews.csv"),
        "social_worker_episodes.csv",
    ]
    metadata = json.loads((tmp_path / "a" / "metadata.json").read_text())
    assert metadata == {"collectionYear": "2026", "localAuthority": LA}
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "episodes.csv").read_text().count("\n") > 1
    for option, bad in (("--year", "99"), ("--la", "873")):
        arguments = ["export", "ssda903", "--year", "2026", "--la", LA, "-o", str(tmp_path / "c")]
        arguments[arguments.index(option) + 1] = bad
        refused = runner.invoke(app, arguments)
        assert refused.exit_code == 2
        assert option in refused.output
        assert not (tmp_path / "c").exists()


def test_managers_of_the_returns_agency_get_the_files_as_a_zip_from_the_api(
    tmp_path: Path,
) -> None:
    """`GET /exports/ssda903`: a zip of the CSV files, metadata.json naming the authority and
    the completeness report, the same bytes as the command's files and the same zip twice;
    the read is in the access log; a practitioner is refused (403) and a bad LA code is a 422
    naming `query.la`, with nothing logged; no token is a 401."""
    application = create_app(Settings(db_url=new_sqlite_url(tmp_path / "store")))
    foresight = application.state.foresight
    for family in generate_authority(60, year=2026, seed=5):
        foresight.service.append([parse_event(event) for event in family])
    tokens = {
        name: add_user(foresight.queries.engine, name, role, "social_care")[1]
        for name, role in (("tm-lac", "manager"), ("sw-lac", "practitioner"))
    }

    def get(user: str, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        return client.get("/exports/ssda903", params=params, headers=headers)

    def reads() -> int:
        with foresight.queries.engine.connect() as connection:
            count = connection.execute(
                sqlalchemy.text("SELECT count(*) FROM foresight_access_log")
            ).scalar()
        return int(count or 0)

    params = {"year": 2026, "la": LA, "as_known_at": "2026-11-01T12:00Z"}
    try:
        with TestClient(application) as client:
            before = reads()
            response = get("tm-lac", **params)
            assert response.status_code == 200, response.text
            assert reads() == before + 1
            assert response.headers["content-type"] == "application/zip"
            assert get("tm-lac", **params).content == response.content
            found = ssda903_from_store(foresight.caught_up(), year=2026, as_known_at=NOW)
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                files = {name: archive.read(name) for name in archive.namelist()}
            assert files.pop("completeness.csv").count(b"\n") == len(found.issues) + 1
            assert files == ssda903_files(found, la=LA)
            assert int(response.headers["Foresight-Completeness-Issues"]) == len(found.issues)
            assert get("sw-lac", **params).status_code == 403
            assert client.get("/exports/ssda903", params=params).status_code == 401
            refused = get("tm-lac", **{**params, "la": "873"})
            assert refused.status_code == 422
            assert "query.la" in [error["field"] for error in refused.json()["errors"]]
            assert reads() == before + 2
    finally:
        foresight.service.close()
