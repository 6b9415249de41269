"""`foresight serve` and `foresight demo` as real processes on loopback, driven with httpx."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.samples.demo import demo_id

ROOT = Path(__file__).resolve().parents[2]
CASE = "E2E-0001"
TOKEN_LINE = re.compile(r"^\s+(\S+)\s+(\S+)\s+(\S+)\s+(fst_\S+)\s*$")

pytestmark = pytest.mark.slow


def foresight_command() -> list[str]:
    """The installed console script, or the module if the script is not on PATH."""
    script = shutil.which("foresight")
    return [script] if script else [sys.executable, "-m", "api.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(db_url: str) -> dict[str, str]:
    return {**os.environ, "FORESIGHT_DB_URL": db_url, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}


def add_user(db_url: str, name: str, role: str, agency: str) -> str:
    """`foresight users add` in its own process; the token is the last line of stdout."""
    done = subprocess.run(
        [*foresight_command(), "users", "add", name, "--role", role, "--agency", agency],
        cwd=ROOT,
        env=environment(db_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("fst_")
    return token


@contextmanager
def running(args: list[str], db_url: str, port: int, log: Path) -> Iterator[str]:
    """Run a foresight command that serves on `port`; yield its base URL once /health answers."""
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*foresight_command(), *args, "--port", str(port)],
            cwd=ROOT,
            env=environment(db_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text()}")
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer /health in 60 s:\n{log.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


class Client:
    """One user's HTTP client on the running server."""

    def __init__(self, base: str, token: str):
        self.http = httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def append(self, body: Any) -> Any:
        response = self.http.post(f"/cases/{CASE}/events", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, path: str, **params: str) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["event_id"] for entry in entries]


