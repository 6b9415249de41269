"""The CIN census export against the DfE's schema and its own validation rules.

The demo case and a generated authority (FORESIGHT_CIN_CHILDREN children, default 500, across
every stage) validate against the vendored XSD and pass the rules of the published
`csc-validator-be-cin` package (run with its CLI in its own virtual environment, made by
`.ci/cin-validator`); for deliberately flawed cases the rules it names are the ones the
completeness report predicted. Also: a late record, byte-identical files, the CLI and the API.
"""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from typer.testing import CliRunner

from api.cli import app as cli
from api.formats.cin_census_xml import census_from_store, census_xml, schema_errors
from api.http.app import create_app
from api.samples.demo import demo_case_events
from api.samples.generator import generate_authority
from api.settings import Settings
from api.users import add_user
from events.envelope import parse_event
from events.timepoints import parse_instant
from replay.cin_census import CinCensus, la_child_id_of
from replay.queries import CaseQueries
from tests.backends import new_sqlite_url

REPO = Path(__file__).resolve().parents[2]
VALIDATOR_PYTHON = REPO / ".venv-cin-validator" / "bin" / "python"
LA = "383"  # Leeds, the generated authority
NOW = parse_instant("2026-11-01T12:00Z")
AUTHORITY_CHILDREN = int(os.environ.get("FORESIGHT_CIN_CHILDREN", "500"))
AUTHORITY_YEAR = 2026


# -- the DfE validator, in its own environment ------------------------------------------------


