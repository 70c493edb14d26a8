"""Teams: the role matrix, assignment, privacy, and that outsiders learn nothing."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.helpers import Account, register


@dataclass
class Team:
    id: str
    owner: Account
    admin: Account
    member: Account
    viewer: Account
    outsider: Account

    def by_role(self, role: str) -> Account:
        return getattr(self, role)


@pytest.fixture
async def team(client: httpx.AsyncClient) -> Team:
    owner, admin, member, viewer, outsider = [await register(client) for _ in range(5)]
    created = await client.post("/api/teams/", json={"name": "Design", "description": "d"}, headers=owner.auth)
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]
    for account, role in ((admin, "admin"), (member, "member"), (viewer, "viewer")):
        invited = await client.post(
            f"/api/teams/{team_id}/members", json={"email": account.email, "role": role}, headers=owner.auth
        )
        assert invited.status_code == 202, invited.text
        assert (await client.get("/api/teams/", headers=account.auth)).json()[0]["my_role"] == role  # joined
    return Team(team_id, owner, admin, member, viewer, outsider)


ROLES = ("owner", "admin", "member", "viewer", "outsider")


@pytest.mark.parametrize("role", ROLES)
async def test_read_access(client: httpx.AsyncClient, team: Team, role: str) -> None:
    who = team.by_role(role)
    detail = await client.get(f"/api/teams/{team.id}", headers=who.auth)
    todos = await client.get(f"/api/teams/{team.id}/todos", headers=who.auth)
    listed = await client.get("/api/teams/", headers=who.auth)
    if role == "outsider":
        assert detail.status_code == todos.status_code == 404
        assert listed.json() == []
    else:
        assert detail.status_code == todos.status_code == 200
        assert detail.json()["my_role"] == role
        assert {m["role"] for m in detail.json()["members"]} == {"owner", "admin", "member", "viewer"}
        assert [t["id"] for t in listed.json()] == [team.id]


CREATE = {"owner": 201, "admin": 201, "member": 201, "viewer": 403, "outsider": 404}


@pytest.mark.parametrize("role", ROLES)
async def test_create_team_todo(client: httpx.AsyncClient, team: Team, role: str) -> None:
    response = await client.post(
        f"/api/teams/{team.id}/todos", json={"title": f"by {role}"}, headers=team.by_role(role).auth
    )
    assert response.status_code == CREATE[role]
    titles = [t["title"] for t in (await client.get(f"/api/teams/{team.id}/todos", headers=team.owner.auth)).json()]
    assert (f"by {role}" in titles) == (CREATE[role] == 201)


UPDATE_OTHERS = {"owner": 200, "admin": 200, "member": 403, "viewer": 403, "outsider": 404}


@pytest.mark.parametrize("role", ROLES)
async def test_update_and_delete_someone_elses_todo(client: httpx.AsyncClient, team: Team, role: str) -> None:
    # created by the admin for the owner-less case: owner's and admin's rights both cover it
    creator = team.admin if role != "admin" else team.owner
    todo = (await client.post(f"/api/teams/{team.id}/todos", json={"title": "shared"}, headers=creator.auth)).json()
    who = team.by_role(role)
    updated = await client.put(f"/api/todos/{todo['id']}", json={"completed": True}, headers=who.auth)
    assert updated.status_code == UPDATE_OTHERS[role]
    deleted = await client.delete(f"/api/todos/{todo['id']}", headers=who.auth)
    assert deleted.status_code == {200: 204}.get(UPDATE_OTHERS[role], UPDATE_OTHERS[role])
    still_there = await client.get(f"/api/todos/{todo['id']}", headers=creator.auth)
    assert (still_there.status_code == 404) == (UPDATE_OTHERS[role] == 200)


async def test_member_changes_own_and_assigned_todos(client: httpx.AsyncClient, team: Team) -> None:
    mine = (await client.post(f"/api/teams/{team.id}/todos", json={"title": "mine"}, headers=team.member.auth)).json()
    assigned = (
        await client.post(
            f"/api/teams/{team.id}/todos",
            json={"title": "for member", "assignee_id": team.member.id},
            headers=team.owner.auth,
        )
    ).json()
    assert assigned["assignee_id"] == team.member.id
    assert (await client.put(f"/api/todos/{mine['id']}", json={"title": "mine!"}, headers=team.member.auth)).status_code == 200
    done = await client.put(f"/api/todos/{assigned['id']}", json={"completed": True}, headers=team.member.auth)
    assert done.status_code == 200 and done.json()["completed"] is True
    # assigned, but not theirs to delete
    assert (await client.delete(f"/api/todos/{assigned['id']}", headers=team.member.auth)).status_code == 403
    assert (await client.delete(f"/api/todos/{mine['id']}", headers=team.member.auth)).status_code == 204
    # a viewer who is assigned still only reads
    for_viewer = (
        await client.post(
            f"/api/teams/{team.id}/todos", json={"title": "v", "assignee_id": team.viewer.id}, headers=team.owner.auth
        )
    ).json()
    assert (await client.put(f"/api/todos/{for_viewer['id']}", json={"completed": True}, headers=team.viewer.auth)).status_code == 403
    # assigned todos show up in the member's own list on request
    listed = await client.get("/api/todos/?include_assigned=true", headers=team.member.auth)
    assert assigned["id"] in [t["id"] for t in listed.json()]


async def test_assignee_must_be_a_member(client: httpx.AsyncClient, team: Team) -> None:
    response = await client.post(
        f"/api/teams/{team.id}/todos", json={"title": "x", "assignee_id": team.outsider.id}, headers=team.owner.auth
    )
    assert response.status_code == 422
    assert (await client.get(f"/api/teams/{team.id}/todos", headers=team.owner.auth)).json() == []


async def test_private_team_todo_is_hidden_from_uninvolved_members(client: httpx.AsyncClient, team: Team) -> None:
    secret = (
        await client.post(
            f"/api/teams/{team.id}/todos", json={"title": "surprise party", "is_private": True}, headers=team.member.auth
        )
    ).json()
    seen_by = {
        role: secret["id"] in [t["id"] for t in (await client.get(f"/api/teams/{team.id}/todos", headers=team.by_role(role).auth)).json()]
        for role in ("owner", "admin", "member", "viewer")
    }
    assert seen_by == {"owner": True, "admin": True, "member": True, "viewer": False}
    assert (await client.get(f"/api/todos/{secret['id']}", headers=team.viewer.auth)).status_code == 404


MANAGE = {"owner": 201, "admin": 201, "member": 403, "viewer": 403, "outsider": 404}


@pytest.mark.parametrize("role", ROLES)
async def test_add_member(client: httpx.AsyncClient, team: Team, role: str) -> None:
    newcomer = await register(client)
    response = await client.post(
        f"/api/teams/{team.id}/members", json={"user_id": newcomer.id, "role": "member"}, headers=team.by_role(role).auth
    )
    assert response.status_code == MANAGE[role]
    visible = await client.get(f"/api/teams/{team.id}", headers=newcomer.auth)
    assert (visible.status_code == 200) == (MANAGE[role] == 201)


async def test_admin_never_manages_owners(client: httpx.AsyncClient, team: Team) -> None:
    t = f"/api/teams/{team.id}/members"
    newcomer = await register(client)
    assert (await client.post(t, json={"user_id": newcomer.id, "role": "owner"}, headers=team.admin.auth)).status_code == 403
    assert (await client.put(f"{t}/{team.owner.id}/role", json={"role": "viewer"}, headers=team.admin.auth)).status_code == 403
    assert (await client.put(f"{t}/{team.member.id}/role", json={"role": "owner"}, headers=team.admin.auth)).status_code == 403
    assert (await client.delete(f"{t}/{team.owner.id}", headers=team.admin.auth)).status_code == 403
    # but admins do manage everyone else
    changed = await client.put(f"{t}/{team.member.id}/role", json={"role": "viewer"}, headers=team.admin.auth)
    assert changed.status_code == 200
    assert {m["user_id"]: m["role"] for m in changed.json()["members"]}[team.member.id] == "viewer"
    assert (await client.delete(f"{t}/{team.viewer.id}", headers=team.admin.auth)).status_code == 204
    assert (await client.get(f"/api/teams/{team.id}", headers=team.viewer.auth)).status_code == 404
    # and an owner can make owners
    promoted = await client.put(f"{t}/{team.admin.id}/role", json={"role": "owner"}, headers=team.owner.auth)
    assert promoted.status_code == 200


@pytest.mark.parametrize("role", ("member", "viewer", "outsider"))
async def test_non_managers_cannot_change_roles_or_remove(client: httpx.AsyncClient, team: Team, role: str) -> None:
    t = f"/api/teams/{team.id}/members"
    who = team.by_role(role)
    expected = 404 if role == "outsider" else 403
    target = team.viewer if role != "viewer" else team.member
    assert (await client.put(f"{t}/{target.id}/role", json={"role": "admin"}, headers=who.auth)).status_code == expected
    assert (await client.delete(f"{t}/{target.id}", headers=who.auth)).status_code == expected
    detail = (await client.get(f"/api/teams/{team.id}", headers=team.owner.auth)).json()
    assert {m["user_id"]: m["role"] for m in detail["members"]}[target.id] in ("viewer", "member")


async def test_last_owner_cannot_leave_but_members_can(client: httpx.AsyncClient, team: Team) -> None:
    t = f"/api/teams/{team.id}/members"
    assert (await client.delete(f"{t}/{team.owner.id}", headers=team.owner.auth)).status_code == 409
    assert (await client.delete(f"{t}/{team.member.id}", headers=team.member.auth)).status_code == 204


async def test_bad_team_input(client: httpx.AsyncClient, team: Team) -> None:
    assert (await client.post("/api/teams/", json={"name": ""}, headers=team.owner.auth)).status_code == 422
    assert (
        await client.put(f"/api/teams/{team.id}/members/{team.member.id}/role", json={"role": "king"}, headers=team.owner.auth)
    ).status_code == 422
    duplicate = await client.post(
        f"/api/teams/{team.id}/members", json={"user_id": team.member.id}, headers=team.owner.auth
    )
    assert duplicate.status_code == 409
    # By email: one answer whether or not anyone has the address (no way to tell who uses Convonet).
    answers = [await client.post(f"/api/teams/{team.id}/members", json={"email": email}, headers=team.owner.auth)
               for email in ("ghost@example.com", team.outsider.email)]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == {**answers[1].json(), "email": "ghost@example.com"}
    assert (await client.post(f"/api/teams/{team.id}/members", json={"email": "no-at-sign"},
                              headers=team.owner.auth)).status_code == 422
