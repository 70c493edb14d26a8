"""Registration, login, refresh rotation, profile, and every way a token can be wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt

from core.config import Settings
from core.security import create_token
from tests.helpers import register


async def test_register_login_refresh_profile(client: httpx.AsyncClient) -> None:
    account = await register(client, "alice", first_name="Alice")
    login = await client.post("/api/auth/login", json={"email": "ALICE@example.com", "password": account.password})
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["user"]["email"] == "alice@example.com"
    assert tokens["user"]["last_login_at"] is not None

    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]

    profile = await client.get("/api/auth/profile", headers={"Authorization": f"Bearer {new['access_token']}"})
    assert profile.status_code == 200
    assert profile.json()["first_name"] == "Alice"
    assert "password_hash" not in profile.json()


async def test_refresh_token_rotates_and_is_single_use(client: httpx.AsyncClient) -> None:
    account = await register(client)
    first = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})
    assert first.status_code == 200
    again = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})
    assert again.status_code == 401


async def test_duplicate_email_conflicts(client: httpx.AsyncClient) -> None:
    await register(client, "dup")
    again = await client.post("/api/auth/register", json={"email": "Dup@example.com", "password": "another-pass"})
    assert again.status_code == 409
    assert "email" in again.json()["detail"]


async def test_malformed_registration_names_the_field(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/auth/register", json={"email": "x@example.com"})
    assert missing.status_code == 422
    assert ["body", "password"] in [e["loc"] for e in missing.json()["detail"]]
    bad_email = await client.post("/api/auth/register", json={"email": "not-an-email", "password": "longenough"})
    assert bad_email.status_code == 422
    assert ["body", "email"] in [e["loc"] for e in bad_email.json()["detail"]]
    not_json = await client.post(
        "/api/auth/register", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    account = await register(client)
    wrong = await client.post("/api/auth/login", json={"email": account.email, "password": "wrong-password"})
    unknown = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_voice_pin_must_be_four_to_six_digits(client: httpx.AsyncClient) -> None:
    account = await register(client)
    for bad in ("123", "1234567", "12a4", ""):
        response = await client.put("/api/auth/profile", json={"voice_pin": bad}, headers=account.auth)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", "voice_pin"]
    ok = await client.put("/api/auth/profile", json={"voice_pin": "482913"}, headers=account.auth)
    assert ok.status_code == 200
    assert ok.json()["has_voice_pin"] is True
    bad_register = await client.post(
        "/api/auth/register", json={"email": "p@example.com", "password": "longenough", "voice_pin": "12"}
    )
    assert bad_register.status_code == 422


async def test_pin_and_password_are_stored_hashed(client: httpx.AsyncClient, runtime) -> None:  # type: ignore[no-untyped-def]
    from core.accounts import get_user_by_email
    from core.security import verify_secret

    account = await register(client, voice_pin="2468")
    async with runtime.sessions() as session:
        user = await get_user_by_email(session, account.email)
    assert user is not None
    assert user.voice_pin_hash and "2468" not in user.voice_pin_hash
    assert verify_secret("2468", user.voice_pin_hash)
    assert account.password not in user.password_hash
    assert verify_secret(account.password, user.password_hash)


async def test_rejected_tokens(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await register(client)
    key = settings.signing_key
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = create_token(account.id, "access", key=key, lifetime=timedelta(minutes=30), now=past)
    forged = create_token(account.id, "access", key="some-other-key-" + "y" * 40, lifetime=timedelta(minutes=30))
    unsigned = jwt.encode({"sub": account.id, "type": "access", "jti": "x", "exp": 9999999999}, None, algorithm="none")
    for token in (expired, forged, unsigned, account.refresh, "garbage", ""):
        response = await client.get("/api/auth/profile", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    assert (await client.get("/api/auth/profile")).status_code == 401
    # an access token is not a refresh token either
    swapped = await client.post("/api/auth/refresh", json={"refresh_token": account.access})
    assert swapped.status_code == 401


async def test_access_token_lifetimes(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await register(client)
    access = jwt.decode(account.access, settings.signing_key, algorithms=["HS256"])
    refresh = jwt.decode(account.refresh, settings.signing_key, algorithms=["HS256"])
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == 30 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
