"""Per-device sign-out: each sign-in is a device session; the account lists them and ends one, whose
access and refresh tokens stop working at once while the other devices stay signed in."""

from __future__ import annotations

import httpx

from tests.helpers import register


async def login(client: httpx.AsyncClient, email: str, password: str, device: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password},
                                 headers={"User-Agent": device})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_sign_one_device_out(client: httpx.AsyncClient) -> None:
    alice = await register(client)
    phone = await login(client, alice.email, alice.password, "Phone Safari")
    laptop = await login(client, alice.email, alice.password, "Laptop Firefox")

    listed = (await client.get("/api/auth/sessions", headers=bearer(laptop))).json()
    assert len(listed) == 3  # registration signed in a device too
    assert [s["device"] for s in listed if s["current"]] == ["Laptop Firefox"]
    [on_phone] = [s for s in listed if s["device"] == "Phone Safari"]

    assert (await client.delete(f"/api/auth/sessions/{on_phone['id']}", headers=bearer(laptop))).status_code == 204
    assert (await client.get("/api/auth/profile", headers=bearer(phone))).status_code == 401
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await client.get("/api/auth/profile", headers=bearer(laptop))).status_code == 200
    renewed = await client.post("/api/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert renewed.status_code == 200
    assert (await client.get("/api/auth/profile", headers=bearer(renewed.json()))).status_code == 200
    assert (await client.delete(f"/api/auth/sessions/{on_phone['id']}", headers=bearer(laptop))).status_code == 404
    assert (await client.delete("/api/auth/sessions/not-a-session", headers=bearer(laptop))).status_code == 422


async def test_a_session_is_its_owners_alone(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    [alices] = (await client.get("/api/auth/sessions", headers=alice.auth)).json()
    assert (await client.delete(f"/api/auth/sessions/{alices['id']}", headers=bob.auth)).status_code == 404
    assert (await client.get("/api/auth/profile", headers=alice.auth)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=alice.auth)).status_code == 204
    fresh = await login(client, alice.email, alice.password, "Tablet")
    assert [s["device"] for s in (await client.get("/api/auth/sessions", headers=bearer(fresh))).json()] == ["Tablet"]
