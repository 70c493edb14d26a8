"""`POST /api/offer` for a public line: no email or PIN; only a public line's number opens a call,
and a web caller is a contact of their own (a typed number is kept for call-backs, never trusted)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from core import lines
from core.db import transaction
from core.models import Contact
from tests.api.test_webrtc import Browser, browser, make_offer  # noqa: F401

KNOWN = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


def line_body(sdp: str, line: Any, **extra: Any) -> dict[str, Any]:
    return {"sdp": sdp, "type": "offer", "requestData": {"line": line, **extra}}


async def contacts_of(browser: Browser) -> list[Contact]:  # noqa: F811
    async with browser.runtime.sessions() as session:
        return list((await session.exec(select(Contact))).all())


async def test_only_a_public_line_answers_without_a_pin(browser: Browser) -> None:  # noqa: F811
    async with transaction(browser.runtime.sessions) as session:
        await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Hanok Table", access="public")
        await lines.set_line(session, "+15550100001", known_domains=KNOWN, name="Assistant", access="pin")
    sdp = await make_offer()
    for line, status, says in (
        ("+15550100009", 404, "No public line"),
        ("+15550100001", 404, "No public line"),  # a PIN line needs the email and PIN
        ("", 400, "public line's number"),
        (12, 400, "public line's number"),
        ("+1" + "5" * 40, 400, "public line's number"),
    ):
        response = await browser.client.post("/api/offer", json=line_body(sdp, line))
        assert response.status_code == status and says in response.json()["detail"], (line, response.text)
    response = await browser.client.post("/api/offer", json=line_body(sdp, "+15550100000", name="x" * 200))
    assert response.status_code == 400 and "name" in response.json()["detail"]
    assert browser.calls.active == 0 and await contacts_of(browser) == []

    response = await browser.client.post("/api/offer", json=line_body(sdp, "+15550100000", name=" Lee ",
                                                                       phone="+1 555 333 0003"))
    assert response.status_code == 200, response.text
    [contact] = await contacts_of(browser)
    assert (contact.name, contact.given_phone, contact.phone) == ("Lee", "+15553330003", None)
    again = await browser.client.post("/api/offer", json=line_body(sdp, "+15550100000", phone="+15553330003"))
    assert again.status_code == 200
    assert len(await contacts_of(browser)) == 2  # a typed number never finds someone's contact
