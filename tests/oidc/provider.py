"""A real OpenID provider (oidc-provider under Node, tests/oidc/provider.mjs) on loopback, and
the demo served with single sign-on against it, for the integration and browser tests.

Its packages are installed with `npm ci` from the lock file the first time. Under CI=true a
provider that cannot be installed or started fails the tests; elsewhere, a machine without
Node skips them."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.demo_server import Demo, free_port, served_demo

HERE = Path(__file__).resolve().parent
CLIENT_ID = "foresight-web"
# Who the provider knows: sw-jones and auditor-khan come with agency and role claims;
# sam-unmapped has none until an admin maps the subject (`foresight users map`).
ACCOUNTS = {
    "sw-jones": {"preferred_username": "sw-jones", "agency": "social_care", "role": "practitioner"},
    "auditor-khan": {
        "preferred_username": "auditor-khan",
        "agency": "information_governance",
        "role": "auditor",
    },
    "sam-unmapped": {"preferred_username": "sam-unmapped"},
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs the test OpenID provider: {reason}")
    pytest.skip(f"the test OpenID provider cannot run here: {reason}")


def _installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("Node and npm are not installed")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            check=False,
            cwd=HERE,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci failed: {done.stderr[-2000:]}")


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[Provider]:
    """The provider on a free loopback port, with one client allowed to return to
    `redirect_uri`, until the block ends."""
    _installed()
    port = free_port()
    secret = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": secret,
        "REDIRECT_URI": redirect_uri,
        "FORESIGHT_TEST_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        output = []
        for line in process.stdout:  # ends when the process does
            output.append(line)
            if re.match(r"^ready http://127\.0\.0\.1:\d+$", line.strip()):
                break
        else:
            _unavailable("it stopped before it was ready:\n" + "".join(output)[-2000:])
        yield Provider(f"http://127.0.0.1:{port}", CLIENT_ID, secret)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def demo_with_single_sign_on(directory: Path) -> Iterator[tuple[Demo, Provider]]:
    """The demo served on http://127.0.0.1 with single sign-on against the test provider."""
    port = free_port()
    with running_provider(f"http://127.0.0.1:{port}/auth/callback") as provider:
        settings = {
            "FORESIGHT_OIDC_ISSUER": provider.issuer,
            "FORESIGHT_OIDC_CLIENT_ID": provider.client_id,
            "FORESIGHT_OIDC_CLIENT_SECRET": provider.client_secret,
            "FORESIGHT_SESSION_SECRET": secrets.token_urlsafe(32),
            "FORESIGHT_SESSION_COOKIE_INSECURE": "true",  # served on http://127.0.0.1
        }
        with served_demo(directory, port=port, settings=settings) as demo:
            yield demo, provider
