"""Documents over HTTP on both databases, with their bytes in the database or an S3 server:
upload, versions, limits, media types, agency scoping, the access log, and tampering."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap import Foresight
from api.cli import app as cli
from api.samples.demo import DEMO_CASE
from api.settings import get_settings
from domain.errors import InvariantViolation, UnknownReference
from projections.store.blobs import BLOB_CHUNKS_TABLE, BLOBS_TABLE, BlobMismatch
from projections.store.integrity import verify_store
from tests.conftest import event
from tests.demo_app import demo_app
from tests.s3_server import S3Server
from tests.tampering import open_tamperer

PROBLEM = "application/problem+json"
LIMIT = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
USERS = {
    "sw-jones": ("practitioner", "social_care"),
    "pc-1234": ("practitioner", "police"),
    "reviewer-lee": ("reviewer", "review"),
    "auditor-khan": ("auditor", "information_governance"),
}


@dataclass
class Documents:
    """A client on the app over the demo case, with a token per user and upload helpers."""

    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    db_url: str
    blob_settings: dict[str, str]

    @property
    def foresight(self) -> Foresight:
        foresight: Foresight = self.app.state.foresight
        return foresight

    def auth(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def upload(
        self,
        content: bytes,
        *,
        user: str | None = "sw-jones",
        media_type: str = "text/plain",
        filename: str = "letter.txt",
        case_id: str = DEMO_CASE,
        **fields: str,
    ) -> httpx.Response:
        return self.client.post(
            f"/cases/{case_id}/documents",
            files={"file": (filename, content, media_type)},
            data=fields,
            headers=self.auth(user),
        )

    def get(self, user: str | None, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.auth(user))

    def stored_events(self) -> int:
        return self.foresight.service.recorder.max_notification_id() or 0


def _blob_settings(kind: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if kind == "database":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    return {
        "blobs_url": f"s3://{server.new_bucket()}/documents",
        "s3_endpoint_url": server.endpoint_url,
    }


@contextmanager
def _documents(db_url: str, blob_settings: dict[str, str]) -> Iterator[Documents]:
    with demo_app(db_url, USERS, max_document_bytes=LIMIT, **blob_settings) as made:
        yield Documents(*made, db_url=db_url, blob_settings=blob_settings)


@pytest.fixture(scope="module", params=["database", "s3"])
def docs(request: pytest.FixtureRequest, store_url: Callable[[], str]) -> Iterator[Documents]:
    """The app over a store holding the demo case; document bytes in the database or S3."""
    with _documents(store_url(), _blob_settings(request.param, request)) as made:
        yield made


@pytest.fixture(params=["database", "s3"])
def own_docs(request: pytest.FixtureRequest, db_url: str) -> Iterator[Documents]:
    """The same, on a store of this test's own (for tampering with it)."""
    with _documents(db_url, _blob_settings(request.param, request)) as made:
        yield made


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    if field is not None:
        assert field in [error["field"] for error in response.json()["errors"]]


def unique(text: str = "A letter from school") -> bytes:
    return f"{text} {uuid.uuid4()}".encode()


# -- uploading and reading ------------------------------------------------------------------------


def test_an_upload_is_recorded_and_its_bytes_read_back_with_their_media_type(
    docs: Documents,
) -> None:
    """The image is stored by SHA-256, its entry appended, and served inline as it was."""
    response = docs.upload(
        PNG, media_type="image/png", filename="drawing.png", summary="Ava's drawing of home"
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    data = recorded["data"]
    assert recorded["type"] == "document_version_added"
    assert (recorded["agency"], recorded["recorded_by"]) == ("social_care", "sw-jones")
    assert data["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (data["name"], data["media_type"], data["size"]) == (
        "drawing.png",
        "image/png",
        len(PNG),
    )
    assert data["version_number"] == 1
    served = docs.get("sw-jones", response.headers["Location"])
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith('inline; filename="drawing.png"')
    assert served.headers["x-content-type-options"] == "nosniff"


def test_a_type_the_browser_may_not_show_is_a_download(docs: Documents) -> None:
    """Anything but the images and PDFs of the allowed list comes as an attachment."""
    response = docs.upload(unique(), filename="Letter to Mum — draft.txt")
    location = response.headers["Location"]
    served = docs.get("sw-jones", location)
    assert served.headers["content-disposition"].startswith(
        'attachment; filename="Letter to Mum _ draft.txt"'
    )
    assert (
        "filename*=UTF-8''Letter%20to%20Mum%20%E2%80%94%20draft.txt"
        in (served.headers["content-disposition"])
    )
    assert served.headers["content-type"].startswith("text/plain")


def test_a_new_version_supersedes_and_the_old_one_stays_readable(docs: Documents) -> None:
    """Version 2 of the same document is listed after version 1, whose bytes are unchanged."""
    first, second = unique("Plan v1"), unique("Plan v2")
    created = docs.upload(first, filename="plan.txt").json()
    document_id = created["data"]["document_id"]
    again = docs.upload(second, filename="plan-v2.txt", document_id=document_id)
    assert again.status_code == 201, again.text
    assert again.json()["data"]["version_number"] == 2
    document = docs.get("sw-jones", f"/cases/{DEMO_CASE}/documents/{document_id}").json()
    assert document["latest_version"] == 2
    assert document["name"] == "plan-v2.txt"
    assert [version["version_number"] for version in document["versions"]] == [1, 2]
    base = f"/cases/{DEMO_CASE}/documents/{document_id}/versions"
    assert docs.get("sw-jones", f"{base}/1").content == first
    assert docs.get("sw-jones", f"{base}/2").content == second
    assert_problem(docs.get("sw-jones", f"{base}/3"), 404)
    listed = docs.get("sw-jones", f"/cases/{DEMO_CASE}/documents").json()
    assert document_id in [found["document_id"] for found in listed]


def test_a_retracted_version_is_no_longer_listed_or_served(docs: Documents) -> None:
    """Retracting version 2 leaves version 1 the latest; the next version is 3, not 2 again."""
    created = docs.upload(unique()).json()
    document_id = created["data"]["document_id"]
    second = docs.upload(unique(), document_id=document_id).json()
    retracted = docs.client.post(
        f"/cases/{DEMO_CASE}/events",
        json={
            "type": "entry_retracted",
            "occurred_at": second["occurred_at"],
            "data": {"target_event_id": second["event_id"], "reason": "Wrong family's letter"},
        },
        headers=docs.auth("sw-jones"),
    )
    assert retracted.status_code == 201, retracted.text
    path = f"/cases/{DEMO_CASE}/documents/{document_id}"
    assert docs.get("sw-jones", path).json()["latest_version"] == 1
    assert_problem(docs.get("sw-jones", f"{path}/versions/2"), 404)
    third = docs.upload(unique(), document_id=document_id)
    assert third.status_code == 201, third.text
    assert third.json()["data"]["version_number"] == 3
    assert docs.get("sw-jones", path).json()["latest_version"] == 3


def test_a_document_is_listed_only_as_known_at_a_time(docs: Documents) -> None:
    """Asked as known before the upload, the document is not there."""
    document_id = docs.upload(unique()).json()["data"]["document_id"]
    before = docs.get("sw-jones", f"/cases/{DEMO_CASE}/documents", as_known_at="2024-01-20")
    assert document_id not in [found["document_id"] for found in before.json()]
    assert_problem(
        docs.get(
            "sw-jones", f"/cases/{DEMO_CASE}/documents/{document_id}", as_known_at="2024-01-20"
        ),
        404,
    )


def test_the_same_content_twice_is_stored_once(docs: Documents) -> None:
    """Two documents with the same bytes share one blob; storing it again changes nothing."""
    content = unique()
    first = docs.upload(content).json()["data"]
    second = docs.upload(content).json()["data"]
    assert first["document_id"] != second["document_id"]
    assert first["sha256"] == second["sha256"]
    again = docs.foresight.blobs.put([content], first["sha256"])
    assert not again.new


# -- refusals: nothing stored ---------------------------------------------------------------------


@contextmanager
def stores_nothing(docs: Documents, content: bytes) -> Iterator[None]:
    """The block appends no event and stores no blob of `content`."""
    before = docs.stored_events()
    yield
    assert docs.stored_events() == before
    assert not docs.foresight.blobs.exists(hashlib.sha256(content).hexdigest())


def test_a_document_over_the_size_limit_is_refused_with_413(docs: Documents) -> None:
    """One byte over FORESIGHT_MAX_DOCUMENT_BYTES: 413 naming the file, nothing stored."""
    content = unique().ljust(LIMIT + 1, b".")
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content), 413, "file")
    assert docs.upload(content[:LIMIT]).status_code == 201


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(docs: Documents) -> None:
    """A body beyond the document limit and the form's room is cut off with 413."""
    content = unique().ljust(LIMIT + 512 * 1024, b".")
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content), 413)


