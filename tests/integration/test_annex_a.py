"""`foresight export annex-a` and `GET /exports/annex-a` on a real store: the hand-built cases
of tests/unit/test_annex_a.py appended through the service, the lists answered from the read
models, written as XLSX and CSV, byte-identical when generated twice."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.formats.annex_a import NOTES_SHEET, annex_a_xlsx
from api.http.app import create_app
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from replay.annex_a import LISTS, annex_a_from_queries
from tests.unit.test_annex_a import (
    AFTER_LATE,
    BEFORE_LATE,
    PERIOD,
    RECORDED,
    annex_story,
    folded,
)

SHEETS = [
    "List 1 Contacts",
    "List 2 Early help",
    "List 3 Referrals",
    "List 4 Assessments",
    "List 5 Section 47",
    "List 6 Children in need",
    "List 7 Child protection",
    "List 8 Children looked after",
    "Notes",
]


@pytest.fixture
def web(db_url: str, point_cli_at: Callable[[str], None]) -> Iterator[FastAPI]:
    app = create_app(Settings(db_url=db_url))
    foresight = app.state.foresight
    foresight.service.append([parse_event(item) for item in annex_story()], recorded_at=RECORDED)
    foresight.caught_up()
    point_cli_at(db_url)
    yield app
    foresight.service.close()


@pytest.mark.parametrize(
    ("as_known_at", "agency"),
    [(BEFORE_LATE, None), (AFTER_LATE, None), (BEFORE_LATE, "social_care")],
)
def test_the_read_models_give_the_same_lists_as_the_direct_fold(web, as_known_at, agency) -> None:
    from_store = annex_a_from_queries(
        web.state.foresight.queries, as_known_at=as_known_at, agency=agency, **PERIOD
    )
    assert from_store == folded(as_known_at, agency)
    assert len(from_store.rows[3]) == (4 if as_known_at == AFTER_LATE else 3)


def export(*arguments: str) -> None:
    result = CliRunner().invoke(
        cli, ["export", "annex-a", "--from", "2024-01-01", "--to", "2024-06-30", *arguments]
    )
    assert result.exit_code == 0, result.output


def test_the_workbook_has_a_sheet_per_list_with_annex_a_headers_and_is_reproducible(
    web,
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    export("--as-known-at", "2024-07-01T12:00", "-o", str(first))
    export("--as-known-at", "2024-07-01T12:00", "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    export("--as-known-at", "2024-08-02T12:00", "-o", str(tmp_path / "later.xlsx"))
    assert (tmp_path / "later.xlsx").read_bytes() != first.read_bytes()

    book = openpyxl.load_workbook(first)
    assert book.sheetnames == SHEETS
    assert book.properties.created == book.properties.modified
    assert book.properties.created.isoformat() == "2024-07-01T11:00:00"  # 12:00 London, in UTC
    for spec in LISTS:
        sheet = book[spec.sheet]
        assert [cell.value for cell in sheet[1]] == list(spec.columns)
    referrals = book["List 3 Referrals"]
    assert [cell.value for cell in referrals[2]][:9] == [
        "ava",
        "b) Female",
        "a) WBRI",
        datetime(2015, 6, 1),
        9,
        datetime(2024, 1, 1),
        "q) 6: Police",
        "b) No",
        1,
    ]  # Excel has no dates, only date-times
    assert referrals.max_row == 4  # the late referral was not known on 1 July
    notes = [row[0].value for row in book[NOTES_SHEET].iter_rows(min_row=2)]
    assert "blank: Allocated Worker" not in notes  # read from worker_allocated now
    assert "read from the record" in notes
    assert "blank: Placement Location" in notes


def test_csv_writes_one_file_per_list_into_a_directory(web, tmp_path: Path) -> None:
    export("--as-known-at", "2024-08-02T12:00", "--format", "csv", "-o", str(tmp_path / "out"))
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == sorted([f"{spec.stem}.csv" for spec in LISTS] + ["notes.csv"])
    with open(tmp_path / "out" / "list_7_child_protection.csv", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(LISTS[6].columns)
    assert rows[1][:13] == [
        "ava",
        "b) Female",
        "a) WBRI",
        "2015-06-01",
        "9",
        "b) No",
        "2024-02-28",
        "a) Neglect",
        "b) Physical abuse",
        "2024-06-01",
        "b) No",
        "2024-05-20",
        "2024-06-30",
    ]


def test_bad_periods_are_refused(web, tmp_path: Path) -> None:
    for arguments in (
        ["--from", "2024-07-01", "--to", "2024-06-30"],
        ["--from", "1 July", "--to", "2024-06-30"],
    ):
        result = CliRunner().invoke(
            cli, ["export", "annex-a", *arguments, "-o", str(tmp_path / "x.xlsx")]
        )
        assert result.exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_managers_get_the_workbook_over_http_and_practitioners_are_refused(web) -> None:
    engine = web.state.foresight.queries.engine
    _, manager = add_user(engine, "tm-one", "manager", "social_care")
    _, worker = add_user(engine, "sw-one", "practitioner", "social_care")
    client = TestClient(web)
    url = "/exports/annex-a?from=2024-01-01&to=2024-06-30&as_known_at=2024-07-01T12:00"
    got = client.get(url, headers={"Authorization": f"Bearer {manager}"})
    assert got.status_code == 200, got.text
    assert got.content == annex_a_xlsx(folded(BEFORE_LATE, "social_care"))  # own agency only
    assert got.headers["foresight-as-known-at"] == "2024-07-01T11:00:00+00:00"
    _, reviewer = add_user(engine, "rev-one", "reviewer", "review")
    whole = client.get(url, headers={"Authorization": f"Bearer {reviewer}"})
    assert whole.content == annex_a_xlsx(folded(BEFORE_LATE))  # reviewers: the whole record
    csvs = client.get(url + "&format=csv", headers={"Authorization": f"Bearer {manager}"})
    with zipfile.ZipFile(io.BytesIO(csvs.content)) as archive:
        assert "list_1_contacts.csv" in archive.namelist()
    refused = client.get(url, headers={"Authorization": f"Bearer {worker}"})
    assert refused.status_code == 403
    backwards = client.get(
        "/exports/annex-a?from=2024-07-01&to=2024-06-30",
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"
    assert "query.to" in backwards.text
