"""`foresight import-chronology`: every bad row named, nothing written unless asked, idempotent."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.bootstrap import build_case_service, build_case_views_runner
from api.chronology_import import ChronologyFileError, column_key, read_chronology
from api.cli import app
from api.settings import Settings, get_settings
from events.envelope import parse_event
from events.timepoints import parse_instant
from replay.queries import CaseQueries

CASE = "FAM-IMP"
BAD_LINES = {
    102: ("date", "2024-02-30"),          # not a real date
    2_503: ("summary", ""),              # summary missing
    5_004: ("subjects", "zed"),          # a child the case does not hold
    7_505: ("recorded_date", "2020-01-01"),  # recorded before it happened
    9_006: ("significance", "urgent!"),  # not a significance
}


@pytest.fixture
def store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FORESIGHT_DB_URL", db_url)
    get_settings.cache_clear()
    service = build_case_service(Settings(db_url=db_url))
    service.append([parse_event({
        "type": "person_added", "case_id": CASE, "occurred_at": "2020-06-01",
        "agency": "social_care", "data": {"person_id": "ava", "role": "child"}})])
    service.close()
    yield db_url
    get_settings.cache_clear()


def stored_count(db_url: str) -> int:
    service = build_case_service(Settings(db_url=db_url))
    try:
        return len(service.case_events(CASE))
    finally:
        service.close()


def import_file(path: Path, *options: str) -> Result:
    return CliRunner().invoke(
        app, ["import-chronology", str(path), "--case", CASE, "--agency", "school", *options])


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """10,000 rows of a school's chronology; five bad rows at known lines (header is line 1)."""
    rows = []
    first = date(2021, 1, 4)
    for number in range(10_000):
        line = number + 2
        day = first + timedelta(days=number // 10)
        row = {"date": day.isoformat(), "time": f"{8 + number % 10:02d}:15",
               "summary": f"Entry {number}: Ava seen in class", "significance": "routine",
               "recorded_date": (day + timedelta(days=1)).isoformat(), "subjects": "ava"}
        if line in BAD_LINES:
            column, value = BAD_LINES[line]
            row[column] = value
        rows.append(list(row.values()))
    header = ["Date", "TIME", "summary", "Significance", "Recorded-Date", "subjects"]
    return write_csv(tmp_path / "school.csv", header, rows)


def test_a_10000_row_chronology_with_bad_rows_is_checked_refused_then_imported_once(
    store: str, big_file: Path
) -> None:
    """Dry run names each bad row; without --skip-invalid nothing is written; with it the rest
    are written exactly once; importing the same file again writes nothing."""
    dry = import_file(big_file, "--dry-run")
    assert dry.exit_code == 1
    refused = {int(line.split(":")[0].removeprefix("line ")): line
               for line in dry.stderr.splitlines() if ": refused: " in line}
    assert sorted(refused) == sorted(BAD_LINES)
    for line, (column, _) in BAD_LINES.items():
        assert f": refused: {column}" in refused[line]
    assert "9995 to write" in " ".join(dry.stdout.split())
    assert stored_count(store) == 1

    refused_all = import_file(big_file)
    assert refused_all.exit_code == 1
    assert "Nothing written" in refused_all.stderr
    assert stored_count(store) == 1

    imported = import_file(big_file, "--skip-invalid")
    assert imported.exit_code == 0, imported.output
    assert "Imported 9995 new event(s)" in " ".join(imported.stdout.split())
    assert stored_count(store) == 1 + 9_995

    again = import_file(big_file, "--skip-invalid")
    assert again.exit_code == 0, again.output
    assert "Imported 0 new event(s)" in " ".join(again.stdout.split())
    assert "9995 already in FAM-IMP" in " ".join(again.stdout.split())
    assert stored_count(store) == 1 + 9_995


def test_headers_match_whatever_their_case_spaces_hyphens_and_underscores() -> None:
    assert {column_key(header) for header in
            ("Recorded Date", "recorded-date", "RECORDED_DATE", " recorded  date ")} == {
        "recorded_date"}
    with pytest.raises(ChronologyFileError, match="unknown column.*'Colour'"):
        read_chronology("date,summary,Colour\n2024-01-01,x,red\n", case_id=CASE,
                        agency="school", recorded_by="x")
    with pytest.raises(ChronologyFileError, match="missing column.*summary"):
        read_chronology("date,notes\n", case_id=CASE, agency="school", recorded_by="x")


def test_time_uk_dates_subjects_and_a_date_only_record_date_become_the_event(
    store: str, tmp_path: Path
) -> None:
    """A time makes a local datetime; 05/03/2024 is 5 March; a recorded date is known from the
    end of that day; subjects split on ';'; a repeated row is written once."""
    path = write_csv(tmp_path / "c.csv", ["date", "time", "summary", "recorded date", "subjects",
                                           "impact", "action"], [
        ["05/03/2024", "14:30", "Ava upset at pick-up", "06/03/2024", "ava;", "Ava withdrawn",
         "DSL informed"],
        ["05/03/2024", "14:30", "Ava upset at pick-up", "06/03/2024", "ava;", "Ava withdrawn",
         "DSL informed"],
    ])
    result = import_file(path)
    assert result.exit_code == 0, result.output
    assert "line 3: the same as line 2" in result.stderr
    settings = Settings(db_url=store)
    runner = build_case_views_runner(settings, build_case_service(settings))
    runner.catch_up()
    queries = CaseQueries(runner.views.engine)
    [entry] = [e for e in queries.chronology(CASE) if e.type == "note_added"]
    assert entry.occurred_at == parse_instant("2024-03-05T14:30")  # London, GMT in March
    assert entry.subjects == ("ava",) and entry.impact == "Ava withdrawn"
    assert entry.agency == "school" and entry.recorded_by == "import:school"
    assert entry.known_at == parse_instant("2024-03-06T23:59:59.999999")
    assert not [e for e in queries.chronology(CASE, as_known_at=parse_instant("2024-03-06T12:00"))
                if e.type == "note_added"]


def test_an_unknown_case_is_refused_and_nothing_is_created(store: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["date", "summary"], [["2024-03-05", "note"]])
    result = CliRunner().invoke(app, ["import-chronology", str(path), "--case", "FAM-NONE",
                                      "--agency", "school"])
    assert result.exit_code == 2
    assert "No case 'FAM-NONE'" in result.stderr
