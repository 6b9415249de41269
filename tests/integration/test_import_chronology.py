"""`foresight import-chronology`: every bad row named, nothing written unless asked, idempotent."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.bootstrap import bootstrap, bootstrap_writer
from api.cli import app
from api.formats.chronology_csv import ChronologyFileError, column_key, read_chronology
from api.settings import Settings, get_settings
from events.envelope import parse_event
from events.timepoints import parse_instant

CASE = "FAM-IMP"
BAD_LINES = {
    102: ("date", "2024-02-30"),  # not a real date
    2_503: ("summary", ""),  # summary missing
    5_004: ("subjects", "zed"),  # a child the case does not hold
    7_505: ("recorded_date", "2020-01-01"),  # recorded before it happened
    9_006: ("significance", "urgent!"),  # not a significance
}


@pytest.fixture
def store(db_url: str, point_cli_at: Callable[[str], None]) -> Iterator[str]:
    point_cli_at(db_url)
    service = bootstrap_writer(Settings(db_url=db_url))
    service.append(
        [
            parse_event(
                {
                    "type": "person_added",
                    "case_id": CASE,
                    "occurred_at": "2020-06-01",
                    "agency": "social_care",
                    "data": {"person_id": "ava", "role": "child"},
                }
            )
        ]
    )
    service.close()
    yield db_url
    get_settings.cache_clear()


def stored_count(db_url: str) -> int:
    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        return len(service.case_events(CASE))
    finally:
        service.close()


def import_file(path: Path, *options: str) -> Result:
    return CliRunner().invoke(
        app, ["import-chronology", str(path), "--case", CASE, "--agency", "school", *options]
    )


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
        row = {
            "date": day.isoformat(),
            "time": f"{8 + number % 10:02d}:15",
            "summary": f"Entry {number}: Ava seen in class",
            "significance": "routine",
            "recorded_date": (day + timedelta(days=1)).isoformat(),
            "subjects": "ava",
        }
        if line in BAD_LINES:
            column, value = BAD_LINES[line]
            row[column] = value
        rows.append(list(row.values()))
    header = ["Date", "TIME", "summary", "Significance", "Recorded-Date", "subjects"]
    return write_csv(tmp_path / "school.csv", header, rows)


@pytest.mark.slow
def test_a_10000_row_chronology_with_bad_rows_is_checked_refused_then_imported_once(
    store: str, big_file: Path
) -> None:
    """Dry run names each bad row; without --skip-invalid nothing is written; with it the rest
    are written exactly once; importing the same file again writes nothing."""
    dry = import_file(big_file, "--dry-run")
    assert dry.exit_code == 1
    refused = {
        int(line.split(":")[0].removeprefix("line ")): line
        for line in dry.stderr.splitlines()
        if ": refused: " in line
    }
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
    assert {
        column_key(header)
        for header in ("Recorded Date", "recorded-date", "RECORDED_DATE", " recorded  date ")
    } == {"recorded_date"}
    with pytest.raises(ChronologyFileError, match=r"unknown column.*'Colour'"):
        read_chronology(
            "date,summary,Colour\n2024-01-01,x,red\n",
            case_id=CASE,
            agency="school",
            recorded_by="x",
        )
    with pytest.raises(ChronologyFileError, match=r"missing column.*summary"):
        read_chronology("date,notes\n", case_id=CASE, agency="school", recorded_by="x")


def test_time_uk_dates_subjects_and_a_date_only_record_date_become_the_event(
    store: str, tmp_path: Path
) -> None:
    """A time makes a local datetime; 05/03/2024 is 5 March; a recorded date is known from the
    end of that day; subjects split on ';'; a repeated row is written once."""
    path = write_csv(
        tmp_path / "c.csv",
        ["date", "time", "summary", "recorded date", "subjects", "impact", "action"],
        [
            [
                "05/03/2024",
                "14:30",
                "Ava upset at pick-up",
                "06/03/2024",
                "ava;",
                "Ava withdrawn",
                "DSL informed",
            ],
            [
                "05/03/2024",
                "14:30",
                "Ava upset at pick-up",
                "06/03/2024",
                "ava;",
                "Ava withdrawn",
                "DSL informed",
            ],
        ],
    )
    result = import_file(path)
    assert result.exit_code == 0, result.output
    assert "line 3: the same as line 2" in result.stderr
    settings = Settings(db_url=store)
    foresight = bootstrap(settings)
    foresight.runner.catch_up()
    queries = foresight.queries
    [entry] = [e for e in queries.chronology(CASE) if e.type == "note_added"]
    assert entry.occurred_at == parse_instant("2024-03-05T14:30")  # London, GMT in March
    assert entry.subjects == ("ava",)
    assert entry.impact == "Ava withdrawn"
    assert entry.agency == "school"
    assert entry.recorded_by == "import:school"
    assert entry.known_at == parse_instant("2024-03-06T23:59:59.999999")
    assert not [
        e
        for e in queries.chronology(CASE, as_known_at=parse_instant("2024-03-06T12:00"))
        if e.type == "note_added"
    ]


def test_a_case_not_yet_in_the_store_is_opened_by_the_import(store: str, tmp_path: Path) -> None:
    """As a first append opens a case, so does a first import; a dry run of it writes nothing,
    and a row naming a person the new case does not have is refused as in any case."""
    path = write_csv(
        tmp_path / "c.csv",
        ["date", "summary", "subjects"],
        [["2024-03-05", "Ava late to school", ""], ["2024-03-06", "Ava hungry", "ava"]],
    )

    def import_into_new_case(*options: str) -> Result:
        arguments = ["import-chronology", str(path), "--case", "FAM-NEW", "--agency", "school"]
        return CliRunner().invoke(app, [*arguments, *options])

    def new_case_events() -> list[str]:
        service = bootstrap_writer(Settings(db_url=store))
        try:
            if not service.case_exists("FAM-NEW"):
                return []
            return [event.summary or "" for event in service.case_events("FAM-NEW")]
        finally:
            service.close()

    dry_run = import_into_new_case("--dry-run")
    assert dry_run.exit_code == 1, dry_run.output
    assert "1 to write" in " ".join(dry_run.stdout.split())
    assert "line 3: refused: subjects" in " ".join(dry_run.stderr.split())
    assert new_case_events() == []

    imported = import_into_new_case("--skip-invalid")
    assert imported.exit_code == 0, imported.output
    assert "Imported 1 new event(s) into FAM-NEW" in " ".join(imported.stdout.split())
    assert new_case_events() == ["Ava late to school"]


def test_re_importing_with_another_recorded_by_writes_nothing_and_refuses_nothing(
    store: str, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        ["date", "summary", "subjects"],
        [["2024-03-05", "Ava late to school", "ava"]],
    )
    assert import_file(path).exit_code == 0
    again = import_file(path, "--recorded-by", "dsl-jones")
    assert again.exit_code == 0, again.output
    assert "Imported 0 new event(s)" in " ".join(again.stdout.split())
    assert "1 already in FAM-IMP" in " ".join(again.stdout.split())
    assert stored_count(store) == 2


def test_a_row_rewritten_by_a_spreadsheet_is_still_the_same_row(store: str, tmp_path: Path) -> None:
    """Day-first dates, seconds on the time, capitals in the significance: the same content."""
    first = write_csv(
        tmp_path / "a.csv",
        ["date", "time", "summary", "significance", "recorded_date"],
        [["2024-03-05", "09:05", "Ava hungry", "significant", "2024-03-06"]],
    )
    second = write_csv(
        tmp_path / "b.csv",
        ["Date", "Time", "Summary", "Significance", "Recorded Date"],
        [["05/03/2024", "9:05:00", "Ava hungry", "Significant", "6/3/2024"]],
    )
    assert import_file(first).exit_code == 0
    again = import_file(second)
    assert again.exit_code == 0, again.output
    assert "Imported 0 new event(s)" in " ".join(again.stdout.split())
    assert stored_count(store) == 2


def test_a_repeated_bad_row_is_refused_on_each_line_and_a_future_date_is_refused(
    store: str, tmp_path: Path
) -> None:
    next_year = date.today().year + 1
    path = write_csv(
        tmp_path / "c.csv",
        ["date", "summary", "subjects"],
        [
            ["2024-03-05", "Zed seen", "zed"],
            ["2024-03-05", "Zed seen", "zed"],
            [f"{next_year}-01-01", "Planned visit", "ava"],
        ],
    )
    dry = import_file(path, "--dry-run")
    assert dry.exit_code == 1
    refused = sorted(line for line in dry.stderr.splitlines() if ": refused: " in line)
    unknown = (
        "subjects.0 person 'zed' has not been added to case 'FAM-IMP' (record person_added first)"
    )
    assert refused == [
        f"line 2: refused: {unknown}",
        f"line 3: refused: {unknown}",
        "line 4: refused: date is more than 24 hours in the future",
    ]
    assert "0 to write" in " ".join(dry.stdout.split())

    skipped = import_file(path, "--skip-invalid")
    assert skipped.exit_code == 1  # every row refused: nothing could be written
    assert "every row refused" in skipped.stderr
    assert stored_count(store) == 1


def test_a_dry_run_of_a_partly_imported_file_counts_what_is_there_and_writes_nothing(
    store: str, tmp_path: Path
) -> None:
    one = ["2024-03-05", "Ava hungry", "ava"]
    two = ["2024-03-06", "Ava tired", "ava, "]
    assert (
        import_file(write_csv(tmp_path / "a.csv", ["date", "summary", "subjects"], [one])).exit_code
        == 0
    )
    path = write_csv(tmp_path / "b.csv", ["date", "summary", "subjects"], [one, two, two])
    dry = import_file(path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        "3 row(s): 1 to write, 1 already in FAM-IMP, 1 repeated in the file, 0 refused"
        in " ".join(dry.stdout.split())
    )
    assert stored_count(store) == 2


# -- reading rows (no store) -------------------------------------------------------------------


def read(text: str) -> list:
    return read_chronology(text, case_id=CASE, agency="school", recorded_by="import:school")


def test_a_row_becomes_a_note_of_the_agency() -> None:
    [row] = read(
        "SUMMARY,Date,time,Subjects,significance,recorded-date,Impact,ACTION\n"
        'Ava upset,01/07/2024,14:30,"ava ; leo,mia",KEY,02/07/2024 09:00,'
        "Withdrawn,DSL told\n"
    )
    assert row.errors == []
    assert row.line == 2
    envelope = row.envelope
    assert envelope is not None
    assert envelope.type == "note_added"
    assert envelope.agency == "school"
    assert envelope.recorded_by == "import:school"
    assert envelope.case_id == CASE
    assert envelope.occurred_at == parse_instant("2024-07-01T13:30+00:00")  # BST in July
    assert envelope.source_recorded_at == parse_instant("2024-07-02T08:00+00:00")
    assert envelope.subjects == ("ava", "leo", "mia")
    assert envelope.significance == "key"
    assert (envelope.summary, envelope.impact, envelope.action) == (
        "Ava upset",
        "Withdrawn",
        "DSL told",
    )
    assert envelope == parse_event({**envelope.model_dump(), "event_id": str(envelope.event_id)})


def test_a_date_alone_stays_a_date_and_defaults_apply() -> None:
    [row] = read("date,summary\n2024-03-05,Seen in class\n")
    assert row.envelope is not None
    assert row.envelope.occurred_at == date(2024, 3, 5)
    assert row.envelope.significance == "routine"
    assert row.envelope.subjects == ()
    assert row.envelope.source_recorded_at is None


def test_the_event_id_is_the_content_not_the_line() -> None:
    rows = read(
        "date,time,summary,significance,subjects\n"
        '2024-03-05,14:30,Ava hungry,Routine,"ava, leo"\n'
        "\n"
        "05/03/2024,14:30:00,Ava hungry,,ava;leo\n"
        "2024-03-05,14:30,Ava hungry!,,ava;leo\n"
    )
    assert [row.line for row in rows] == [2, 4, 5]
    ids = [row.envelope.event_id for row in rows if row.envelope is not None]
    assert ids[0] == ids[1] != ids[2]
    [elsewhere] = read_chronology(
        "date,summary,subjects\n2024-03-05T14:30,Ava hungry,ava;leo\n",
        case_id=CASE,
        agency="health",
        recorded_by="x",
    )
    assert elsewhere.envelope is not None
    assert elsewhere.envelope.event_id not in ids


def test_each_bad_cell_is_named_by_its_column_and_line() -> None:
    rows = read(
        "date,time,summary,significance,recorded_date,,\n"
        "31/02/2024,,a,,,,\n"
        "2024-03-05,25:00,b,,,,\n"
        "2024-03-31,01:30,c,,,,\n"
        "2024-03-05,,,,,,\n"
        "2024-03-05,,d,urgent,,,\n"
        "2024-03-05,,e,,2024-03-04,,\n"
        "2024-03-05,,f,,yesterday,,\n"
        "2024-03-05,,g,,,,stray\n"
        ",,,,,,\n"
        '2024-03-05,,"two\nlines",nope,,,\n'
    )
    found = {row.line: [error.field for error in row.errors] for row in rows}
    assert found == {
        2: ["date"],
        3: ["time"],
        4: ["time"],
        5: ["summary"],
        6: ["significance"],
        7: ["recorded_date"],
        8: ["recorded_date"],
        9: ["(row)"],
        11: ["significance"],
    }
    assert "not a real calendar date" in rows[0].errors[0].reason
    assert "does not exist in Europe/London" in rows[2].errors[0].reason  # clocks went forward


def test_a_header_naming_a_column_twice_or_nothing_refuses_the_file() -> None:
    with pytest.raises(ChronologyFileError, match="more than once: 'Date' and 'date'"):
        read("Date,summary,date\n2024-01-01,x,2024-01-02\n")
    with pytest.raises(ChronologyFileError, match="empty"):
        read("\n")
    assert [row.line for row in read("\ufeffdate,summary,\n2024-01-01,x,\n")] == [2]
