"""Every page the app serves forbids framing and foreign scripts; https deployments pin https."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from core.runtime import Runtime
from tests.conftest import make_settings

PAGES = ("/login", "/voice_assistant", "/agent-monitor", "/call-center", "/team-dashboard", "/tool-execution")


async def test_every_page_sends_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "strict-transport-security" not in response.headers  # plain http here
    api = await client.get("/health")
    assert "content-security-policy" not in api.headers  # JSON needs none


async def test_pages_run_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    """The policy forbids inline code, so the pages must carry none (else they would break)."""
    for path in PAGES:
        html = (await client.get(path)).text
        assert "<script>" not in html and '<script type="module">' not in html, path
        assert "style=" not in html and "<style" not in html, path


async def test_https_adds_hsts_and_the_softphone_may_reach_its_sip_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/x.db", None,
                             public_url="https://voice.example.com", sip_domain="pbx.example.com")
    runtime = Runtime.build(settings)
    try:
        transport = httpx.ASGITransport(app=create_app(runtime=runtime))
        async with httpx.AsyncClient(transport=transport, base_url="https://voice.example.com") as client:
            page = await client.get("/call-center")
            health = await client.get("/api/ice-servers")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert health.headers["strict-transport-security"].startswith("max-age=")
        assert "connect-src 'self' wss://pbx.example.com:7443" in page.headers["content-security-policy"]
    finally:
        await runtime.close()
