"""A case's documents and their versions as known at T, to the record or to one agency.

Read from the chronology (`CaseQueries.chronology`): a version is its `document_version_added`
entry, so it is known to an agency exactly when that entry is, by recording it or by a share,
and a correction or retraction of the entry applies to the version.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from events.timepoints import InstantField, WhenField
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries, ChronologyFilter

DOCUMENT_TYPE = "document_version_added"


class DocumentVersion(BaseModel):
    """One version of a document: its entry, and what the store keeps of its bytes."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    version_number: int
    name: str
    media_type: str
    size: int
    sha256: str
    event_id: UUID
    occurred_at: WhenField
    recorded_at: InstantField
    known_at: InstantField
    agency: str
    recorded_by: str | None
    subjects: tuple[str, ...]
    summary: str | None


class Document(BaseModel):
    """A document of a case with its versions, oldest first; the newest supersedes the rest."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    case_id: str
    name: str
    media_type: str
    latest_version: int
    versions: tuple[DocumentVersion, ...]


def _version(entry: ChronologyEntry) -> DocumentVersion:
    data = entry.data
    return DocumentVersion(
        document_id=data["document_id"],
        version_number=data["version_number"],
        name=data["name"],
        media_type=data["media_type"],
        size=data["size"],
        sha256=data["sha256"],
        event_id=entry.event_id,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        known_at=entry.known_at,
        agency=entry.agency,
        recorded_by=entry.recorded_by,
        subjects=entry.subjects,
        summary=entry.summary,
    )


def case_documents(
    queries: CaseQueries,
    case_id: str,
    *,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> list[Document]:
    """The documents of a case known at T (to the record, or to `agency`), by first version."""
    entries = queries.chronology(
        case_id,
        as_known_at=as_known_at,
        agency=agency,
        where=ChronologyFilter(types=(DOCUMENT_TYPE,)),
    )
    by_document: dict[str, list[DocumentVersion]] = {}
    for entry in entries:
        version = _version(entry)
        by_document.setdefault(version.document_id, []).append(version)
    found = []
    for document_id, versions in by_document.items():
        versions.sort(key=lambda version: version.version_number)
        latest = versions[-1]
        found.append(
            Document(
                document_id=document_id,
                case_id=case_id,
                name=latest.name,
                media_type=latest.media_type,
                latest_version=latest.version_number,
                versions=tuple(versions),
            )
        )
    found.sort(key=lambda document: document.versions[0].recorded_at)
    return found


def case_document(
    queries: CaseQueries,
    case_id: str,
    document_id: str,
    *,
    as_known_at: datetime | None = None,
    agency: str | None = None,
) -> Document | None:
    """One document with the versions known at T, or None if none of them is known then."""
    for document in case_documents(queries, case_id, as_known_at=as_known_at, agency=agency):
        if document.document_id == document_id:
            return document
    return None