@pytest.mark.parametrize("media_type", ["text/html", "image/svg+xml", "application/x-msdownload"])
def test_a_media_type_not_allowed_is_refused_with_415(docs: Documents, media_type: str) -> None:
    """Types a browser would run, or that are not documents, are refused naming the file."""
    content = unique("<script>alert(1)</script>")
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content, media_type=media_type), 415, "file")


def test_a_file_that_is_not_what_its_media_type_says_is_refused(docs: Documents) -> None:
    """Text sent as a PNG image is refused, so nothing is shown inline as what it is not."""
    content = unique()
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content, media_type="image/png"), 422, "file")


def test_a_new_version_must_name_a_document_of_the_case(docs: Documents) -> None:
    """An unknown document_id is refused with 404 naming the field; nothing stored."""
    content = unique()
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content, document_id="doc-not-here"), 404, "document_id")


def test_bad_form_fields_are_named(docs: Documents) -> None:
    """A subject not of the case and a missing file are refused naming the field."""
    content = unique()
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content, subjects="nobody"), 422, "subjects")
    response = docs.client.post(
        f"/cases/{DEMO_CASE}/documents", data={"name": "x"}, headers=docs.auth("sw-jones")
    )
    assert_problem(response, 422, "file")


def test_a_version_sent_as_a_plain_event_must_name_stored_content(docs: Documents) -> None:
    """Through POST /events a document_version_added of bytes never uploaded is refused naming
    data.sha256; one naming stored content (uploaded before) is recorded."""
    stored = docs.upload(unique()).json()["data"]
    before = docs.stored_events()
    data = {key: stored[key] for key in ("name", "media_type", "size")}

    def send(sha256: str) -> httpx.Response:
        return docs.client.post(
            f"/cases/{DEMO_CASE}/events",
            json={
                "type": "document_version_added",
                "occurred_at": "2024-03-01",
                "data": {**data, "document_id": f"doc-{uuid.uuid4()}", "sha256": sha256},
            },
            headers=docs.auth("sw-jones"),
        )

    assert_problem(send(hashlib.sha256(unique()).hexdigest()), 422, "data.sha256")
    assert docs.stored_events() == before
    assert send(stored["sha256"]).status_code == 201


def test_the_token_and_role_are_checked_before_the_upload(docs: Documents) -> None:
    """No token: 401; a reviewer may read but not record: 403; an unknown case: 404."""
    content = unique()
    with stores_nothing(docs, content):
        assert_problem(docs.upload(content, user=None), 401)
        assert_problem(docs.upload(content, user="reviewer-lee"), 403)
        assert_problem(docs.upload(content, case_id="NO-SUCH-CASE"), 404)


# -- who sees what --------------------------------------------------------------------------------


