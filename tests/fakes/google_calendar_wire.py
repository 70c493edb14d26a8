"""What the fake Calendar v3 server records and how it fails (`Fault`), and its RFC 3339 / error-body helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

API = "/calendar/v3"



@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, str]
    body: Any  # parsed JSON, the form fields of a token request, or None
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class Fault:
    status: int | None  # None: only stall
    stall: float
    method: str | None
    path: str | None  # exact decoded path; None = any calendar API request
    times: int | None  # None = until cleared

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.path is None:
            return path.startswith(API + "/")
        return self.path == path


def _parse_dt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError("RFC 3339 needs an offset")
    return parsed.astimezone(UTC)


def _when(value: dict[str, Any]) -> datetime:
    if "dateTime" in value:
        return _parse_dt(value["dateTime"])
    return datetime.combine(date.fromisoformat(value["date"]), time.min, tzinfo=UTC)


def _error(status: int, message: str, reason: str = "backendError") -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }
