"""The ID token of a single sign-on is believed only when signed by the provider's published
keys and issued by that provider, to this client, for this sign-in (nonce), and not expired."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pydantic import SecretStr

from api.http.routes.auth import SignInRefused, verified_id_token
from api.settings import Settings

ISSUER = "https://login.example.gov.uk"
SETTINGS = Settings(
    oidc_issuer=ISSUER, oidc_client_id="foresight-web", session_secret=SecretStr("s" * 32)
)
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "provider"})
PUBLISHED = KeySet.import_key_set(KeySet([PROVIDER_KEY]).as_dict(private=False))


def id_token(key: RSAKey = PROVIDER_KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "foresight-web",
        "sub": "alex",
        "nonce": "the-nonce",
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    return jwt.encode({"alg": "RS256", "kid": "provider"}, claims, key)


def test_a_token_from_the_provider_for_this_sign_in_is_believed() -> None:
    assert verified_id_token(id_token(), PUBLISHED, SETTINGS, "the-nonce")["sub"] == "alex"


def tampered() -> str:
    header, payload, signature = id_token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("token", "nonce"),
    [
        pytest.param(tampered(), "the-nonce", id="payload changed after signing"),
        pytest.param(
            id_token(RSAKey.generate_key(2048, parameters={"kid": "provider"})),
            "the-nonce",
            id="signed by a foreign key",
        ),
        pytest.param(id_token(), "another-sign-ins-nonce", id="wrong nonce"),
        pytest.param(id_token(nonce=None), "the-nonce", id="no nonce"),
        pytest.param(id_token(iss="https://evil.example"), "the-nonce", id="another issuer"),
        pytest.param(id_token(aud="another-client"), "the-nonce", id="another audience"),
        pytest.param(
            id_token(aud=["foresight-web", "other"], azp="other"), "the-nonce", id="azp other"
        ),
        pytest.param(id_token(exp=int(time.time()) - 3600), "the-nonce", id="expired"),
        pytest.param("not.a.token", "the-nonce", id="not a JWT"),
    ],
)
def test_anything_else_is_refused(token: str, nonce: str) -> None:
    with pytest.raises(SignInRefused) as refused:
        verified_id_token(token, PUBLISHED, SETTINGS, nonce)
    assert refused.value.status == 403


def test_an_unsigned_token_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = id_token().split(".")[1]
    with pytest.raises(SignInRefused):
        verified_id_token(f"{header}.{payload}.", PUBLISHED, SETTINGS, "the-nonce")