@dataclass(frozen=True)
class DfeValidator:
    python: Path
    ruleset: str

    def failures(self, xml: Path) -> set[tuple[str, str]]:
        """(LA child id, rule code) for every rule the validator's `run` command reports."""
        workdir = xml.parent / f"{xml.stem}-validator"
        workdir.mkdir(exist_ok=True)
        completed = subprocess.run(
            [str(self.python), "-m", "cin_validator", "run", str(xml), "-r", self.ruleset, "-o"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        with (workdir / "user_report.csv").open(newline="", encoding="utf-8") as report:
            return {(row["LAchildID"], row["rule_code"]) for row in csv.DictReader(report)}


@pytest.fixture(scope="session")
def dfe_validator() -> DfeValidator:
    """The validator's environment, made once per machine by `.ci/cin-validator` (CI runs it
    before the tests: there a missing environment fails; locally it skips with the reason)."""
    newest_rule_set = (
        "import pathlib, cin_validator.rules as r; print(max(p.name for p in "
        "pathlib.Path(r.__file__).parent.glob('cin20*')))"
    )
    probe = [str(VALIDATOR_PYTHON), "-c", newest_rule_set]
    try:
        found = subprocess.run(probe, capture_output=True, text=True, timeout=120, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        reason = f"no working DfE validator at {VALIDATOR_PYTHON} ({error}); run .ci/cin-validator"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return DfeValidator(VALIDATOR_PYTHON, found.stdout.strip())


def test_the_newest_rule_set_is_the_one_used(dfe_validator):
    assert dfe_validator.ruleset >= "cin2025_26"


# -- stores -----------------------------------------------------------------------------------


def event_id(case_id: str, name: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:test:cin:{case_id}:{name}"))


def raw(
    case_id: str,
    name: str,
    type: str,
    occurred_at: str,
    known: str | None = None,
    subjects: tuple[str, ...] = (),
    **data: Any,
) -> dict[str, Any]:
    return {
        "event_id": event_id(case_id, name),
        "type": type,
        "case_id": case_id,
        "occurred_at": occurred_at,
        "agency": "social_care",
        "recorded_by": "sw-test",
        "source_recorded_at": known or occurred_at,
        "subjects": list(subjects),
        "data": data,
    }


def child(case_id: str, person_id: str, **fields: Any) -> dict[str, Any]:
    data = {
        "person_id": person_id,
        "role": "child",
        "date_of_birth": "2021-02-03",
        "sex": "M",
        "ethnicity": "WBRI",
        "disabilities": ["NONE"],
        **fields,
    }
    return raw(case_id, person_id, "person_added", "2024-04-10", **data)


def protection_case(
    case_id: str,
    person_id: str,
    *,
    plan_end: str | None = None,
    category: str | None = "NEG",
    source: str | None = "2A",
    plan_known: str | None = None,
    referral_known: str | None = None,
    **child_fields: Any,
) -> list[dict[str, Any]]:
    """A referral on to a child protection plan in the 2024-25 census year; its flaws (or
    late records) as asked."""
    referral: dict[str, Any] = {
        "contact_kind": "referral",
        "outcome": "assessment",
        "primary_need": "N1",
    }
    if source:
        referral["referral_source"] = source
    plan: dict[str, Any] = {"plan_id": f"{case_id}-CP", "kind": "child_protection"}
    conference: dict[str, Any] = {"kind": "initial", "outcome": "child_protection_plan"}
    if category:
        plan["category"] = conference["category"] = category
    events = [
        child(case_id, person_id, **child_fields),
        raw(case_id, "referral", "contact_received", "2024-05-01", referral_known, **referral),
        raw(
            case_id,
            "a",
            "assessment_started",
            "2024-05-02",
            assessment_id=f"{case_id}-A",
            kind="single",
        ),
        raw(
            case_id,
            "a-done",
            "assessment_completed",
            "2024-05-20",
            assessment_id=f"{case_id}-A",
            factors=["3A"],
        ),
        raw(case_id, "strategy", "strategy_discussion_held", "2024-05-03", outcome="section_47"),
        raw(
            case_id,
            "s47",
            "assessment_started",
            "2024-05-07",
            assessment_id=f"{case_id}-S",
            kind="section_47",
        ),
        raw(
            case_id,
            "s47-done",
            "assessment_completed",
            "2024-05-17",
            assessment_id=f"{case_id}-S",
            outcome="conference",
        ),
        raw(case_id, "icpc", "conference_held", "2024-05-24", plan_known, **conference),
        raw(case_id, "plan", "plan_started", "2024-05-24", plan_known, **plan),
    ]
    if plan_end:
        events.append(raw(case_id, "plan-end", "plan_ended", plan_end, plan_id=f"{case_id}-CP"))
    return events


FLAWED = {
    # person: (case events, the DfE rules the record breaks)
    "flawplanend": (protection_case("FLAW-1", "flawplanend", plan_end="2024-05-10"), {"8925"}),
    "flawcategory": (protection_case("FLAW-2", "flawcategory", category=None), {"8905", "8910"}),
    "flawsource": (protection_case("FLAW-3", "flawsource", source=None), {"8866"}),
    # School age, no UPN: "not of school age" (UN1) is no reason; "referral with no further
    # action" (UN7) is wrong for a child who went on to a plan.
    "flawupnun1": (
        protection_case(
            "FLAW-4", "flawupnun1", date_of_birth="2015-02-03", upn_unknown_reason="UN1"
        ),
        {"8770Q"},
    ),
    "flawupnun7": (
        protection_case(
            "FLAW-5", "flawupnun7", date_of_birth="2015-02-03", upn_unknown_reason="UN7"
        ),
        {"8772"},
    ),
}
LATE = protection_case("LATE-1", "lateplan", plan_known="2024-09-02") + protection_case(
    "LATE-2", "latereferral", referral_known="2024-09-02"
)


@dataclass
class Store:
    url: str
    client: TestClient
    tokens: dict[str, str]

    @property
    def queries(self) -> CaseQueries:
        return self.client.app.state.foresight.caught_up()  # type: ignore[attr-defined]

    def census(self, year: int, as_known_at: datetime = NOW) -> CinCensus:
        return census_from_store(self.queries, year=year, la=LA, as_known_at=as_known_at)

    def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )


def open_store(url: str, events: list[dict[str, Any]]) -> Iterator[Store]:
    app = create_app(Settings(db_url=url))
    foresight = app.state.foresight
    for start in range(0, len(events), 500):
        foresight.service.append([parse_event(event) for event in events[start : start + 500]])
    tokens = {
        name: add_user(foresight.queries.engine, name, role, "social_care")[1]
        for name, role in (("tm-cin", "manager"), ("sw-cin", "practitioner"))
    }
    with TestClient(app) as client:
        yield Store(url, client, tokens)
    foresight.service.close()


def recorded_cases() -> list[dict[str, Any]]:
    """The demo case, three flawed cases and two late records."""
    events = demo_case_events() + LATE
    for case_events, _ in FLAWED.values():
        events += case_events
    return events


@pytest.fixture(scope="module")
def store(store_url: Callable[[], str]) -> Iterator[Store]:
    """The recorded cases on each backend."""
    yield from open_store(store_url(), recorded_cases())


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The recorded cases once, for the DfE validator (slow to start; the same code paths)."""
    yield from open_store(new_sqlite_url(tmp_path_factory.mktemp("recorded")), recorded_cases())


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A generated authority (SQLite only: the same code paths, once)."""
    families = generate_authority(AUTHORITY_CHILDREN, year=AUTHORITY_YEAR, seed=11)
    events = [event for family in families for event in family]
    yield from open_store(new_sqlite_url(tmp_path_factory.mktemp("authority")), events)


def written(tmp_path: Path, name: str, census: CinCensus) -> Path:
    path = tmp_path / name
    path.write_bytes(census_xml(census))
    return path


# -- validity -------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_demo_census_is_complete_and_valid(store, tmp_path, year):
    """Ava and Leo: referral, assessment, section 47, conference and plan in 2023-24; the plan
    and its review in 2024-25 (the DfE rules for 2024-25 are checked with the flawed cases)."""
    census = store.census(year)
    demo = [child for child in census.children if child.episodes[0].case_id == "FAM-0042"]
    assert [child.la_child_id for child in demo] == ["ava", "leo"]
    assert [issue for issue in census.issues if issue.case_id == "FAM-0042"] == []
    assert len(demo[0].episodes[0].protection_plans) == 1
    only_demo = census.model_copy(update={"children": tuple(demo), "issues": ()})
    assert schema_errors(census_xml(only_demo)) == []


def test_the_demo_census_passes_the_dfe_rules(sqlite_store, dfe_validator, tmp_path):
    census = sqlite_store.census(2024)
    assert [child.la_child_id for child in census.children] == ["ava", "leo"]
    assert census.issues == ()
    assert dfe_validator.failures(written(tmp_path, "demo-2024.xml", census)) == set()


def test_a_generated_authority_across_every_stage_is_valid_and_passes_the_dfe_rules(
    authority, dfe_validator, tmp_path
):
    census = authority.census(AUTHORITY_YEAR)
    assert len(census.children) >= AUTHORITY_CHILDREN * 0.95
    assert census.issues == ()
    path = written(tmp_path, "authority.xml", census)
    tree = etree.parse(str(path))
    for item in (
        "ReferralNFA[text()='true']",
        "CINclosureDate",
        "Assessments",
        "AssessmentFactors[text()='21']",
        "CINPlanDates",
        "Section47",
        "ICPCnotRequired[text()='true']",
        "ChildProtectionPlans",
        "CPPreviewDate",
        "NumberOfPreviousCPP[text()!='0']",
        "ExpectedPersonBirthDate",
        "UPN",
        "UPNunknown",
        "Disability[text()!='NONE']",
    ):
        assert tree.xpath(f"count(//{item})") > 0, item
    assert schema_errors(path.read_bytes()) == []
    assert dfe_validator.failures(path) == set()


def test_for_flawed_records_the_validator_names_the_rules_the_report_predicted(
    sqlite_store, dfe_validator, tmp_path
):
    """A plan ended before it started, a plan with no category of abuse, a referral with no
    source: each child's record breaks exactly the rules the completeness report names, the
    report points at the events to correct, and the XML leaves the missing values out. The
    other children of the file (the demo's, the late records') break none."""
    census = sqlite_store.census(2025)
    path = written(tmp_path, "flawed.xml", census)
    found = dfe_validator.failures(path)
    predicted = {(la_child_id_of(issue.person_id), issue.rule) for issue in census.issues}
    for person_id, (_, rules) in FLAWED.items():
        assert {rule for who, rule in found if who == person_id} == rules, person_id
        assert {rule for who, rule in predicted if who == person_id} == rules, person_id
    assert found == predicted
    assert {child.la_child_id for child in census.children} >= {"ava", "leo", "lateplan"}
    plan_issue = next(issue for issue in census.issues if issue.rule == "8925")
    assert {str(event) for event in plan_issue.event_ids} == {
        event_id("FLAW-1", "plan"),
        event_id("FLAW-1", "plan-end"),
    }
    assert any("InitialCategoryOfAbuse" in error for error in schema_errors(path.read_bytes()))


# -- time and reproducibility -----------------------------------------------------------------


def test_as_known_before_a_late_record_the_census_omits_it_and_as_known_now_includes_it(store):
    """The plan of LATE-1 and the referral of LATE-2 were recorded on 2 September 2024."""
    earlier = store.census(2025, parse_instant("2024-08-30"))
    before = {child.person_id: child for child in earlier.children}
    now = {child.person_id: child for child in store.census(2025).children}
    assert before["lateplan"].episodes[0].protection_plans == ()
    assert "latereferral" not in before
    assert len(now["lateplan"].episodes[0].protection_plans) == 1
    assert now["latereferral"].episodes[0].referral_date.isoformat() == "2024-05-01"


def test_the_same_log_and_time_give_byte_identical_files_naming_that_time(store):
    first = census_xml(store.census(2025))
    assert census_xml(store.census(2025)) == first
    assert b"<DateTime>2026-11-01T12:00:00</DateTime>" in first
    assert b"<ReferenceDate>2025-03-31</ReferenceDate>" in first


# -- command line and API ---------------------------------------------------------------------


@pytest.fixture
def cli_store(store, point_cli_at):
    point_cli_at(store.url)
    return store


def test_the_cli_writes_the_xml_and_prints_the_completeness_report(cli_store, tmp_path):
    arguments = [
        "export",
        "cin-census",
        "--year",
        "2025",
        "--la",
        LA,
        "--as-known-at",
        "2026-11-01T12:00Z",
    ]
    result = CliRunner().invoke(
        cli, [*arguments, "-o", str(tmp_path / "a.xml")], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "8925" in result.stdout
    assert "flawcategory" in result.stdout
    again = CliRunner().invoke(cli, [*arguments, "-o", str(tmp_path / "b.xml")])
    assert again.exit_code == 0
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    assert (tmp_path / "a.xml").read_bytes() == census_xml(cli_store.census(2025))
    refused = CliRunner().invoke(
        cli, ["export", "cin-census", "--year", "2025", "--la", "87", "-o", str(tmp_path / "c.xml")]
    )
    assert refused.exit_code == 2
    assert "--la" in refused.output
    assert not (tmp_path / "c.xml").exists()


def test_managers_get_the_xml_and_the_completeness_report_from_the_api(store):
    params = {"year": 2025, "la": LA, "as_known_at": "2026-11-01T12:00Z"}
    response = store.get("tm-cin", "/exports/cin-census", **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.content == census_xml(store.census(2025))
    issues = int(response.headers["Foresight-Completeness-Issues"])
    report = store.get("tm-cin", "/exports/cin-census", format="json", **params).json()
    assert report["xml"].encode() == response.content
    assert len(report["issues"]) == issues
    assert not report["complete"]
    assert {"8925", "8905", "8866"} <= {issue["rule"] for issue in report["issues"]}
    assert store.get("sw-cin", "/exports/cin-census", **params).status_code == 403
    refused = store.get("tm-cin", "/exports/cin-census", year=2025, la="BAD")
    assert refused.status_code == 422
    assert "query.la" in [error["field"] for error in refused.json()["errors"]]
