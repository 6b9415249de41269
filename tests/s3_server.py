"""A real S3-compatible server for the tests: moto's standalone server in its own process.

Started on a loopback port (`python -m moto.server`, from the `moto[server]` package of the
test extra). Without that package the S3 tests are skipped with a reason, except in CI
(`CI=true`), where a missing server fails the run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.demo_server import free_port

START_SECONDS = 30


@dataclass(frozen=True)
class S3Server:
    """A running S3-compatible server: its endpoint, and the credentials it accepts."""

    endpoint_url: str

    def new_bucket(self) -> str:
        """A new empty bucket; its name."""
        name = f"foresight-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self):  # type: ignore[no-untyped-def]  # boto3 clients are built at run time
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url)


def _missing(problem: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem)


@contextmanager
def running_s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    """moto's server on a free loopback port until the block ends, with test credentials set
    for boto3 in this process."""
    if importlib.util.find_spec("moto.server") is None or importlib.util.find_spec("boto3") is None:
        _missing("no S3-compatible server for the tests: pip install -e '.[test]' (moto[server])")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _missing(f"moto's S3 server did not start on {endpoint}")
                time.sleep(0.1)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        yield S3Server(endpoint)
    finally:
        server.terminate()
        server.wait(timeout=10)
