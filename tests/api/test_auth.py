"""Registration, login, refresh rotation, profile, and every way a token can be wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from core.config import Settings
from core.security import create_token
from tests.helpers import register, well_inside_a_window


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


async def test_registration_conflicts_all_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client, "dup", username="dupe", phone_number="+15557654321")
    answers = []
    for clash in ({"email": "Dup@example.com"}, {"email": "new1@example.com", "username": "DUPE"},
                  {"email": "new2@example.com", "phone_number": "+1 555 765 4321"}):
        again = await client.post("/api/auth/register", json={"password": "another-pass", **clash})
        assert again.status_code == 409, clash
        answers.append(again.json())
    assert answers[0] == answers[1] == answers[2]


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
    ok = await client.put("/api/auth/profile", json={"voice_pin": "482913", "current_password": account.password},
                          headers=account.auth)
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


async def test_wrong_passwords_lock_the_account_for_the_window(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await register(client)
    for _ in range(settings.auth_failures_per_account):
        wrong = await client.post("/api/auth/login", json={"email": account.email, "password": "wrong-password"},
                                  headers={"X-Forwarded-For": "ignored"})
        assert wrong.status_code == 401
    refused = await client.post("/api/auth/login", json={"email": account.email.upper(), "password": account.password})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60


async def test_a_right_password_resets_the_failures(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await register(client)
    for _ in range(2):  # 2 x 10 attempts stay under the address's 30 a minute
        for _ in range(settings.auth_failures_per_account - 1):
            await client.post("/api/auth/login", json={"email": account.email, "password": "wrong-password"})
        ok = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
        assert ok.status_code == 200


async def test_one_address_is_limited_across_accounts_and_routes(runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, runtime.settings.database_url, runtime.settings.redis_url,
                             auth_attempts_per_minute=4)
    limited = type(runtime)(settings, runtime.engine, runtime.sessions, runtime.store)
    app = create_app(runtime=limited)
    near = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.5", 1)), base_url="http://t")
    far = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.8", 1)), base_url="http://t")
    await well_inside_a_window()  # a new minute opening between the fourth and fifth request let the fifth in once
    async with near, far:
        statuses = []
        for i in range(3):
            r = await near.post("/api/auth/login", json={"email": f"n{i}@example.com", "password": "whatever1"})
            statuses.append(r.status_code)
        statuses.append((await near.post("/api/auth/refresh", json={"refresh_token": "x"})).status_code)
        refused = await near.post("/api/auth/register", json={"email": "new@example.com", "password": "long-enough"})
        assert statuses == [401, 401, 401, 401]
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
        other = await far.post("/api/auth/login", json={"email": "n0@example.com", "password": "whatever1"})
        assert other.status_code == 401


async def test_bcrypt_runs_off_the_event_loop(runtime, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Every bcrypt run of sign-up and login (the unknown email's dummy check too) happens on the hashing
    pool's threads, never on the loop that carries calls' audio (0.2 s each at cost 12)."""
    import threading

    import bcrypt

    from api.app import create_app

    threads: list[str] = []
    for name in ("hashpw", "checkpw"):
        real = getattr(bcrypt, name)

        def watched(*args: Any, _real: Any = real) -> Any:
            threads.append(threading.current_thread().name)
            return _real(*args)

        monkeypatch.setattr(bcrypt, name, watched)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        created = await c.post("/api/auth/register", json={"email": "slow@example.com", "password": "pw-slow-secret"})
        wrong = await c.post("/api/auth/login", json={"email": "slow@example.com", "password": "not-it-at-all"})
        unknown = await c.post("/api/auth/login", json={"email": "nobody@example.com", "password": "not-it-at-all"})
    assert (created.status_code, wrong.status_code, unknown.status_code) == (201, 401, 401)
    assert len(threads) >= 3 and all(name.startswith("bcrypt") for name in threads), threads


async def test_multibyte_password_over_72_bytes_is_refused_not_a_server_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/register", json={"email": "mb@example.com", "password": "é" * 40})
    assert response.status_code == 422
    assert "bytes" in response.json()["detail"]