def test_another_agency_reads_a_document_only_once_it_is_shared(docs: Documents) -> None:
    """Police see nothing of social care's document until social care shares its entry."""
    content = unique("Health visitor's letter")
    recorded = docs.upload(content).json()
    document_id = recorded["data"]["document_id"]
    path = f"/cases/{DEMO_CASE}/documents/{document_id}"
    listed = docs.get("pc-1234", f"/cases/{DEMO_CASE}/documents").json()
    assert document_id not in [found["document_id"] for found in listed]
    assert_problem(docs.get("pc-1234", path), 404)
    assert_problem(docs.get("pc-1234", f"{path}/versions/1"), 404)
    shared = docs.client.post(
        f"/cases/{DEMO_CASE}/events",
        json={
            "type": "information_shared",
            "occurred_at": recorded["occurred_at"],
            "data": {"to_agency": "police", "event_ids": [recorded["event_id"]]},
        },
        headers=docs.auth("sw-jones"),
    )
    assert shared.status_code == 201, shared.text
    assert docs.get("pc-1234", path).json()["latest_version"] == 1
    assert docs.get("pc-1234", f"{path}/versions/1").content == content
    assert_problem(docs.get("pc-1234", path, agency="social_care"), 403)


def test_reads_of_documents_are_in_the_access_log(docs: Documents) -> None:
    """Listing, a document's versions and its bytes: one access-log row each, as known when."""
    recorded = docs.upload(unique()).json()
    path = f"/cases/{DEMO_CASE}/documents/{recorded['data']['document_id']}"
    reader = "reviewer-lee"
    before = len(docs.get("auditor-khan", "/audit/access", reader=reader).json())
    for read in (f"/cases/{DEMO_CASE}/documents", path, f"{path}/versions/1"):
        assert docs.get(reader, read, as_known_at="2099-01-01").status_code == 200
    rows = docs.get("auditor-khan", "/audit/access", reader=reader).json()[before:]
    assert [row["endpoint"] for row in rows] == [
        f"GET /cases/{DEMO_CASE}/documents",
        f"GET {path}",
        f"GET {path}/versions/1",
    ]
    assert {row["case_id"] for row in rows} == {DEMO_CASE}
    assert all(row["as_known_at"].startswith("2099-01-01") for row in rows)


# -- tampering ------------------------------------------------------------------------------------


def _overwrite_blob(docs: Documents, sha256: str, content: bytes) -> None:
    """Change a stored blob behind Foresight's back, as someone with the store's keys could."""
    if not docs.blob_settings:
        tamperer = open_tamperer(docs.db_url)
        tamperer.disarm()
        tamperer.execute(
            f"UPDATE {BLOB_CHUNKS_TABLE} SET data = ? WHERE sha256 = ?", [content, sha256]
        )
        tamperer.rearm()
        return
    bucket = docs.blob_settings["blobs_url"].removeprefix("s3://").split("/")[0]
    server = S3Server(docs.blob_settings["s3_endpoint_url"])
    server.client().put_object(
        Bucket=bucket,
        Key=f"documents/{sha256}",
        Body=content,
        Metadata={"foresight-encrypted": "0"},
    )


