"""Settings from the environment (FORESIGHT_*), read once per process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.timepoints import DEFAULT_ZONE

DEFAULT_DB_URL = "sqlite:///./foresight.db"
# Photographs, letters, reports, the child's own drawings, and audio and video for digital
# stories. Not HTML or SVG: a browser would run their scripts.
DEFAULT_DOCUMENT_MEDIA_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "audio/mpeg",
    "audio/mp4",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "video/mp4",
    "video/webm",
    "video/quicktime",
)


class Settings(BaseSettings):
    """Where the store is and how local times are read."""

    model_config = SettingsConfigDict(env_prefix="FORESIGHT_", extra="ignore")

    db_url: str = DEFAULT_DB_URL
    timezone: str = DEFAULT_ZONE
    # FORESIGHT_CIPHER_KEY: encryption at rest (AES-GCM) of the stored events, snapshots and
    # read models' text; base64 of 16, 24 or 32 bytes (docs/security.md). New records are
    # written under it.
    cipher_key: SecretStr | None = None
    # FORESIGHT_CIPHER_OLD_KEYS: earlier keys, comma-separated, still read (each record names
    # its key's id) until `foresight rekey` has moved every record to the current key.
    cipher_old_keys: SecretStr | None = None
    # Events between snapshots of a case's invariant state (see domain/service.py).
    snapshot_interval: int = Field(default=500, ge=2)
    # FORESIGHT_LOCK_TIMEOUT: seconds a writer waits for the database's write lock before the
    # request fails with 503 and Retry-After (nothing written).
    lock_timeout: int = Field(default=30, ge=1)
    timescales: str = "england"  # rule pack: england, wales, or a JSON file (timeliness_report)
    # FORESIGHT_RETURNS_AGENCY: the agency that makes the statutory returns (children's social
    # care); besides reviewers, only its managers read the whole-record authority reports.
    returns_agency: str = Field(default="social_care", min_length=1, max_length=64)

    # Documents (docs/documents.md). FORESIGHT_BLOBS_URL: where their bytes are kept, unset for
    # the store's own database, or s3://bucket/prefix for an S3-compatible bucket (boto3's
    # usual AWS_* credentials; FORESIGHT_S3_ENDPOINT_URL for a server other than AWS).
    blobs_url: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    s3_endpoint_url: str | None = None
    # FORESIGHT_MAX_DOCUMENT_BYTES: the largest document accepted (default 25 MiB).
    max_document_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    # FORESIGHT_DOCUMENT_MEDIA_TYPES: the media types accepted, comma-separated.
    document_media_types: str = ",".join(DEFAULT_DOCUMENT_MEDIA_TYPES)

    # Single sign-on (OpenID Connect, docs/security.md): off unless the issuer is set.
    oidc_issuer: str | None = None  # e.g. https://login.example.gov.uk/realms/council
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile"
    # The ID token's (or userinfo's) claims that name the user's agency and role; a subject
    # mapped with `foresight users map` needs neither.
    oidc_agency_claim: str = "agency"
    oidc_role_claim: str = "role"
    # Signs the short-lived sign-in cookie (state, nonce, PKCE verifier); at least 32
    # random characters.
    session_secret: SecretStr | None = Field(default=None, min_length=32)
    session_hours: int = Field(default=8, ge=1, le=24)
    # The access log's commits without waiting for the disk: faster reads, but a crash of the
    # database's machine can lose the last moments' rows of who read what.
    access_log_fast_commit: bool = False
    # A session with no request for this long ends (a screen left signed in).
    session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Only for a demo or test served on http://127.0.0.1: the session cookie without Secure.
    session_cookie_insecure: bool = False

    @property
    def single_sign_on(self) -> bool:
        return bool(self.oidc_issuer)

    @model_validator(mode="after")
    def _single_sign_on_complete(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.session_secret):
            raise ValueError(
                "FORESIGHT_OIDC_ISSUER needs FORESIGHT_OIDC_CLIENT_ID and FORESIGHT_SESSION_SECRET"
            )
        return self

    @field_validator("db_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("FORESIGHT_DB_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
