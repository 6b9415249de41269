"""Files given to `foresight append` (JSON, JSON Lines) and `foresight import-chronology` (CSV):
every row or event is stored exactly, or refused naming its line and column or field, with
nothing written; never an unhandled exception."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from api.bootstrap import bootstrap_writer
from api.cli import app
from api.formats.chronology_csv import (
    COLUMNS,
    ChronologyFileError,
    plan_import,
    read_chronology,
    write_import,
)
from api.formats.eventfiles import parse_events, split_events
from api.settings import Settings, get_settings
from domain.errors import CaseNotFound
from domain.service import CaseService
from events.envelope import InvalidEventError, parse_event
from tests.backends import new_sqlite_url
from tests.fuzz.strategies import (
    EDGE_TIMES,
    FUZZ,
    INJECTIONS,
    edge_time,
    hostile_envelopes,
    hostile_text,
    nested,
    returned_or_raised,
)

CASE = "FUZZ-FILES"
FILE_LABEL = re.compile(r"^(file|(line|item) \d+)(\.|$)")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CaseService]]:
    """A SQLite store holding the case and its child `ava` (the CSV importer merges into it)."""
    url = new_sqlite_url(tmp_path_factory.mktemp("fuzz-files"))
    service = bootstrap_writer(Settings(db_url=url))
    service.append(
        [
            parse_event(
                {
                    "type": "person_added",
                    "case_id": CASE,
                    "occurred_at": "2020-06-01",
                    "agency": "school",
                    "data": {"person_id": "ava", "role": "child"},
                }
            )
        ]
    )
    yield url, service
    service.close()


def stored_count(service: CaseService) -> int:
    try:
        return len(service.case_events(CASE))
    except CaseNotFound:
        return 0


# -- JSON and JSON Lines -------------------------------------------------------------------------


def as_file(events: list[dict[str, Any]], layout: str) -> str:
    lines = [
        json.dumps({**event, "case_id": CASE, "agency": "school"}, ensure_ascii=False)
        for event in events
    ]
    if layout == "array":
        return "[" + ",\n".join(lines) + "]"
    return "\n".join(lines) + "\n"


damage = st.one_of(
    st.just(""),
    st.sampled_from(["\n{", "]", "\x00", "\ud800", "\u2028", "\r\n", "\ufeff", ",", '"']),
    hostile_text,
)


@FUZZ
@given(
    st.lists(hostile_envelopes(), min_size=1, max_size=4),
    st.sampled_from(["array", "lines"]),
    damage,
    st.integers(min_value=0),
)
def test_an_event_file_is_read_or_refused_by_line_never_with_a_crash(
    events: list[dict[str, Any]],
    layout: str,
    inserted: str,
    at: int,
) -> None:
    text = as_file(events, layout)
    at %= len(text) + 1
    text = text[:at] + inserted + text[at:]
    envelopes = returned_or_raised(lambda: parse_events(split_events(text)), InvalidEventError)
    if isinstance(envelopes, InvalidEventError):
        refusal = envelopes
        assert refusal.errors
        assert all(FILE_LABEL.match(problem.field) for problem in refusal.errors), refusal
        return
    assert all(envelope.case_id == CASE for envelope in envelopes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (nested(10_000), "line 1: not readable: JSON nested too deeply"),
        ("[" * 10_000 + "]" * 10_000, "line 1: not readable: JSON nested too deeply"),
        (
            '{"type": "note_added"}\n' + nested(10_000),
            "line 2: not readable: JSON nested too deeply",
        ),
        (
            '{"type": "note_added", "date_uncertain": ' + "9" * 5000 + "}",
            "line 1: not readable: a number has too many digits",
        ),
        (
            '{"type": "note_added", "type": "case_closed"}',
            "line 1: not readable: the key 'type' is given more than once in one object",
        ),
    ],
)
def test_json_that_python_cannot_or_should_not_read_is_refused_by_line(
    text: str,
    message: str,
) -> None:
    """These raised RecursionError and ValueError, or kept only the last of two keys."""
    with pytest.raises(InvalidEventError) as refused:
        split_events(text)
    assert [str(problem) for problem in refused.value.errors] == [message]


def test_json_lines_end_at_newlines_only_not_at_unicode_line_separators() -> None:
    """`str.splitlines` also split at U+2028, U+0085 and form feeds, which JSON strings hold."""
    summaries = ["a\u2028b", "c\x85d", "e\x0cf", "g\x1ch"]
    text = "\n".join(
        json.dumps(
            {
                "type": "note_added",
                "case_id": CASE,
                "agency": "school",
                "occurred_at": "2024-03-01",
                "summary": summary,
            },
            ensure_ascii=False,
        )
        for summary in summaries
    )
    assert [envelope.summary for envelope in parse_events(split_events(text))] == summaries


@pytest.fixture
def cli(store: tuple[str, CaseService], point_cli_at: Callable[[str], None]) -> Iterator[Any]:
    point_cli_at(store[0])

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    yield invoke
    get_settings.cache_clear()


GOOD_LINE = json.dumps(
    {
        "type": "note_added",
        "case_id": CASE,
        "agency": "school",
        "occurred_at": "2024-03-01",
        "summary": INJECTIONS[0],
    }
)


@pytest.mark.parametrize(
    ("content", "exit_code", "message"),
    [
        pytest.param(
            f"{GOOD_LINE}\n{nested(10_000)}\n{GOOD_LINE}\n".encode(),
            1,
            "line 2: not readable: JSON nested too deeply",
            id="nested too deeply",
        ),
        pytest.param(
            f"{GOOD_LINE}\n{GOOD_LINE.replace('2024-03-01', '2024-03-31T01:30')}\n".encode(),
            1,
            "line 2: occurred_at: 2024-03-31T01:30:00 does not exist",
            id="a wall time that did not happen",
        ),
        # This raised UnicodeDecodeError out of the command.
        pytest.param(
            b'{"type": "note_added", "summary": "caf\xe9"}',
            2,
            "is not UTF-8 text; nothing was written",
            id="not UTF-8",
        ),
    ],
)
def test_foresight_append_refuses_a_hostile_file_and_writes_nothing(
    cli: Any,
    store: tuple[str, CaseService],
    tmp_path: Path,
    content: bytes,
    exit_code: int,
    message: str,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    before = stored_count(store[1])
    result = cli("append", str(path))
    assert result.exit_code == exit_code, result.output
    assert message in " ".join(result.stderr.split())
    assert stored_count(store[1]) == before


def test_foresight_append_stores_odd_unicode_exactly(
    cli: Any,
    store: tuple[str, CaseService],
    tmp_path: Path,
) -> None:
    summaries = [
        "\u202eevil\u202c",
        "e\u0301",
        "\U0001f469\u200d\U0001f467 a\u2028b",
        "<script>x</script>",
        "'; DROP TABLE stored_events; --",
    ]
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "type": "note_added",
                    "case_id": CASE,
                    "agency": "school",
                    "occurred_at": "2024-03-02",
                    "summary": summary,
                },
                ensure_ascii=False,
            )
            for summary in summaries
        ),
        encoding="utf-8",
    )
    result = cli("append", str(path))
    assert result.exit_code == 0, result.output
    assert set(summaries) <= {event.summary for event in store[1].case_events(CASE)}


# -- CSV chronologies ------------------------------------------------------------------------------


# Mostly plausible rows, so that many are imported; each column sometimes hostile.
def plausible(usual: list[str], hostile: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.integers(0, 4).flatmap(lambda n: hostile if n == 0 else st.sampled_from(usual))


row_strategy = st.fixed_dictionaries(
    {
        "date": plausible(
            ["2024-03-05", "05/03/2024", "29/02/2024", "27/10/2024 01:30", "27/10/2024"],
            st.one_of(
                edge_time,
                st.sampled_from(
                    ["30/02/2024", "31/03/2024 01:30", "1/1/1900", "31/12/9999", "01/01/0001"]
                ),
            ),
        ),
        "time": plausible(
            ["", "", "", "01:30", "9:05", "23:59:59"],
            st.one_of(st.sampled_from(["24:00", "23:59:60", "\u0661\u0660:30"]), hostile_text),
        ),
        "summary": plausible(["Ava hungry", INJECTIONS[0]], hostile_text),
        "significance": plausible(["", "key", "Significant"], hostile_text),
        "recorded_date": plausible(["", "2024-10-28", "28/10/2024"], edge_time),
        "subjects": plausible(["", "ava", " ava ,"], st.one_of(st.just("ava; ava"), hostile_text)),
        "impact": plausible(["", "Ava withdrawn"], hostile_text),
        "action": plausible(["", "Referred to the school nurse"], hostile_text),
    }
)


def csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([[row[column] for column in COLUMNS] for row in rows])
    return buffer.getvalue()


def column_of(field: str) -> str:
    return re.split(r"[.\[]", field)[0]


@FUZZ
@given(st.lists(row_strategy, min_size=1, max_size=4))
def test_a_chronology_row_is_imported_exactly_or_refused_naming_its_column(
    store: tuple[str, CaseService],
    rows: list[dict[str, str]],
) -> None:
    service = store[1]
    read = returned_or_raised(
        lambda: read_chronology(
            csv_text(rows), case_id=CASE, agency="school", recorded_by="import:school"
        ),
        ChronologyFileError,
    )
    if isinstance(read, ChronologyFileError):
        assert str(read).startswith("line ")
        return
    plan = plan_import(service, read)
    for row in plan.refused:
        assert {column_of(error.field) for error in row.errors} <= {*COLUMNS, "(row)"}, row.errors
    before = stored_count(service)
    if plan.refused:
        return  # the command writes nothing then (checked through the CLI below)
    written = write_import(service, plan)
    assert stored_count(service) == before + written
    stored = {event.event_id: event for event in service.case_events(CASE)}
    sources = [row for row in rows if any(row[column].strip() for column in COLUMNS)]
    for row, source in zip(plan.rows, sources, strict=True):
        assert row.envelope is not None
        assert row.envelope.event_id is not None
        kept = stored[row.envelope.event_id]
        assert kept.summary == row.envelope.summary
        assert kept.summary
        assert kept.summary.strip() == source["summary"].strip()


def import_chronology(cli: Any, path: Path, *options: str) -> Result:
    return cli("import-chronology", str(path), "--case", CASE, "--agency", "school", *options)


@pytest.mark.parametrize("date_cell", EDGE_TIMES[:12])
def test_import_chronology_writes_a_file_with_an_edge_date_whole_or_not_at_all(
    cli: Any,
    store: tuple[str, CaseService],
    tmp_path: Path,
    date_cell: str,
) -> None:
    path = tmp_path / "school.csv"
    path.write_text(
        csv_text(
            [
                {**dict.fromkeys(COLUMNS, ""), "date": "2024-03-05", "summary": INJECTIONS[1]},
                {
                    **dict.fromkeys(COLUMNS, ""),
                    "date": date_cell,
                    "summary": f"On {date_cell!r}",
                    "subjects": "ava",
                },
            ]
        ),
        encoding="utf-8",
    )
    before = stored_count(store[1])
    result = import_chronology(cli, path)
    if result.exit_code == 0:
        assert stored_count(store[1]) - before in (0, 1, 2)  # rows may be in from an earlier run
        return
    assert result.exit_code == 1, result.output
    assert re.search(r"^line 3: refused: (date|time) ", result.stderr, re.MULTILINE), result.stderr
    assert stored_count(store[1]) == before


def test_a_quote_left_open_refuses_the_file_instead_of_swallowing_the_rows_after_it(
    cli: Any,
    store: tuple[str, CaseService],
    tmp_path: Path,
) -> None:
    """Python's lenient csv reader read every later line into the open cell."""
    path = tmp_path / "school.csv"
    path.write_text(
        'date,summary\n2024-03-05,"Ava hungry\n2024-03-06,Ava tired\n', encoding="utf-8"
    )
    before = stored_count(store[1])
    result = import_chronology(cli, path)
    assert result.exit_code == 2, result.output
    assert "line 2: not readable as CSV: a quoted cell is never closed" in " ".join(
        result.stderr.split()
    )
    assert stored_count(store[1]) == before


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        (("\uff10\uff15/03/2024", ""), "date"),  # full-width digits were read as 05/03/2024
        (("05/03/2024", "\u0661\u0660:30"), "time"),  # Arabic-Indic digits were half converted
    ],
)
def test_dates_and_times_take_ascii_digits_only(cells: tuple[str, str], column: str) -> None:
    [row] = read_chronology(
        csv_text(
            [{**dict.fromkeys(COLUMNS, ""), "date": cells[0], "time": cells[1], "summary": "x"}]
        ),
        case_id=CASE,
        agency="school",
        recorded_by="import:school",
    )
    assert [error.field for error in row.errors] == [column]


ODD_SUMMARIES = [
    "a\x00b",
    "\u202eevil\u202c",
    "\u200fRTL mark",
    "e\u0301",
    "\U0001f600",
    "\U0001f469\u200d\U0001f467",
    "a\u2028b",
    "\uffff",
    INJECTIONS[0],
    INJECTIONS[3],
]


def test_odd_unicode_is_stored_exactly_on_every_backend(service: CaseService) -> None:
    """The fuzz above runs on SQLite; NUL and the rest must also survive PostgreSQL's JSON."""
    service.append(
        [
            parse_event(
                {
                    "type": "note_added",
                    "case_id": CASE,
                    "agency": "school",
                    "occurred_at": "2024-03-01",
                    "summary": summary,
                    "impact": summary,
                }
            )
            for summary in ODD_SUMMARIES
        ]
    )
    stored = service.case_events(CASE)
    assert [event.summary for event in stored] == ODD_SUMMARIES
    assert [event.impact for event in stored] == ODD_SUMMARIES
