"""The login page and static assets are served by the app itself."""

from __future__ import annotations

import httpx


async def test_login_page_and_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert page.status_code == 200 and "Log in to Convonet" in page.text
    assert "/static/login/login.js" in page.text
    for asset in ("/static/login/login.js", "/static/common/auth.js", "/static/common/base.css"):
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 500, asset
    assert (await client.get("/static/../core/config.py")).status_code == 404
    home = await client.get("/", follow_redirects=False)
    assert home.status_code in (302, 307) and home.headers["location"] == "/voice_assistant"
