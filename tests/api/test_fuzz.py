"""API fuzzing: schemathesis generates requests from the OpenAPI schema, valid and invalid, for every
operation, and each goes to the whole app (its lifespan on) in-process twice: anonymous and as a
signed-in staff member. No request may get a server error (5xx). A fixed seed and a few examples per
operation: a few hundred requests in all.

Left out: the two server-sent-event streams (they stay open until the client leaves) and signing the
fuzzing account out (the rest of the run would be anonymous)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from sqlalchemy.engine import make_url

from api.app import create_app
from core.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]

LEFT_OUT = {
    ("GET", "/call-center/api/events"),
    ("GET", "/agent-monitor/api/stream"),
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/auth/sessions/{session_id}"),
}
EXAMPLES_PER_OPERATION = 3


def _staff_token(app: Any, settings: Settings) -> str:
    client = asgi.get_client(app)
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    made = client.post("/api/auth/register", json={"email": email, "password": "fuzz-password-1",
                                                   "phone_number": "+15550001234", "voice_pin": "1234"})
    assert made.status_code == 201, made.text
    database = make_url(settings.effective_database_url).database
    with sqlite3.connect(str(database)) as db:  # as `convonet grant-staff` would
        db.execute("UPDATE users SET is_staff = 1 WHERE email = ?", (email,))
    return str(made.json()["access_token"])


def test_no_request_gets_a_server_error(settings: Settings) -> None:
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    try:
        bearer = {"Authorization": f"Bearer {_staff_token(app, settings)}"}
        results = list(schema.get_all_operations())
        operations = [r.ok() for r in results if isinstance(r, Ok)]
        assert len(operations) == len(results) > 80, "the schema has operations schemathesis cannot read"
        for operation in operations:
            if (operation.method.upper(), operation.path) in LEFT_OUT:
                continue
            cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE))

            @seed(1)
            @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, database=None, deadline=None,
                                 phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=cases)
            def send(case: Any) -> None:
                for who, headers in (("anonymous", None), ("staff", bearer)):
                    response = case.call(headers=headers)
                    if response.status_code >= 500:
                        failures.append(f"{who}: {case.method} {case.formatted_path} -> {response.status_code}: "
                                        f"{case.as_curl_command()}")

            send()
    finally:
        asgi.shutdown_lifespans()
    assert failures == []