def test_a_changed_blob_is_refused_on_read_and_named_by_verify(
    own_docs: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes no longer match their SHA-256: never served, and `verify` names the document,
    version and case."""
    docs = own_docs
    content = unique("The child's own words")
    recorded = docs.upload(content).json()
    document_id, sha256 = recorded["data"]["document_id"], recorded["data"]["sha256"]
    assert verify_store(docs.foresight.service, blobs=docs.foresight.blobs).ok
    _overwrite_blob(docs, sha256, unique("Other words"))
    served = docs.get("sw-jones", f"/cases/{DEMO_CASE}/documents/{document_id}/versions/1")
    assert_problem(served, 500)
    assert "is not served" in served.json()["detail"]
    report = verify_store(docs.foresight.service, blobs=docs.foresight.blobs)
    assert not report.ok
    [problem] = report.blob_problems
    assert (problem.document.case_id, problem.document.document_id) == (DEMO_CASE, document_id)
    monkeypatch.setenv("FORESIGHT_DB_URL", docs.db_url)
    for name, value in docs.blob_settings.items():
        monkeypatch.setenv(f"FORESIGHT_{name.upper()}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["verify"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"case '{DEMO_CASE}' document '{document_id}' version 1" in said
    assert "has changed" in said


def test_verify_names_a_missing_blob(db_url: str) -> None:
    """A version whose blob is gone from the store is named by verify."""
    with _documents(db_url, {}) as docs:
        recorded = docs.upload(unique()).json()
        tamperer = open_tamperer(db_url)
        tamperer.disarm()
        tamperer.execute(f"DELETE FROM {BLOB_CHUNKS_TABLE}")
        tamperer.execute(f"DELETE FROM {BLOBS_TABLE}")
        tamperer.rearm()
        report = verify_store(docs.foresight.service, blobs=docs.foresight.blobs)
    [problem] = report.blob_problems
    assert problem.document.document_id == recorded["data"]["document_id"]
    assert "no blob" in problem.reason


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {BLOB_CHUNKS_TABLE} SET data = data", f"DELETE FROM {BLOBS_TABLE}"],
)
def test_the_database_refuses_to_change_or_delete_blobs(db_url: str, statement: str) -> None:
    """The blob tables are append-only by trigger, like the events."""
    with _documents(db_url, {}) as docs:
        docs.upload(unique())
        engine = docs.foresight.queries.engine
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sqlalchemy.text(statement))


def _stored_bytes(docs: Documents, sha256: str) -> bytes:
    """What the blob store holds for this content, as it holds it."""
    if not docs.blob_settings:
        with docs.foresight.queries.engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text(
                    f"SELECT data FROM {BLOB_CHUNKS_TABLE} WHERE sha256 = :sha ORDER BY chunk_index"
                ),
                {"sha": sha256},
            )
            return b"".join(bytes(row.data) for row in rows)
    bucket = docs.blob_settings["blobs_url"].removeprefix("s3://").split("/")[0]
    found = (
        S3Server(docs.blob_settings["s3_endpoint_url"])
        .client()
        .get_object(Bucket=bucket, Key=f"documents/{sha256}")
    )
    return bytes(found["Body"].read())


@pytest.mark.parametrize("kind", ["database", "s3"])
def test_blobs_are_encrypted_at_rest_with_the_stores_key(
    db_url: str, kind: str, request: pytest.FixtureRequest
) -> None:
    """With a cipher key the stored bytes are not the document's, and read back whole."""
    key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    content = unique("A confidential report") * 50_000  # more than one chunk
    blob_settings = _blob_settings(kind, request)
    with demo_app(db_url, USERS, cipher_key=key, **blob_settings) as (app, client, tokens):
        docs = Documents(app, client, tokens, db_url, blob_settings)
        response = docs.upload(content)
        assert response.status_code == 201, response.text
        stored = _stored_bytes(docs, response.json()["data"]["sha256"])
        assert len(stored) > len(content)
        assert content[:40] not in stored
        assert docs.get("sw-jones", response.headers["Location"]).content == content


def test_content_that_does_not_match_its_sha256_is_not_stored(docs: Documents) -> None:
    """The store checks the SHA-256 as it writes: a mismatch stores nothing."""
    claimed = hashlib.sha256(unique()).hexdigest()
    with pytest.raises(BlobMismatch, match="not stored"):
        docs.foresight.blobs.put([unique("other content")], claimed)
    assert not docs.foresight.blobs.exists(claimed)


# -- the case's rules -----------------------------------------------------------------------------


def _version(case_id: str, document_id: str, **fields: Any) -> Any:
    return event(
        "document_version_added",
        case_id,
        data={
            "document_id": document_id,
            "name": "letter.txt",
            "sha256": "ab" * 32,
            "media_type": "text/plain",
            "size": 3,
            **fields,
        },
    )


def test_versions_are_numbered_per_document_by_the_case(service: Any) -> None:
    """Without a number the case gives the next; a wrong or skipped number is refused."""
    outcome = service.append([_version("C-1", "doc-a"), _version("C-1", "doc-a")])
    assert [found.data["version_number"] for found in outcome.events] == [1, 2]
    assert service.append([_version("C-1", "doc-b")]).events[0].data["version_number"] == 1
    with pytest.raises(InvariantViolation, match="the next is 3"):
        service.append([_version("C-1", "doc-a", version_number=2)])
    with pytest.raises(UnknownReference, match="no document 'doc-c'"):
        service.append([_version("C-1", "doc-c", version_number=2)])
    with pytest.raises(UnknownReference, match="no document 'doc-a'"):
        service.append([_version("C-2", "doc-a", version_number=3)])