def test_a_multi_agency_case_recorded_and_reviewed_over_http(tmp_path: Path, db_url: str) -> None:
    """Police and school record, social care decides and shares, a reviewer replays it all."""
    tokens = {
        name: add_user(db_url, name, role, agency)
        for name, role, agency in [
            ("sw-ali", "practitioner", "social_care"),
            ("tm-grant", "manager", "social_care"),
            ("pc-9876", "practitioner", "police"),
            ("dsl-khan", "practitioner", "school"),
            ("reviewer-ng", "reviewer", "review"),
        ]
    }
    with running(["serve"], db_url, free_port(), tmp_path / "serve.log") as base:
        users = {name: Client(base, token) for name, token in tokens.items()}
        sw, tm, pc, dsl, reviewer = (users[name] for name in tokens)

        opened, child = sw.append(
            [
                {
                    "type": "case_opened",
                    "occurred_at": "2024-03-01",
                    "source_recorded_at": "2024-03-01T09:00",
                    "summary": "Case opened",
                },
                {
                    "type": "person_added",
                    "occurred_at": "2024-03-01",
                    "source_recorded_at": "2024-03-01T09:05",
                    "data": {"person_id": "mia", "role": "child", "name": "Mia"},
                },
            ]
        )
        contact = pc.append(
            {
                "type": "contact_received",
                "occurred_at": "2024-03-02T22:00",
                "source_recorded_at": "2024-03-03T08:00",
                "subjects": ["mia"],
                "significance": "significant",
                "summary": "Officers called to a disturbance",
                "data": {"contact_kind": "concern", "concern_categories": ["domestic_abuse"]},
            }
        )
        worry = dsl.append(
            {
                "type": "note_added",
                "occurred_at": "2024-03-04T09:00",
                "source_recorded_at": "2024-03-04T10:00",
                "subjects": ["mia"],
                "summary": "Mia said she was frightened to go home",
            }
        )
        decision = tm.append(
            {
                "type": "decision_made",
                "occurred_at": "2024-03-05T11:00",
                "source_recorded_at": "2024-03-05T11:30",
                "subjects": ["mia"],
                "significance": "key",
                "summary": "Single assessment",
                "data": {"decision": "Single assessment of Mia", "urgency": "routine"},
            }
        )
        share = tm.append(
            {
                "type": "information_shared",
                "occurred_at": "2024-03-05T12:00",
                "source_recorded_at": "2024-03-05T12:00",
                "data": {
                    "to_agency": "school",
                    "event_ids": [decision["event_id"]],
                    "basis": "legal_duty",
                },
            }
        )
        late = pc.append(
            {
                "type": "contact_received",
                "occurred_at": "2024-02-20T21:00",
                "source_recorded_at": "2024-03-10",
                "subjects": ["mia"],
                "summary": "Earlier call-out to the same address (entered late)",
                "data": {"contact_kind": "notification"},
            }
        )
        assert (decision["agency"], decision["recorded_by"]) == ("social_care", "tm-grant")
        assert (late["agency"], late["version"]) == ("police", 7)
        forbidden = pc.http.post(  # police may not retract social care's decision
            f"/cases/{CASE}/events",
            json={
                "type": "entry_retracted",
                "occurred_at": "2024-03-05",
                "data": {"target_event_id": decision["event_id"], "reason": "x"},
            },
        )
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"].startswith("application/problem+json")

        path = f"/cases/{CASE}/chronology"
        assert ids(reviewer.get(path, as_known_at="2024-03-03T07:00")) == ids([opened, child])
        assert ids(reviewer.get(path, as_known_at="2024-03-04T12:00")) == ids(
            [opened, child, contact, worry]
        )
        now = reviewer.get(path)
        assert ids(now) == ids([late, opened, child, contact, worry, decision, share])

        assert ids(reviewer.get(path, agency="police")) == ids([late, contact])
        social_care = ids(reviewer.get(path, agency="social_care"))
        assert social_care == ids([opened, child, decision, share])
        school_before = ids(reviewer.get(path, agency="school", as_known_at="2024-03-05T11:45"))
        assert school_before == ids([worry])
        school_after = ids(reviewer.get(path, agency="school", as_known_at="2024-03-05T13:00"))
        assert decision["event_id"] in school_after
        assert contact["event_id"] not in school_after
        assert ids(pc.get(path)) == ids([late, contact])

        view = reviewer.get(f"/cases/{CASE}/decisions/{decision['event_id']}/foresight")
        assert view["deciding_agency"] == "social_care"
        assert datetime.fromisoformat(view["cutoff"]) == datetime(2024, 3, 5, 11, tzinfo=UTC)
        groups = {
            name: [item["entry"]["event_id"] for item in view[name]]
            for name in ("known_to_decider", "held_elsewhere", "learned_later")
        }
        assert groups == {
            "known_to_decider": ids([opened, child]),
            "held_elsewhere": ids([contact, worry]),
            "learned_later": ids([late]),
        }
        assert ids(reviewer.get(f"/cases/{CASE}/decisions")) == ids([decision])
        assert (
            reviewer.http.get(
                f"/cases/{CASE}/decisions/{decision['event_id']}/foresight",
            ).status_code
            == 200
        )
        assert (
            tm.http.get(
                f"/cases/{CASE}/decisions/{decision['event_id']}/foresight",
            ).status_code
            == 403
        )
        health = httpx.get(base + "/health", timeout=10).json()
        assert (health["events"], health["projection_lag"]) == (7, 0)


def test_foresight_demo_serves_the_demo_case_to_its_printed_tokens(tmp_path: Path) -> None:
    """`foresight demo` prints a token per demo user; sw-jones's token reads the chronology."""
    log = tmp_path / "demo.log"
    with running(["demo"], f"sqlite:///{tmp_path / 'demo.db'}", free_port(), log) as base:
        printed = [TOKEN_LINE.match(line) for line in log.read_text().splitlines()]
        tokens = {
            match.group(1): (match.group(2), match.group(3), match.group(4))
            for match in printed
            if match
        }
        assert tokens["sw-jones"][:2] == ("practitioner", "social_care")
        assert len(tokens) == 7
        response = httpx.get(
            base + "/cases/FAM-0042/chronology",
            timeout=30,
            headers={"Authorization": f"Bearer {tokens['sw-jones'][2]}"},
        )
        assert response.status_code == 200, response.text
        entries = response.json()
        assert entries
        assert "Single assessment; no strategy discussion at this point" in [
            entry["summary"] for entry in entries
        ]
        assert demo_id("ava-voice") in ids(entries)  # shared by the school
        assert demo_id("school-hungry") not in ids(entries)  # never shared with social care
        anonymous = httpx.get(base + "/cases/FAM-0042/chronology", timeout=30)
        assert anonymous.status_code == 401
