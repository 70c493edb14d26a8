"""Team tools: roles respected through the tool door too."""

from __future__ import annotations

from tests.domains.productivity.conftest import call, fails, ok


async def test_team_tools_happy_path(make_ctx) -> None:  # type: ignore[no-untyped-def]
    owner = await make_ctx("olga")
    member = await make_ctx("mike")
    assert ok(await call(owner, "create_team", name="Design"))["created"]["my_role"] == "owner"
    assert ok(await call(owner, "search_users", query="mike"))["users"] == []  # not a teammate yet
    invited = ok(await call(owner, "add_team_member", team="design", email="mike@example.com"))
    assert invited["invited"] == {"email": "mike@example.com", "role": "member"}
    assert ok(await call(owner, "search_users", query="mike"))["users"] == []  # invited, not joined yet
    assert ok(await call(member, "get_teams"))["teams"][0]["name"] == "Design"  # mike looks: he joins
    assert ok(await call(owner, "search_users", query="mike"))["users"][0]["email"] == "mike@example.com"
    members = ok(await call(owner, "get_team_members", team="the design team"))["members"]
    assert {m["email"]: m["role"] for m in members} == {"olga@example.com": "owner", "mike@example.com": "member"}
    todo = ok(await call(owner, "create_team_todo", team="Design", title="Mockups", assignee_email="mike@example.com"))
    assert todo["team"] == "Design"
    # the assignee sees it among their todos and can complete it
    assert [t["title"] for t in ok(await call(member, "get_todos"))["todos"]] == ["Mockups"]
    ok(await call(member, "complete_todo", todo="mockups"))
    ok(await call(owner, "change_member_role", team="design", email="mike@example.com", role="viewer"))
    assert ok(await call(member, "get_teams"))["teams"][0]["my_role"] == "viewer"
    ok(await call(owner, "remove_team_member", team="design", email="mike@example.com"))
    assert ok(await call(member, "get_teams"))["count"] == 0


async def test_team_tools_bad_input_and_roles(make_ctx) -> None:  # type: ignore[no-untyped-def]
    owner = await make_ctx("olive")
    viewer = await make_ctx("vic")
    outsider = await make_ctx("otto")
    ok(await call(owner, "create_team", name="Ops"))
    ok(await call(owner, "add_team_member", team="ops", email="vic@example.com", role="viewer"))
    ok(await call(viewer, "get_teams"))
    fails(await call(owner, "create_team", name=""), "name")
    gone = [fails(await call(owner, "remove_team_member", team="ops", email=e), "no one in the team")
            for e in ("ghost@example.com", "otto@example.com")]  # otto has an account, ghost has none
    assert gone[0] == gone[1].replace("otto@", "ghost@")
    ghost = ok(await call(owner, "add_team_member", team="ops", email="ghost@example.com"))
    real = ok(await call(owner, "add_team_member", team="ops", email="otto@example.com"))
    assert ghost.keys() == real.keys()  # nothing tells who has an account
    assert ghost["message"] == real["message"].replace("otto@", "ghost@")
    fails(await call(owner, "add_team_member", team="ops", email="otto@example.com", role="owner"), "role")
    fails(await call(owner, "search_users", query="a"), "query")
    fails(await call(viewer, "create_team_todo", team="ops", title="nope"), "member")
    fails(await call(viewer, "add_team_member", team="ops", email="someone@example.com"), "admin")
    # an outsider cannot even tell the team exists
    for name, args in (
        ("get_team_members", {"team": "ops"}),
        ("create_team_todo", {"team": "ops", "title": "x"}),
        ("add_team_member", {"team": "ops", "email": "otto@example.com"}),
        ("remove_team_member", {"team": "ops", "email": "vic@example.com"}),
        ("change_member_role", {"team": "ops", "email": "vic@example.com", "role": "admin"}),
    ):
        fails(await call(outsider, name, **args), "not in a team")
    assert len(ok(await call(owner, "get_team_members", team="ops"))["members"]) == 2


async def test_search_sees_only_teammates_and_takes_wildcards_literally(make_ctx) -> None:  # type: ignore[no-untyped-def]
    owner = await make_ctx("ursula")
    walt = await make_ctx("walt")
    await make_ctx("xena")
    ok(await call(owner, "create_team", name="Crew"))
    ok(await call(owner, "add_team_member", team="crew", email="walt@example.com"))
    ok(await call(walt, "get_teams"))
    emails = [u["email"] for u in ok(await call(owner, "search_users", query="example.com"))["users"]]
    assert emails == ["ursula@example.com", "walt@example.com"]  # xena shares no team
    for wildcard in ("%@", "_%", "%%"):
        assert ok(await call(owner, "search_users", query=wildcard))["users"] == [], wildcard
