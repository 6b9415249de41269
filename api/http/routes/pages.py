"""The web page: one static page and its assets, served with a strict Content Security Policy."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel

from api.http.deps import CurrentUser

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


class Me(BaseModel):
    """Who the token belongs to."""

    name: str
    role: str
    agency: str


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/ui")


def _page() -> FileResponse:
    """The same page for every view; it reads the path and asks the JSON API."""
    return FileResponse(STATIC / "app.html", media_type="text/html")


@router.get("/docs")
def api_docs() -> FileResponse:
    """Swagger UI from the vendored files, started by an external script (no inline script,
    so it runs under the same Content Security Policy as the web page)."""
    return FileResponse(STATIC / "docs.html", media_type="text/html")


@router.get("/ui")
def home_page() -> FileResponse:
    return _page()


@router.get("/ui/cases/{case_id}")
def case_page(case_id: str) -> FileResponse:
    return _page()


@router.get("/ui/people/{person_id}")
def person_page(person_id: str) -> FileResponse:
    return _page()


me_router = APIRouter(tags=["system"])


@me_router.get("/me", response_model=Me, summary="Who the token belongs to")
def me(user: CurrentUser) -> Me:
    """The signed-in user's name, role and agency (the page shows them)."""
    return Me(name=user.name, role=user.role, agency=user.agency)


# The reviewer's workspace and the auditor's screens: pages of their own (review.js, audit.js)
# beside the case page, on the same JSON API and the same sign-in.
@router.get("/ui/reviews")
def reviews_page() -> FileResponse:
    return FileResponse(STATIC / "review.html", media_type="text/html")


@router.get("/ui/reviews/{review_id}")
def review_page(review_id: str) -> FileResponse:
    return FileResponse(STATIC / "review.html", media_type="text/html")


@router.get("/ui/audit")
def audit_page() -> FileResponse:
    return FileResponse(STATIC / "audit.html", media_type="text/html")
