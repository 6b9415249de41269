"""Document endpoints: upload a document or a version, list them as known at T, read the bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Annotated
from urllib.parse import quote
from uuid import uuid4

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.bootstrap import Foresight
from api.http.deps import (
    CurrentUser,
    ForesightDep,
    KnownCase,
    Reader,
    SettingsDep,
    ViewingAgency,
    log_read,
)
from api.http.params import AsKnownAt, CaseId
from api.http.problems import ProblemError
from api.settings import Settings
from api.users import User
from domain.errors import CaseNotFound, InvariantViolation, UnknownReference
from domain.recording_rights import Recorder, check_may_append
from events.envelope import EventEnvelope, FieldError, InvalidEventError, parse_event
from events.recorded import RecordedEvent
from events.timepoints import format_timepoint, utc_now
from events.vocabulary import IDENTIFIER_PATTERN
from projections.store.blobs import (
    BlobError,
    read_chunks,
    sha256_of,
    verified_copy,
)
from replay.documents import Document, DocumentVersion, case_document, case_documents

router = APIRouter(prefix="/cases", tags=["documents"])

# The bytes are sent in pieces this size: the server's send buffer stays small.
STREAM_BYTES = 64 * 1024

DocumentId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, examples=["doc-3f1c2a9e"])]

# Shown in the browser rather than downloaded: images and PDFs only, never HTML or SVG.
INLINE_MEDIA_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
)
# How each inline type's content begins: a file that says it is one but is not is refused.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}
# Form fields mapped back from where the event's validation names them.
_FORM_FIELDS = {
    "data.name": "name",
    "data.document_id": "document_id",
    "data.media_type": "file",
    "summary": "summary",
    "occurred_at": "occurred_at",
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "description": "Default: the file's name"},
                        "subjects": {
                            "type": "string",
                            "description": "Person ids, comma-separated (or the field repeated)",
                        },
                        "summary": {"type": "string"},
                        "occurred_at": {"type": "string", "description": "Default: now"},
                        "document_id": {
                            "type": "string",
                            "description": "A document of this case: the upload is its next "
                            "version",
                        },
                    },
                }
            }
        },
    }
}


def allowed_media_types(settings: Settings) -> frozenset[str]:
    return frozenset(
        kind.strip().lower() for kind in settings.document_media_types.split(",") if kind.strip()
    )


def _invalid(field: str, reason: str) -> InvalidEventError:
    return InvalidEventError([FieldError(field, reason)])


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(name, "expected text, not a file")
    return value.strip() or None


def _subjects(form: FormData) -> list[str]:
    found: list[str] = []
    for value in form.getlist("subjects"):
        if not isinstance(value, str):
            raise _invalid("subjects", "expected person ids, not a file")
        found += [part.strip() for part in value.split(",") if part.strip()]
    return found


def _media_type(upload: UploadFile, settings: Settings) -> str:
    media_type = (upload.content_type or "").split(";")[0].strip().lower()
    allowed = allowed_media_types(settings)
    if media_type not in allowed:
        raise ProblemError(
            415,
            "Unsupported media type",
            f"{media_type or 'A file without a media type'} is not accepted here",
            [FieldError("file", f"media type must be one of: {', '.join(sorted(allowed))}")],
        )
    return media_type


def _check_signature(source: IO[bytes], media_type: str) -> None:
    signatures = SIGNATURES.get(media_type)
    if signatures is None:
        return
    head = source.read(16)
    source.seek(0)
    if not head.startswith(signatures) or (media_type == "image/webp" and head[8:12] != b"WEBP"):
        raise _invalid("file", f"the content is not {media_type}, as the upload says")


def _form_field(field: str) -> str:
    """The form field behind a field of the event."""
    if field.startswith(("subjects[", "subjects.")):
        return "subjects"
    return _FORM_FIELDS.get(field, field)


def _form_field_errors(error: InvalidEventError) -> InvalidEventError:
    return InvalidEventError(
        [FieldError(_form_field(found.field), found.reason) for found in error.errors]
    )


def _size_problem(settings: Settings) -> ProblemError:
    limit = settings.max_document_bytes
    return ProblemError(
        413,
        "Document too large",
        f"Documents are limited to {limit} bytes (FORESIGHT_MAX_DOCUMENT_BYTES)",
        [FieldError("file", f"larger than {limit} bytes")],
    )


@router.post(
    "/{case_id}/documents",
    status_code=201,
    response_model=RecordedEvent,
    summary="Upload a document, or a new version of one",
    openapi_extra=_UPLOAD_BODY,
    responses={
        413: {"description": "Document larger than FORESIGHT_MAX_DOCUMENT_BYTES"},
        415: {"description": "Media type not accepted"},
        409: {"description": "Refused by the case"},
    },
)
async def upload_document(
    case_id: CaseId,
    request: Request,
    user: CurrentUser,
    foresight: ForesightDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Store the bytes (content-addressed, checked against their SHA-256) and append
    `document_version_added`. The token is checked before the upload is read; a refused upload
    stores nothing."""
    check_may_append(Recorder(name=user.name, role=user.role, agency=user.agency))
    if not await run_in_threadpool(foresight.caught_up().case_exists, case_id):
        raise CaseNotFound(case_id)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except StarletteHTTPException as error:
        raise ProblemError(
            400,
            "Bad request",
            f"The body is not a multipart form: {error.detail}",
            [FieldError("(body)", "expected multipart/form-data with the document as 'file'")],
        ) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _invalid("file", "send the document as the multipart field 'file'")
        envelope = await run_in_threadpool(
            _checked_draft, foresight, settings, user, case_id, form, upload
        )
        await run_in_threadpool(
            foresight.blobs.put, read_chunks(upload.file), envelope.data["sha256"]
        )
    finally:
        await form.close()  # the spooled upload
    outcome = await run_in_threadpool(foresight.service.append, [envelope])
    recorded = outcome.events[0]
    location = (
        f"/cases/{case_id}/documents/{recorded.data['document_id']}"
        f"/versions/{recorded.data['version_number']}"
    )
    return JSONResponse(
        recorded.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


def _checked_draft(
    foresight: Foresight,
    settings: Settings,
    user: User,
    case_id: str,
    form: FormData,
    upload: UploadFile,
) -> EventEnvelope:
    """The event the upload would append, checked by a dry run: any refusal comes before the
    bytes are stored."""
    media_type = _media_type(upload, settings)
    if upload.size is not None and upload.size > settings.max_document_bytes:
        raise _size_problem(settings)
    _check_signature(upload.file, media_type)
    sha256, size = sha256_of(read_chunks(upload.file))
    upload.file.seek(0)
    if size > settings.max_document_bytes:
        raise _size_problem(settings)
    document_id = _text(form, "document_id")
    # A new document is version 1; a new version is numbered by the case (the next after every
    # version recorded, retracted ones and those the uploader's agency does not know included).
    version_number: int | None = 1
    if document_id is None:
        document_id = f"doc-{uuid4()}"
    else:
        known = case_document(foresight.queries, case_id, document_id, agency=user.agency)
        if known is None:
            raise ProblemError(
                404,
                "Document not found",
                f"Case {case_id!r} has no document {document_id!r} known to {user.agency}",
                [FieldError("document_id", "names no document of this case")],
            )
        version_number = None
    raw = {
        "type": "document_version_added",
        "case_id": case_id,
        "occurred_at": _text(form, "occurred_at") or format_timepoint(utc_now()),
        "agency": user.agency,
        "recorded_by": user.name,
        "subjects": _subjects(form),
        "summary": _text(form, "summary"),
        "data": {
            "document_id": document_id,
            **({"version_number": version_number} if version_number else {}),
            "name": _text(form, "name") or upload.filename or "document",
            "sha256": sha256,
            "media_type": media_type,
            "size": size,
        },
    }
    try:
        envelope = parse_event(raw)
    except InvalidEventError as error:
        raise _form_field_errors(error) from None
    for check in foresight.service.check([envelope]):
        if check.error is not None:
            if isinstance(check.error, InvalidEventError):
                raise _form_field_errors(check.error)
            if isinstance(check.error, UnknownReference | InvariantViolation):
                raise type(check.error)(_form_field(check.error.field), check.error.reason)
            raise check.error
    return envelope


@router.get(
    "/{case_id}/documents",
    response_model=list[Document],
    summary="The documents of a case as known at a time",
)
def list_documents(
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> list[Document]:
    """Each document known at `as_known_at` (to the whole record, or to `agency`), with its
    versions known then."""
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return case_documents(foresight.queries, case_id, as_known_at=as_known_at, agency=viewer)


def _known_document(
    foresight: Foresight, case_id: str, document_id: str, as_known_at: AsKnownAt, viewer: str | None
) -> Document:
    found = case_document(
        foresight.queries, case_id, document_id, as_known_at=as_known_at, agency=viewer
    )
    if found is None:
        raise ProblemError(
            404,
            "Document not found",
            f"No document {document_id!r} of case {case_id!r} is known"
            + (f" to {viewer}" if viewer else "")
            + (" at that time" if as_known_at else ""),
        )
    return found


@router.get(
    "/{case_id}/documents/{document_id}",
    response_model=Document,
    summary="A document's versions as known at a time",
)
def get_document(
    document_id: DocumentId,
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> Document:
    """The document with each version known at `as_known_at`, oldest first."""
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    return _known_document(foresight, case_id, document_id, as_known_at, viewer)


def content_disposition(version: DocumentVersion) -> str:
    """Inline for the images and PDFs a browser may show, otherwise a download; the name
    both as plain ASCII and in full (RFC 6266)."""
    kind = "inline" if version.media_type in INLINE_MEDIA_TYPES else "attachment"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", version.name) or "document"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(version.name)}"


def _streamed(copy: IO[bytes]) -> Iterator[bytes]:
    try:
        yield from read_chunks(copy, STREAM_BYTES)
    finally:
        copy.close()


@router.get(
    "/{case_id}/documents/{document_id}/versions/{version_number}",
    summary="The bytes of one version of a document",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The bytes"},
        500: {"description": "The stored bytes do not match their SHA-256: not served"},
    },
)
def get_document_version(
    document_id: DocumentId,
    version_number: Annotated[int, Path(ge=1)],
    request: Request,
    user: Reader,
    viewer: ViewingAgency,
    case_id: KnownCase,
    foresight: ForesightDep,
    as_known_at: AsKnownAt = None,
) -> StreamingResponse:
    """The bytes with their media type, once checked against their SHA-256."""
    document = _known_document(foresight, case_id, document_id, as_known_at, viewer)
    version = next(
        (found for found in document.versions if found.version_number == version_number), None
    )
    if version is None:
        raise ProblemError(
            404,
            "Version not found",
            f"Document {document_id!r} has no version {version_number} known"
            + (f" to {viewer}" if viewer else ""),
        )
    log_read(foresight, user, request, case_id=case_id, as_known_at=as_known_at, viewed_as=viewer)
    try:
        copy = verified_copy(foresight.blobs, version.sha256, version.size)
    except BlobError as error:
        raise ProblemError(
            500,
            "Document failed its integrity check",
            f"Version {version_number} of document {document_id!r} of case {case_id!r} is not "
            f"served: {error}. Run `foresight verify`.",
        ) from None
    return StreamingResponse(
        _streamed(copy),
        media_type=version.media_type,
        headers={
            "Content-Length": str(version.size),
            "Content-Disposition": content_disposition(version),
            "ETag": f'"{version.sha256}"',
        },
    )
