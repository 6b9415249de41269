"""The `foresight` command line: append, chronology, users add, against a real SQLite file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from api.bootstrap import bootstrap_writer, build_blob_store, build_engine
from api.cli import app
from api.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
CASE = "FAM-CLI"

Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, point_cli_at: Callable[[str], None]) -> Iterator[Invoke]:
    """Run the Typer app in-process against the store at `db_url`."""
    point_cli_at(db_url)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def run_foresight(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `foresight` console script in its own process."""
    env = {**os.environ, "FORESIGHT_DB_URL": db_url, "COLUMNS": "240"}
    return subprocess.run(
        ["foresight", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def raw(type_: str, occurred_at: str, agency: str = "social_care", **fields: Any) -> dict[str, Any]:
    """An envelope as a client would write it in a file."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "case_id": CASE,
        "occurred_at": occurred_at,
        "agency": agency,
        "recorded_by": f"{agency}-1",
        **fields,
    }


def jsonl(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item) + "\n" for item in events)


def said(result: Result | subprocess.CompletedProcess[str]) -> str:
    """All the command wrote, stdout and stderr, with rich's line wrapping undone."""
    return " ".join(((result.stdout or "") + (result.stderr or "")).split())


def stored(db_url: str, case_id: str = CASE) -> list[Any]:
    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        return service.case_events(case_id) if service.case_exists(case_id) else []
    finally:
        service.close()


def stored_case_ids(db_url: str) -> list[str]:
    service = bootstrap_writer(Settings(db_url=db_url))
    try:
        return service.index.case_ids()
    finally:
        service.close()


@pytest.fixture
def family() -> list[dict[str, Any]]:
    """Four events of one family, sent out of occurred_at order."""
    return [
        raw(
            "person_added",
            "2019-06-01",
            subjects=["child-ava"],
            data={"person_id": "child-ava", "role": "child", "name": "Ava"},
        ),
        raw(
            "contact_received",
            "2024-03-01T10:15:00+00:00",
            "police",
            subjects=["child-ava"],
            summary="Neighbour reported shouting",
            significance="significant",
            data={"contact_kind": "concern"},
        ),
        raw("note_added", "2024-02-10", "school", summary="Ava arrived hungry"),
        raw(
            "child_seen",
            "2024-03-02T09:00:00Z",
            subjects=["child-ava"],
            summary="Ava seen alone at home",
            data={"seen_alone": True},
        ),
    ]


# -- append ---------------------------------------------------------------------------------


def test_append_of_a_json_lines_file_writes_every_event_in_order(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """`foresight append FILE.jsonl` stores each line as an event, in file order."""
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(family), encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 0, said(result)
    assert "Appended 4 event(s)" in said(result)
    events = stored(db_url)
    assert [str(event.event_id) for event in events] == [item["event_id"] for item in family]
    assert [event.version for event in events] == [1, 2, 3, 4]


def test_appending_the_same_file_twice_is_an_idempotent_retry(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """A second append of the same file writes nothing and says the events were already stored."""
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(family), encoding="utf-8")
    assert cli("append", str(path)).exit_code == 0

    result = cli("append", str(path))

    assert result.exit_code == 0, said(result)
    assert "Appended 0 event(s); 4 already stored (retry)" in said(result)
    assert len(stored(db_url)) == 4


def test_append_refuses_a_retraction_of_another_agencys_entry_as_the_api_does(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """The command line goes through the domain's rule of who may record what: police may not
    retract social care's entry, whether it is stored already or in the same file; police
    may retract their own."""
    stored_first = tmp_path / "family.jsonl"
    stored_first.write_text(jsonl(family), encoding="utf-8")
    assert cli("append", str(stored_first)).exit_code == 0
    social_care_entry, police_entry = family[3]["event_id"], family[1]["event_id"]

    def retraction(target: str) -> dict[str, Any]:
        return raw(
            "entry_retracted",
            "2024-03-03",
            "police",
            data={"target_event_id": target, "reason": "wrong family"},
        )

    same_file = raw("note_added", "2024-03-03", summary="Social care's own note")
    refused = {
        "stored": [retraction(social_care_entry)],
        "same file": [same_file, retraction(same_file["event_id"])],
    }
    for events in refused.values():
        path = tmp_path / "retract.jsonl"
        path.write_text(jsonl(events), encoding="utf-8")

        result = cli("append", str(path))

        assert result.exit_code == 1, said(result)
        assert "Nothing was written" in said(result)
        assert "data.target_event_id: is an entry of social_care" in said(result)
        assert len(stored(db_url)) == 4

    path = tmp_path / "own.jsonl"
    path.write_text(jsonl([retraction(police_entry)]), encoding="utf-8")
    assert cli("append", str(path)).exit_code == 0
    assert len(stored(db_url)) == 5


def test_append_refuses_a_document_version_whose_bytes_were_never_stored(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """As over HTTP: a document_version_added must name content the store holds; once the
    bytes are stored, the same version is recorded."""
    stored_first = tmp_path / "family.jsonl"
    stored_first.write_text(jsonl(family), encoding="utf-8")
    assert cli("append", str(stored_first)).exit_code == 0
    content = b"A letter from the school\n"
    sha256 = hashlib.sha256(content).hexdigest()
    version = raw(
        "document_version_added",
        "2024-03-03",
        data={
            "document_id": "doc-letter",
            "name": "letter.txt",
            "media_type": "text/plain",
            "size": len(content),
            "sha256": sha256,
        },
    )
    path = tmp_path / "document.jsonl"
    path.write_text(jsonl([version]), encoding="utf-8")

    refused = cli("append", str(path))

    assert refused.exit_code == 1, said(refused)
    assert "data.sha256: no content with this SHA-256 is stored" in said(refused)
    assert len(stored(db_url)) == 4

    settings = Settings(db_url=db_url)
    build_blob_store(settings, build_engine(settings)).put([content], sha256)
    assert cli("append", str(path)).exit_code == 0, said(cli("append", str(path)))
    assert len(stored(db_url)) == 5


@pytest.mark.parametrize(
    ("bad_line", "named_field"),
    [
        ('{"type": "note_added", "case_id": "FAM-CLI", oops}', "not valid JSON"),
        (json.dumps(raw("note_added", "2024-13-45", summary="no such date")), "occurred_at"),
        (
            json.dumps({k: v for k, v in raw("note_added", "2024-01-01").items() if k != "agency"}),
            "agency",
        ),
        (
            json.dumps(raw("child_seen", "2024-01-01", data={"seen_alone": "perhaps"})),
            "data.seen_alone",
        ),
        (
            json.dumps(raw("plan_ended", "2024-01-01", data={"plan_id": "never-started"})),
            "data.plan_id",
        ),
        (json.dumps(raw("note_added", "2024-01-01", subjects=["a-stranger"])), "subjects"),
    ],
    ids=[
        "invalid-json",
        "bad-date",
        "missing-agency",
        "bad-data-field",
        "plan-never-started",
        "unknown-subject",
    ],
)
def test_a_json_lines_file_with_one_bad_line_writes_nothing_and_names_the_line(
    cli: Invoke,
    db_url: str,
    tmp_path: Path,
    family: list[dict[str, Any]],
    bad_line: str,
    named_field: str,
) -> None:
    """One bad line (bad JSON, bad field, or refused by the case) exits 1, names `line 3`, and
    writes none of the file."""
    lines = [json.dumps(item) for item in family]
    lines.insert(2, bad_line)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 1, said(result)
    assert "Nothing was written" in said(result)
    assert "line 3" in said(result)
    assert named_field in said(result)
    assert "line 1" not in said(result)
    assert "line 4" not in said(result)
    assert stored_case_ids(db_url) == []


def test_line_numbers_count_blank_lines_of_the_file(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """A bad event after blank lines is named by its line number in the file, not its index
    among events."""
    bad = raw("plan_reviewed", "2024-01-01", data={"plan_id": "never-started"})
    text = json.dumps(family[0]) + "\n\n\n" + json.dumps(bad) + "\n" + json.dumps(family[2]) + "\n"
    path = tmp_path / "events.jsonl"
    path.write_text(text, encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 1, said(result)
    assert "line 4: data.plan_id" in said(result)
    assert stored_case_ids(db_url) == []


def test_every_bad_line_of_a_file_is_named_at_once(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """Two malformed lines are both reported, so a file can be fixed in one pass."""
    lines = [json.dumps(item) for item in family]
    lines[1] = "{not json"
    lines[3] = json.dumps(raw("note_added", "yesterday"))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 1, said(result)
    assert "line 2" in said(result)
    assert stored_case_ids(db_url) == []


def test_append_of_a_json_array_writes_every_item(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """A pretty-printed JSON array of envelopes is appended as one batch."""
    path = tmp_path / "events.json"
    path.write_text(json.dumps(family, indent=2), encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 0, said(result)
    assert [str(event.event_id) for event in stored(db_url)] == [i["event_id"] for i in family]


def test_a_bad_item_of_a_json_array_is_named_and_nothing_is_written(
    cli: Invoke, db_url: str, tmp_path: Path, family: list[dict[str, Any]]
) -> None:
    """An array whose second item is refused names `item 2` and writes none of the items."""
    family[1]["significance"] = "enormous"
    path = tmp_path / "events.json"
    path.write_text(json.dumps(family), encoding="utf-8")

    result = cli("append", str(path))

    assert result.exit_code == 1, said(result)
    assert "item 2" in said(result)
    assert "significance" in said(result)
    assert stored_case_ids(db_url) == []


def test_append_dash_reads_events_from_stdin(
    cli: Invoke, db_url: str, family: list[dict[str, Any]]
) -> None:
    """`foresight append -` reads JSON Lines from standard input."""
    result = cli("append", "-", input=jsonl(family))

    assert result.exit_code == 0, said(result)
    assert len(stored(db_url)) == 4


def test_the_installed_console_script_appends_from_stdin(
    db_url: str, family: list[dict[str, Any]]
) -> None:
    """The `foresight` executable, in its own process, reads stdin and writes to
    FORESIGHT_DB_URL."""
    env = {**os.environ, "FORESIGHT_DB_URL": db_url}
    result = subprocess.run(
        ["foresight", "append", "-"],
        input=jsonl(family),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, said(result)
    assert len(stored(db_url)) == 4


# -- chronology -----------------------------------------------------------------------------


def test_chronology_as_json_lists_the_entries_in_occurred_at_order(
    cli: Invoke, family: list[dict[str, Any]]
) -> None:
    """`--format json` gives every entry with its fields, ordered by when it happened."""
    family[2]["summary"] = "Ava arrived hungry; " + "the teacher wrote a long account. " * 10
    assert cli("append", "-", input=jsonl(family)).exit_code == 0

    result = cli("chronology", CASE, "--format", "json")

    assert result.exit_code == 0, said(result)
    entries = json.loads(result.stdout)
    assert [entry["event_id"] for entry in entries] == [family[i]["event_id"] for i in (0, 2, 1, 3)]
    assert [entry["occurred_at"] for entry in entries] == [
        "2019-06-01",
        "2024-02-10",
        "2024-03-01T10:15:00+00:00",
        "2024-03-02T09:00:00+00:00",
    ]
    assert entries[2]["summary"] == "Neighbour reported shouting"
    assert entries[2]["agency"] == "police"
    assert entries[2]["significance"] == "significant"
    assert entries[1]["summary"] == family[2]["summary"].strip()


def test_chronology_as_csv_lists_the_entries_in_occurred_at_order(
    cli: Invoke, family: list[dict[str, Any]]
) -> None:
    """`--format csv` gives a header and one row per entry, ordered by when it happened."""
    family[1]["summary"] = 'Neighbour said "shouting, then quiet"'
    assert cli("append", "-", input=jsonl(family)).exit_code == 0

    result = cli("chronology", CASE, "--format", "csv")

    assert result.exit_code == 0, said(result)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["event_id"] for row in rows] == [family[i]["event_id"] for i in (0, 2, 1, 3)]
    assert [row["occurred_at"][:10] for row in rows] == [
        "2019-06-01",
        "2024-02-10",
        "2024-03-01",
        "2024-03-02",
    ]
    assert rows[2]["summary"] == 'Neighbour said "shouting, then quiet"'
    assert rows[2]["subjects"] == "child-ava"


def test_chronology_table_shows_the_entries(cli: Invoke, family: list[dict[str, Any]]) -> None:
    """The default table format names the case and shows each entry's summary."""
    assert cli("append", "-", input=jsonl(family)).exit_code == 0

    result = cli("chronology", CASE)

    assert result.exit_code == 0, said(result)
    assert CASE in said(result)
    assert "hungry" in said(result)


def test_chronology_of_an_unknown_case_exits_1(cli: Invoke) -> None:
    """Asking for a case that has no events is an error naming the case."""
    result = cli("chronology", "FAM-NONE", "--format", "json")

    assert result.exit_code == 1
    assert "FAM-NONE" in said(result)


@pytest.fixture
def imported(cli: Invoke) -> dict[str, str]:
    """Entries imported from agency systems, known at past dates through source_recorded_at."""
    events = {
        "early": raw(
            "note_added", "2024-01-05", "school", summary="early", source_recorded_at="2024-01-10"
        ),
        "timed": raw(
            "note_added",
            "2024-01-20T08:00:00+00:00",
            "health",
            summary="timed",
            source_recorded_at="2024-01-21T12:00:00+00:00",
        ),
        "now": raw("note_added", "2024-01-02", "police", summary="recorded now"),
    }
    result = cli("append", "-", input=jsonl(list(events.values())))
    assert result.exit_code == 0, said(result)
    return {name: item["event_id"] for name, item in events.items()}


@pytest.mark.parametrize(
    ("as_known_at", "expected"),
    [
        ("2024-01-09", []),
        ("2024-01-10T12:00:00+00:00", []),  # a date-only source time counts from the end of day
        ("2024-01-10", ["early"]),
        ("2024-01-21T11:59:59+00:00", ["early"]),
        ("2024-01-21T12:00:00+00:00", ["early", "timed"]),
        ("2030-01-01", ["now", "early", "timed"]),
    ],
)
def test_chronology_as_known_at_a_past_time_hides_what_was_recorded_later(
    cli: Invoke, imported: dict[str, str], as_known_at: str, expected: list[str]
) -> None:
    """`--as-known-at T` shows only entries whose source or store record is at or before T."""
    result = cli("chronology", CASE, "--as-known-at", as_known_at, "--format", "json")

    assert result.exit_code == 0, said(result)
    assert [entry["event_id"] for entry in json.loads(result.stdout)] == [
        imported[name] for name in expected
    ]


def test_chronology_without_as_known_at_shows_everything_recorded(
    cli: Invoke, imported: dict[str, str]
) -> None:
    """Without a cutoff the chronology is as known now, ordered by occurred_at."""
    result = cli("chronology", CASE, "--format", "json")

    assert [entry["event_id"] for entry in json.loads(result.stdout)] == [
        imported["now"],
        imported["early"],
        imported["timed"],
    ]


def test_an_unreadable_as_known_at_exits_2(cli: Invoke, imported: dict[str, str]) -> None:
    """A cutoff that is not an ISO date or datetime is a usage error naming the option."""
    result = cli("chronology", CASE, "--as-known-at", "last tuesday")

    assert result.exit_code == 2
    assert "--as-known-at" in said(result)


@pytest.fixture
def shared(cli: Invoke) -> dict[str, str]:
    """Police and health entries; police shares its contact with the school on 2024-01-20."""
    contact = raw(
        "contact_received",
        "2024-01-05",
        "police",
        summary="police contact",
        source_recorded_at="2024-01-05",
    )
    events = {
        "police": contact,
        "school": raw(
            "note_added",
            "2024-01-08",
            "school",
            summary="school note",
            source_recorded_at="2024-01-08",
        ),
        "health": raw(
            "note_added",
            "2024-01-09",
            "health",
            summary="health note",
            source_recorded_at="2024-01-09",
        ),
        "share": raw(
            "information_shared",
            "2024-01-20",
            "police",
            summary="shared with school",
            source_recorded_at="2024-01-20",
            data={"to_agency": "school", "event_ids": [contact["event_id"]], "basis": "legal_duty"},
        ),
    }
    result = cli("append", "-", input=jsonl(list(events.values())))
    assert result.exit_code == 0, said(result)
    return {name: item["event_id"] for name, item in events.items()}


@pytest.mark.parametrize(
    ("agency", "as_known_at", "expected"),
    [
        ("school", None, ["police", "school", "share"]),
        ("SCHOOL", None, ["police", "school", "share"]),
        ("school", "2024-01-19", ["school"]),
        ("police", None, ["police", "share"]),
        ("health", None, ["health"]),
        ("children_services", None, []),
    ],
)
def test_chronology_for_an_agency_shows_its_own_and_shared_entries_only(
    cli: Invoke,
    shared: dict[str, str],
    agency: str,
    as_known_at: str | None,
    expected: list[str],
) -> None:
    """`--agency A` shows A's own entries and those shared with A, from when they were shared."""
    args = ["chronology", CASE, "--agency", agency, "--format", "json"]
    if as_known_at:
        args += ["--as-known-at", as_known_at]

    result = cli(*args)

    assert result.exit_code == 0, said(result)
    assert [entry["event_id"] for entry in json.loads(result.stdout)] == [
        shared[name] for name in expected
    ]


# -- users ----------------------------------------------------------------------------------


def test_users_add_prints_a_token_once_and_stores_only_its_sha256(db_url: str) -> None:
    """`foresight users add` prints an `fst_` token; the database holds its SHA-256 and never
    the token."""
    result = run_foresight(
        db_url, "users", "add", "sw-jones", "--role", "practitioner", "--agency", "social_care"
    )

    assert result.returncode == 0, said(result)
    token = result.stdout.strip()
    assert token.startswith("fst_")
    assert len(token) > 30
    assert "\n" not in token
    assert token not in result.stderr
    with create_engine(db_url).connect() as connection:
        rows = connection.execute(
            text("SELECT name, role, agency, token_sha256 FROM foresight_users")
        ).all()
    assert [tuple(row) for row in rows] == [
        ("sw-jones", "practitioner", "social_care", hashlib.sha256(token.encode()).hexdigest())
    ]
    if db_url.startswith("sqlite:///"):
        db_file = Path(db_url.removeprefix("sqlite:///"))
        database_files = [
            path for path in db_file.parent.iterdir() if path.name.startswith(db_file.name)
        ]
        for path in database_files:
            content = path.read_bytes()
            assert token.encode() not in content, path.name
            assert token.removeprefix("fst_").encode() not in content, path.name


def test_two_users_get_different_tokens(db_url: str) -> None:
    """Each user added gets a token of their own."""
    first = run_foresight(
        db_url, "users", "add", "a-user", "--role", "manager", "--agency", "police"
    )
    second = run_foresight(
        db_url, "users", "add", "b-user", "--role", "auditor", "--agency", "police"
    )

    assert first.returncode == second.returncode == 0
    assert first.stdout.strip() != second.stdout.strip()


@pytest.mark.parametrize("role", ["superuser", "", "Practitioner"])
def test_users_add_with_an_unknown_role_exits_1_and_adds_nobody(
    cli: Invoke, db_url: str, role: str
) -> None:
    """A role outside the five known ones is refused with the list of roles, and no user is
    stored."""
    result = cli("users", "add", "sw-jones", "--role", role, "--agency", "social_care")

    assert result.exit_code == 1
    assert "practitioner" in said(result)
    assert "fst_" not in said(result)
    engine = create_engine(db_url)
    stored = inspect(engine)
    # The current users are a view over their append-only record (when the store exists).
    if "foresight_users" in {*stored.get_table_names(), *stored.get_view_names()}:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM foresight_users")).scalar() == 0


def test_adding_a_user_name_twice_exits_1(cli: Invoke) -> None:
    """A second user with a name already taken is refused."""
    first = cli("users", "add", "sw-jones", "--role", "practitioner", "--agency", "police")
    assert first.exit_code == 0

    result = cli("users", "add", "sw-jones", "--role", "manager", "--agency", "police")

    assert result.exit_code == 1
    assert "already exists" in said(result)


def test_the_demo_loads_a_generated_authority_once_for_the_reports(cli: Invoke) -> None:
    """`foresight demo --no-serve` loads the demo case and a generated authority around it;
    loading again writes nothing new, and the authority's children reach the CIN census."""
    first = cli("demo", "--no-serve", "--authority", "12")
    assert first.exit_code == 0, first.output
    assert "Generated authority: 12 children" in first.stdout
    again = cli("demo", "--no-serve", "--authority", "12")
    assert "0 new event(s)" in again.stdout.split("Generated authority:")[1]
    census = cli("export", "cin-census", "--year", "2024", "--la", "873", "-o", os.devnull)
    assert census.exit_code == 0, census.output
    children = int(census.stderr.split("Wrote ")[1].split(" children")[0])
    assert children >= 12 + 2  # the generated children and the demo family's