async def test_logout_ends_every_session(client: httpx.AsyncClient) -> None:
    account = await register(client)
    other = (await client.post("/api/auth/login", json={"email": account.email, "password": account.password})).json()
    assert (await client.post("/api/auth/logout", headers=account.auth)).status_code == 204
    for access in (account.access, other["access_token"]):
        assert (await client.get("/api/auth/profile", headers={"Authorization": f"Bearer {access}"})).status_code == 401
    for refresh in (account.refresh, other["refresh_token"]):
        assert (await client.post("/api/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    again = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    assert again.status_code == 200
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert (await client.get("/api/auth/profile", headers=fresh)).status_code == 200


async def test_password_pin_and_phone_changes_need_the_current_password(client: httpx.AsyncClient) -> None:
    account = await register(client)
    for change in ({"password": "brand-new-pass"}, {"voice_pin": "4826"}, {"phone_number": "+15551112222"}):
        missing = await client.put("/api/auth/profile", json=change, headers=account.auth)
        wrong = await client.put("/api/auth/profile", json={**change, "current_password": "not-mine-at-all"},
                                 headers=account.auth)
        assert missing.status_code == wrong.status_code == 403, change
    profile = (await client.get("/api/auth/profile", headers=account.auth)).json()
    assert profile["phone_number"] is None and profile["has_voice_pin"] is False
    name = await client.put("/api/auth/profile", json={"first_name": "Zed"}, headers=account.auth)
    assert name.status_code == 200 and name.json()["first_name"] == "Zed"  # a name needs no password
    phone = await client.put("/api/auth/profile", json={"phone_number": "+15551112222",
                                                        "current_password": account.password}, headers=account.auth)
    assert phone.status_code == 200 and phone.json()["phone_number"] == "+15551112222"


async def test_a_new_password_ends_the_old_sessions(client: httpx.AsyncClient) -> None:
    account = await register(client)
    changed = await client.put("/api/auth/profile", json={"password": "brand-new-pass",
                                                          "current_password": account.password}, headers=account.auth)
    assert changed.status_code == 200
    assert (await client.get("/api/auth/profile", headers=account.auth)).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})).status_code == 401
    old = await client.post("/api/auth/login", json={"email": account.email, "password": account.password})
    new = await client.post("/api/auth/login", json={"email": account.email, "password": "brand-new-pass"})
    assert (old.status_code, new.status_code) == (401, 200)


async def test_a_new_pin_ends_the_old_sessions(client: httpx.AsyncClient) -> None:
    account = await register(client)
    changed = await client.put("/api/auth/profile", json={"voice_pin": "4826", "current_password": account.password},
                               headers=account.auth)
    assert changed.status_code == 200
    assert (await client.get("/api/auth/profile", headers=account.auth)).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})).status_code == 401


async def test_a_reused_refresh_token_ends_the_whole_chain(client: httpx.AsyncClient) -> None:
    account = await register(client)
    rotated = (await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})).json()
    stolen = await client.post("/api/auth/refresh", json={"refresh_token": account.refresh})
    assert stolen.status_code == 401
    # the pair the first refresh gave out is dead too, whoever holds it
    assert (await client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})).status_code == 401
    headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/api/auth/profile", headers=headers)).status_code == 401


async def test_refreshing_cannot_stretch_a_sign_in_past_its_maximum(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await register(client)
    claims = jwt.decode(account.refresh, settings.signing_key, algorithms=["HS256"])
    signed_in = datetime.now(UTC) - timedelta(days=settings.session_max_days, minutes=1)
    assert claims["auth_time"] > signed_in.timestamp()
    old = create_token(account.id, "refresh", key=settings.signing_key, lifetime=timedelta(days=7),
                       extra={"ver": 0, "auth_time": int(signed_in.timestamp())})
    assert (await client.post("/api/auth/refresh", json={"refresh_token": old})).status_code == 401
    # a refresh keeps the sign-in time: the new refresh token expires with the session
    recent = datetime.now(UTC) - timedelta(days=settings.session_max_days) + timedelta(hours=1)
    near_end = create_token(account.id, "refresh", key=settings.signing_key, lifetime=timedelta(days=7),
                            extra={"ver": 0, "auth_time": int(recent.timestamp()), "sid": claims["sid"]})
    renewed = await client.post("/api/auth/refresh", json={"refresh_token": near_end})
    assert renewed.status_code == 200
    new_claims = jwt.decode(renewed.json()["refresh_token"], settings.signing_key, algorithms=["HS256"])
    assert new_claims["auth_time"] == int(recent.timestamp())
    assert new_claims["exp"] <= int(recent.timestamp()) + settings.session_max_days * 86400


@pytest.mark.parametrize("trusted", [False, True])
async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(  # type: ignore[no-untyped-def]
    runtime, tmp_path, trusted: bool
) -> None:
    """As `convonet serve` runs the app: a client that names a new X-Forwarded-For each time is still one
    address to the sign-in limit, unless it is a proxy named in FORWARDED_ALLOW_IPS."""
    from api.app import create_app
    from api.serve import server_config
    from tests.conftest import make_settings

    proxy = "198.51.100.7"
    settings = make_settings(tmp_path, runtime.settings.database_url, runtime.settings.redis_url,
                             auth_attempts_per_minute=2, forwarded_allow_ips=proxy if trusted else "127.0.0.1")
    config = server_config(create_app(runtime=type(runtime)(settings, runtime.engine, runtime.sessions, runtime.store)),
                           settings, "127.0.0.1", 0)
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=(proxy, 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        codes = [(await c.post("/api/auth/login", json={"email": "x@example.com", "password": "whatever1"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}"})).status_code for i in range(3)]
    assert codes == ([401, 401, 401] if trusted else [401, 401, 429])
