"""The domain registry is the one list: every domain package is in it once, and what each layer
offers (tools, grammars, tables, routing, prompts, staff routes) comes from it."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime

import httpx
from fastapi import APIRouter, FastAPI
from sqlmodel import SQLModel

import domains
from bots.agent.prompts import system_prompt
from bots.agent.router import route
from core.grammar import registry as grammar_registry
from domains import registry
from domains.domain import Domain

NOW = datetime(2026, 11, 23, 10, 0)


def test_every_domain_package_is_listed_once() -> None:
    packages = [m.name for m in pkgutil.iter_modules(domains.__path__) if m.ispkg]
    exported = [importlib.import_module(f"domains.{name}").DOMAIN for name in packages]
    assert all(isinstance(d, Domain) for d in exported)
    assert sorted(d.name for d in exported) == sorted(registry.names())
    assert {id(d) for d in exported} == {id(d) for d in registry.DOMAINS}
    assert len(set(registry.names())) == len(registry.DOMAINS)
    assert registry.names() == ("productivity", "transfer", "mortgage", "healthcare", "restaurant")
    assert registry.DEFAULT in registry.names()


def test_the_grammars_are_the_registrys_in_its_order() -> None:
    assert registry.grammar_set().domains() == registry.names()
    assert grammar_registry.installed() is registry.grammar_set()
    assert grammar_registry.domains() == registry.names()


def test_every_tool_and_table_belongs_to_one_domain() -> None:
    tools = registry.all_tools()
    assert len(tools) == len({t.name for t in tools}) == 42
    for domain in registry.DOMAINS:
        assert {t.domain for t in domain.tools} <= {domain.name}
    owned = [table.__tablename__ for d in registry.DOMAINS for table in d.tables]
    assert len(owned) == len(set(owned))
    core_tables = {"users", "call_recordings", "lines", "contacts"}
    assert set(owned) | core_tables == set(SQLModel.metadata.tables)


def test_routing_words_and_prompts_come_from_the_domains() -> None:
    # Words no template reads, so the routing words decide.
    assert route("something about my mortgage", None, NOW) == "mortgage"
    assert route("uh my fever", None, NOW) == "healthcare"
    # The default domain's words are the most general: another domain's words win over them.
    assert route("the doctor schedule", None, NOW) == "healthcare"
    assert route("hmm", "restaurant", NOW) == "restaurant"
    assert route("hmm", None, NOW) == registry.DEFAULT
    for domain in registry.DOMAINS:
        assert domain.prompt in system_prompt(domain.name, NOW, None)
    assert registry.get(registry.DEFAULT).prompt in system_prompt("no such domain", NOW, None)


def _documented(router: APIRouter) -> set[str]:
    app = FastAPI()
    app.include_router(router)
    return set(app.openapi().get("paths", {}))


async def test_the_staff_routes_and_pages_are_the_domains() -> None:
    from api.routes.staff import build_router

    assert _documented(build_router()) == {
        "/api/staff/mortgage/applications",
        "/api/staff/mortgage/applications/{application_id}",
        "/api/staff/mortgage/applications/{application_id}/status",
        "/api/staff/mortgage/rates",
        "/api/staff/clinic/settings",
        "/api/staff/appointments",
        "/api/staff/appointments/{appointment_id}",
        "/api/staff/appointments/{appointment_id}/cancel",
        "/api/staff/reservations",
        "/api/staff/reservations/{reservation_id}",
        "/api/staff/reservations/{reservation_id}/cancel",
        "/api/staff/reservations/{reservation_id}/no-show",
        "/api/staff/restaurant/settings",
    }
    assert _documented(build_router(())) == set()
    app = FastAPI()
    app.include_router(build_router((registry.get("mortgage"),)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = await client.get("/mortgage_dashboard")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert (await client.get("/api/staff/appointments")).status_code == 404
