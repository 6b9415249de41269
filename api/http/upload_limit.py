"""The request body limit, with room for a document on the upload route."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.middleware import BodySizeLimit

UPLOAD_PATH = re.compile(r"^/cases/[^/]+/documents/?$")
# The form's other fields and the multipart boundaries, beside the document itself.
FORM_ROOM = 256 * 1024


class BodySizeLimits:
    """`BodySizeLimit` for every request, except an upload of a document: the document limit
    (FORESIGHT_MAX_DOCUMENT_BYTES) and room for the form there; the route itself answers a
    document over its limit, naming the field."""

    def __init__(self, app: ASGIApp, max_document_bytes: int):
        self.default = BodySizeLimit(app)
        self.uploads = BodySizeLimit(app, limit=max_document_bytes + FORM_ROOM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_upload = (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and UPLOAD_PATH.match(scope.get("path", "")) is not None
        )
        await (self.uploads if is_upload else self.default)(scope, receive, send)
