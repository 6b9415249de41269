"""The CIN census return from the store, written as the DfE's XML and checked against its XSD."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lxml import etree

from replay.cin_census import CENSUS_TYPES, CensusChild, CensusEpisode, CinCensus, cin_census
from replay.queries import CaseQueries

SCHEMA_PATH = Path(__file__).parent / "statutory" / "CIN_schema_2025-26.xsd"
LA_CODE = re.compile(r"^\d{3}$")
FIRST_YEAR, LAST_YEAR = 2010, 2100
SOFTWARE_CODE = "Foresight"


def census_from_store(
    queries: CaseQueries,
    *,
    year: int,
    la: str,
    as_known_at: datetime,
) -> CinCensus:
    """The census for collection `year` from every case holding a census event known at T."""
    chronologies = dict(queries.chronologies_of_cases_with(CENSUS_TYPES, as_known_at=as_known_at))
    return cin_census(chronologies, year=year, la=la, as_known_at=as_known_at)


def _release() -> str:
    try:
        return version("foresight")
    except PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "0"


def _text(parent: etree._Element, tag: str, value: object) -> None:
    """Add <tag>value</tag>; a missing value is left out (and reported), never invented."""
    if value is None:
        return
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    etree.SubElement(parent, tag).text = text


def census_xml(census: CinCensus) -> bytes:
    """The return as the DfE's XML: children ordered by LA child id, nothing dated "now" but
    the as-known-at time, so the same log and time give the same bytes."""
    message = etree.Element("Message")
    header = etree.SubElement(message, "Header")
    details = etree.SubElement(header, "CollectionDetails")
    _text(details, "Collection", "CIN")
    _text(details, "Year", census.year)
    _text(details, "ReferenceDate", census.reference_date)
    source = etree.SubElement(header, "Source")
    _text(source, "SourceLevel", "L")
    _text(source, "LEA", census.la)
    _text(source, "SoftwareCode", SOFTWARE_CODE)
    _text(source, "Release", _release())
    _text(source, "SerialNo", "001")
    _text(
        source,
        "DateTime",
        census.as_known_at.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat(),
    )
    children = etree.SubElement(message, "Children")
    for child in census.children:
        _child(children, child)
    return etree.tostring(message, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _child(parent: etree._Element, child: CensusChild) -> None:
    element = etree.SubElement(parent, "Child")
    identifiers = etree.SubElement(element, "ChildIdentifiers")
    _text(identifiers, "LAchildID", child.la_child_id)
    _text(identifiers, "UPN", child.upn)
    _text(identifiers, "UPNunknown", child.upn_unknown)
    _text(identifiers, "PersonBirthDate", child.birth_date)
    _text(identifiers, "ExpectedPersonBirthDate", child.expected_birth_date)
    _text(identifiers, "Sex", child.sex)
    characteristics = etree.SubElement(element, "ChildCharacteristics")
    _text(characteristics, "Ethnicity", child.ethnicity)
    if child.disabilities:
        disabilities = etree.SubElement(characteristics, "Disabilities")
        for code in child.disabilities:
            _text(disabilities, "Disability", code)
    for episode in child.episodes:
        _episode(element, episode)


def _episode(parent: etree._Element, episode: CensusEpisode) -> None:
    details = etree.SubElement(parent, "CINdetails")
    _text(details, "CINreferralDate", episode.referral_date)
    _text(details, "ReferralSource", episode.referral_source)
    _text(details, "PrimaryNeedCode", episode.primary_need)
    _text(details, "CINclosureDate", episode.closure_date)
    _text(details, "ReasonForClosure", episode.closure_reason)
    _text(details, "DateOfInitialCPC", episode.initial_cpc)
    for assessment in episode.assessments:
        element = etree.SubElement(details, "Assessments")
        _text(element, "AssessmentActualStartDate", assessment.start)
        _text(element, "AssessmentAuthorisationDate", assessment.authorised)
        if assessment.factors:
            factors = etree.SubElement(element, "FactorsIdentifiedAtAssessment")
            for code in assessment.factors:
                _text(factors, "AssessmentFactors", code)
    for dates in episode.cin_plans:
        element = etree.SubElement(details, "CINPlanDates")
        _text(element, "CINPlanStartDate", dates.start)
        _text(element, "CINPlanEndDate", dates.end)
    for enquiry in episode.section47s:
        element = etree.SubElement(details, "Section47")
        _text(element, "S47ActualStartDate", enquiry.start)
        _text(element, "InitialCPCtarget", enquiry.initial_cpc_target)
        _text(element, "DateOfInitialCPC", enquiry.initial_cpc)
        _text(element, "ICPCnotRequired", enquiry.icpc_not_required)
    _text(details, "ReferralNFA", episode.referral_nfa)
    for plan in episode.protection_plans:
        element = etree.SubElement(details, "ChildProtectionPlans")
        _text(element, "CPPstartDate", plan.start)
        _text(element, "CPPendDate", plan.end)
        _text(element, "InitialCategoryOfAbuse", plan.initial_category)
        _text(element, "LatestCategoryOfAbuse", plan.latest_category)
        _text(element, "NumberOfPreviousCPP", plan.previous_plans)
        if plan.reviews:
            reviews = etree.SubElement(element, "Reviews")
            for held in plan.reviews:
                _text(reviews, "CPPreviewDate", held)


@lru_cache(maxsize=1)
def census_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def schema_errors(xml: bytes) -> list[str]:
    """Where the XML breaks the vendored DfE schema (empty when it validates)."""
    schema = census_schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def census_parameter_errors(year: int, la: str) -> list[tuple[str, str]]:
    """(field, reason) for a collection year or LA code the DfE would not accept."""
    errors = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(
            (
                "year",
                (
                    f"a collection year from {FIRST_YEAR} to {LAST_YEAR} (the "
                    "year of the 31 March it ends on)"
                ),
            )
        )
    if not LA_CODE.match(la):
        errors.append(("la", "the DfE's three-digit local authority code, for example 201"))
    return errors
