"""Todo tools through run_tool: happy paths, bad input, and tenancy."""

from __future__ import annotations

from sqlmodel import select

from core.runtime import Runtime
from domains.productivity.models import Todo
from tests.domains.productivity.conftest import call, fails, ok


async def _titles(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return sorted(t.title for t in (await session.exec(select(Todo))).all())


async def test_todo_lifecycle(make_ctx, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("ann")
    created = ok(await call(ctx, "create_todo", title="Buy milk", priority="high", due_date="2026-11-24T14:00"))
    assert created["created"]["title"] == "Buy milk"
    assert created["created"]["due"] == "2026-11-24T14:00"
    ok(await call(ctx, "create_todo", title="Call the plumber"))
    listed = ok(await call(ctx, "get_todos"))
    assert listed["count"] == 2
    assert ok(await call(ctx, "get_todos", priority="high"))["count"] == 1

    done = ok(await call(ctx, "complete_todo", todo="milk"))
    assert done["completed"]["completed"] is True
    assert ok(await call(ctx, "get_todos", completed=False))["todos"][0]["title"] == "Call the plumber"

    updated = ok(await call(ctx, "update_todo", todo="plumber", priority="urgent", title="Call the plumber today"))
    assert updated["updated"]["priority"] == "urgent"
    deleted = ok(await call(ctx, "delete_todo", todo="plumber today"))
    assert deleted["deleted"]["title"] == "Call the plumber today"
    assert await _titles(runtime) == ["Buy milk"]


async def test_todo_bad_input(make_ctx, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("bob")
    fails(await call(ctx, "create_todo", title=""), "title")
    fails(await call(ctx, "create_todo", title="x", priority="extreme"), "priority")
    fails(await call(ctx, "create_todo", title="x", due_date="the thirty-second of never"), "due date")
    fails(await call(ctx, "create_todo", title=123), "title")
    fails(await call(ctx, "create_todo"), "title")
    fails(await call(ctx, "create_todo", title="x", owner="someone-else"), "owner")
    fails(await call(ctx, "complete_todo", todo="nonexistent thing"), "couldn't find")
    fails(await call(ctx, "update_todo", todo="x"), "what to change")
    assert await _titles(runtime) == []


async def test_ambiguous_reference_asks_which(make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("cat")
    ok(await call(ctx, "create_todo", title="email Sam"))
    ok(await call(ctx, "create_todo", title="email Alex"))
    fails(await call(ctx, "complete_todo", todo="email"), "which")
    assert ok(await call(ctx, "complete_todo", todo="email alex"))["completed"]["title"] == "email Alex"


async def test_user_b_cannot_reach_user_a_todos(make_ctx, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    a = await make_ctx("alice")
    b = await make_ctx("bert")
    todo_id = ok(await call(a, "create_todo", title="secret plan"))["created"]["id"]
    assert ok(await call(b, "get_todos"))["count"] == 0
    for ref in ("secret plan", todo_id):
        fails(await call(b, "complete_todo", todo=ref))
        fails(await call(b, "update_todo", todo=ref, title="hacked"))
        fails(await call(b, "delete_todo", todo=ref))
    mine = ok(await call(a, "get_todos"))["todos"]
    assert [(t["title"], t["completed"]) for t in mine] == [("secret plan", False)]
